package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.Poller;
import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.testing.LoopThreads;
import io.ffpoll.multiplexer.testing.IoUringSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS records sent by the ring (io_uring): a TLS echo makes no send syscall and one
 * io_uring_enter per loop iteration, and a connection aborted with a send of its records in
 * flight gets their chunks back only once the kernel has given the send back.
 */
class IoUringTlsSendTest extends TlsTestBase {
    @BeforeAll
    static void needsIoUring() {
        IoUringSupport.assumeAvailable();
    }

    @Override
    protected Poller openPoller() throws IOException {
        return Poller.open("io_uring");
    }

    static java.util.stream.Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    private static long sendSyscalls(Thread t) {
        return Syscalls.count("sendmsg", t) + Syscalls.count("send", t) + Syscalls.count("writev", t)
                + Syscalls.count("write", t);
    }

    private long sendsInFlight() throws Exception {
        return onLoop(() -> LoopAccess.get().backend(loop).sendsInFlight());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aTlsEchoMakesNoSendSyscallAndOneEnterPerIteration(String engine) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Syscalls.COUNTING, "needs -Dffpoll.countSyscalls=true");
        Thread loopThread = LoopThreads.thread(loop);
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> new Recorder().echoing().closingAtEndOfInput());
        Recorder client = new Recorder();
        Connection c = Connection.connect(loop, address, null, TlsTestKeys.client(engine).build(), client)
                .get(30, TimeUnit.SECONDS);
        long[] before = onLoop(() -> new long[] {sendSyscalls(loopThread), loop.stats().iterations(),
                Syscalls.count("io_uring_enter", loopThread)});
        byte[] sent = new byte[1 << 20];
        new Random(11).nextBytes(sent);
        onLoop(() -> c.write(sent));
        awaitOnLoop(() -> client.receivedCount() == sent.length, "the megabyte came back");
        assertArrayEquals(sent, client.received());
        long[] after = onLoop(() -> new long[] {sendSyscalls(loopThread), loop.stats().iterations(),
                Syscalls.count("io_uring_enter", loopThread)});
        assertEquals(0, after[0] - before[0], "send, sendmsg, write or writev made by the loop for TLS records");
        assertEquals(after[1] - before[1], after[2] - before[2], "io_uring_enter calls != loop iterations");
        onLoop(c::close);
        client.awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void anAbortWithRecordsInFlightGetsTheirChunksBackOnlyAfterTheCompletion(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake(); // then reads nothing: the records' send stays in flight once the buffers fill
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            awaitOnLoop(() -> s.tls.cipherOut.isEmpty() && !s.tls.sending(), "the handshake's last records are sent");
            long baseline = buffersHeld();
            onLoop(() -> {
                byte[] mib = new byte[1 << 20];
                for (int i = 0; i < 64; i++) {
                    s.write(mib);
                }
            });
            // Catch it with a send of records in flight: the check and the abort in one loop
            // task, so no completion comes between them.
            awaitOnLoop(() -> {
                if (!s.tls.sending()) {
                    return false;
                }
                s.abort();
                assertTrue(heldOnLoop() > baseline, "records given back while the kernel held them");
                assertEquals(1, LoopAccess.get().backend(loop).sendsInFlight(), "the send is in flight until its completion");
                return true;
            }, "a send of records in flight");
            awaitOnLoop(() -> LoopAccess.get().backend(loop).sendsInFlight() == 0, "the cancelled send's completion");
            assertEquals(baseline, buffersHeld(), "every chunk back after the completion");
            assertEquals(0, sendsInFlight());
        }
        serverSide.awaitClosed();
    }
}
