package io.ffpoll.bindings.openssl;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * ssl(7): one connection's {@code SSL}, its BIOs, the handshake, records in and out, close,
 * and the session it offers or keeps ({@link SslInfo} reads what the handshake settled). {@code SSL_do_handshake}, {@code SSL_read_ex}, {@code SSL_write_ex}
 * and {@code SSL_shutdown} may run the context's callbacks (upcalls) and do public-key
 * cryptography, so they are not linked critical; over memory BIOs none of them blocks.
 *
 * <p>After a call that can fail with "want read", read {@link #SSL_get_error} at once, with
 * the error queue emptied before the call ({@link Crypto#ERR_clear_error()}). Buffers are
 * native segments; lengths are checked against them first.
 */
public final class Ssl {
    public static final int SSL_ERROR_NONE = 0;
    public static final int SSL_ERROR_SSL = 1;
    public static final int SSL_ERROR_WANT_READ = 2;
    public static final int SSL_ERROR_WANT_WRITE = 3;
    public static final int SSL_ERROR_SYSCALL = 5;
    public static final int SSL_ERROR_ZERO_RETURN = 6;

    public static final int SSL_SENT_SHUTDOWN = 1;
    public static final int SSL_RECEIVED_SHUTDOWN = 2;

    public static final int SSL_CTRL_SET_TLSEXT_HOSTNAME = 55;
    public static final int TLSEXT_NAMETYPE_host_name = 0;
    public static final int X509_V_OK = 0;
    /** {@code SSL_key_update}: the peer need not update its own keys. */
    public static final int SSL_KEY_UPDATE_NOT_REQUESTED = 0;
    /** {@code SSL_key_update}: the peer must update its own keys too. */
    public static final int SSL_KEY_UPDATE_REQUESTED = 1;

    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle SSL_NEW = OpenSsl.ssl("SSL_new", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_FREE = OpenSsl.ssl("SSL_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle SSL_SET_BIO = OpenSsl.ssl("SSL_set_bio", FunctionDescriptor.ofVoid(PTR, PTR, PTR), false);
    private static final MethodHandle SSL_SET0_RBIO = OpenSsl.ssl("SSL_set0_rbio", FunctionDescriptor.ofVoid(PTR, PTR), false);
    private static final MethodHandle SSL_SET0_WBIO = OpenSsl.ssl("SSL_set0_wbio", FunctionDescriptor.ofVoid(PTR, PTR), false);
    private static final MethodHandle SSL_SET_CONNECT_STATE =
            OpenSsl.ssl("SSL_set_connect_state", FunctionDescriptor.ofVoid(PTR), true);
    private static final MethodHandle SSL_SET_ACCEPT_STATE =
            OpenSsl.ssl("SSL_set_accept_state", FunctionDescriptor.ofVoid(PTR), true);
    private static final MethodHandle SSL_DO_HANDSHAKE =
            OpenSsl.ssl("SSL_do_handshake", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle SSL_READ_EX =
            OpenSsl.ssl("SSL_read_ex", FunctionDescriptor.of(INT, PTR, PTR, LONG, PTR), false);
    private static final MethodHandle SSL_WRITE_EX =
            OpenSsl.ssl("SSL_write_ex", FunctionDescriptor.of(INT, PTR, PTR, LONG, PTR), false);
    private static final MethodHandle SSL_GET_ERROR =
            OpenSsl.ssl("SSL_get_error", FunctionDescriptor.of(INT, PTR, INT), true);
    private static final MethodHandle SSL_SHUTDOWN = OpenSsl.ssl("SSL_shutdown", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle SSL_GET_SHUTDOWN =
            OpenSsl.ssl("SSL_get_shutdown", FunctionDescriptor.of(INT, PTR), true);
    private static final MethodHandle SSL_SET_SHUTDOWN =
            OpenSsl.ssl("SSL_set_shutdown", FunctionDescriptor.ofVoid(PTR, INT), true);
    // Shared with SslInfo, whose SSL_get_negotiated_group is a macro over it too.
    static final MethodHandle SSL_CTRL =
            OpenSsl.ssl("SSL_ctrl", FunctionDescriptor.of(LONG, PTR, INT, LONG, PTR), false);
    private static final MethodHandle SSL_SET1_HOST = OpenSsl.ssl("SSL_set1_host", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_SET_ALPN_PROTOS =
            OpenSsl.ssl("SSL_set_alpn_protos", FunctionDescriptor.of(INT, PTR, PTR, INT), false);
    private static final MethodHandle SSL_SET_SSL_CTX =
            OpenSsl.ssl("SSL_set_SSL_CTX", FunctionDescriptor.of(PTR, PTR, PTR), false);
    private static final MethodHandle SSL_SET_SESSION = OpenSsl.ssl("SSL_set_session", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_SESSION_FREE =
            OpenSsl.ssl("SSL_SESSION_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle SSL_SET_TLSEXT_MAX_FRAGMENT_LENGTH = OpenSsl.ssl("SSL_set_tlsext_max_fragment_length",
            FunctionDescriptor.of(INT, PTR, ValueLayout.JAVA_BYTE), false);
    private static final MethodHandle SSL_KEY_UPDATE = OpenSsl.ssl("SSL_key_update", FunctionDescriptor.of(INT, PTR, INT), false);
    private static final MethodHandle SSL_SESSION_IS_RESUMABLE =
            OpenSsl.ssl("SSL_SESSION_is_resumable", FunctionDescriptor.of(INT, PTR), false);

    private Ssl() {}

    /** {@return a new connection of context {@code ctx} (which it holds a reference to), or NULL} */
    public static MemorySegment SSL_new(MemorySegment ctx) {
        try {
            return (MemorySegment) SSL_NEW.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Frees a connection, its BIOs and its reference to its context and session; NULL is ignored. */
    public static void SSL_free(MemorySegment ssl) {
        try {
            SSL_FREE.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Gives {@code ssl} its read and write BIOs; it owns them from then on. */
    public static void SSL_set_bio(MemorySegment ssl, MemorySegment rbio, MemorySegment wbio) {
        try {
            SSL_SET_BIO.invokeExact(ssl, rbio, wbio);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Replaces the read BIO, freeing the old one; {@code ssl} owns {@code rbio} from then on. */
    public static void SSL_set0_rbio(MemorySegment ssl, MemorySegment rbio) {
        try {
            SSL_SET0_RBIO.invokeExact(ssl, rbio);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Replaces the write BIO, freeing the old one; {@code ssl} owns {@code wbio} from then on. */
    public static void SSL_set0_wbio(MemorySegment ssl, MemorySegment wbio) {
        try {
            SSL_SET0_WBIO.invokeExact(ssl, wbio);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Makes {@code ssl} a client. */
    public static void SSL_set_connect_state(MemorySegment ssl) {
        try {
            SSL_SET_CONNECT_STATE.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Makes {@code ssl} a server. */
    public static void SSL_set_accept_state(MemorySegment ssl) {
        try {
            SSL_SET_ACCEPT_STATE.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 1 when the handshake is done, else &lt;= 0: see {@link #SSL_get_error}} */
    public static int SSL_do_handshake(MemorySegment ssl) {
        try {
            return (int) SSL_DO_HANDSHAKE.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Decrypts up to {@code length} plaintext bytes into {@code buf} at {@code offset}, from at
     * most one record (and any handshake or alert records before it).
     *
     * @param ssl the connection
     * @param buf where plaintext goes
     * @param offset where in {@code buf}
     * @param length at most this many
     * @return the bytes read (&gt; 0), or 0 on failure: then {@code SSL_get_error(ssl, 0)}
     */
    public static long SSL_read_ex(MemorySegment ssl, MemorySegment buf, long offset, long length) {
        Bounds.range("SSL_read_ex", offset, length, "buf", buf);
        MemorySegment n = Errno.current().scratch; // size_t *readbytes
        try {
            int r = (int) SSL_READ_EX.invokeExact(ssl, buf.asSlice(offset), length, n);
            return r == 1 ? n.get(ValueLayout.JAVA_LONG, 0) : 0;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Encrypts {@code buf[offset, offset + length)} into records of up to 16 KiB in the write
     * BIO; without {@code SSL_MODE_ENABLE_PARTIAL_WRITE} it takes all of it or fails.
     *
     * @param ssl the connection
     * @param buf the plaintext
     * @param offset where it starts
     * @param length how many bytes, &gt; 0
     * @return the bytes written (&gt; 0), or 0 on failure: then {@code SSL_get_error(ssl, 0)}
     */
    public static long SSL_write_ex(MemorySegment ssl, MemorySegment buf, long offset, long length) {
        Bounds.range("SSL_write_ex", offset, length, "buf", buf);
        if (length == 0) {
            throw new IllegalArgumentException("SSL_write_ex: length 0 (OpenSSL fails an empty write)");
        }
        MemorySegment n = Errno.current().scratch; // size_t *written
        try {
            int r = (int) SSL_WRITE_EX.invokeExact(ssl, buf.asSlice(offset), length, n);
            return r == 1 ? n.get(ValueLayout.JAVA_LONG, 0) : 0;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return why the last call on {@code ssl} returned {@code ret}: an {@code SSL_ERROR_*} value} */
    public static int SSL_get_error(MemorySegment ssl, int ret) {
        try {
            return (int) SSL_GET_ERROR.invokeExact(ssl, ret);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 0 once close_notify is sent, 1 once it is also received, &lt; 0 on failure} */
    public static int SSL_shutdown(MemorySegment ssl) {
        try {
            return (int) SSL_SHUTDOWN.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return {@link #SSL_SENT_SHUTDOWN} and {@link #SSL_RECEIVED_SHUTDOWN} bits} */
    public static int SSL_get_shutdown(MemorySegment ssl) {
        try {
            return (int) SSL_GET_SHUTDOWN.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Sets the shutdown bits without sending anything: with both set, {@code SSL_free} takes
     * the connection for one that closed cleanly and leaves its session resumable (OpenSSL
     * marks the session of a connection freed without close_notify not resumable).
     *
     * @param ssl the connection
     * @param mode {@link #SSL_SENT_SHUTDOWN} and {@link #SSL_RECEIVED_SHUTDOWN} bits
     */
    public static void SSL_set_shutdown(MemorySegment ssl, int mode) {
        try {
            SSL_SET_SHUTDOWN.invokeExact(ssl, mode);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The macro over {@code SSL_ctrl(SSL_CTRL_MODE)}.
     *
     * @return the modes now set
     */
    public static long SSL_set_mode(MemorySegment ssl, long mode) {
        try {
            return (long) SSL_CTRL.invokeExact(ssl, SslCtx.SSL_CTRL_MODE, mode, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The SNI name a client sends (the macro over {@code SSL_ctrl}).
     *
     * @return 1, or 0 on failure
     */
    public static long SSL_set_tlsext_host_name(MemorySegment ssl, String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (long) SSL_CTRL.invokeExact(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, (long) TLSEXT_NAMETYPE_host_name,
                    arena.allocateFrom(name));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The DNS name, or IP address, the peer's certificate must match.
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_set1_host(MemorySegment ssl, String host) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SSL_SET1_HOST.invokeExact(ssl, arena.allocateFrom(host));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A client's ALPN offer, in wire format (each name preceded by its length byte). Note the
     * inverted result: 0 is success.
     *
     * @param ssl the connection
     * @param wire the list
     * @return 0, or 1 on failure
     */
    public static int SSL_set_alpn_protos(MemorySegment ssl, byte[] wire) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(Math.max(1, wire.length));
            MemorySegment.copy(wire, 0, list, ValueLayout.JAVA_BYTE, 0, wire.length);
            return (int) SSL_SET_ALPN_PROTOS.invokeExact(ssl, list, wire.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Switches a server's certificate, from its servername callback.
     *
     * @return the context now in use
     */
    public static MemorySegment SSL_set_SSL_CTX(MemorySegment ssl, MemorySegment ctx) {
        try {
            return (MemorySegment) SSL_SET_SSL_CTX.invokeExact(ssl, ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A client offers {@code session} for resumption (a new reference is taken).
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_set_session(MemorySegment ssl, MemorySegment session) {
        try {
            return (int) SSL_SET_SESSION.invokeExact(ssl, session);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Drops one reference to a session; NULL is ignored. */
    public static void SSL_SESSION_free(MemorySegment session) {
        try {
            SSL_SESSION_FREE.invokeExact(session);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 1 if a client can offer {@code session} to resume} */
    public static int SSL_SESSION_is_resumable(MemorySegment session) {
        try {
            return (int) SSL_SESSION_IS_RESUMABLE.invokeExact(session);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Schedules a TLS 1.3 KeyUpdate, sent with the next write (or {@code SSL_do_handshake}).
     *
     * @param ssl the connection, its handshake done
     * @param type {@link #SSL_KEY_UPDATE_NOT_REQUESTED} or {@link #SSL_KEY_UPDATE_REQUESTED}
     * @return 1, or 0 on failure
     */
    public static int SSL_key_update(MemorySegment ssl, int type) {
        try {
            return (int) SSL_KEY_UPDATE.invokeExact(ssl, type);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A client asks for RFC 6066's max_fragment_length: records of at most 512 &lt;&lt;
     * ({@code mode} - 1) bytes of plaintext both ways.
     *
     * @param ssl the connection, before its handshake
     * @param mode 1 to 4 ({@code TLSEXT_max_fragment_length_512} to {@code _4096}), 0 for none
     * @return 1, or 0 for a bad mode
     */
    public static int SSL_set_tlsext_max_fragment_length(MemorySegment ssl, int mode) {
        try {
            return (int) SSL_SET_TLSEXT_MAX_FRAGMENT_LENGTH.invokeExact(ssl, (byte) mode);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
