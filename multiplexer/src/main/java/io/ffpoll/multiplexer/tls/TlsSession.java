package io.ffpoll.multiplexer.tls;

import io.ffpoll.multiplexer.net.TlsInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One connection's TLS state machine over memory, behind {@code Connection}: ciphertext read
 * from the socket goes in through {@link #read}, plaintext for the handler comes out; plaintext
 * the handler wrote goes in through {@link #write}, and records for the socket come out into the
 * {@link CipherSink} the connection gave at creation. The engine never touches the socket, so
 * the connection keeps its own reads, its one gathering send per iteration and its syscall
 * counts. Loop thread only; not thread-safe.
 *
 * <p>Input: an engine takes whole records only. It leaves an incomplete record unconsumed, and
 * the records it did not get to when {@code out} filled; it holds no ciphertext and no plaintext
 * between calls. What {@link #read} did not consume, the connection keeps in a pooled buffer and
 * offers again with what follows, so it alone knows whether a FIN came inside a record, and a
 * paused reader's records wait in its buffer. An engine holds no buffer of packet size while it
 * is idle (between records).
 */
public interface TlsSession {
    /** {@link #read}: nothing more can be done until more ciphertext arrives. */
    int NEED_INPUT = 0;
    /** {@link #read}: {@code out} is full and more plaintext may be ready: call again. */
    int OUT_FULL = 1;
    /** {@link #read}: the peer's close_notify arrived; every byte before it has been returned. */
    int CLOSED = 2;

    /**
     * Consumes records from {@code in} and writes the plaintext they carry into {@code out}.
     * Handshake records are answered into the sink. After the call {@link #consumed()} tells
     * how many bytes of {@code in} were taken (an engine that does not buffer partial records
     * leaves an incomplete one at the end) and {@link #produced()} how many plaintext bytes
     * were written.
     *
     * @param in ciphertext, may be empty
     * @param out where plaintext goes; at least 32 KiB (the JDK's engine wants its application
     *     buffer size, about 16.7 KiB, free before each record; OpenSSL, 16 KiB)
     * @return {@link #NEED_INPUT}, {@link #OUT_FULL} or {@link #CLOSED}
     * @throws IOException ({@link javax.net.ssl.SSLException} or a subclass) for a protocol
     *     error, a failed handshake or a refused renegotiation: the alert for the peer, if any,
     *     is in the sink, the session is done, and {@link #produced()} still tells the plaintext
     *     of the records before the refused one. A failure before the handshake completes, and
     *     a refused renegotiation, is an {@link javax.net.ssl.SSLHandshakeException}
     */
    int read(MemorySegment in, MemorySegment out) throws IOException;

    /**
     * Encrypts plaintext into records in the sink. Before the handshake is done it takes
     * nothing and returns 0.
     *
     * @param in plaintext
     * @return the plaintext bytes taken (all of {@code in} once the handshake is done)
     * @throws IOException ({@link javax.net.ssl.SSLException}) if the session failed
     */
    long write(MemorySegment in) throws IOException;

    /** {@return the ciphertext bytes {@link #read} took in its last call} */
    long consumed();

    /** {@return the plaintext bytes {@link #read} wrote in its last call} */
    long produced();

    /**
     * Starts the handshake: a client puts its ClientHello into the sink; a server does nothing
     * until the first {@link #read}.
     *
     * @throws IOException if the engine cannot start
     */
    void begin() throws IOException;

    /** {@return true once the handshake has completed} */
    boolean isHandshakeDone();

    /**
     * Puts close_notify into the sink (once; later calls do nothing). Further writes are
     * refused.
     *
     * @throws IOException if the session failed
     */
    void closeOutbound() throws IOException;

    /**
     * {@return true once the session writes nothing more: after {@link #closeOutbound}, or
     * when it answered the peer's close_notify with its own and closed (TLS 1.2, RFC 5246
     * 7.2.1, as the JDK's engine does)}
     */
    boolean isOutboundDone();

    /** {@return what was negotiated; valid once the handshake is done} */
    TlsInfo info();

    /** Frees native state; idempotent. The session is unusable afterwards. */
    void free();
}
