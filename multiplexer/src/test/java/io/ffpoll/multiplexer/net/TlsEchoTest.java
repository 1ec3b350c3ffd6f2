package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TlsEchoTest extends LoopTestBase {
    @TempDir
    static Path dir;

    @BeforeAll
    static void keys() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    }

    static void run(String... cmd) throws Exception {
        // No pipes: the JDK closes a child's pipes on a thread of its own a moment after it
        // ends, which a test counting its descriptors then sees as one fewer. Files instead.
        Path log = Files.createTempFile("openssl", ".log");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int exit = p.waitFor();
        String out = Files.readString(log);
        Files.delete(log);
        if (exit != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    @Test
    void echoesAMegabyteBothWays() throws Exception {
        TlsConfig server = TlsConfig.server().certificate(dir.resolve("cert.pem"), dir.resolve("key.pem"))
                .engine(TlsConfig.Engine.JDK).alpn("echo").build();
        TlsConfig client = TlsConfig.client().trust(dir.resolve("cert.pem")).engine(TlsConfig.Engine.JDK).alpn("echo").build();
        serve((fd, peer) -> Connection.open(loop, fd, peer, server, (c, data) -> {
            c.write(data);
            return data.byteSize();
        }));
        byte[] sent = new byte[1 << 20];
        new Random(1).nextBytes(sent);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<Void> all = new CompletableFuture<>();
        Connection c = Connection.connect(loop, address, null, client, new ConnectionHandler() {
            @Override
            public void onOpen(Connection connection) {
                connection.write(sent);
            }

            @Override
            public long onData(Connection connection, MemorySegment data) {
                got.writeBytes(data.toArray(ValueLayout.JAVA_BYTE));
                if (got.size() == sent.length) {
                    all.complete(null);
                }
                return data.byteSize();
            }
        }).get(30, TimeUnit.SECONDS);
        all.get(30, TimeUnit.SECONDS);
        assertArrayEquals(sent, got.toByteArray());
        TlsInfo info = c.tls();
        assertEquals("TLSv1.3", info.protocol());
        assertEquals("echo", info.applicationProtocol());
        assertEquals(1, info.peerCertificates().size());
        c.closeAsync().get(30, TimeUnit.SECONDS);
    }
}
