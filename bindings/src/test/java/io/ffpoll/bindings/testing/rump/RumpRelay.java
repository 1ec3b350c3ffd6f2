package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.platform.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Lets the host's clients (java.net, the JDK's HttpClient, curl) reach a server listening in the
 * rump kernel, whose sockets the host cannot see: a host listener on the same address and port
 * that relays each connection, byte for byte, to a rump socket connected to the server. An end
 * of stream is relayed as a shutdown of the other side's output, a reset as a reset (SO_LINGER
 * 0). It adds a hop the tests do not expect (their timing and the peer's address differ), so
 * the tests that measure the peer itself do not hold over it.
 */
public final class RumpRelay implements AutoCloseable {
    private final ServerSocket host;
    private static final int SHUT_RD = 0;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> pumps = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private RumpRelay(InetSocketAddress target) throws IOException {
        this.target = target;
        this.host = new ServerSocket();
        host.setReuseAddress(true); // the rump kernel reuses its ports sooner than the host's TIME_WAIT ends
        host.bind(target, 1024); // same port on the host's loopback: fails if the host has it taken
        acceptor = Thread.ofPlatform().daemon().name("rump-relay " + target).start(this::acceptLoop);
    }

    /** A relay from the host's {@code address} to the rump kernel's. */
    public static RumpRelay mirror(InetSocketAddress address) throws IOException {
        return new RumpRelay(address);
    }

    private void acceptLoop() {
        while (!host.isClosed()) {
            try {
                Socket client = host.accept();
                client.setTcpNoDelay(true);
                open.add(client);
                int fd = connectInRump();
                if (fd < 0) {
                    client.setSoLinger(true, 0);
                    client.close();
                    open.remove(client);
                    continue;
                }
                Pair pair = new Pair(client, fd);
                pumps.add(Thread.ofPlatform().daemon().name("rump-relay up").start(pair::up));
                pumps.add(Thread.ofPlatform().daemon().name("rump-relay down").start(pair::down));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private int connectInRump() {
        Platform rump = Platform.current();
        int fd = rump.socket(rump.family(target));
        if (fd < 0 || rump.setBlocking(fd, true) != 0) {
            return fd < 0 ? fd : -1;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = rump.allocateSockaddr(arena);
            int r = rump.connect(fd, sa, rump.encode(target, sa));
            if (r != 0) {
                rump.close(fd);
                return r;
            }
        }
        return fd;
    }

    /**
     * One relayed connection: a host socket and a blocking rump socket, one thread each way.
     * Both are closed only when both directions have ended, so neither thread ever uses a
     * descriptor number that may have been reused. A reset on one side ends the other side's
     * blocked read (a host close, or a rump shutdown of the reading side) and resets it too.
     */
    private final class Pair {
        private final Socket client;
        private final int fd;
        private int ended;
        private volatile boolean reset;

        Pair(Socket client, int fd) {
            this.client = client;
            this.fd = fd;
        }

        /** Host to rump. */
        void up() {
            Platform rump = Platform.current();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(16384);
                byte[] bytes = new byte[16384];
                InputStream in = client.getInputStream();
                int n;
                while ((n = in.read(bytes)) > 0) {
                    MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, n);
                    for (long done = 0; done < n; ) {
                        long w = rump.write(fd, buf.asSlice(done), n - done);
                        if (w < 0) {
                            throw new IOException("rump write: " + rump.describe((int) -w));
                        }
                        done += w;
                    }
                }
                rump.shutdownOutput(fd);
            } catch (IOException e) {
                reset = true;
                rump.options().resetOnClose(fd);
                ((RumpPlatform) rump).calls().shutdown(fd, SHUT_RD); // ends down()'s read: EOF
            }
            end();
        }

        /** Rump to host. */
        void down() {
            Platform rump = Platform.current();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(16384);
                byte[] bytes = new byte[16384];
                OutputStream out = client.getOutputStream();
                long n;
                while ((n = rump.read(fd, buf, buf.byteSize())) > 0) {
                    MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) n);
                    out.write(bytes, 0, (int) n);
                }
                if (n < 0 || reset) {
                    resetClient(); // ECONNRESET from the server: reset the client too
                } else {
                    client.shutdownOutput();
                }
            } catch (IOException e) {
                resetClient();
            }
            end();
        }

        private void resetClient() {
            reset = true;
            try {
                client.setSoLinger(true, 0);
                client.close(); // ends up()'s read
            } catch (IOException ignored) {
                // already closed: nothing to reset
            }
        }

        private synchronized void end() {
            if (++ended < 2) {
                return;
            }
            try {
                if (reset && !client.isClosed()) {
                    client.setSoLinger(true, 0);
                }
                client.close();
            } catch (IOException ignored) {
                // closing: nothing to report to
            }
            open.remove(client);
            Platform.current().close(fd);
        }
    }

    /**
     * Stops accepting, resets what is still relayed, and returns once every relayed connection
     * has closed both its sockets: the tests count the host's descriptors right after.
     */
    @Override
    public void close() throws IOException {
        host.close();
        for (Socket s : open) {
            s.setSoLinger(true, 0);
            s.close();
        }
        try {
            acceptor.join(5000);
            for (Thread t : pumps) {
                t.join(5000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
