package io.ffpoll.bench;

import io.ffpoll.bindings.platform.Platform;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Write-interest churn, what a protocol does whenever a write does not complete at once: with
 * N connected loopback sockets registered for reading, turn write interest on for all, poll
 * once (each is writable, so the poll reports all N), turn it off for all, poll once more.
 * java.nio applies each change with an epoll_ctl at the next select; ffpoll keeps interest in
 * user space and remembers the writability, so its toggles cost no syscall: one epoll_wait per
 * poll. Both sides poll without blocking; java.nio reuses its keys.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class InterestChurnBenchmark {
    @Param({"1", "1000"})
    public int sockets;

    private Poller poller;
    private Events events;
    private int listenFd;
    private int[] fds;
    private Socket[] ffpollPeers;

    private Selector selector;
    private ServerSocketChannel nioServer;
    private SocketChannel[] nioClients;
    private SocketChannel[] nioAccepted;
    private SelectionKey[] keys;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        listenFd = Tcp.listen(loopback, 4096, false);
        int port = Tcp.localAddress(listenFd).getPort();
        poller = Poller.open();
        events = Events.withCapacity(sockets + 16);
        fds = new int[sockets];
        ffpollPeers = new Socket[sockets];
        for (int i = 0; i < sockets; i++) {
            ffpollPeers[i] = new Socket(InetAddress.getLoopbackAddress(), port);
            int fd = -1;
            for (long deadline = System.nanoTime() + 5_000_000_000L; fd < 0 && System.nanoTime() < deadline; ) {
                fd = Platform.current().accept(listenFd, MemorySegment.NULL, MemorySegment.NULL);
            }
            if (fd < 0) {
                throw new IOException("accept failed: " + fd);
            }
            fds[i] = fd;
            poller.register(fd, Interest.READABLE, null);
        }
        poller.poll(events, Duration.ZERO);
        selector = Selector.open();
        nioServer = ServerSocketChannel.open().bind(loopback, 4096);
        nioClients = new SocketChannel[sockets];
        nioAccepted = new SocketChannel[sockets];
        keys = new SelectionKey[sockets];
        for (int i = 0; i < sockets; i++) {
            nioClients[i] = SocketChannel.open(nioServer.getLocalAddress());
            nioAccepted[i] = nioServer.accept();
            nioAccepted[i].configureBlocking(false);
            keys[i] = nioAccepted[i].register(selector, SelectionKey.OP_READ);
        }
        selector.selectNow();
    }

    @Benchmark
    public int ffpoll() throws IOException {
        for (int fd : fds) {
            poller.modify(fd, Interest.BOTH);
        }
        int n = poller.poll(events, Duration.ZERO);
        for (int fd : fds) {
            poller.modify(fd, Interest.READABLE);
        }
        return n + poller.poll(events, Duration.ZERO);
    }

    @Benchmark
    public int nio() throws IOException {
        for (SelectionKey k : keys) {
            k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        }
        int n = selector.selectNow();
        selector.selectedKeys().clear();
        for (SelectionKey k : keys) {
            k.interestOps(SelectionKey.OP_READ);
        }
        return n + selector.selectNow();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        for (int fd : fds) {
            poller.deregisterAndClose(fd);
        }
        poller.close();
        Platform.current().close(listenFd);
        for (Socket s : ffpollPeers) {
            s.close();
        }
        selector.close();
        for (int i = 0; i < sockets; i++) {
            nioAccepted[i].close();
            nioClients[i].close();
        }
        nioServer.close();
    }
}
