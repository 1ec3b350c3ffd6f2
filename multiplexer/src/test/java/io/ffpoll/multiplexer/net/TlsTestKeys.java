package io.ffpoll.multiplexer.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Keys and certificates for the TLS tests, made with {@code /usr/bin/openssl} once per JVM into
 * a temporary directory that is deleted at exit: a CA (EC P-256), server certificates it signed
 * for {@code DNS:localhost, IP:127.0.0.1} on an EC P-256 and an RSA-2048 key, a client
 * certificate it signed, a certificate it signed for another host only, and a self-signed
 * {@code localhost} certificate that nothing trusts. Also the JDK contexts a raw
 * {@code SSLSocket}/{@code SSLEngine} peer needs, and the configurations of either engine.
 */
final class TlsTestKeys {
    /** Where the files are: ca.pem, ec.pem/ec.key, rsa.pem/rsa.key, client.pem/client.key, other-host.*, untrusted.*. */
    static final Path DIR = make();

    private TlsTestKeys() {}

    static Path ca() {
        return DIR.resolve("ca.pem");
    }

    /** The chain file (leaf, then the CA) of {@code name}: "ec", "rsa", "client", "other-host", "untrusted". */
    static Path chain(String name) {
        return DIR.resolve(name + ".pem");
    }

    static Path key(String name) {
        return DIR.resolve(name + ".key");
    }

    /** The engines the tests run on; a test with "openssl" is skipped where it does not load. */
    static Stream<String> engines() {
        return Stream.of("jdk", "openssl");
    }

    static TlsConfig.Engine engine(String name) {
        if (name.equals("openssl")) {
            org.junit.jupiter.api.Assumptions.assumeTrue(io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory.enabled(),
                    () -> "SKIPPED: the OpenSSL engine is not on here: "
                            + io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory.disabledReason());
            return TlsConfig.Engine.OPENSSL;
        }
        return TlsConfig.Engine.JDK;
    }

    /** A server builder on {@code engine} with the CA-signed certificate of key type {@code key} ("ec" or "rsa"). */
    static TlsConfig.Builder server(String engine, String key) throws IOException {
        return TlsConfig.server().engine(engine(engine)).certificate(chain(key), key(key));
    }

    /** A client builder on {@code engine} that trusts the test CA. */
    static TlsConfig.Builder client(String engine) throws IOException {
        return TlsConfig.client().engine(engine(engine)).trust(ca());
    }

    /** A JDK context that trusts the test CA and, given a name ("client"), presents that certificate. */
    static SSLContext jdkContext(String keyName) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", certificates(ca()).getFirst());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        javax.net.ssl.KeyManager[] km = null;
        if (keyName != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("key", privateKey(key(keyName)), new char[0],
                    certificates(chain(keyName)).toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(keys, new char[0]);
            km = kmf.getKeyManagers();
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(km, tmf.getTrustManagers(), null);
        return context;
    }

    static List<X509Certificate> certificates(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            List<X509Certificate> all = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                all.add((X509Certificate) c);
            }
            return all;
        }
    }

    /** A PKCS#8 key file (openssl genpkey writes that form). */
    static PrivateKey privateKey(Path pem) throws Exception {
        String text = Files.readString(pem);
        byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----[^-]+-----", ""));
        for (String algorithm : List.of("EC", "RSA")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (java.security.spec.InvalidKeySpecException notThisOne) {
                // try the next algorithm
            }
        }
        throw new IOException("no EC or RSA key in " + pem);
    }

    private static Path make() {
        try {
            Path dir = Files.createTempDirectory("ffpoll-tls-keys");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            String san = "subjectAltName=DNS:localhost,IP:127.0.0.1";
            openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "ca.key", "-out", "ca.pem", "-days", "3", "-subj", "/CN=ffpoll test CA",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            leaf(dir, "ec", new String[] {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, "/CN=localhost",
                    san + "\nextendedKeyUsage=serverAuth");
            leaf(dir, "rsa", new String[] {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, "/CN=localhost",
                    san + "\nextendedKeyUsage=serverAuth");
            leaf(dir, "client", new String[] {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, "/CN=ffpoll test client",
                    "extendedKeyUsage=clientAuth");
            leaf(dir, "other-host", new String[] {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"},
                    "/CN=other.example", "subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth");
            openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", "untrusted.key", "-out", "untrusted.pem", "-days", "3", "-subj", "/CN=localhost",
                    "-addext", san);
            return dir;
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A key and a certificate the CA signs, written as NAME.key and NAME.pem (leaf, then the CA). */
    private static void leaf(Path dir, String name, String[] keyArgs, String subject, String extensions) throws Exception {
        List<String> gen = new ArrayList<>(List.of("genpkey"));
        gen.addAll(List.of(keyArgs));
        gen.addAll(List.of("-out", name + ".key"));
        openssl(dir, gen.toArray(String[]::new));
        openssl(dir, "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subject);
        Files.writeString(dir.resolve(name + ".ext"), extensions + "\n");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "3", "-extfile", name + ".ext", "-out", name + ".leaf");
        Files.writeString(dir.resolve(name + ".pem"),
                Files.readString(dir.resolve(name + ".leaf")) + Files.readString(dir.resolve("ca.pem")));
    }

    private static void openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/openssl"));
        cmd.addAll(List.of(args));
        // No pipes: the JDK closes a child's pipes on a thread of its own a moment after it
        // ends, which a test counting its descriptors then sees as one fewer. Files instead.
        Path log = Files.createTempFile("openssl", ".log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int exit = p.waitFor();
        String out = Files.readString(log);
        Files.delete(log);
        if (exit != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory: the OS cleans it up in the end
        }
    }
}
