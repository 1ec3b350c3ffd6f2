package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.net.ClosedConnectionException;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.EventLoop;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An echo client on the public API: connects, sends {@code rounds} random messages one after
 * another, checks each echo byte for byte and prints the round-trip times. Usage:
 * {@code EchoClient [port] [rounds] [size]} (defaults 7007, 10, 65536).
 */
public final class EchoClient implements ConnectionHandler {
    private final int rounds;
    private final int size;
    private final Random random = new Random();
    private final CompletableFuture<String> result = new CompletableFuture<>();
    private byte[] sent;
    private int received;
    private int round;
    private long sentAt;
    private final long[] roundTripNanos;

    public EchoClient(int rounds, int size) {
        this.rounds = rounds;
        this.size = size;
        this.roundTripNanos = new long[rounds];
    }

    /** Completes with a summary, or exceptionally on any failure or mismatch. */
    public CompletableFuture<String> result() {
        return result;
    }

    private void sendNext(Connection c) {
        sent = new byte[size];
        random.nextBytes(sent);
        received = 0;
        sentAt = System.nanoTime();
        c.write(sent); // if the connection is gone, onClosed ends the run
    }

    @Override
    public void onOpen(Connection c) {
        sendNext(c);
    }

    @Override
    public long onData(Connection c, MemorySegment data) {
        byte[] got = data.toArray(ValueLayout.JAVA_BYTE);
        if (received + got.length > sent.length
                || !Arrays.equals(got, 0, got.length, sent, received, received + got.length)) {
            result.completeExceptionally(new IOException("echo differs from what was sent in round " + round));
            c.abort();
            return data.byteSize();
        }
        received += got.length;
        if (received == sent.length) {
            roundTripNanos[round] = System.nanoTime() - sentAt;
            if (++round == rounds) {
                c.close();
            } else {
                sendNext(c);
            }
        }
        return data.byteSize();
    }

    @Override
    public void onClosed(Connection c, IOException cause) {
        if (cause != null) {
            result.completeExceptionally(cause);
        } else if (round == rounds) {
            long[] sorted = roundTripNanos.clone();
            Arrays.sort(sorted);
            result.complete(String.format("%d echoes of %d bytes from %s intact; round trip median %.1f us, max %.1f us",
                    rounds, size, c.remoteAddress(), sorted[rounds / 2] / 1e3, sorted[rounds - 1] / 1e3));
        } else if (!result.isDone()) {
            result.completeExceptionally(new IOException("closed after " + round + " of " + rounds + " rounds"));
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int size = args.length > 2 ? Integer.parseInt(args[2]) : 65536;
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        EchoClient client = new EchoClient(rounds, size);
        try (EventLoop loop = EventLoop.start("echo-client")) {
            Connection.connect(loop, server, client);
            System.out.println(client.result().get(60, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException e) {
            System.err.println("echo client failed: " + e.getCause());
            System.exit(1);
        }
    }
}
