package io.ffpoll.multiplexer.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test certificates made at test time with the {@code openssl} command (the JDK has no API to
 * issue certificates): a CA, a server certificate for {@code localhost} (SAN
 * {@code DNS:localhost, IP:127.0.0.1}), a second server certificate for {@code other.test}, and
 * a client certificate, all signed by the CA; in ECDSA P-256 and in RSA-2048 ({@link Kind}).
 * Each is a PEM file ({@code server.pem} holds the leaf, {@code server-chain.pem} the leaf and
 * the CA) with its key in unencrypted PKCS#8 PEM ({@code server.key}), in a temporary directory
 * deleted when the JVM exits; and as objects ({@link #server()}, {@link #trust()}, ...).
 *
 * <p>Made once per kind per JVM ({@link #of(Kind)}). Where the command is missing,
 * {@link #available()} is false and {@link #unavailableReason()} says why: tests should skip
 * with {@code Assumptions.assumeTrue(TestCertificates.available(), ...)}.
 */
public final class TestCertificates {
    /** The key type of every certificate of a set. */
    public enum Kind {
        /** ECDSA on P-256, signed with SHA-256. */
        EC,
        /** RSA with 2048-bit keys, signed with SHA-256. */
        RSA
    }

    private static final Map<Kind, TestCertificates> MADE = new EnumMap<>(Kind.class);
    private static final String OPENSSL = findOpenssl();

    private final Kind kind;
    private final Path dir;
    private final X509Certificate ca;
    private final CertifiedKey server;
    private final CertifiedKey other;
    private final CertifiedKey client;

    private TestCertificates(Kind kind) throws IOException {
        this.kind = kind;
        this.dir = Files.createTempDirectory("ffpoll-certs-" + kind.name().toLowerCase());
        deleteOnExit(dir);
        key("ca");
        openssl("req", "-x509", "-new", "-key", file("ca.key"), "-subj", "/CN=ffpoll test CA " + kind, "-days", "3650",
                "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", file("ca.pem"));
        String usage = kind == Kind.RSA ? "digitalSignature,keyEncipherment" : "digitalSignature";
        leaf("server", "localhost", 2, usage, "serverAuth", "DNS:localhost,IP:127.0.0.1");
        leaf("other", "other.test", 3, usage, "serverAuth", "DNS:other.test");
        leaf("client", "ffpoll test client", 4, usage, "clientAuth", null);
        this.ca = certificates(caPem()).getFirst();
        this.server = certifiedKey("server");
        this.other = certifiedKey("other");
        this.client = certifiedKey("client");
    }

    /**
     * The set of {@code kind}, made on first use.
     *
     * @param kind the key type
     * @return the certificates
     * @throws IllegalStateException where {@code openssl} cannot make them
     */
    public static synchronized TestCertificates of(Kind kind) {
        if (OPENSSL == null) {
            throw new IllegalStateException(unavailableReason());
        }
        return MADE.computeIfAbsent(kind, k -> {
            try {
                return new TestCertificates(k);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** {@return whether the openssl command is here to make certificates} */
    public static boolean available() {
        return OPENSSL != null;
    }

    /** {@return why certificates cannot be made, or null} */
    public static String unavailableReason() {
        return OPENSSL != null ? null : "no openssl command on PATH (or /usr/bin/openssl) to make test certificates";
    }

    /** {@return the key type} */
    public Kind kind() {
        return kind;
    }

    /** {@return the directory of the PEM files} */
    public Path dir() {
        return dir;
    }

    /** {@return the CA certificate's PEM file} */
    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** {@return the CA's key (PKCS#8 PEM)} */
    public Path caKey() {
        return dir.resolve("ca.key");
    }

    /** {@return the localhost certificate's PEM file (leaf only)} */
    public Path serverPem() {
        return dir.resolve("server.pem");
    }

    /** {@return the localhost certificate and the CA, leaf first (PEM)} */
    public Path serverChainPem() {
        return dir.resolve("server-chain.pem");
    }

    /** {@return the localhost certificate's key (PKCS#8 PEM)} */
    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** {@return the other.test certificate and the CA, leaf first (PEM)} */
    public Path otherChainPem() {
        return dir.resolve("other-chain.pem");
    }

    /** {@return the other.test certificate's key (PKCS#8 PEM)} */
    public Path otherKey() {
        return dir.resolve("other.key");
    }

    /** {@return the client certificate and the CA, leaf first (PEM)} */
    public Path clientChainPem() {
        return dir.resolve("client-chain.pem");
    }

    /** {@return the client certificate's key (PKCS#8 PEM)} */
    public Path clientKey() {
        return dir.resolve("client.key");
    }

    /** {@return the CA certificate} */
    public X509Certificate ca() {
        return ca;
    }

    /** {@return the CA alone, as a trust list} */
    public List<X509Certificate> trust() {
        return List.of(ca);
    }

    /** {@return the localhost chain (leaf, CA) and key} */
    public CertifiedKey server() {
        return server;
    }

    /** {@return the other.test chain (leaf, CA) and key} */
    public CertifiedKey other() {
        return other;
    }

    /** {@return the client chain (leaf, CA) and key} */
    public CertifiedKey client() {
        return client;
    }

    private void key(String name) throws IOException {
        if (kind == Kind.EC) {
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file(name + ".key"));
        } else {
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", file(name + ".key"));
        }
    }

    private void leaf(String name, String cn, int serial, String keyUsage, String extendedUsage, String san)
            throws IOException {
        key(name);
        openssl("req", "-new", "-key", file(name + ".key"), "-subj", "/CN=" + cn, "-out", file(name + ".csr"));
        String ext = "basicConstraints=CA:FALSE\nkeyUsage=critical," + keyUsage + "\nextendedKeyUsage=" + extendedUsage
                + "\n" + (san == null ? "" : "subjectAltName=" + san + "\n");
        Files.writeString(dir.resolve(name + ".ext"), ext);
        openssl("x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"),
                "-set_serial", Integer.toString(serial), "-days", "365", "-sha256", "-extfile", file(name + ".ext"),
                "-out", file(name + ".pem"));
        Files.writeString(dir.resolve(name + "-chain.pem"),
                Files.readString(dir.resolve(name + ".pem")) + Files.readString(caPem()));
    }

    private CertifiedKey certifiedKey(String name) throws IOException {
        return new CertifiedKey(certificates(dir.resolve(name + "-chain.pem")), privateKey(dir.resolve(name + ".key")));
    }

    /**
     * The certificates of a PEM file, in order.
     *
     * @param pem the file
     * @return the certificates
     * @throws IOException if it cannot be read or parsed
     */
    public static List<X509Certificate> certificates(Path pem) throws IOException {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> out = new ArrayList<>();
            CertificateFactory.getInstance("X.509").generateCertificates(in).forEach(c -> out.add((X509Certificate) c));
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot parse " + pem, e);
        }
    }

    /**
     * The unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY}) of a PEM file, EC or RSA.
     *
     * @param pem the file
     * @return the key
     * @throws IOException if it cannot be read or parsed
     */
    public static PrivateKey privateKey(Path pem) throws IOException {
        String text = Files.readString(pem, StandardCharsets.US_ASCII);
        String base64 = text.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", "")
                .replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(base64);
        for (String algorithm : List.of("EC", "RSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisType) {
                // try the other
            }
        }
        throw new IOException("neither an EC nor an RSA PKCS#8 key: " + pem);
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private static void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(OPENSSL);
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " failed:\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + command, e);
        }
    }

    private static String findOpenssl() {
        for (String candidate : List.of("openssl", "/usr/bin/openssl")) {
            try {
                Process p = new ProcessBuilder(candidate, "version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException notThere) {
                // try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private static void deleteOnExit(Path dir) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            } catch (IOException ignored) {
                // a temp dir left behind is harmless
            }
        }, "ffpoll-test-certificates-cleanup"));
    }
}
