package io.ffpoll.bench;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.net.AcceptOptions;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.UnixAddress;
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
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Unix-domain stream echo through one server loop: how does ffpoll's connection layer on a Unix
 * socket compare with a java.nio Selector loop on a {@link UnixDomainSocketAddress}? The client
 * sends a message on each of N connections, then reads every echo back (one operation = N round
 * trips), with the same blocking JDK SocketChannels for both servers. Server loop on CPU 0,
 * client on CPU 1, as in {@link PingPongBenchmark}; both servers make one read and one write per
 * message, so they should be about level, and the round trip shorter than loopback TCP's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC"})
public class UnixEchoBenchmark {
    @Param({"ffpoll", "nio"})
    public String server;

    @Param({"1", "64"})
    public int connections;

    @Param({"64", "16384"})
    public int size;

    private Path dir;
    private Path path;
    private EventLoop loop;
    private Listener listener;
    private NioEchoLoop nio;
    private SocketChannel[] clients;
    private ByteBuffer out;
    private ByteBuffer in;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("ffpoll-unix-echo");
        path = dir.resolve("echo.sock");
        if (server.equals("ffpoll")) {
            loop = EventLoop.start("unix-echo");
            loop.submit(() -> Affinity.pin(0)).get();
            listener = Listener.bind(loop, UnixAddress.path(path), AcceptOptions.DEFAULTS,
                    (fd, peer) -> Connection.open(loop, fd, peer, (c, data) -> {
                        c.write(data);
                        return data.byteSize();
                    })).get();
        } else {
            nio = new NioEchoLoop(UnixDomainSocketAddress.of(path), 0);
        }
        Affinity.pin(1);
        clients = new SocketChannel[connections];
        for (int i = 0; i < connections; i++) {
            clients[i] = SocketChannel.open(UnixDomainSocketAddress.of(path));
        }
        out = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            out.put(i, (byte) i);
        }
        in = ByteBuffer.allocateDirect(size);
    }

    @Benchmark
    public int roundTrips() throws IOException {
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
            listener.closeAsync().get(); // removes the socket file
            loop.close();
        }
        if (nio != null) {
            nio.close();
        }
        Files.deleteIfExists(path); // the JDK leaves its socket file behind
        Files.deleteIfExists(dir);
        Affinity.unpin();
    }
}
