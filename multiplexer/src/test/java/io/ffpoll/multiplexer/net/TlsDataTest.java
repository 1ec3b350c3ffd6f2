package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.multiplexer.testing.LoopThreads;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plaintext through TLS both ways, byte-exact; writes of one iteration leave in one send and
 * few records; flush futures and sentBytes count plaintext and complete only once the records
 * are sent; an idle TLS connection holds no pooled buffer.
 */
class TlsDataTest extends TlsTestBase {

    static Stream<Arguments> enginesKeysProtocols() {
        return TlsTestKeys.engines().flatMap(e -> Stream.of("ec", "rsa").flatMap(k ->
                Stream.of("TLSv1.3", "TLSv1.2").map(p -> Arguments.of(e, k, p))));
    }

    static Stream<String> engines() {
        return TlsTestKeys.engines();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("enginesKeysProtocols")
    void echoesBothWaysByteExact(String engine, String key, String protocol) throws Exception {
        TlsConfig server = TlsTestKeys.server(engine, key).protocols(protocol).alpn("echo").build();
        TlsConfig client = TlsTestKeys.client(engine).alpn("echo").build();
        Recorder serverSide = new Recorder().echoing().closingAtEndOfInput(); // the client's close lingers for it
        serveTls(server, () -> serverSide);
        byte[] sent = new byte[300_000];
        new Random(7).nextBytes(sent);
        Recorder clientSide = new Recorder().onOpen(c -> c.write(sent));
        Connection c = Connection.connect(loop, address, null, client, clientSide).get(30, TimeUnit.SECONDS);
        io.ffpoll.multiplexer.testing.Await.until(() -> clientSide.receivedCount() >= sent.length, "the echo is back");
        assertArrayEquals(sent, clientSide.received());
        assertArrayEquals(sent, serverSide.received());
        TlsInfo info = c.tls();
        assertEquals(protocol, info.protocol());
        assertEquals("echo", info.applicationProtocol());
        assertEquals(key.equals("ec") ? "EC" : "RSA", info.peerCertificates().getFirst().getPublicKey().getAlgorithm());
        Connection s = nextAccepted();
        assertEquals(protocol, s.tls().protocol());
        assertEquals(1, clientSide.opens.get());
        assertEquals(1, serverSide.opens.get());
        onLoop(c::close);
        serverSide.readClosed.get(30, TimeUnit.SECONDS); // the client's close_notify
        assertSame(Recorder.NO_CAUSE, clientSide.awaitClosed());
        onLoop(s::close);
        serverSide.awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void writesOfOneIterationLeaveInOneSendAndOneRecord(String engine) throws Exception {
        Assumptions.assumeTrue(Syscalls.COUNTING, "needs -Dffpoll.countSyscalls=true");
        Thread loopThread = LoopThreads.thread(loop);
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            awaitOnLoop(() -> s.tls.cipherOut.isEmpty(), "the handshake's last records (a ticket) are sent");
            byte[] expected = new byte[1000];
            long before = onLoop(() -> {
                long sends = Syscalls.count("sendmsg", loopThread);
                for (int i = 0; i < 100; i++) {
                    byte[] small = new byte[10];
                    java.util.Arrays.fill(small, (byte) i);
                    System.arraycopy(small, 0, expected, i * 10, 10);
                    s.write(small);
                }
                return sends;
            });
            assertArrayEquals(expected, peer.readPlain(expected.length));
            assertEquals(1, peer.dataRecords, "100 writes of 10 bytes in one iteration: one record");
            // On io_uring the ring sends the record: no sendmsg at all.
            assertEquals(ringSends() ? 0 : 1, onLoop(() -> Syscalls.count("sendmsg", loopThread)) - before, "and one sendmsg");

            // 100 KiB in 100 writes: records of the queue's 16 KiB chunks, not one per write. (The
            // JDK's TLS 1.3 records carry at most 16,367 bytes, so a chunk becomes two of them.)
            byte[] big = new byte[100 * 1024];
            new Random(3).nextBytes(big);
            onLoop(() -> {
                for (int i = 0; i < 100; i++) {
                    s.write(big, i * 1024, 1024);
                }
            });
            assertArrayEquals(big, peer.readPlain(big.length));
            assertTrue(peer.dataRecords - 1 <= 14, "records for 100 KiB: " + peer.dataRecordSizes);
            onLoop(s::close);
            peer.readToCloseNotify();
        }
        serverSide.awaitClosed();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void flushFuturesCompleteOnlyOnceTheRecordsAreSentAndSentBytesCountsPlaintext(String engine) throws Exception {
        Recorder serverSide = new Recorder();
        serveTls(TlsTestKeys.server(engine, "ec").build(), () -> serverSide);
        try (TlsPeer peer = TlsPeer.connect(address, TlsTestKeys.jdkContext(null), p -> { })) {
            peer.handshake();
            Connection s = serverSide.opened.get(30, TimeUnit.SECONDS);
            long sentBefore = onLoop(s::sentBytes);
            assertEquals(0, sentBefore, "handshake records are not plaintext sent");
            // Four times what the kernel can hold here (tcp_wmem max 4 MiB, plus the peer's receive
            // buffer): with 4 MiB the records could fit whole and the socket never fill.
            byte[] data = new byte[16 << 20];
            new Random(5).nextBytes(data);
            // At completion, on the loop: nothing of it may still be queued, plaintext or records.
            CompletableFuture<String> stateAtCompletion = new CompletableFuture<>();
            CompletableFuture<Void> flushed = onLoop(() -> {
                CompletableFuture<Void> f = s.writeAsync(data);
                f.thenRun(() -> stateAtCompletion.complete(s.queuedBytes() + " queued, "
                        + s.tls.cipherOut.bytes() + " in records, " + s.sentBytes() + " sent"));
                return f;
            });
            awaitOnLoop(() -> recordsWait(s), "the socket is full (the peer does not read)");
            assertFalse(flushed.isDone(), "complete while the peer has not read");
            // Both read in one loop task: between two, a flush may move records from queued to sent
            // (on the rump kernel its relay reads on while the peer does not).
            long[] queuedAndSent = onLoop(() -> new long[] {s.queuedBytes(), s.sentBytes()});
            long queued = queuedAndSent[0];
            long sent = queuedAndSent[1];
            assertEquals(data.length, queued + sent, "queued and sent count plaintext");
            assertTrue(sent < data.length);
            assertArrayEquals(data, peer.readPlain(data.length));
            flushed.get(30, TimeUnit.SECONDS);
            assertEquals("0 queued, 0 in records, " + data.length + " sent", stateAtCompletion.get(30, TimeUnit.SECONDS));
            onLoop(s::close);
            peer.readToCloseNotify();
            assertTrue(peer.atEof());
        }
        serverSide.awaitClosed();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("enginesAndProtocols")
    void anIdleConnectionHoldsNoPooledBuffer(String engine, String protocol) throws Exception {
        Recorder serverSide = new Recorder().echoing();
        serveTls(TlsTestKeys.server(engine, "ec").protocols(protocol).build(), () -> serverSide);
        Recorder clientSide = new Recorder();
        Connection c = Connection.connect(loop, address, null, TlsTestKeys.client(engine).build(), clientSide)
                .get(30, TimeUnit.SECONDS);
        byte[] hello = new byte[70_000];
        new Random(9).nextBytes(hello);
        onLoop(() -> c.write(hello));
        io.ffpoll.multiplexer.testing.Await.until(() -> clientSide.receivedCount() == hello.length, "the echo is back");
        Connection s = nextAccepted();
        awaitOnLoop(() -> heldOnLoop() == 0, "both ends idle hold no buffer");
        assertEquals(0, bytesHeld());
        onLoop(() -> {
            for (Connection x : new Connection[] {c, s}) {
                assertFalse(x.tls.cipherIn.holdsBuffer(), "no kept ciphertext");
                assertTrue(x.tls.cipherOut.isEmpty(), "no records waiting");
                assertFalse(x.holdsReadBuffer(), "no kept plaintext");
                assertEquals(0, x.queuedBytes());
            }
        });
        onLoop(c::close);
        serverSide.readClosed.get(30, TimeUnit.SECONDS);
        onLoop(s::close);
        clientSide.awaitClosed();
        serverSide.awaitClosed();
    }

    static Stream<Arguments> enginesAndProtocols() {
        return TlsTestKeys.engines().flatMap(e -> Stream.of("TLSv1.3", "TLSv1.2").map(p -> Arguments.of(e, p)));
    }
}
