package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.linux.LinuxDatagrams;
import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.Poller;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Measures, in a JVM of its own ({@link DatagramAllocationTest} says why), the bytes a loop thread
 * allocates while an endpoint receives datagrams, hands them to its handler and sends the
 * handler's replies: for each case, after a warm-up of every case, windows of {@value #WINDOW}
 * datagrams run until one allocates nothing, at most {@value #MAX_WINDOWS}. Prints one line per case:
 * {@code case NAME windows [BYTES, ...]}. Linux's calls, batched (recvmmsg, sendmmsg) and one
 * at a time (recvfrom, sendto). Usage: {@code DatagramAllocationProbe epoll|kqueue}.
 */
final class DatagramAllocationProbe {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final InetAddress V4 = InetAddress.getLoopbackAddress();
    /** Datagrams per burst: the client sends them all, then waits for what it waits for. */
    private static final int BURST = 32;
    private static final int WARM_UP = 10_240;
    static final int WINDOW = 1_024;
    static final int MAX_WINDOWS = 300;
    /** Empty, tiny, odd, a whole slot: each length gets its view during the warm-up. */
    private static final int[] VARIED = {64, 0, 1, 17, 100, 333, 512, 999, 1200, 1472, 2047, 2048};
    private static final int[] EQUAL = {64};

    private DatagramAllocationProbe() {}

    /** How the endpoint answers: not at all, to the sender's view, or to a JDK address. */
    enum Reply { NONE, SENDER, ADDRESS }

    public static void main(String[] args) throws Exception {
        EventLoop loop = args[0].equals("kqueue") ? EventLoop.start("probe", Poller.open("kqueue"), 1024)
                : EventLoop.start("probe");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(V4, 0))) {
            client.setSoTimeout(30_000);
            Thread loopThread = loop.submit(Thread::currentThread).get(30, TimeUnit.SECONDS);
            // Every case once without measuring first: what one case compiles (or deoptimises)
            // in code that all share would otherwise land in the windows of the next.
            for (int pass = 0; pass < 2; pass++) {
                for (boolean batched : new boolean[] {true, false}) {
                    for (int[] sizes : new int[][] {EQUAL, VARIED}) {
                        for (Reply reply : Reply.values()) {
                            String name = (batched ? "recvmmsg/sendmmsg" : "recvfrom/sendto") + ", "
                                    + (sizes.length == 1 ? "64 B each" : sizes.length + " sizes") + ", reply to " + reply;
                            List<Long> windows = measure(loop, loopThread, client, batched, sizes, reply,
                                    pass == 0 ? 0 : MAX_WINDOWS);
                            if (pass == 1) {
                                System.out.println("case " + name + " windows " + windows);
                            }
                        }
                    }
                }
            }
        } finally {
            loop.close();
        }
    }

    private static List<Long> measure(EventLoop loop, Thread loopThread, DatagramSocket client, boolean batched,
                                      int[] sizes, Reply reply, int maxWindows) throws Exception {
        Counting handler = new Counting(reply, new InetSocketAddress(V4, client.getLocalPort()));
        DatagramEndpoint e = DatagramSockets.bind(loop, new InetSocketAddress(V4, 0), DatagramOptions.DEFAULTS,
                handler, LinuxDatagrams.create(batched)).get(30, TimeUnit.SECONDS);
        try {
            Traffic traffic = new Traffic(client, e.localAddress(), sizes, reply != Reply.NONE, handler);
            traffic.run(WARM_UP);
            List<Long> windows = new ArrayList<>();
            long allocated = -1;
            while (allocated != 0 && windows.size() < maxWindows) {
                long before = THREADS.getThreadAllocatedBytes(loopThread.threadId());
                traffic.run(WINDOW);
                allocated = THREADS.getThreadAllocatedBytes(loopThread.threadId()) - before;
                windows.add(allocated);
            }
            if (handler.datagrams != traffic.sent || handler.bytes != traffic.sentBytes) {
                throw new AssertionError("the handler got " + handler.datagrams + " datagrams (" + handler.bytes
                        + " bytes) of " + traffic.sent + " (" + traffic.sentBytes + ")");
            }
            return windows;
        } finally {
            e.closeAsync().get(30, TimeUnit.SECONDS);
        }
    }

    /** Counts what it gets (with a volatile count the client waits on) and answers as told. */
    private static final class Counting implements DatagramHandler {
        private final Reply reply;
        private final InetSocketAddress client;
        volatile long datagrams;
        volatile long bytes;

        Counting(Reply reply, InetSocketAddress client) {
            this.reply = reply;
            this.client = client;
        }

        @Override
        public void onDatagram(DatagramEndpoint endpoint, MemorySegment payload, DatagramAddress sender) {
            bytes = bytes + payload.byteSize();
            datagrams = datagrams + 1;
            if (reply == Reply.SENDER) {
                endpoint.send(payload, sender);
            } else if (reply == Reply.ADDRESS) {
                endpoint.send(payload, client);
            }
        }
    }

    /** The client: bursts of datagrams of the sizes in turn, each burst answered before the next. */
    private static final class Traffic {
        private final DatagramSocket client;
        private final InetSocketAddress to;
        private final byte[][] payloads;
        private final boolean echoed;
        private final Counting handler;
        private final DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
        private int next;
        long sent;
        long sentBytes;

        Traffic(DatagramSocket client, InetSocketAddress to, int[] sizes, boolean echoed, Counting handler) {
            this.client = client;
            this.to = to;
            this.payloads = new byte[sizes.length][];
            for (int i = 0; i < sizes.length; i++) {
                payloads[i] = DatagramTestBase.pattern(sizes[i], i);
            }
            this.echoed = echoed;
            this.handler = handler;
        }

        void run(int datagrams) throws Exception {
            for (int done = 0; done < datagrams; done += BURST) {
                int first = next;
                for (int i = 0; i < BURST; i++) {
                    byte[] p = payloads[(first + i) % payloads.length];
                    client.send(new DatagramPacket(p, p.length, to));
                    sentBytes += p.length;
                }
                sent += BURST;
                next = (first + BURST) % payloads.length;
                if (echoed) {
                    for (int i = 0; i < BURST; i++) {
                        client.receive(in);
                        byte[] p = payloads[(first + i) % payloads.length];
                        if (!Arrays.equals(p, 0, p.length, in.getData(), 0, in.getLength())) {
                            throw new AssertionError("echo " + i + " of a burst is not the datagram sent");
                        }
                    }
                } else {
                    awaitCount();
                }
            }
        }

        private void awaitCount() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (handler.datagrams < sent) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the endpoint got " + handler.datagrams + " of " + sent + " datagrams");
                }
                Thread.yield();
            }
        }
    }
}
