package io.ffpoll.multiplexer.tls;

import java.lang.foreign.MemorySegment;

/** Where a {@link TlsSession} puts the records it makes: the connection's ciphertext queue. */
public interface CipherSink {
    /**
     * Appends {@code src[offset, offset + length)}; the bytes are copied before this returns.
     *
     * @param src the records
     * @param offset where they start
     * @param length how many bytes
     */
    void append(MemorySegment src, long offset, long length);
}
