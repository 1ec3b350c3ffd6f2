package io.ffpoll.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket echo load: C connections, each a thread that sends a masked binary message of S
 * bytes and waits for its echo, again and again, for T seconds (after a warm-up of W seconds).
 * Checks every echo's length and first bytes. Prints one line: messages, messages/s, errors.
 * Usage: {@code WebSocketLoad port connections bytes seconds warmup}.
 */
public final class WebSocketLoad {
    private WebSocketLoad() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int connections = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        AtomicBoolean counting = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong messages = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(connections);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            int id = i;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 65536));
                    OutputStream out = s.getOutputStream();
                    out.write(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    int crlf = 0;
                    while (crlf < 4) { // the 101's head
                        int c = in.readUnsignedByte();
                        crlf = (c == '\r' || c == '\n') ? crlf + 1 : 0;
                    }
                    byte[] frame = frame(size, id);
                    byte[] echo = new byte[size];
                    ready.countDown();
                    while (!stop.get()) {
                        out.write(frame);
                        int b0 = in.readUnsignedByte();
                        int len = in.readUnsignedByte() & 0x7F;
                        long n = len == 126 ? in.readUnsignedShort() : len == 127 ? in.readLong() : len;
                        if (b0 != 0x82 || n != size) {
                            errors.incrementAndGet();
                            return;
                        }
                        in.readFully(echo);
                        if (echo[0] != (byte) id) {
                            errors.incrementAndGet();
                            return;
                        }
                        if (counting.get()) {
                            messages.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    if (!stop.get()) {
                        errors.incrementAndGet();
                    }
                }
            }));
        }
        ready.await();
        Thread.sleep(warmup * 1000L);
        counting.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        counting.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        for (Thread t : threads) {
            t.join(10_000);
        }
        long m = messages.get();
        System.out.printf("messages %d msgs_per_s %.0f errors %d%n", m, m / elapsed, errors.get());
    }

    /** A final binary frame of {@code size} bytes, masked with a fixed key, whose payload starts with {@code id}. */
    private static byte[] frame(int size, int id) {
        int header = size < 126 ? 2 : size <= 0xFFFF ? 4 : 10;
        byte[] f = new byte[header + 4 + size];
        f[0] = (byte) 0x82;
        if (size < 126) {
            f[1] = (byte) (0x80 | size);
        } else if (size <= 0xFFFF) {
            f[1] = (byte) (0x80 | 126);
            f[2] = (byte) (size >>> 8);
            f[3] = (byte) size;
        } else {
            f[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                f[2 + i] = (byte) ((long) size >>> (56 - 8 * i));
            }
        }
        byte[] key = {0x37, (byte) 0xfa, 0x21, 0x3d};
        System.arraycopy(key, 0, f, header, 4);
        for (int i = 0; i < size; i++) {
            byte b = i == 0 ? (byte) id : (byte) i;
            f[header + 4 + i] = (byte) (b ^ key[i & 3]);
        }
        return f;
    }
}
