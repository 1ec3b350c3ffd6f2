package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;
import io.ffpoll.multiplexer.net.TlsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Servers that speak HTTPS, with the certificates of {@link HttpsCertificates} (EC), and real
 * clients run as processes (curl, openssl s_client; {@link Tool}). As {@link HttpTestBase}, every test ends
 * with its servers closed, no buffer held and the process's descriptors as before.
 */
abstract class HttpsTestBase extends HttpTestBase {
    @TempDir
    static Path dir;
    static HttpsCertificates certs;

    @BeforeAll
    static void certificates() throws Exception {
        certs = HttpsCertificates.create(dir, HttpsCertificates.KeyType.EC);
    }

    static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** A server of the built-in routes on two loops, speaking HTTPS alone on a free port. */
    HttpServer https(TlsConfig tls, HttpServer.AcceptMode mode) throws IOException {
        HttpServer s = Main.withBuiltInRoutes(builder()).threads(2).acceptMode(mode).tls(tls).tlsAddress(loopback()).start();
        servers.add(s);
        return s;
    }
}
