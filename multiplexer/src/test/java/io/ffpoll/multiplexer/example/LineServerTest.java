package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.ConnectionStats;
import io.ffpoll.multiplexer.net.GroupListener;
import io.ffpoll.multiplexer.testing.Loopback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line-protocol trial program ({@link LineServer}) on a loop group of two, set up from the
 * test thread: pipelining, split lines, an oversized line, abrupt disconnects, and connections
 * spread over both loops in both accept modes.
 */
class LineServerTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private long fdsBefore;
    private EventLoopGroup group;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        new Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        fdsBefore = Loopback.openFds();
        group = EventLoopGroup.start("line", 2);
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        group.close();
        assertTrue(group.isClosed());
        Loopback.awaitOpenFdsAtMost(fdsBefore, "file descriptors leaked");
    }

    private Socket client(GroupListener server) throws IOException {
        Socket s = new Socket(server.address().getAddress(), server.address().getPort());
        s.setSoTimeout(30_000);
        clients.add(s);
        return s;
    }

    private static String read(Socket s, int bytes) throws IOException {
        return new String(s.getInputStream().readNBytes(bytes), StandardCharsets.UTF_8);
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrder() throws Exception {
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        Socket s = client(server);
        s.getOutputStream().write("PING\nSET a 1\r\nGET a\nDEL a\nGET a\nNOPE\n".getBytes(StandardCharsets.US_ASCII));
        String expected = "+PONG\r\n+OK\r\n$1\r\n:1\r\n$-1\r\n-ERR unknown command 'NOPE'\r\n";
        assertEquals(expected, read(s, expected.length()));
    }

    @Test
    void aLineSplitAcrossWritesIsOneCommand() throws Exception {
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        Socket s = client(server);
        OutputStream out = s.getOutputStream();
        s.setTcpNoDelay(true);
        for (String part : new String[] {"SE", "T greeting hello w", "orld\r", "\nGET gree", "ting\n"}) {
            out.write(part.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        String expected = "+OK\r\n$hello world\r\n";
        assertEquals(expected, read(s, expected.length()));
    }

    @Test
    void anOversizedLineIsAnsweredWithAnErrorThenClosed() throws Exception {
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        Socket s = client(server);
        s.getOutputStream().write(new byte[4 * LineServer.MAX_LINE]); // no newline at all
        String expected = "-ERR line too long\r\n";
        assertEquals(expected, read(s, expected.length()));
        assertEquals(-1, s.getInputStream().read(), "then the server closes (EOF, not a reset)");
        // The server goes on serving others.
        Socket other = client(server);
        other.getOutputStream().write("PING\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("+PONG\r\n", read(other, 7));
    }

    @Test
    void abruptDisconnectsLeaveTheOthersServed() throws Exception {
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        Socket survivor = client(server);
        for (int i = 0; i < 10; i++) {
            Socket quitter = client(server);
            quitter.getOutputStream().write("SET half".getBytes(StandardCharsets.US_ASCII)); // mid-command
            quitter.setSoLinger(true, 0); // close with a reset
            quitter.close();
        }
        survivor.getOutputStream().write("SET k v\nGET k\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("+OK\r\n$v\r\n", read(survivor, 9));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ConnectionStats.of(group.get(0)).join().openConnections() + ConnectionStats.of(group.get(1)).join().openConnections() > 1) {
            assertTrue(System.nanoTime() < deadline, "the reset connections were not closed");
            Thread.sleep(1);
        }
    }

    @Test
    void theAcceptorHandsConnectionsToBothLoopsInTurn() throws Exception {
        GroupListener server = GroupListener.start(group, ANY_PORT,
                GroupListener.Options.DEFAULTS.mode(GroupListener.Mode.ACCEPTOR),
                (loop, fd, peer) -> io.ffpoll.multiplexer.net.Connection.open(loop, fd, peer,
                        new LineServer(new ConcurrentHashMap<>())));
        for (int i = 0; i < 8; i++) {
            Socket s = client(server);
            s.getOutputStream().write("PING\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+PONG\r\n", read(s, 7));
        }
        assertEquals(4, ConnectionStats.of(group.get(0)).join().openConnections());
        assertEquals(4, ConnectionStats.of(group.get(1)).join().openConnections());
    }

    @Test
    void reusePortListenersSpreadConnectionsOverBothLoops() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(GroupListener.Mode.platformDefault() == GroupListener.Mode.REUSEPORT);
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        assertEquals(GroupListener.Mode.REUSEPORT, server.mode());
        assertEquals(2, server.listeners().size());
        for (int i = 0; i < 64; i++) {
            Socket s = client(server);
            s.getOutputStream().write("PING\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+PONG\r\n", read(s, 7));
        }
        int first = ConnectionStats.of(group.get(0)).join().openConnections();
        int second = ConnectionStats.of(group.get(1)).join().openConnections();
        assertEquals(64, first + second);
        // The kernel hashes connections over the two listeners: all 64 on one has odds of 2^-63.
        assertTrue(first > 0 && second > 0, first + " and " + second);
    }

    @Test
    void quitAnswersThenCloses() throws Exception {
        GroupListener server = LineServer.serve(group, ANY_PORT, new ConcurrentHashMap<>());
        Socket s = client(server);
        s.getOutputStream().write("QUIT\nPING\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        assertArrayEquals("+BYE\r\n".getBytes(StandardCharsets.US_ASCII), in.readNBytes(6));
        assertEquals(-1, in.read());
    }
}
