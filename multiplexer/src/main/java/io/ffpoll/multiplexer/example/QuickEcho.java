package io.ffpoll.multiplexer.example;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.Connection;
import io.ffpoll.multiplexer.net.ConnectionHandler;
import io.ffpoll.multiplexer.net.GroupListener;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/** The multiplexer's quick start in the README: an echo server on two loops. */
public final class QuickEcho {
    private QuickEcho() {}

    /**
     * Serves echo on {@code address} with every loop of {@code group}.
     *
     * @param group   the loops
     * @param address where to listen (port 0 picks a free one)
     * @return the listener; closing it stops accepting
     * @throws IOException if the address cannot be bound
     */
    public static GroupListener serve(EventLoopGroup group, InetSocketAddress address) throws IOException {
        // README:begin multiplexer
        GroupListener server = GroupListener.start(group, address,
                (loop, fd, peer) -> Connection.open(loop, fd, peer, new ConnectionHandler() {
                    @Override
                    public long onData(Connection connection, MemorySegment data) {
                        connection.write(data);         // queued, sent once per loop iteration
                        if (!connection.isWritable()) { // the peer reads slower than it sends:
                            connection.pauseReading();  // stop reading until it catches up
                        }
                        return data.byteSize();         // bytes consumed; the rest is offered again
                    }

                    @Override
                    public void onWritabilityChanged(Connection connection, boolean writable) {
                        if (writable) {
                            connection.resumeReading();
                        }
                    }
                }));
        // README:end
        return server;
    }

    /**
     * Runs the echo server on 127.0.0.1:7007 until the process is stopped.
     *
     * @param args unused
     * @throws Exception if it cannot start
     */
    public static void main(String[] args) throws Exception {
        // README:begin multiplexer-main
        try (EventLoopGroup group = EventLoopGroup.start("echo", 2);
             GroupListener server = serve(group, new InetSocketAddress("127.0.0.1", 7007))) {
            System.out.println("echo on " + server.address());
            Thread.currentThread().join();
        }
        // README:end
    }
}
