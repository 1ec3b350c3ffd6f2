package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.net.ClosedConnectionException;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP echo server on one {@link EventLoop}, written against the public API only (see the
 * multiplexer README for the command). Usage: {@code EchoServer [port]} (default 7007, 127.0.0.1).
 *
 * <p>It shows back-pressure with {@link Connection}: when a client does not read its echo fast
 * enough, the server stops reading from it until the queue drains.
 */
public final class EchoServer implements ConnectionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

    /** Starts accepting on {@code listenFd}; any thread. */
    public static CompletableFuture<Listener> start(EventLoop loop, int listenFd) {
        return Listener.start(loop, listenFd, (fd, peer) -> Connection.open(loop, fd, peer, new EchoServer()));
    }

    @Override
    public long onData(Connection connection, MemorySegment data) {
        connection.write(data); // false if closed meanwhile: nobody to echo to
        if (!connection.isWritable()) {
            connection.pauseReading();
        }
        return data.byteSize();
    }

    @Override
    public void onWritabilityChanged(Connection connection, boolean writable) {
        if (writable) {
            connection.resumeReading();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        int listenFd = Tcp.listen(address, 1024, false);
        EventLoop loop = EventLoop.start("echo-loop");
        start(loop, listenFd).join();
        LOG.info("echo server listening on {} ({} backend); try the client: mvn -q compile exec:exec "
                + "-Dffpoll.server.skip=true -Dffpoll.example.skip=false "
                + "-Dffpoll.example.main=io.ffpoll.multiplexer.example.EchoClient",
                Tcp.localAddress(listenFd), loop.backend());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            loop.close();
            stop.countDown();
        }));
        stop.await();
    }
}
