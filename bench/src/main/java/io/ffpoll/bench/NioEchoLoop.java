package io.ffpoll.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The java.nio side of the ping-pong benchmark, written as well as java.nio allows: one thread,
 * one Selector, one shared direct read buffer, echo written at once, and only what the socket
 * does not take kept (in a per-connection queue) with OP_WRITE until it drains. Keys and the
 * selected set are reused; nothing is allocated per event but for a pending remainder.
 */
final class NioEchoLoop implements AutoCloseable {
    private final Selector selector = Selector.open();
    private final ServerSocketChannel server;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    private final Thread thread;
    private volatile boolean running = true;

    NioEchoLoop(InetSocketAddress at, int cpu) throws IOException {
        this((java.net.SocketAddress) at, cpu);
    }

    /** On a TCP address, or a Unix-domain path ({@link java.net.UnixDomainSocketAddress}). */
    NioEchoLoop(java.net.SocketAddress at, int cpu) throws IOException {
        server = at instanceof java.net.UnixDomainSocketAddress
                ? ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
        server.bind(at, 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        thread = Thread.ofPlatform().name("nio-echo").start(() -> {
            Affinity.pin(cpu);
            try {
                run();
            } catch (IOException e) {
                if (running) {
                    throw new IllegalStateException(e);
                }
            }
        });
    }

    /** The loop thread, whose CPU time is the server's. */
    Thread thread() {
        return thread;
    }

    InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    /** The bound address, of either family. */
    java.net.SocketAddress localAddress() throws IOException {
        return server.getLocalAddress();
    }

    private void run() throws IOException {
        while (running) {
            selector.select();
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey k = it.next();
                it.remove();
                if (!k.isValid()) {
                    continue;
                }
                if (k.isAcceptable()) {
                    SocketChannel c;
                    while ((c = server.accept()) != null) {
                        c.configureBlocking(false);
                        if (c.getLocalAddress() instanceof InetSocketAddress) { // a Unix socket has no Nagle
                            c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                        }
                        c.register(selector, SelectionKey.OP_READ);
                    }
                    continue;
                }
                SocketChannel c = (SocketChannel) k.channel();
                try {
                    if (k.isWritable()) {
                        drain(k, c);
                    }
                    if (k.isValid() && k.isReadable()) {
                        echo(k, c);
                    }
                } catch (IOException gone) {
                    k.cancel();
                    c.close();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void echo(SelectionKey k, SocketChannel c) throws IOException {
        while (true) {
            buffer.clear();
            int n = c.read(buffer);
            if (n < 0) {
                k.cancel();
                c.close();
                return;
            }
            if (n == 0) {
                return;
            }
            buffer.flip();
            ArrayDeque<ByteBuffer> pending = (ArrayDeque<ByteBuffer>) k.attachment();
            if (pending == null || pending.isEmpty()) {
                c.write(buffer);
            }
            if (buffer.hasRemaining()) {
                if (pending == null) {
                    pending = new ArrayDeque<>();
                    k.attach(pending);
                }
                ByteBuffer rest = ByteBuffer.allocateDirect(buffer.remaining());
                rest.put(buffer).flip();
                pending.add(rest);
                k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
            if (n < buffer.capacity()) {
                return;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void drain(SelectionKey k, SocketChannel c) throws IOException {
        ArrayDeque<ByteBuffer> pending = (ArrayDeque<ByteBuffer>) k.attachment();
        while (pending != null && !pending.isEmpty()) {
            ByteBuffer b = pending.peek();
            c.write(b);
            if (b.hasRemaining()) {
                return;
            }
            pending.poll();
        }
        k.interestOps(SelectionKey.OP_READ);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        running = false;
        selector.wakeup();
        thread.join();
        for (SelectionKey k : selector.keys()) {
            k.channel().close();
        }
        selector.close();
    }
}
