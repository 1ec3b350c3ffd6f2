package io.ffpoll.multiplexer.net;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLParameters;

/**
 * A TLS client the test drives record by record: a blocking socket and the JDK's SSLEngine,
 * so a test sees what the server sends (each record, close_notify, the FIN after it) and sends
 * what it likes (half a ClientHello, one byte at a time, a renegotiation). Test thread only.
 */
final class TlsPeer implements AutoCloseable {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    final Socket socket;
    final SSLEngine engine;
    private final InputStream in;
    private final OutputStream out;
    private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
    /** Application data records received (records that carried plaintext). */
    int dataRecords;
    /** The plaintext bytes of each of them. */
    final java.util.List<Integer> dataRecordSizes = new java.util.ArrayList<>();
    /** Whether the server's close_notify came. */
    boolean closeNotifyReceived;

    private TlsPeer(Socket socket, SSLEngine engine) throws IOException {
        this.socket = socket;
        this.engine = engine;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to {@code to} as a client over {@code context}, with {@code params} adjusted as the test likes. */
    static TlsPeer connect(InetSocketAddress to, SSLContext context, Consumer<SSLParameters> params) throws IOException {
        Socket s = new Socket(to.getAddress(), to.getPort());
        s.setTcpNoDelay(true);
        SSLEngine e = context.createSSLEngine("localhost", to.getPort());
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        params.accept(p);
        e.setSSLParameters(p);
        return new TlsPeer(s, e);
    }

    /** The first flight (the ClientHello), made and not sent. */
    byte[] clientHello() throws IOException {
        engine.beginHandshake();
        ByteBuffer b = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(EMPTY, b);
        return Arrays.copyOf(b.array(), b.position());
    }

    void sendRaw(byte[] bytes) throws IOException {
        if (held != null) {
            held.write(bytes);
            return;
        }
        out.write(bytes);
        out.flush();
    }

    private java.io.ByteArrayOutputStream held;

    /** From now on what would be sent is kept, until {@link #sendHeld()} sends it all in one write. */
    void holdSends() {
        held = new java.io.ByteArrayOutputStream();
    }

    /** Sends what {@link #holdSends()} kept, in one write, and sends as it comes again. */
    void sendHeld() throws IOException {
        byte[] all = held.toByteArray();
        held = null;
        sendRaw(all);
    }

    /** Runs the handshake to its end: the engine's records out, the server's in. */
    void handshake() throws IOException {
        engine.beginHandshake();
        drive();
    }

    /** Goes on with a handshake whose ClientHello ({@link #clientHello()}) the test sent itself. */
    void continueHandshake() throws IOException {
        drive();
    }

    /** Answers the engine until it is done handshaking (the first handshake, or a renegotiation). */
    private void drive() throws IOException {
        while (true) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            switch (hs) {
                case NEED_WRAP -> wrapAndSend(EMPTY);
                case NEED_TASK -> {
                    Runnable task;
                    while ((task = engine.getDelegatedTask()) != null) {
                        task.run();
                    }
                }
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    if (unwrapOne() == null) {
                        throw new EOFException("the server closed during the handshake");
                    }
                }
                default -> {
                    return;
                }
            }
        }
    }

    private void wrapAndSend(ByteBuffer src) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        SSLEngineResult r = engine.wrap(src, b);
        if (r.getStatus() == SSLEngineResult.Status.CLOSED && src.hasRemaining()) {
            throw new IOException("the peer's engine is closed for output");
        }
        sendRaw(Arrays.copyOf(b.array(), b.position()));
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            drive();
        }
    }

    /** Encrypts and sends {@code bytes}. */
    void write(byte[] bytes) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(bytes);
        while (src.hasRemaining()) {
            wrapAndSend(src);
        }
    }

    /** The records of {@code bytes}, made and not sent. */
    byte[] wrap(byte[] bytes) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(bytes);
        java.io.ByteArrayOutputStream records = new java.io.ByteArrayOutputStream();
        while (src.hasRemaining()) {
            ByteBuffer b = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            if (engine.wrap(src, b).getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new IOException("the peer's engine is closed for output");
            }
            records.write(b.array(), 0, b.position());
        }
        return records.toByteArray();
    }

    /** Sends close_notify. */
    void closeOutbound() throws IOException {
        engine.closeOutbound();
        while (!engine.isOutboundDone()) {
            wrapAndSend(EMPTY);
        }
    }

    /** Starts a new handshake on the established session (TLS 1.2: renegotiation) and sends its first record. */
    void renegotiate() throws IOException {
        engine.beginHandshake();
        wrapAndSend(EMPTY);
    }

    /** One raw record from the socket, header included; null at EOF before its first byte. */
    byte[] readRecord() throws IOException {
        byte[] header = in.readNBytes(5);
        if (header.length == 0) {
            return null;
        }
        if (header.length < 5) {
            throw new EOFException("EOF inside a record header");
        }
        int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
        byte[] body = in.readNBytes(length);
        if (body.length < length) {
            throw new EOFException("EOF inside a record");
        }
        byte[] record = Arrays.copyOf(header, 5 + length);
        System.arraycopy(body, 0, record, 5, length);
        return record;
    }

    /** Reads and unwraps one record; its plaintext is kept. Returns the result, or null at EOF. */
    private SSLEngineResult unwrapOne() throws IOException {
        byte[] record = readRecord();
        if (record == null) {
            return null;
        }
        ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize() + 1024);
        SSLEngineResult r = engine.unwrap(ByteBuffer.wrap(record), dst);
        if (dst.position() > 0) {
            dataRecords++;
            dataRecordSizes.add(dst.position());
            plain.write(dst.array(), 0, dst.position());
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
            closeNotifyReceived = true;
        }
        return r;
    }

    /** Reads until {@code n} plaintext bytes have come in all, and returns them (consumed). */
    byte[] readPlain(int n) throws IOException {
        while (plain.size() < n) {
            SSLEngineResult r = unwrapOne();
            if (r == null) {
                throw new EOFException("EOF after " + plain.size() + " of " + n + " bytes");
            }
            if (closeNotifyReceived) {
                throw new EOFException("close_notify after " + plain.size() + " of " + n + " bytes");
            }
            if (r.getHandshakeStatus() != HandshakeStatus.NOT_HANDSHAKING
                    && r.getHandshakeStatus() != HandshakeStatus.FINISHED) {
                drive();
            }
        }
        byte[] all = plain.toByteArray();
        plain.reset();
        plain.write(all, n, all.length - n);
        return Arrays.copyOf(all, n);
    }

    /**
     * Reads records to the end: the plaintext that came before the close_notify; the FIN must
     * follow the close_notify with nothing in between.
     */
    byte[] readToCloseNotify() throws IOException {
        while (!closeNotifyReceived) {
            SSLEngineResult r = unwrapOne();
            if (r == null) {
                throw new EOFException("FIN without close_notify, after " + plain.size() + " bytes");
            }
        }
        byte[] all = plain.toByteArray();
        plain.reset();
        return all;
    }

    /** Whether the socket is at EOF now (blocks until the server sends something or closes). */
    boolean atEof() throws IOException {
        return in.read() == -1;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
