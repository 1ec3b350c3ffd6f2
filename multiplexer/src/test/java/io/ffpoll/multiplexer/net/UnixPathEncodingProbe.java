package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Run by UnixPathEncodingTest in a child JVM whose file-name encoding (sun.jnu.encoding) is the
 * one its locale gives: a socket bound by ffpoll on a non-ASCII path is reached by the JDK's
 * SocketChannel and the other way round, and the addresses the kernel reports name the same
 * Path. Prints one {@code key=value} line per check; the first argument is the directory, and
 * a second, {@code ffpoll-bound-only}, leaves out the socket the JDK binds: the JDK's own
 * ServerSocketChannel.bind decodes the bound name with file.encoding, not sun.jnu.encoding, and
 * fails on a non-ASCII path (InvalidPathException) unless the two agree (-Dfile.encoding=COMPAT).
 */
public final class UnixPathEncodingProbe {
    private UnixPathEncodingProbe() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        System.out.println("jnu=" + System.getProperty("sun.jnu.encoding"));
        try (EventLoop loop = EventLoop.start("encoding-probe")) {
            // Bound by ffpoll, reached by the JDK.
            Path ours = dir.resolve("\u00e9t\u00e9-ffpoll.sock");
            Listener listener = Listener.bind(loop, UnixAddress.path(ours), AcceptOptions.DEFAULTS,
                    (fd, peer) -> Connection.open(loop, fd, peer, new UnixTesting.Echo())).get(30, TimeUnit.SECONDS);
            System.out.println("fileTheJdkSees=" + Files.exists(ours));
            System.out.println("listenerAddress=" + ours.equals(
                    ((UnixAddress) SocketAddresses.localAddress(listener.fd())).path()));
            System.out.println("jdkToFfpoll=" + echoWithTheJdk(ours));
            listener.closeAsync().get(30, TimeUnit.SECONDS);
            System.out.println("removedOnClose=" + !Files.exists(ours));
            if (args.length > 1 && args[1].equals("ffpoll-bound-only")) {
                return;
            }

            // Bound by the JDK, reached by ffpoll, with the JDK's own address type and ffpoll's.
            Path theirs = dir.resolve("\u00e9t\u00e9-jdk.sock");
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                server.bind(UnixDomainSocketAddress.of(theirs));
                for (java.net.SocketAddress to : new java.net.SocketAddress[] {UnixDomainSocketAddress.of(theirs),
                    UnixAddress.path(theirs)}) {
                    String outcome;
                    try {
                        Connection c = Connection.connect(loop, to, (connection, data) -> data.byteSize())
                                .get(30, TimeUnit.SECONDS);
                        server.accept().close();
                        java.net.SocketAddress peer = loop.submit(c::peerAddress).get(30, TimeUnit.SECONDS);
                        outcome = "connected, peer path " + (theirs.equals(((UnixAddress) peer).path()) ? "same" : peer);
                        loop.submit(() -> {
                            c.close();
                            return null;
                        }).get(30, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.ExecutionException e) {
                        outcome = String.valueOf(e.getCause());
                    }
                    System.out.println("ffpollToJdk(" + to.getClass().getSimpleName() + ")=" + outcome);
                }
            } finally {
                Files.deleteIfExists(theirs);
            }
        }
    }

    private static String echoWithTheJdk(Path path) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer in = ByteBuffer.allocate(3);
            while (in.hasRemaining() && ch.read(in) >= 0) {
                // until the echo is back
            }
            return in.hasRemaining() ? "short echo" : "echoed";
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
