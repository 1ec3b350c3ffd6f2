package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM while 16 keep-alive clients send requests as fast as they are answered: every
 * response a client got is whole (its length matches its Content-Length), every connection
 * ends after a complete response, never inside one, and the process exits within its grace.
 */
class ShutdownUnderLoadTest {
    private static final byte[] REQUEST = ("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + "b".repeat(1000))
            .getBytes(StandardCharsets.US_ASCII);

    /** One response: true if whole, false at EOF before its first byte; a truncated one throws. */
    private static boolean readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c;
            try {
                c = in.read();
            } catch (java.net.SocketException reset) {
                if (head.isEmpty()) {
                    return false; // reset between responses (a request of ours was left unread)
                }
                throw new AssertionError("reset inside a response head", reset);
            }
            if (c < 0) {
                if (head.isEmpty()) {
                    return false; // closed between responses: fine
                }
                throw new AssertionError("EOF inside a response head: " + head);
            }
            head.append((char) c);
        }
        String h = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = h.indexOf("content-length:");
        int length = Integer.parseInt(h.substring(at + 15, h.indexOf('\r', at)).trim());
        byte[] body;
        try {
            body = in.readNBytes(length);
        } catch (java.net.SocketException reset) {
            throw new AssertionError("reset inside a response body", reset);
        }
        assertEquals(length, body.length, "a truncated body");
        assertEquals("b".repeat(1000), new String(body, StandardCharsets.US_ASCII));
        return true;
    }

    @Test
    void sigtermUnderLoadTruncatesNothingAndExitsWithinTheGrace() throws Exception {
        try (ServerProcess server = new ServerProcess("--port", "0", "--threads", "1")) {
            AtomicInteger whole = new AtomicInteger();
            AtomicInteger endedCleanly = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 16; i++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    try (Socket s = new Socket(server.address.getAddress(), server.address.getPort())) {
                        s.setSoTimeout(30_000);
                        InputStream in = s.getInputStream();
                        while (true) {
                            try {
                                s.getOutputStream().write(REQUEST);
                            } catch (IOException closed) {
                                // the server closed between responses; the read below tells
                            }
                            if (!readResponse(in)) {
                                endedCleanly.incrementAndGet();
                                return;
                            }
                            whole.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            while (whole.get() < 2000) {
                Thread.sleep(5);
            }
            long signalled = System.nanoTime();
            server.terminate();
            for (Thread c : clients) {
                c.join(60_000);
            }
            assertTrue(failures.isEmpty(), "responses were cut: " + failures);
            assertEquals(16, endedCleanly.get(), "every connection ended between responses");
            assertTrue(server.process.waitFor(30, TimeUnit.SECONDS), "the server did not exit after SIGTERM");
            assertEquals(143, server.process.exitValue());
            server.await(Pattern.compile("shutting down"));
            System.out.printf("shutdown under load: %d whole responses, exit %.1f s after SIGTERM%n", whole.get(),
                    (System.nanoTime() - signalled) / 1e9);
        }
    }
}
