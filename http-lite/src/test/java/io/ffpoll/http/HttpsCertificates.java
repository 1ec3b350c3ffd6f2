package io.ffpoll.http;

import io.ffpoll.multiplexer.net.TlsConfig;
import org.junit.jupiter.api.Assumptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the openssl command (/usr/bin/openssl): a CA, a server
 * certificate it signs for {@code localhost} and 127.0.0.1 (subjectAltName DNS and IP), and a
 * second for {@code other.test}, to be picked by SNI. Keys are EC P-256 or RSA-2048, in PKCS#8
 * PEM as {@code openssl req -nodes} writes them; certificate files hold the leaf alone. Also
 * the engines by the names the tests are parameterised with, and a client context trusting the
 * CA.
 *
 * @param dir where the files are
 * @param ca the CA's certificate (PEM), what clients trust ({@code curl --cacert})
 * @param localhost the localhost certificate
 * @param localhostKey its key
 * @param other the other.test certificate
 * @param otherKey its key
 */
public record HttpsCertificates(Path dir, Path ca, Path localhost, Path localhostKey, Path other, Path otherKey) {

    /** The kinds of key the certificates are made with. */
    public enum KeyType {
        EC("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
        RSA("-newkey", "rsa:2048");

        private final List<String> newKey;

        KeyType(String... newKey) {
            this.newKey = List.of(newKey);
        }
    }

    /** Makes the CA and both server certificates in {@code dir}. */
    public static HttpsCertificates create(Path dir, KeyType type) throws IOException, InterruptedException {
        String prefix = type.name().toLowerCase(Locale.ROOT) + "-";
        Path ca = dir.resolve(prefix + "ca.pem");
        Path caKey = dir.resolve(prefix + "ca.key");
        List<String> req = new ArrayList<>(List.of("openssl", "req", "-x509", "-new"));
        req.addAll(type.newKey);
        req.addAll(List.of("-nodes", "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "2",
                "-subj", "/CN=http-lite test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"));
        run(req);
        Path localhost = dir.resolve(prefix + "localhost.pem");
        Path localhostKey = dir.resolve(prefix + "localhost.key");
        signed(type, dir, ca, caKey, "localhost", "DNS:localhost,IP:127.0.0.1", localhost, localhostKey, 1);
        Path other = dir.resolve(prefix + "other.pem");
        Path otherKey = dir.resolve(prefix + "other.key");
        signed(type, dir, ca, caKey, "other.test", "DNS:other.test", other, otherKey, 2);
        return new HttpsCertificates(dir, ca, localhost, localhostKey, other, otherKey);
    }

    private static void signed(KeyType type, Path dir, Path ca, Path caKey, String name, String san, Path cert, Path key,
                               int serial) throws IOException, InterruptedException {
        Path csr = dir.resolve(cert.getFileName() + ".csr");
        List<String> req = new ArrayList<>(List.of("openssl", "req", "-new"));
        req.addAll(type.newKey);
        req.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name));
        run(req);
        Path ext = dir.resolve(cert.getFileName() + ".ext");
        Files.writeString(ext, "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        run(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                "-set_serial", Integer.toString(serial), "-days", "2", "-extfile", ext.toString(), "-out", cert.toString()));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Closed here: the JDK closes a child's stdin pipe only after waitFor has returned, on
        // its reaper thread, which a test counting descriptors would see as a race.
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    /**
     * The engine a test is parameterised with: "jdk" or "openssl". Where OpenSSL's libssl does
     * not load the test is skipped, and says so.
     */
    public static TlsConfig.Engine engine(String name) {
        TlsConfig.Engine engine = TlsConfig.Engine.valueOf(name.toUpperCase(Locale.ROOT));
        Assumptions.assumeTrue(TlsConfig.engineAvailable(engine),
                "SKIPPED: TLS engine " + name + " is not available in this process (libssl 3 did not load)");
        return engine;
    }

    /** A server configuration on {@code engine} with the localhost certificate, other.test's for SNI, and ALPN http/1.1. */
    TlsConfig server(TlsConfig.Engine engine) throws IOException {
        return server(engine, true, "TLSv1.3", "TLSv1.2");
    }

    /** {@link #server(TlsConfig.Engine)}, with session tickets on or off, allowing {@code protocols}. */
    TlsConfig server(TlsConfig.Engine engine, boolean sessionTickets, String... protocols) throws IOException {
        return TlsConfig.server().certificate(localhost, localhostKey).serverName("other.test", other, otherKey)
                .alpn("http/1.1").engine(engine).sessionTickets(sessionTickets).protocols(protocols).build();
    }

    /** A client context (the JDK's HttpClient's, say) that trusts the CA alone. */
    public SSLContext clientContext() throws IOException {
        try (InputStream in = Files.newInputStream(ca)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }
}
