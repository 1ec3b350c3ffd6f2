package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TestCertificates;
import io.ffpoll.multiplexer.tls.TlsSession;
import io.ffpoll.multiplexer.tls.TlsSessionFactory;
import io.ffpoll.multiplexer.tls.TlsSettings;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A measurement, not a test: the native memory an idle server-side session holds after its
 * handshake (TLS 1.3, ECDSA P-256) and after it moved 64 KiB each way, with its {@code SSL}
 * freed after the handshake (the default) or kept (a third argument {@code keepSsl}), over many sessions
 * kept open at once with their clients freed. Reads glibc's {@code mallinfo2()} (bytes handed
 * out by malloc: {@code uordblks + hblkhd}) and the resident set from /proc/self/statm.
 * mallinfo2 sees the main malloc arena only, so run it with {@code MALLOC_ARENA_MAX=1}:
 *
 * <pre>
 * MALLOC_ARENA_MAX=1 java --enable-native-access=ALL-UNNAMED -cp ... \
 *     io.ffpoll.multiplexer.tls.openssl.OpenSslIdleMemory 10000 [transfer-bytes] [keepSsl]
 * </pre>
 */
public final class OpenSslIdleMemory {
    private static final StructLayout MALLINFO2 = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("arena"), ValueLayout.JAVA_LONG.withName("ordblks"),
            ValueLayout.JAVA_LONG.withName("smblks"), ValueLayout.JAVA_LONG.withName("hblks"),
            ValueLayout.JAVA_LONG.withName("hblkhd"), ValueLayout.JAVA_LONG.withName("usmblks"),
            ValueLayout.JAVA_LONG.withName("fsmblks"), ValueLayout.JAVA_LONG.withName("uordblks"),
            ValueLayout.JAVA_LONG.withName("fordblks"), ValueLayout.JAVA_LONG.withName("keepcost"));
    private static final MethodHandle MALLINFO2_CALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("mallinfo2").orElseThrow(), FunctionDescriptor.of(MALLINFO2));

    private OpenSslIdleMemory() {}

    private static final class Sink implements CipherSink {
        final ByteArrayOutputStream records = new ByteArrayOutputStream();

        @Override
        public void append(MemorySegment src, long offset, long length) {
            records.writeBytes(src.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }

        byte[] take() {
            byte[] b = records.toByteArray();
            records.reset();
            return b;
        }
    }

    private static long mallocBytes() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = (MemorySegment) MALLINFO2_CALL.invokeExact((java.lang.foreign.SegmentAllocator) a);
            return m.get(ValueLayout.JAVA_LONG, 7 * 8) + m.get(ValueLayout.JAVA_LONG, 4 * 8);
        }
    }

    private static long rssBytes() throws IOException {
        String[] f = Files.readString(Path.of("/proc/self/statm")).trim().split(" ");
        return Long.parseLong(f[1]) * 4096;
    }

    public static void main(String[] args) throws Throwable {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int transfer = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        boolean keepSsl = args.length > 2 && args[2].equals("keepSsl");
        TestCertificates c = TestCertificates.of(TestCertificates.Kind.EC);
        TlsSessionFactory server = OpenSslTlsFactory.create(new TlsSettings(false, c.server(), Map.of(), null,
                TlsConfig.ClientAuth.NONE, List.of(), List.of("TLSv1.3"), Duration.ofSeconds(10), true, false), keepSsl);
        TlsSessionFactory client = OpenSslTlsFactory.create(new TlsSettings(true, null, Map.of(), c.trust(),
                TlsConfig.ClientAuth.NONE, List.of(), List.of("TLSv1.3"), Duration.ofSeconds(10), false, true));
        Arena arena = Arena.ofConfined();
        MemorySegment scratch = arena.allocate(TlsSessionFactory.SCRATCH_BYTES);
        MemorySegment in = arena.allocate(1 << 20);
        MemorySegment out = arena.allocate(16 * 1024 + 1);
        MemorySegment payload = arena.allocate(Math.max(1, transfer));
        for (int i = 0; i < 200; i++) { // warm up: OpenSSL's lazy tables, the JIT
            connect(client, server, scratch, in, out, payload, transfer).free();
        }
        System.gc();
        long malloc0 = mallocBytes();
        long rss0 = rssBytes();
        List<TlsSession> idle = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            idle.add(connect(client, server, scratch, in, out, payload, transfer));
        }
        System.gc();
        long malloc1 = mallocBytes();
        long rss1 = rssBytes();
        // What the sessions hold is what freeing them gives back, a moment's work: the JVM's own
        // malloc traffic over the whole run (its compiler's arenas, the collector's tables) can
        // outweigh them between malloc0 and malloc1, and once made that delta negative.
        idle.forEach(TlsSession::free);
        long malloc2 = mallocBytes();
        System.out.printf("OpenSSL %s, %d idle server sessions (%s) after a TLS 1.3 handshake%s:%n",
                Long.toHexString(io.ffpoll.bindings.openssl.OpenSsl.versionNumber()), n,
                keepSsl ? "each keeps its SSL" : "SSL freed after the handshake",
                transfer > 0 ? " and " + transfer + " bytes each way" : "");
        System.out.printf("  malloc'd: %d bytes each (mallinfo2 uordblks+hblkhd fell %d when they were freed; grew %d"
                + " while they were made)%n", (malloc1 - malloc2) / n, malloc1 - malloc2, malloc1 - malloc0);
        System.out.printf("  RSS:      %d bytes each (/proc/self/statm grew %d)%n", (rss1 - rss0) / n, rss1 - rss0);
        server.close();
        client.close();
        System.out.printf("  after free: live SSL %d, SSL_CTX %d; malloc'd back to +%d bytes%n",
                OpenSslTlsFactory.liveSessions(), OpenSslTlsFactory.liveContexts(), mallocBytes() - malloc0);
    }

    // A handshake between a fresh client and server, then `transfer` bytes each way; the
    // client is freed, the server session returned idle.
    private static TlsSession connect(TlsSessionFactory clientFactory, TlsSessionFactory serverFactory,
                                      MemorySegment scratch, MemorySegment in, MemorySegment out,
                                      MemorySegment payload, int transfer) throws IOException {
        Sink cs = new Sink();
        Sink ss = new Sink();
        TlsSession client = clientFactory.newSession(cs, scratch, "localhost", 443);
        TlsSession server = serverFactory.newSession(ss, scratch, null, -1);
        client.begin();
        boolean moved = true;
        while (moved) {
            moved = feed(cs.take(), server, in, out) | feed(ss.take(), client, in, out);
        }
        if (!client.isHandshakeDone() || !server.isHandshakeDone()) {
            throw new IllegalStateException("handshake did not complete");
        }
        if (transfer > 0) {
            client.write(payload);
            server.write(payload);
            moved = true;
            while (moved) {
                moved = feed(cs.take(), server, in, out) | feed(ss.take(), client, in, out);
            }
        }
        client.free();
        return server;
    }

    // As the connection does: at most 64 KiB per read, and what a read left (an incomplete
    // record, or the records after a full out) offered again in front of what follows.
    private static boolean feed(byte[] records, TlsSession to, MemorySegment in, MemorySegment out) throws IOException {
        if (records.length == 0) {
            return false;
        }
        int at = 0;
        long held = 0;
        while (at < records.length) {
            int len = Math.min(64 * 1024, records.length - at);
            MemorySegment.copy(records, at, in, ValueLayout.JAVA_BYTE, held, len);
            at += len;
            held += len;
            long taken = 0;
            int status;
            do {
                status = to.read(in.asSlice(taken, held - taken), out);
                taken += to.consumed();
            } while (status == TlsSession.OUT_FULL);
            MemorySegment.copy(in, taken, in, 0, held - taken);
            held -= taken;
        }
        if (held != 0) {
            throw new IllegalStateException(held + " bytes of an incomplete record left");
        }
        return true;
    }
}
