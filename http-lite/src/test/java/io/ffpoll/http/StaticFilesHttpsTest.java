package io.ffpoll.http;

import io.ffpoll.bindings.internal.Syscalls;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Static files over HTTPS, where sendfile cannot serve (the bytes must be encrypted): the file
 * is read a pooled chunk at a time into the TLS engine, whole and ranged, on both engines.
 */
class StaticFilesHttpsTest extends HttpsTestBase {
    @ParameterizedTest
    @ValueSource(strings = {"jdk", "openssl"})
    void aFileAndARangeComeWholeOverTls(String engine) throws Exception {
        Path root = Files.createDirectories(dir.resolve("www-" + engine));
        byte[] data = new byte[2_000_000];
        new Random(9).nextBytes(data);
        Files.write(root.resolve("data.bin"), data);
        HttpServer server = builder().threads(1).files("/", root).tls(certs.server(HttpsCertificates.engine(engine)))
                .tlsAddress(loopback()).start();
        servers.add(server);
        long sendfiles = Syscalls.count("sendfile");
        long preads = Syscalls.count("pread");
        try (HttpClient client = HttpClient.newBuilder().sslContext(certs.clientContext())
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build()) {
            URI uri = URI.create("https://localhost:" + server.tlsAddress().getPort() + "/data.bin");
            HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(data, whole.body());
            HttpResponse<byte[]> part = client.send(HttpRequest.newBuilder(uri).header("Range", "bytes=123456-999999").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, part.statusCode());
            assertArrayEquals(Arrays.copyOfRange(data, 123456, 1_000_000), part.body());
        }
        if (Syscalls.COUNTING) {
            assertEquals(sendfiles, Syscalls.count("sendfile"), "no sendfile under TLS");
            assertTrue(Syscalls.count("pread") >= preads + 2 * (data.length / (16 * 1024)) / 2, "read in pooled chunks");
        }
    }
}
