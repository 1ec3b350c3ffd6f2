package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Ssl;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A client's last resumable {@code SSL_SESSION} per server (name and port), for the next
 * connection to offer. Bounded: past {@link #CAPACITY} servers the least recently used is
 * dropped. Each entry holds one reference, dropped when it is replaced, evicted or the cache
 * closes. Thread-safe: the loops of a group share their factory's cache.
 */
final class ResumptionCache {
    /** Servers remembered; an {@code SSL_SESSION} with the server's chain is a few KiB. */
    static final int CAPACITY = 256;

    private final LinkedHashMap<String, MemorySegment> sessions = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    /**
     * Takes {@code session} (and the reference that comes with it) as the one to offer to
     * {@code key}.
     *
     * @param key the server
     * @param session an {@code SSL_SESSION *} the caller holds a reference to
     */
    synchronized void put(String key, MemorySegment session) {
        OpenSslTlsFactory.LIVE_CACHED.incrementAndGet();
        if (closed) {
            drop(session);
            return;
        }
        MemorySegment old = sessions.put(key, session);
        if (old != null) {
            drop(old);
        }
        if (sessions.size() > CAPACITY) {
            Iterator<MemorySegment> eldest = sessions.values().iterator();
            drop(eldest.next());
            eldest.remove();
        }
    }

    /**
     * Offers the session remembered for {@code key} to a new client connection, under the lock
     * so that it cannot be freed meanwhile ({@code SSL_set_session} takes its own reference).
     *
     * @param key the server
     * @param ssl the connection, not started
     * @return whether one was offered
     */
    synchronized boolean offer(String key, MemorySegment ssl) {
        MemorySegment s = closed ? null : sessions.get(key);
        return s != null && Ssl.SSL_set_session(ssl, s) == 1;
    }

    /** Drops every session; later puts drop theirs at once. */
    synchronized void close() {
        closed = true;
        for (Map.Entry<String, MemorySegment> e : sessions.entrySet()) {
            drop(e.getValue());
        }
        sessions.clear();
    }

    private static void drop(MemorySegment session) {
        Ssl.SSL_SESSION_free(session);
        OpenSslTlsFactory.LIVE_CACHED.decrementAndGet();
    }
}
