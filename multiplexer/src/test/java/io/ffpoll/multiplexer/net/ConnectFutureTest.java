package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.LoopTestBase;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the future of {@link Connection#connect} says when the handler's {@code onOpen} ends the
 * connection it was just given: the connect succeeded, so the future completes with the
 * connection, closed already (as Netty's connect future and the JDK's connect do: the close
 * comes after); only an {@code onOpen} that throws fails it. Over a Unix socket, whose connect
 * ends inside connect(2): {@code UnixSocketContract}.
 */
class ConnectFutureTest extends LoopTestBase {

    /** A handler whose onOpen does {@code inOnOpen}, recording onClosed's causes. */
    private static final class Recording implements ConnectionHandler {
        final Consumer<Connection> inOnOpen;
        final List<String> closes = new ArrayList<>(); // loop thread only
        Connection opened;

        Recording(Consumer<Connection> inOnOpen) {
            this.inOnOpen = inOnOpen;
        }

        @Override
        public void onOpen(Connection connection) {
            opened = connection;
            inOnOpen.accept(connection);
        }

        @Override
        public long onData(Connection connection, MemorySegment data) {
            return data.byteSize();
        }

        @Override
        public void onClosed(Connection connection, IOException cause) {
            closes.add(String.valueOf(cause));
        }
    }

    private void connectedThenClosedInOnOpen(Consumer<Connection> inOnOpen) throws Exception {
        serveConnections(() -> (c, data) -> data.byteSize());
        Recording handler = new Recording(inOnOpen);
        Connection c = Connection.connect(loop, address, handler).get(30, TimeUnit.SECONDS);
        assertSame(handler.opened, c, "the future's connection is onOpen's");
        assertFalse(onLoop(c::isOpen), "closed in onOpen");
        c.closeAsync().get(30, TimeUnit.SECONDS); // completes normally: it is closed
        assertEquals(List.of("null"), onLoop(() -> List.copyOf(handler.closes)), "onClosed once, without a cause");
    }

    @Test
    void aCloseInOnOpenCompletesTheFutureWithTheClosedConnection() throws Exception {
        connectedThenClosedInOnOpen(Connection::close);
    }

    @Test
    void anAbortInOnOpenCompletesTheFutureWithTheClosedConnection() throws Exception {
        connectedThenClosedInOnOpen(Connection::abort);
    }

    /** A close after a write is graceful: the future finds the connection closing, not closed. */
    @Test
    void aWriteThenCloseInOnOpenCompletesTheFutureWithTheClosingConnection() throws Exception {
        serveConnections(() -> (c, data) -> data.byteSize());
        Recording handler = new Recording(c -> {
            c.write(new byte[] {'b', 'y', 'e'});
            c.close();
        });
        Connection c = Connection.connect(loop, address, handler).get(30, TimeUnit.SECONDS);
        assertSame(handler.opened, c);
        assertTrue(onLoop(() -> !c.isOpen() || c.isClosing()), "closing or closed, as the Javadoc says");
        c.closeAsync().get(30, TimeUnit.SECONDS);
        assertFalse(onLoop(c::isOpen));
        assertEquals(List.of("null"), onLoop(() -> List.copyOf(handler.closes)), "onClosed once, without a cause");
    }

    @Test
    void anOnOpenThatThrowsStillFailsTheFutureWithWhatItThrew() throws Exception {
        serveConnections(() -> (c, data) -> data.byteSize());
        Recording handler = new Recording(c -> {
            throw new IllegalStateException("onOpen failure, expected by the test");
        });
        CompletableFuture<Connection> f = Connection.connect(loop, address, handler);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IOException && e.getCause().getMessage().contains("onOpen threw"),
                String.valueOf(e.getCause()));
        assertFalse(onLoop(handler.opened::isOpen));
        assertEquals(1, (int) onLoop(() -> handler.closes.size()), "onClosed once");
    }
}
