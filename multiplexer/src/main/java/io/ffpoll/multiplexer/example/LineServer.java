package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.ByteSearch;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.net.GroupListener;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Redis-like line protocol on a loop group: {@code PING}, {@code SET key value},
 * {@code GET key}, {@code DEL key}, {@code QUIT}, one command per line (LF or CRLF), pipelined
 * freely. Replies: {@code +PONG}, {@code +OK}, {@code $value} or {@code $-1}, {@code :1}/{@code :0},
 * {@code -ERR ...}. A line longer than {@link #MAX_LINE} gets {@code -ERR line too long} and
 * the connection is closed. Run it: {@code bench/run}-style, or
 * {@code java ... io.ffpoll.multiplexer.example.LineServer 6380} and {@code nc 127.0.0.1 6380}.
 */
public final class LineServer implements ConnectionHandler {
    public static final int MAX_LINE = 1024;
    private static final byte[] PONG = "+PONG\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NIL = "$-1\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Map<String, String> store;
    private final ByteSearch.Finder lines = ByteSearch.finder((byte) '\n');

    public LineServer(Map<String, String> store) {
        this.store = store;
    }

    /** Serves the protocol on {@code address} with every loop of {@code group}. */
    public static GroupListener serve(EventLoopGroup group, InetSocketAddress address, Map<String, String> store)
            throws IOException {
        // On the accepting loop, which is the connection's: open runs at once.
        return GroupListener.start(group, address, (loop, fd, peer) ->
                Connection.open(loop, fd, peer, new LineServer(store)).thenAccept(c -> c.setMaxPending(MAX_LINE)));
    }

    @Override
    public long onData(Connection c, MemorySegment data) {
        long used = 0;
        long eol;
        while ((eol = lines.find(data, used)) >= 0) {
            long end = eol > used && data.get(ValueLayout.JAVA_BYTE, eol - 1) == '\r' ? eol - 1 : eol;
            String line = new String(data.asSlice(used, end - used).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            used = eol + 1;
            if (!execute(c, line)) {
                return data.byteSize(); // QUIT: the rest is not read
            }
        }
        return used;
    }

    /** Runs one command; false after QUIT. */
    private boolean execute(Connection c, String line) {
        String[] words = line.strip().split(" +", 3);
        switch (words[0].toUpperCase(java.util.Locale.ROOT)) {
            case "PING" -> c.write(PONG);
            case "SET" -> {
                if (words.length < 3) {
                    return error(c, "SET needs a key and a value");
                }
                store.put(words[1], words[2]);
                c.write(OK);
            }
            case "GET" -> {
                String value = words.length < 2 ? null : store.get(words[1]);
                c.write(value == null ? NIL : ("$" + value + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            case "DEL" -> c.write((store.remove(words.length < 2 ? "" : words[1]) != null ? ":1\r\n" : ":0\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            case "QUIT" -> {
                c.write("+BYE\r\n".getBytes(StandardCharsets.US_ASCII));
                c.close();
                return false;
            }
            case "" -> { } // an empty line: nothing to do
            default -> error(c, "unknown command '" + words[0] + "'");
        }
        return true;
    }

    private static boolean error(Connection c, String message) {
        c.write(("-ERR " + message + "\r\n").getBytes(StandardCharsets.UTF_8));
        return true;
    }

    @Override
    public void onInputTooLarge(Connection c, long pending) {
        c.write("-ERR line too long\r\n".getBytes(StandardCharsets.US_ASCII)); // then the connection closes
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 6380;
        EventLoopGroup group = EventLoopGroup.start("line", 2);
        GroupListener server = serve(group, new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                new ConcurrentHashMap<>());
        System.out.println("line server on " + server.address() + " (" + server.mode() + ", 2 loops); Ctrl-C stops it");
        Runtime.getRuntime().addShutdownHook(new Thread(group::close));
        Thread.currentThread().join();
    }
}
