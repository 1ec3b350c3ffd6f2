package io.ffpoll.http.files;

import io.ffpoll.multiplexer.net.OpenFile;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Static files' gzip bytes, kept so that a file asked for again costs a lookup, not a read and
 * a compression on the loop. Keyed by what names one version of one file (device, inode,
 * modification time to the nanosecond, size) and the level; a changed file is another key.
 * Bounded: past {@link #MOST} bytes it is emptied and fills again with what is asked for next;
 * a file whose gzip is over a quarter of that is compressed at each request instead.
 * Shared by a server's loops.
 */
final class GzipCache {
    static final long MOST = 32L << 20;

    private record Key(long device, long inode, long seconds, int nanos, long size, int level) {}

    private final ConcurrentHashMap<Key, byte[]> entries = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();

    private static Key key(OpenFile f, int level) {
        java.time.Instant m = f.lastModified();
        return new Key(f.device(), f.inode(), m.getEpochSecond(), m.getNano(), f.size(), level);
    }

    /** The gzip bytes of this version of the file at this level, or null. */
    byte[] get(OpenFile f, int level) {
        return entries.get(key(f, level));
    }

    /** Keeps {@code gzip}, unless it is over a quarter of the bound: one large file would empty it for the rest. */
    synchronized void put(OpenFile f, int level, byte[] gzip) {
        if (gzip.length > MOST / 4) {
            return;
        }
        if (bytes.get() + gzip.length > MOST) {
            entries.clear();
            bytes.set(0);
        }
        if (entries.put(key(f, level), gzip) == null) {
            bytes.addAndGet(gzip.length);
        }
    }
}
