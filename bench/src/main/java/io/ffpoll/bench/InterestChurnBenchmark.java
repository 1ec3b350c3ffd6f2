package io.ffpoll.bench;

import io.ffpoll.bindings.Platform;
import io.ffpoll.multiplexer.Events;
import io.ffpoll.multiplexer.Interest;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.Tcp;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What does one round of write-interest churn cost: turn write interest on, poll (the socket
 * is writable, so that poll reports it), turn it off, poll again? This is what a protocol does
 * whenever a write does not complete at once. java.nio applies each change with epoll_ctl at
 * the next select; ffpoll keeps interest in user space and remembers the writability.
 * Both poll one connected loopback socket without blocking.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class InterestChurnBenchmark {
    private Poller poller;
    private Events events;
    private int listenFd;
    private java.net.Socket ffpollPeer;
    private int ffpollFd = -1;

    private Selector selector;
    private ServerSocketChannel nioServer;
    private SocketChannel nioClient;
    private SocketChannel nioAccepted;
    private SelectionKey key;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        // ffpoll: accept one connection with the bindings and register it.
        listenFd = Tcp.listen(loopback, 16, false);
        ffpollPeer = new java.net.Socket(InetAddress.getLoopbackAddress(), Tcp.localAddress(listenFd).getPort());
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (ffpollFd < 0 && System.nanoTime() < deadline) {
            ffpollFd = Platform.current().accept(listenFd, java.lang.foreign.MemorySegment.NULL,
                    java.lang.foreign.MemorySegment.NULL);
        }
        if (ffpollFd < 0) {
            throw new IOException("accept failed: " + ffpollFd);
        }
        poller = Poller.open();
        events = Events.withCapacity(16);
        poller.register(ffpollFd, Interest.READABLE, null);
        poller.poll(events, Duration.ZERO);
        // java.nio: the same, with a Selector.
        selector = Selector.open();
        nioServer = ServerSocketChannel.open().bind(loopback);
        nioClient = SocketChannel.open(nioServer.getLocalAddress());
        nioAccepted = nioServer.accept();
        nioAccepted.configureBlocking(false);
        key = nioAccepted.register(selector, SelectionKey.OP_READ);
        selector.selectNow();
    }

    @Benchmark
    public int ffpoll() throws IOException {
        poller.modify(ffpollFd, Interest.BOTH);
        int n = poller.poll(events, Duration.ZERO);
        poller.modify(ffpollFd, Interest.READABLE);
        return n + poller.poll(events, Duration.ZERO);
    }

    @Benchmark
    public int nio() throws IOException {
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        int n = selector.selectNow();
        selector.selectedKeys().clear();
        key.interestOps(SelectionKey.OP_READ);
        return n + selector.selectNow();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        poller.deregisterAndClose(ffpollFd);
        poller.close();
        Platform.current().close(listenFd);
        ffpollPeer.close();
        selector.close();
        nioAccepted.close();
        nioClient.close();
        nioServer.close();
    }
}
