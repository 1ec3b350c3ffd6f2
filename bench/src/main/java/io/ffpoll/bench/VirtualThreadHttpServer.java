package io.ffpoll.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * What a Java user writes today instead of an event loop: a blocking ServerSocket and a virtual
 * thread per connection, reading request heads to their empty line (bodies by Content-Length)
 * and answering {@code Hello, World!} on keep-alive; responses are flushed once no more request
 * bytes are buffered, so a pipelined batch leaves in one write. Minimal, so it parses less than
 * http-lite. Standalone for bench/load-http: {@code VirtualThreadHttpServer [port]} (default
 * 18084, 127.0.0.1).
 */
public final class VirtualThreadHttpServer implements AutoCloseable {
    private static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\nServer: vt\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 13\r\n\r\nHello, World!").getBytes(StandardCharsets.US_ASCII);
    private final ServerSocket server;
    private final Thread acceptor;

    VirtualThreadHttpServer(InetSocketAddress at) throws IOException {
        this(at, () -> { });
    }

    /** {@code onConnection} runs on each connection's virtual thread before it serves. */
    VirtualThreadHttpServer(InetSocketAddress at, Runnable onConnection) throws IOException {
        server = new ServerSocket();
        server.bind(at, 4096);
        acceptor = Thread.ofPlatform().name("vt-acceptor").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    s.setTcpNoDelay(true);
                    Thread.ofVirtual().start(() -> {
                        onConnection.run();
                        serve(s);
                    });
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18084;
        try (VirtualThreadHttpServer s = new VirtualThreadHttpServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
            System.out.println("virtual-thread server on " + s.address());
            s.acceptor.join();
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private static void serve(Socket s) {
        try (s; InputStream in = new BufferedInputStream(s.getInputStream(), 8192); OutputStream out = new BufferedOutputStream(s.getOutputStream(), 8192)) {
            while (true) {
                int matched = 0;
                long contentLength = 0;
                StringBuilder line = new StringBuilder();
                while (matched < 4) {
                    int c = in.read();
                    if (c < 0) {
                        out.flush();
                        return;
                    }
                    matched = c == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (c == '\r' ? 1 : 0);
                    if (c == '\n') {
                        if (line.length() > 15 && line.substring(0, 15).equalsIgnoreCase("content-length:")) {
                            contentLength = Long.parseLong(line.substring(15).trim());
                        }
                        line.setLength(0);
                    } else if (c != '\r') {
                        line.append((char) c);
                    }
                }
                in.skipNBytes(contentLength);
                out.write(RESPONSE);
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (IOException gone) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.close();
        acceptor.join();
    }
}
