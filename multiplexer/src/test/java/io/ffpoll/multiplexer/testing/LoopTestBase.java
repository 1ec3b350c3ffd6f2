package io.ffpoll.multiplexer.testing;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.net.Listener;
import io.ffpoll.multiplexer.net.Tcp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A loop, real loopback sockets and a listening socket for each test, and the check that the
 * test left no file descriptor open.
 */
public abstract class LoopTestBase {
    protected long fdsBefore;
    private java.util.SortedSet<String> fdNamesBefore;
    protected EventLoop loop;
    protected Loopback net;
    protected int listenFd;
    protected InetSocketAddress address;
    private boolean listenerOwnsListenFd;
    /** On the rump kernel: java.net clients reach {@link #address} through this relay. */
    private io.ffpoll.bindings.testing.rump.RumpRelay relay;

    /** The poller of the loop under test: the OS's default (or what ffpoll.engine names). */
    protected Poller openPoller() throws IOException {
        return Poller.open();
    }

    @BeforeEach
    protected void startLoop() throws IOException {
        new java.net.Socket().close(); // java.net's own descriptor, kept for the JVM's life, before counting
        fdsBefore = Loopback.openFds();
        fdNamesBefore = Loopback.openFdNames();
        loop = EventLoop.start(getClass().getSimpleName(), openPoller(), 1024);
        net = new Loopback();
        listenFd = Tcp.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096, false);
        address = Tcp.localAddress(listenFd);
        if (io.ffpoll.bindings.testing.rump.Rump.active()) {
            relay = io.ffpoll.bindings.testing.rump.RumpRelay.mirror(address);
        }
    }

    @AfterEach
    protected void stopLoopAndCheckFds() {
        if (relay != null) {
            try {
                relay.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        loop.close(); // closes the listener started on listenFd, if any
        if (!listenerOwnsListenFd) {
            Loopback.OS.close(listenFd);
        }
        net.close();
        checkFds();
    }

    private static boolean pipe(String fd) {
        return fd.contains(" -> pipe:");
    }

    /**
     * As many descriptors open as before the test, pipes aside. A child process's pipes are
     * closed by the JDK's process reaper thread after {@code waitFor} returns: a pipe of this
     * test's child may still be open for a moment (waited for), and one of an earlier test's
     * may close during this one (not a leak of this test's).
     */
    private void checkFds() {
        long nonPipesBefore = fdNamesBefore.stream().filter(fd -> !pipe(fd)).count();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            java.util.SortedSet<String> now = Loopback.openFdNames();
            java.util.SortedSet<String> extra = new java.util.TreeSet<>(now);
            extra.removeAll(fdNamesBefore);
            java.util.SortedSet<String> gone = new java.util.TreeSet<>(fdNamesBefore);
            gone.removeAll(now);
            long nonPipes = now.stream().filter(fd -> !pipe(fd)).count();
            boolean newPipes = extra.stream().anyMatch(LoopTestBase::pipe);
            if (nonPipes == nonPipesBefore && !newPipes) {
                return;
            }
            if (nonPipes != nonPipesBefore || System.nanoTime() > deadline) {
                throw new AssertionError("file descriptors leaked: " + nonPipesBefore + " open before (pipes aside), "
                        + nonPipes + " after; new " + extra + ", gone " + gone);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking descriptors", e);
            }
        }
    }

    /** A Listener the test started itself owns {@code listenFd} now. */
    protected void listenerOwnsListenFd() {
        listenerOwnsListenFd = true;
    }

    /** Starts a Listener on {@code listenFd}, which then owns it. */
    protected Listener serve(Listener.AcceptHandler handler) throws Exception {
        Listener l = Listener.start(loop, listenFd, handler).get(30, TimeUnit.SECONDS);
        listenerOwnsListenFd = true;
        return l;
    }

    /** Serves connections on {@code listenFd}, each with the handler {@code factory} makes. */
    protected Listener serveConnections(java.util.function.Supplier<ConnectionHandler> factory) throws Exception {
        return serve((fd, peer) -> Connection.open(loop, fd, peer, factory.get()));
    }

    protected <T> T onLoop(Callable<T> body) throws Exception {
        return loop.submit(body).get(30, TimeUnit.SECONDS);
    }

    protected void onLoop(ThrowingRunnable body) throws Exception {
        onLoop(() -> {
            body.run();
            return null;
        });
    }

    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Waits up to 30 s for {@code condition}, checked on the loop thread. */
    protected void awaitOnLoop(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!onLoop(condition)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }
}
