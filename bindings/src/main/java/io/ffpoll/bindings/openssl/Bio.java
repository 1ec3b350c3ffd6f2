package io.ffpoll.bindings.openssl;

import io.ffpoll.bindings.internal.Bounds;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * BIO_s_mem(3): memory BIOs, the queues between an {@code SSL} and the code that owns the
 * socket. {@code BIO_read} and {@code BIO_write} on a memory BIO only copy, so they are linked
 * critical; lengths are checked against their segments first ({@link Bounds}). An empty memory
 * BIO answers a read with -1 and the retry flag, which libssl takes as "want read".
 *
 * <p>Buffers are native segments (the calls are linked critical without heap access).
 *
 * <p>A memory BIO's buffer grows to the most it ever held and never shrinks (64 KiB written
 * and read back leave about 85 KiB allocated); an owner that wants an idle connection small
 * replaces the BIO ({@link Ssl#SSL_set0_rbio}) once it is drained.
 */
public final class Bio {
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;

    private static final MethodHandle BIO_S_MEM = OpenSsl.crypto("BIO_s_mem", FunctionDescriptor.of(PTR), true);
    private static final MethodHandle BIO_NEW = OpenSsl.crypto("BIO_new", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle BIO_FREE = OpenSsl.crypto("BIO_free", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle BIO_READ =
            OpenSsl.crypto("BIO_read", FunctionDescriptor.of(INT, PTR, PTR, INT), true);
    private static final MethodHandle BIO_WRITE =
            OpenSsl.crypto("BIO_write", FunctionDescriptor.of(INT, PTR, PTR, INT), true);
    private static final MethodHandle BIO_CTRL_PENDING =
            OpenSsl.crypto("BIO_ctrl_pending", FunctionDescriptor.of(ValueLayout.JAVA_LONG, PTR), true);

    private Bio() {}

    /** {@return the memory BIO's method, for {@link #BIO_new}} */
    public static MemorySegment BIO_s_mem() {
        try {
            return (MemorySegment) BIO_S_MEM.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A new BIO of {@code method}; {@code BIO_new(BIO_s_mem())} is an empty memory BIO.
     *
     * @param method the method
     * @return the BIO, or NULL when out of memory
     */
    public static MemorySegment BIO_new(MemorySegment method) {
        try {
            return (MemorySegment) BIO_NEW.invokeExact(method);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Frees a BIO that no {@code SSL} owns (one given to {@code SSL_set_bio} is freed by
     * {@code SSL_free}).
     *
     * @param bio the BIO
     * @return 1, or 0 on failure
     */
    public static int BIO_free(MemorySegment bio) {
        try {
            return (int) BIO_FREE.invokeExact(bio);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Takes up to {@code length} bytes out of {@code bio} into {@code buf} at {@code offset}.
     *
     * @param bio the BIO
     * @param buf where they go
     * @param offset where in {@code buf}
     * @param length at most this many (at most {@code Integer.MAX_VALUE})
     * @return the bytes read, or -1 (retry) / 0 when the BIO is empty
     */
    public static int BIO_read(MemorySegment bio, MemorySegment buf, long offset, int length) {
        Bounds.range("BIO_read", offset, length, "buf", buf);
        try {
            return (int) BIO_READ.invokeExact(bio, buf.asSlice(offset), length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Appends {@code buf[offset, offset + length)} to {@code bio}; a memory BIO takes all of it
     * (or fails for lack of memory).
     *
     * @param bio the BIO
     * @param buf the bytes
     * @param offset where they start
     * @param length how many (at most {@code Integer.MAX_VALUE})
     * @return the bytes written, or &lt;= 0 on failure
     */
    public static int BIO_write(MemorySegment bio, MemorySegment buf, long offset, int length) {
        Bounds.range("BIO_write", offset, length, "buf", buf);
        try {
            return (int) BIO_WRITE.invokeExact(bio, buf.asSlice(offset), length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The bytes waiting in {@code bio}.
     *
     * @param bio the BIO
     * @return how many
     */
    public static long BIO_ctrl_pending(MemorySegment bio) {
        try {
            return (long) BIO_CTRL_PENDING.invokeExact(bio);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
