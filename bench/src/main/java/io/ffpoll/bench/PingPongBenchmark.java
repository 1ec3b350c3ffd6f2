package io.ffpoll.bench;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.AcceptOptions;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;
import org.openjdk.jmh.annotations.AuxCounters;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Loopback ping-pong through one server loop: the client sends a message on each of N
 * connections, then reads every echo back (one operation = N round trips). The server is
 * ffpoll's connection layer (an EventLoop with Connection echo handlers, on the default epoll
 * engine or on io_uring, where reads and writes are the ring's completions) or a java.nio Selector
 * echo loop ({@link NioEchoLoop}); the client is the same blocking SocketChannels with direct
 * buffers for both. Server loop on CPU 0, client on CPU 1. In steady-state echo both servers
 * make one read and one write per message, so they should be about level.
 *
 * <p>Beside the time per operation, {@code serverCpuUs} is the server loop thread's CPU time per
 * operation, user and system: on two cores the client may be what saturates first, so the time
 * alone can hide what the server spends. Roughly: on loopback each side's sends also pay for
 * the other's TCP receive processing, and io_uring's io-wq workers (rare here) are not counted.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class PingPongBenchmark {
    /**
     * ffpoll-jfr: ffpoll while JFR records (the JDK's default settings and jfr/ffpoll.jfc:
     * {@link JfrSettings}); ffpoll-jfr-jdk: the JDK's default settings only, with
     * ffpoll's stall events (which time every callback) off.
     */
    @Param({"ffpoll", "ffpoll-io_uring", "nio"})
    public String server;

    @Param({"1", "64", "1024"})
    public int connections;

    @Param({"64", "16384"})
    public int size;

    private static volatile Thread serverThread;

    /**
     * The server loop thread's CPU time per operation, in µs. JMH reads the counter after each
     * iteration's teardown and sums an EVENTS counter over the measurement iterations of every
     * fork, so each iteration adds its share of the mean (and its own line shows that share).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class ServerCpu {
        private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
        private long start;
        private long ops;
        private int iterations; // measurement iterations, of every fork
        public double serverCpuUs;

        @Setup(Level.Trial)
        public void iterations(org.openjdk.jmh.infra.BenchmarkParams params) {
            iterations = params.getMeasurement().getCount() * Math.max(1, params.getForks());
        }

        @Setup(Level.Iteration)
        public void start() {
            ops = 0;
            serverCpuUs = 0;
            start = THREADS.getThreadCpuTime(serverThread.threadId());
        }

        @TearDown(Level.Iteration)
        public void end() {
            serverCpuUs = (THREADS.getThreadCpuTime(serverThread.threadId()) - start) / 1e3 / Math.max(ops, 1) / iterations;
        }
    }

    private EventLoop loop;
    private jdk.jfr.Recording recording;
    private Listener listener;
    private NioEchoLoop nio;
    private SocketChannel[] clients;
    private ByteBuffer out;
    private ByteBuffer in;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        InetSocketAddress at;
        if (server.startsWith("ffpoll-jfr")) {
            java.util.Map<String, String> settings = JfrSettings.defaultAndShipped();
            if (server.equals("ffpoll-jfr-jdk")) {
                settings.put("ffpoll.SlowHandler#enabled", "false");
                settings.put("ffpoll.LoopStall#enabled", "false");
            }
            recording = new jdk.jfr.Recording(settings);
            recording.setDestination(java.nio.file.Files.createTempFile("ping-pong", ".jfr"));
            recording.start();
        }
        if (server.startsWith("ffpoll")) {
            if (server.equals("ffpoll-io_uring-zc")) { // -p server=ffpoll-io_uring-zc: sends of 16 KiB and up are SEND_ZC
                System.setProperty("ffpoll.uring.zeroCopySends", "true");
            }
            loop = !server.startsWith("ffpoll-io_uring") ? EventLoop.start("ping-pong")
                    : EventLoop.start("ping-pong", Poller.open("io_uring"), 1024);
            loop.submit(() -> Affinity.pin(0)).get();
            serverThread = loop.submit(Thread::currentThread).get();
            listener = Listener.start(loop, Tcp.listen(any, 4096, false), AcceptOptions.DEFAULTS.noDelay(true),
                    (fd, peer) -> Connection.open(loop, fd, peer, (c, data) -> {
                        c.write(data);
                        return data.byteSize();
                    })).get();
            at = Tcp.localAddress(listener.fd());
        } else {
            nio = new NioEchoLoop(any, 0);
            at = nio.address();
            serverThread = nio.thread();
        }
        Affinity.pin(1);
        clients = new SocketChannel[connections];
        for (int i = 0; i < connections; i++) {
            clients[i] = SocketChannel.open(at);
            clients[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        out = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            out.put(i, (byte) i);
        }
        in = ByteBuffer.allocateDirect(size);
    }

    @Benchmark
    public int roundTrips(ServerCpu cpu) throws IOException {
        cpu.ops++;
        for (SocketChannel c : clients) {
            out.clear();
            while (out.hasRemaining()) {
                c.write(out);
            }
        }
        int got = 0;
        for (SocketChannel c : clients) {
            in.clear();
            while (in.hasRemaining()) {
                if (c.read(in) < 0) {
                    throw new IOException("the server closed a connection");
                }
            }
            got += in.get(size - 1);
        }
        return got;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (SocketChannel c : clients) {
            c.close();
        }
        if (loop != null) {
            listener.closeAsync().get();
            loop.close();
        }
        if (nio != null) {
            nio.close();
        }
        if (recording != null) {
            recording.close();
            java.nio.file.Files.deleteIfExists(recording.getDestination());
        }
        Affinity.unpin();
    }
}
