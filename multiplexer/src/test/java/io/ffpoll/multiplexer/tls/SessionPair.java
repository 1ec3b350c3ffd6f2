package io.ffpoll.multiplexer.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A client session and a server session joined in memory, for engine tests with no socket:
 * the records one side puts in its sink are fed to the other side's {@link TlsSession#read},
 * in pieces of a chosen size, until neither side has anything left to say ({@link #pump}).
 * What a side decrypts piles up in its {@link Side#plaintext()}; a side whose read throws keeps
 * the exception ({@link Side#failure()}) and is fed no more, while the alert it made still
 * reaches the other side. Follows the SPI as the connection does: a read's unconsumed rest is
 * offered again with what follows; OUT_FULL is answered by reading again. {@link #close()}
 * frees both sessions and the native buffers; the factories stay the caller's.
 */
public final class SessionPair implements AutoCloseable {
    /** The plaintext buffer handed to {@code read}: the OpenSSL engine's minimum, 16 KiB plus one byte (one record). */
    public static final int OUT_BYTES = 16 * 1024 + 1;
    private static final int MAX_PIECE = 64 * 1024;

    private final Arena arena = Arena.ofShared();
    /** A piece plus the partial record a read may leave before it: 2 pieces is room enough. */
    private final MemorySegment in = arena.allocate(2 * MAX_PIECE);
    private final MemorySegment out = arena.allocate(OUT_BYTES);
    /** The client. */
    public final Side client;
    /** The server. */
    public final Side server;

    /** One end: its session, the records it made and not yet delivered, the plaintext it read. */
    public static final class Side implements CipherSink {
        private final ByteArrayOutputStream records = new ByteArrayOutputStream();
        private final ByteArrayOutputStream plaintext = new ByteArrayOutputStream();
        private byte[] inbox = new byte[0];
        private TlsSession session;
        private IOException failure;
        private boolean closed;
        private long recordBytes;

        @Override
        public void append(MemorySegment src, long offset, long length) {
            records.writeBytes(src.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            recordBytes += length;
        }

        /** {@return the session} */
        public TlsSession session() {
            return session;
        }

        /** {@return the plaintext read so far, and forgets it} */
        public byte[] takePlaintext() {
            byte[] b = plaintext.toByteArray();
            plaintext.reset();
            return b;
        }

        /** {@return what its read threw, or null} */
        public IOException failure() {
            return failure;
        }

        /** {@return whether a read returned CLOSED (the peer's close_notify)} */
        public boolean closed() {
            return closed;
        }

        /** {@return every record byte the session has put in its sink so far} */
        public long recordBytes() {
            return recordBytes;
        }

        /** {@return the records made and not yet delivered, and forgets them} */
        public byte[] takeRecords() {
            byte[] b = records.toByteArray();
            records.reset();
            return b;
        }
    }

    /**
     * Two new sessions.
     *
     * @param clientFactory the client side's factory
     * @param serverName the name the client connects to (SNI, verification), or null
     * @param port the client's port hint for resumption
     * @param serverFactory the server side's factory
     * @throws IOException if a factory cannot make a session
     */
    public SessionPair(TlsSessionFactory clientFactory, String serverName, int port, TlsSessionFactory serverFactory)
            throws IOException {
        MemorySegment clientScratch = arena.allocate(TlsSessionFactory.SCRATCH_BYTES);
        MemorySegment serverScratch = arena.allocate(TlsSessionFactory.SCRATCH_BYTES);
        client = new Side();
        server = new Side();
        client.session = clientFactory.newSession(client, clientScratch, serverName, port);
        try {
            server.session = serverFactory.newSession(server, serverScratch, null, -1);
        } catch (IOException | RuntimeException e) {
            client.session.free();
            arena.close();
            throw e;
        }
    }

    /**
     * Begins both sessions and moves records in whole pieces until the handshake settles.
     *
     * @throws IOException what either side threw
     */
    public void handshake() throws IOException {
        client.session.begin();
        server.session.begin();
        pump(MAX_PIECE);
        rethrow();
    }

    /** Throws the first failure of either side, if any. */
    public void rethrow() throws IOException {
        if (client.failure != null) {
            throw client.failure;
        }
        if (server.failure != null) {
            throw server.failure;
        }
    }

    /**
     * Moves records both ways, {@code piece} bytes per read call at most, until no side has
     * anything to deliver. Failures are kept, not thrown.
     *
     * @param piece the most ciphertext per {@code read} (1 feeds byte by byte)
     */
    public void pump(int piece) {
        if (piece < 1 || piece > MAX_PIECE) {
            throw new IllegalArgumentException("piece " + piece);
        }
        boolean moved;
        do {
            moved = deliver(client, server, piece);
            moved |= deliver(server, client, piece);
        } while (moved);
    }

    private boolean deliver(Side from, Side to, int piece) {
        byte[] fresh = from.takeRecords();
        if (to.failure != null) {
            return false; // a failed session is fed nothing more; what it sent still went
        }
        if (fresh.length > 0) {
            to.inbox = concat(to.inbox, fresh);
        }
        boolean moved = fresh.length > 0;
        int at = 0;
        boolean again = false; // OUT_FULL: read again, with or without more input
        int window = piece;    // what the next read offers: what the last one left, plus a read's worth
        try {
            while (at < to.inbox.length || again) {
                int n = Math.min(window, to.inbox.length - at);
                MemorySegment.copy(to.inbox, at, in, ValueLayout.JAVA_BYTE, 0, n);
                int status = to.session.read(in.asSlice(0, n), out);
                long consumed = to.session.consumed();
                long produced = to.session.produced();
                to.plaintext.writeBytes(out.asSlice(0, produced).toArray(ValueLayout.JAVA_BYTE));
                at += (int) consumed;
                moved |= consumed > 0 || produced > 0;
                again = status == TlsSession.OUT_FULL;
                if (status == TlsSession.CLOSED) {
                    to.closed = true;
                    break;
                }
                int left = n - (int) consumed;
                if (status == TlsSession.NEED_INPUT && left > 0) {
                    if (at + left >= to.inbox.length) {
                        break; // a partial record the engine left: offered again with what follows
                    }
                    window = (int) Math.min(left + piece, in.byteSize());
                } else {
                    window = left > 0 ? left : piece;
                }
            }
        } catch (IOException e) {
            to.failure = e;
        }
        to.inbox = Arrays.copyOfRange(to.inbox, Math.min(at, to.inbox.length), to.inbox.length);
        return moved;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * Encrypts {@code data} on {@code side} (once its handshake is done) into its sink.
     *
     * @param side the writer
     * @param data the plaintext
     * @return what {@link TlsSession#write} took, added over pieces of 64 KiB
     * @throws IOException what the write threw
     */
    public long write(Side side, byte[] data) throws IOException {
        long taken = 0;
        for (int at = 0; at < data.length; at += MAX_PIECE) {
            int n = Math.min(MAX_PIECE, data.length - at);
            MemorySegment.copy(data, at, in, ValueLayout.JAVA_BYTE, 0, n);
            long t = side.session.write(in.asSlice(0, n));
            taken += t;
            if (t < n) {
                break;
            }
        }
        return taken;
    }

    /** Frees both sessions and the native buffers. */
    @Override
    public void close() {
        client.session.free();
        server.session.free();
        arena.close();
    }
}
