package io.ffpoll.multiplexer.tls;

/**
 * Makes the {@link TlsSession}s of one {@code TlsConfig} on one engine. Thread-safe: loops of a
 * group share it.
 */
public interface TlsSessionFactory {
    /**
     * A new session.
     *
     * @param sink where its records go
     * @param scratch a per-loop native buffer of at least {@link #SCRATCH_BYTES} the session may
     *     use during a call (never across calls)
     * @param serverName for a client, the name to send as SNI and to verify the certificate
     *     against (null: neither); ignored by a server
     * @param peerPort the peer's port, a hint for session caching (-1 if none)
     * @return the session; {@link TlsSession#begin()} not called yet
     * @throws java.io.IOException if the engine cannot make one (native memory, a failed
     *     library call)
     */
    TlsSession newSession(CipherSink sink, java.lang.foreign.MemorySegment scratch, String serverName, int peerPort)
            throws java.io.IOException;

    /** Bytes of the scratch a session may need: one record of the largest size, with room to spare. */
    long SCRATCH_BYTES = 64 * 1024;

    /** {@return the engine's name: "jdk" or "openssl"} */
    String engine();

    /** Frees what the factory holds natively (a context); sessions made before stay usable. */
    default void close() {}
}
