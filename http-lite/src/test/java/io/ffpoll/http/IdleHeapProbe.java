package io.ffpoll.http;

import io.ffpoll.http.launcher.Main;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measures the heap an idle connection keeps in a JVM of its own: in the test JVM, what the
 * earlier tests still do on their threads (their output on its way to the build, a timer) lands
 * in the same heap and, on a machine with both cores busy, doubled the figure. Prints
 * {@code heap-per-connection N} and {@code pooled-buffers K} (buffers loop 0 held meanwhile).
 * Usage: {@code IdleHeapProbe plain|chunked CONNECTIONS}.
 */
final class IdleHeapProbe {
    private IdleHeapProbe() {}

    private static final String HOST = "Host: test\r\n";

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int connections = Integer.parseInt(args[1]);
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        HttpServer s;
        byte[] request;
        String responseEnd;
        if (kind.equals("plain")) {
            s = Main.withBuiltInRoutes(HttpServer.builder()).threads(1).limits(1024, 4096, 64 * 1024).address(any).start();
            request = ("GET /plaintext HTTP/1.1\r\n" + HOST + "\r\n").getBytes(StandardCharsets.US_ASCII);
            responseEnd = "Hello, World!";
        } else {
            s = HttpServer.builder().threads(1).limits(1024, 4096, 64 * 1024).address(any)
                    .route("POST", "/size", r -> Response.text(200, "got " + r.bodyLength() + " bytes.")).start();
            byte[] head = ("POST /size HTTP/1.1\r\n" + HOST + "Transfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(60_000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] last = "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            request = new byte[head.length + 60_000 + last.length];
            System.arraycopy(head, 0, request, 0, head.length);
            Arrays.fill(request, head.length, head.length + 60_000, (byte) 'x');
            System.arraycopy(last, 0, request, head.length + 60_000, last.length);
            responseEnd = "got 60000 bytes.";
        }
        try {
            List<Long> pooled = new ArrayList<>();
            long perConnection = IdleHeap.perConnection(s, request, responseEnd, connections,
                    () -> pooled.add(s.pooledBuffersInUse(0)));
            System.out.println("heap-per-connection " + perConnection);
            System.out.println("pooled-buffers " + pooled.get(0));
        } finally {
            s.shutdownAsync(java.time.Duration.ZERO).get(30, TimeUnit.SECONDS);
        }
    }

    /** Runs the probe in a child JVM with this JVM's class path; returns {heap per connection, pooled buffers}. */
    static long[] measure(String kind, int connections) throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                IdleHeapProbe.class.getName(), kind, Integer.toString(connections));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("the probe failed:\n" + out);
        }
        long[] figures = new long[2];
        for (String line : out.split("\n")) {
            if (line.startsWith("heap-per-connection ")) {
                figures[0] = Long.parseLong(line.substring(20).trim());
            } else if (line.startsWith("pooled-buffers ")) {
                figures[1] = Long.parseLong(line.substring(15).trim());
            }
        }
        return figures;
    }
}
