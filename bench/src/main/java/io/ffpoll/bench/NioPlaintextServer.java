package io.ffpoll.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Locale;

/**
 * The baseline for http-lite's load test: a minimal single-threaded java.nio server that
 * answers every request with the /plaintext response, written as a fair opponent (direct
 * buffers, one write for all pipelined responses of a read, no parsing beyond finding the end
 * of each request head). Usage: {@code NioPlaintextServer [port]} (default 18082, 127.0.0.1).
 */
public final class NioPlaintextServer {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    private NioPlaintextServer() {}

    private static final class Conn {
        final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
        final ByteBuffer out = ByteBuffer.allocateDirect(256 * 1024);
        int matched; // bytes of "\r\n\r\n" matched at the end of the last read
    }

    private static byte[] response() {
        return ("HTTP/1.1 200 OK\r\nServer: nio\r\nDate: " + DATE.format(ZonedDateTime.now(ZoneOffset.UTC))
                + "\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!")
                .getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18082;
        Selector selector = Selector.open();
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        System.out.println("nio plaintext server on " + server.getLocalAddress());
        byte[] response = response();
        long second = System.currentTimeMillis() / 1000;
        while (true) {
            selector.select();
            long now = System.currentTimeMillis() / 1000;
            if (now != second) {
                second = now;
                response = response();
            }
            Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext()) {
                SelectionKey key = keys.next();
                keys.remove();
                try {
                    if (key.isAcceptable()) {
                        SocketChannel c;
                        while ((c = server.accept()) != null) {
                            c.configureBlocking(false);
                            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            c.register(selector, SelectionKey.OP_READ, new Conn());
                        }
                        continue;
                    }
                    serve(key, response);
                } catch (IOException e) {
                    key.cancel();
                    key.channel().close();
                }
            }
        }
    }

    private static void serve(SelectionKey key, byte[] response) throws IOException {
        SocketChannel c = (SocketChannel) key.channel();
        Conn conn = (Conn) key.attachment();
        if (key.isWritable()) {
            c.write(conn.out);
            if (conn.out.hasRemaining()) {
                return;
            }
            conn.out.clear();
            key.interestOps(SelectionKey.OP_READ);
        }
        if (!key.isReadable()) {
            return;
        }
        int n;
        while ((n = c.read(conn.in)) > 0) {
            conn.in.flip();
            while (conn.in.hasRemaining()) {
                byte b = conn.in.get();
                conn.matched = switch (conn.matched) {
                    case 0, 2 -> b == '\r' ? conn.matched + 1 : 0;
                    case 1, 3 -> b == '\n' ? conn.matched + 1 : (b == '\r' ? 1 : 0);
                    default -> 0;
                };
                if (conn.matched == 4) {
                    conn.matched = 0;
                    if (conn.out.remaining() < response.length) {
                        break; // pipelined deeper than the buffer: answered after this write
                    }
                    conn.out.put(response);
                }
            }
            conn.in.clear();
            conn.out.flip();
            c.write(conn.out);
            if (conn.out.hasRemaining()) {
                conn.out.compact().flip();
                key.interestOps(SelectionKey.OP_WRITE);
                return;
            }
            conn.out.clear();
        }
        if (n < 0) {
            key.cancel();
            c.close();
        }
    }
}
