package io.ffpoll.bench;

import io.ffpoll.bindings.platform.DatagramCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.ReceiveBatch;
import io.ffpoll.bindings.platform.SendBatch;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.DatagramEndpoint;
import io.ffpoll.multiplexer.net.DatagramOptions;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.concurrent.TimeUnit;

/**
 * How many UDP datagrams per second a one-thread echo server turns around on loopback: ffpoll's
 * {@link DatagramEndpoint} (recvmmsg, and one sendmmsg per iteration), a java.nio
 * {@link DatagramChannel} on a Selector (one receive and one send per datagram), and Netty's
 * epoll datagram channel (with recvmmsg on: MAX_DATAGRAM_PAYLOAD_SIZE). {@link #burstEcho}: each
 * round the client sends 32 datagrams of 64 bytes and waits for all their echoes;
 * {@link #pingPong}: one datagram, then its echo. One operation is one datagram echoed (one
 * round trip), so both read as datagrams per second. The client is the same for all three,
 * and cheap, so that the server is what is measured: a connected blocking socket that sends
 * the burst with one sendmmsg and takes the echoes with one recvmmsg. Server on CPU 0, client
 * (the benchmark thread) on CPU 1. Linux only (the client's calls are Linux's).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class UdpBenchmark {
    private static final int SIZE = 64;
    private static final Platform OS = Platform.current();

    @Param({"ffpoll", "nio", "netty"})
    public String server;

    /** Datagrams per round of the burst echo. */
    static final int BURST = 32;

    private EventLoop loop;
    private DatagramEndpoint endpoint;
    private NioUdpEcho nio;
    private EventLoopGroup netty;
    private Channel nettyChannel;
    private Arena arena;
    private int client = -1;
    private SendBatch out;
    private ReceiveBatch in;
    private ReceiveBatch inOne;
    private DatagramCalls calls;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        InetSocketAddress at;
        switch (server) {
            case "ffpoll" -> {
                loop = EventLoop.start("udp-echo");
                loop.submit(() -> Affinity.pin(0)).get();
                endpoint = DatagramEndpoint.bind(loop, any, DatagramOptions.DEFAULTS,
                        (e, payload, sender) -> e.send(payload, sender)).get();
                at = endpoint.localAddress();
            }
            case "nio" -> {
                nio = new NioUdpEcho(any);
                at = nio.address();
            }
            case "netty" -> {
                netty = new MultiThreadIoEventLoopGroup(1, (java.util.concurrent.ThreadFactory) r -> new Thread(() -> {
                    Affinity.pin(0);
                    r.run();
                }, "netty-udp-echo"), EpollIoHandler.newFactory());
                nettyChannel = new Bootstrap().group(netty).channel(EpollDatagramChannel.class)
                        .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, 2048) // recvmmsg, 32 at a time
                        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(2048 * 32))
                        .handler(new NettyEcho()).bind(any).sync().channel();
                at = (InetSocketAddress) nettyChannel.localAddress();
            }
            default -> throw new IllegalArgumentException(server);
        }
        Affinity.pin(1);
        arena = Arena.ofShared();
        calls = OS.datagrams();
        client = calls.socket(OS.family(at));
        check(client, "socket");
        check(OS.setBlocking(client, true), "fcntl");
        MemorySegment sa = OS.allocateSockaddr(arena);
        check(OS.connect(client, sa, OS.encode(at, sa)), "connect");
        MemorySegment payloads = arena.allocate((long) SIZE * BURST, 64);
        for (int i = 0; i < SIZE * BURST; i++) {
            payloads.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        out = calls.allocateSend(arena, BURST);
        out.use(payloads, MemorySegment.NULL);
        for (int i = 0; i < BURST; i++) {
            out.set(i, (long) SIZE * i, SIZE, 0, 0, 0);
        }
        in = calls.allocateReceive(arena, arena.allocate((SIZE + 1L) * BURST, 64), BURST, SIZE, false);
        inOne = calls.allocateReceive(arena, arena.allocate(SIZE + 1L, 64), 1, SIZE, false);
    }

    private static void check(int r, String call) throws IOException {
        if (r < 0) {
            throw new IOException(call + ": " + OS.describe(-r));
        }
    }

    /** 32 datagrams out in one sendmmsg, their 32 echoes back in one blocking recvmmsg. */
    @Benchmark
    @OperationsPerInvocation(BURST)
    public int burstEcho() throws IOException {
        return round(BURST, in);
    }

    /** One datagram out, its echo back. */
    @Benchmark
    public int pingPong() throws IOException {
        return round(1, inOne);
    }

    private int round(int n, ReceiveBatch echoes) throws IOException {
        int r = calls.send(client, out, n);
        check(r, "sendmmsg");
        if (r < n) { // a blocking socket takes all of them, or fails
            throw new IOException("sendmmsg sent " + r + " of " + n);
        }
        int got = 0;
        while (got < n) { // blocking, no MSG_WAITFORONE: returns once all of them are in
            r = calls.receive(client, echoes);
            check(r, "recvmmsg");
            got += r;
        }
        return echoes.length(0);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (client >= 0) {
            OS.close(client);
        }
        if (loop != null) {
            endpoint.closeAsync().get();
            loop.close();
        }
        if (nio != null) {
            nio.close();
        }
        if (netty != null) {
            nettyChannel.close().sync();
            netty.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
        if (arena != null) {
            arena.close();
        }
        Affinity.unpin();
    }

    /** Netty's echo: write each datagram back, flush once per read batch. */
    private static final class NettyEcho extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ctx.write(new DatagramPacket(packet.content().retain(), packet.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    /** The java.nio echo: a Selector thread that receives until none is left, sending each back. */
    static final class NioUdpEcho implements AutoCloseable {
        private final DatagramChannel channel;
        private final Selector selector;
        private final Thread thread;
        private volatile boolean running = true;

        NioUdpEcho(InetSocketAddress at) throws IOException {
            channel = DatagramChannel.open();
            channel.bind(at);
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            thread = new Thread(this::run, "nio-udp-echo");
            thread.start();
        }

        InetSocketAddress address() throws IOException {
            return (InetSocketAddress) channel.getLocalAddress();
        }

        private void run() {
            Affinity.pin(0);
            ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
            try {
                while (running) {
                    selector.select();
                    selector.selectedKeys().clear();
                    SocketAddress from;
                    while ((from = channel.receive(buffer.clear())) != null) {
                        channel.send(buffer.flip(), from);
                    }
                }
            } catch (IOException e) {
                if (running) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        @Override
        public void close() throws Exception {
            running = false;
            selector.wakeup();
            thread.join();
            selector.close();
            channel.close();
        }
    }
}
