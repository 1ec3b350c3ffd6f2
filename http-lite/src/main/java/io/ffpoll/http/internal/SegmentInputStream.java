package io.ffpoll.http.internal;

import io.ffpoll.http.Request;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** An InputStream over a segment's bytes, copying only what is read ({@link Request#bodyStream}). */
public final class SegmentInputStream extends InputStream {
    private final MemorySegment bytes;
    private long pos;

    public SegmentInputStream(MemorySegment bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read() {
        return pos < bytes.byteSize() ? bytes.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        long n = Math.min(len, bytes.byteSize() - pos);
        if (n <= 0) {
            return -1;
        }
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, pos, b, off, (int) n);
        pos += n;
        return (int) n;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, bytes.byteSize() - pos);
    }
}
