package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * SSL_CTX_new(3) and the calls that configure a context: versions, options, modes, the
 * certificate and key, verification, ALPN and session callbacks. Several of OpenSSL's
 * configuration "functions" are macros over {@code SSL_CTX_ctrl} or
 * {@code SSL_CTX_callback_ctrl}; they keep their macro names here
 * ({@link #SSL_CTX_set_min_proto_version}, {@link #SSL_CTX_set_mode}, ...), with the control
 * codes the headers give them (checked by OpenSslConstantsTest). Each returns what the man page
 * says; on failure the reason is on the error queue ({@link Crypto#drainErrors()}).
 *
 * <p>A context is reference counted: {@code SSL_new} takes a reference, so
 * {@link #SSL_CTX_free} while connections still use it only drops the caller's.
 */
public final class SslCtx {
    public static final int TLS1_2_VERSION = 0x0303;
    public static final int TLS1_3_VERSION = 0x0304;

    public static final long SSL_OP_NO_TICKET = 1L << 14;
    public static final long SSL_OP_NO_COMPRESSION = 1L << 17;
    public static final long SSL_OP_CIPHER_SERVER_PREFERENCE = 1L << 22;
    public static final long SSL_OP_NO_RENEGOTIATION = 1L << 30;

    public static final long SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1;
    public static final long SSL_MODE_AUTO_RETRY = 0x4;
    public static final long SSL_MODE_NO_AUTO_CHAIN = 0x8;
    public static final long SSL_MODE_RELEASE_BUFFERS = 0x10;

    public static final int SSL_VERIFY_NONE = 0x0;
    public static final int SSL_VERIFY_PEER = 0x1;
    public static final int SSL_VERIFY_FAIL_IF_NO_PEER_CERT = 0x2;

    public static final long SSL_SESS_CACHE_CLIENT = 0x1;
    public static final long SSL_SESS_CACHE_SERVER = 0x2;
    public static final long SSL_SESS_CACHE_NO_INTERNAL = 0x300;

    /** A servername or ALPN callback's answer: go on. */
    public static final int SSL_TLSEXT_ERR_OK = 0;
    /** A callback's answer: fail the handshake with the alert it set (ALPN: no_application_protocol). */
    public static final int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    /** A callback's answer: go on as if the extension had not been sent. */
    public static final int SSL_TLSEXT_ERR_NOACK = 3;

    public static final int SSL_CTRL_EXTRA_CHAIN_CERT = 14;
    public static final int SSL_CTRL_MODE = 33;
    public static final int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public static final int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    public static final int SSL_CTRL_CHAIN_CERT = 89;
    public static final int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public static final int SSL_CTRL_SET_MAX_PROTO_VERSION = 124;

    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle TLS_METHOD = OpenSsl.ssl("TLS_method", FunctionDescriptor.of(PTR), false);
    private static final MethodHandle SSL_CTX_NEW = OpenSsl.ssl("SSL_CTX_new", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_CTX_FREE = OpenSsl.ssl("SSL_CTX_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle SSL_CTX_CTRL =
            OpenSsl.ssl("SSL_CTX_ctrl", FunctionDescriptor.of(LONG, PTR, INT, LONG, PTR), false);
    private static final MethodHandle SSL_CTX_CALLBACK_CTRL =
            OpenSsl.ssl("SSL_CTX_callback_ctrl", FunctionDescriptor.of(LONG, PTR, INT, PTR), false);
    private static final MethodHandle SSL_CTX_SET_OPTIONS =
            OpenSsl.ssl("SSL_CTX_set_options", FunctionDescriptor.of(LONG, PTR, LONG), false);
    private static final MethodHandle SSL_CTX_USE_CERTIFICATE =
            OpenSsl.ssl("SSL_CTX_use_certificate", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_CTX_USE_PRIVATEKEY =
            OpenSsl.ssl("SSL_CTX_use_PrivateKey", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_CTX_CHECK_PRIVATE_KEY =
            OpenSsl.ssl("SSL_CTX_check_private_key", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle SSL_CTX_SET_VERIFY =
            OpenSsl.ssl("SSL_CTX_set_verify", FunctionDescriptor.ofVoid(PTR, INT, PTR), false);
    private static final MethodHandle SSL_CTX_GET_CERT_STORE =
            OpenSsl.ssl("SSL_CTX_get_cert_store", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_DEFAULT_VERIFY_PATHS =
            OpenSsl.ssl("SSL_CTX_set_default_verify_paths", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle SSL_CTX_ADD_CLIENT_CA =
            OpenSsl.ssl("SSL_CTX_add_client_CA", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_ALPN_SELECT_CB =
            OpenSsl.ssl("SSL_CTX_set_alpn_select_cb", FunctionDescriptor.ofVoid(PTR, PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_ALPN_PROTOS =
            OpenSsl.ssl("SSL_CTX_set_alpn_protos", FunctionDescriptor.of(INT, PTR, PTR, INT), false);
    private static final MethodHandle SSL_CTX_SESS_SET_NEW_CB =
            OpenSsl.ssl("SSL_CTX_sess_set_new_cb", FunctionDescriptor.ofVoid(PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_SESSION_ID_CONTEXT =
            OpenSsl.ssl("SSL_CTX_set_session_id_context", FunctionDescriptor.of(INT, PTR, PTR, INT), false);
    private static final MethodHandle SSL_CTX_SET_CIPHER_LIST =
            OpenSsl.ssl("SSL_CTX_set_cipher_list", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_KEYLOG_CALLBACK =
            OpenSsl.ssl("SSL_CTX_set_keylog_callback", FunctionDescriptor.ofVoid(PTR, PTR), false);
    private static final MethodHandle SSL_CTX_SET_NUM_TICKETS =
            OpenSsl.ssl("SSL_CTX_set_num_tickets", FunctionDescriptor.of(INT, PTR, LONG), false);

    private SslCtx() {}

    /** {@return the version-flexible method (TLS 1.0 to 1.3, narrowed by the min and max versions)} */
    public static MemorySegment TLS_method() {
        try {
            return (MemorySegment) TLS_METHOD.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A new context.
     *
     * @param method {@link #TLS_method()}
     * @return the context, or NULL on failure
     */
    public static MemorySegment SSL_CTX_new(MemorySegment method) {
        try {
            return (MemorySegment) SSL_CTX_NEW.invokeExact(method);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Drops the caller's reference (NULL is ignored).
     *
     * @param ctx the context
     */
    public static void SSL_CTX_free(MemorySegment ctx) {
        try {
            SSL_CTX_FREE.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    static long ctrl(MemorySegment ctx, int cmd, long larg, MemorySegment parg) {
        try {
            return (long) SSL_CTX_CTRL.invokeExact(ctx, cmd, larg, parg);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 1, or 0 for a version OpenSSL does not know} */
    public static long SSL_CTX_set_min_proto_version(MemorySegment ctx, int version) {
        return ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, MemorySegment.NULL);
    }

    /** {@return 1, or 0 for a version OpenSSL does not know} */
    public static long SSL_CTX_set_max_proto_version(MemorySegment ctx, int version) {
        return ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, MemorySegment.NULL);
    }

    /** {@return the modes now set ({@code SSL_MODE_*} bits are added, never removed)} */
    public static long SSL_CTX_set_mode(MemorySegment ctx, long mode) {
        return ctrl(ctx, SSL_CTRL_MODE, mode, MemorySegment.NULL);
    }

    /** {@return the previous mode; {@code SSL_SESS_CACHE_*} bits replace the old ones} */
    public static long SSL_CTX_set_session_cache_mode(MemorySegment ctx, long mode) {
        return ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, mode, MemorySegment.NULL);
    }

    /**
     * Appends a certificate to the chain sent after the leaf, taking a new reference.
     *
     * @return 1, or 0 on failure
     */
    public static long SSL_CTX_add1_chain_cert(MemorySegment ctx, MemorySegment x509) {
        return ctrl(ctx, SSL_CTRL_CHAIN_CERT, 1, x509);
    }

    /**
     * Adds {@code SSL_OP_*} bits to the options.
     *
     * @return the options now set
     */
    public static long SSL_CTX_set_options(MemorySegment ctx, long options) {
        try {
            return (long) SSL_CTX_SET_OPTIONS.invokeExact(ctx, options);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The callback run on a server when a ClientHello's SNI is parsed, before the certificate
     * is chosen ({@link SslCallbacks#servername}); its argument stays NULL.
     *
     * @param ctx the context
     * @param callback the upcall stub
     * @return 1
     */
    public static long SSL_CTX_set_tlsext_servername_callback(MemorySegment ctx, MemorySegment callback) {
        try {
            return (long) SSL_CTX_CALLBACK_CTRL.invokeExact(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, callback);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The leaf certificate (a new reference is taken).
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_CTX_use_certificate(MemorySegment ctx, MemorySegment x509) {
        try {
            return (int) SSL_CTX_USE_CERTIFICATE.invokeExact(ctx, x509);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The leaf's key (a new reference is taken).
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_CTX_use_PrivateKey(MemorySegment ctx, MemorySegment pkey) {
        try {
            return (int) SSL_CTX_USE_PRIVATEKEY.invokeExact(ctx, pkey);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 1 if the key matches the certificate, else 0} */
    public static int SSL_CTX_check_private_key(MemorySegment ctx) {
        try {
            return (int) SSL_CTX_CHECK_PRIVATE_KEY.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The verification mode ({@code SSL_VERIFY_*}), with OpenSSL's own verification (no
     * callback).
     *
     * @param ctx the context
     * @param mode the mode bits
     */
    public static void SSL_CTX_set_verify(MemorySegment ctx, int mode) {
        try {
            SSL_CTX_SET_VERIFY.invokeExact(ctx, mode, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the context's trust store ({@code X509_STORE *}), owned by the context} */
    public static MemorySegment SSL_CTX_get_cert_store(MemorySegment ctx) {
        try {
            return (MemorySegment) SSL_CTX_GET_CERT_STORE.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Trusts the system's CA files (OpenSSL's OPENSSLDIR, or SSL_CERT_FILE / SSL_CERT_DIR).
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_CTX_set_default_verify_paths(MemorySegment ctx) {
        try {
            return (int) SSL_CTX_SET_DEFAULT_VERIFY_PATHS.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Adds the certificate's subject to the CA names a server sends in its request.
     *
     * @return 1, or 0 on failure
     */
    public static int SSL_CTX_add_client_CA(MemorySegment ctx, MemorySegment x509) {
        try {
            return (int) SSL_CTX_ADD_CLIENT_CA.invokeExact(ctx, x509);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The server's ALPN choice ({@link SslCallbacks#alpnSelect}); its argument stays NULL.
     *
     * @param ctx the context
     * @param callback the upcall stub
     */
    public static void SSL_CTX_set_alpn_select_cb(MemorySegment ctx, MemorySegment callback) {
        try {
            SSL_CTX_SET_ALPN_SELECT_CB.invokeExact(ctx, callback, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The TLS 1.2 cipher suites, in OpenSSL's cipher-string syntax (TLS 1.3's suites are set
     * apart, by {@code SSL_CTX_set_ciphersuites}).
     *
     * @param ctx the context
     * @param list the cipher string, e.g. {@code "ECDHE+AESGCM"}
     * @return 1 if at least one suite was selected, else 0
     */
    public static int SSL_CTX_set_cipher_list(MemorySegment ctx, String list) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SSL_CTX_SET_CIPHER_LIST.invokeExact(ctx, arena.allocateFrom(list));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A client's ALPN offer, in wire format (each name preceded by its length byte), for every
     * connection of the context. Note the inverted result: 0 is success.
     *
     * @param ctx the context
     * @param wire the list
     * @return 0, or 1 on failure
     */
    public static int SSL_CTX_set_alpn_protos(MemorySegment ctx, byte[] wire) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment list = arena.allocate(Math.max(1, wire.length));
            MemorySegment.copy(wire, 0, list, ValueLayout.JAVA_BYTE, 0, wire.length);
            return (int) SSL_CTX_SET_ALPN_PROTOS.invokeExact(ctx, list, wire.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The callback given each new session a client can resume ({@link SslCallbacks#newSession});
     * it runs only with {@link #SSL_SESS_CACHE_CLIENT} in the cache mode.
     *
     * @param ctx the context
     * @param callback the upcall stub
     */
    public static void SSL_CTX_sess_set_new_cb(MemorySegment ctx, MemorySegment callback) {
        try {
            SSL_CTX_SESS_SET_NEW_CB.invokeExact(ctx, callback);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The name a server binds its sessions to: without one, OpenSSL refuses to resume a session
     * of a server that verifies client certificates.
     *
     * @param ctx the context
     * @param id at most 32 bytes
     * @return 1, or 0 if too long
     */
    public static int SSL_CTX_set_session_id_context(MemorySegment ctx, byte[] id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, id.length));
            MemorySegment.copy(id, 0, bytes, ValueLayout.JAVA_BYTE, 0, id.length);
            return (int) SSL_CTX_SET_SESSION_ID_CONTEXT.invokeExact(ctx, bytes, id.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The TLS 1.3 tickets a server sends after each handshake (2 by default).
     *
     * @return 1
     */
    public static int SSL_CTX_set_num_tickets(MemorySegment ctx, long tickets) {
        try {
            return (int) SSL_CTX_SET_NUM_TICKETS.invokeExact(ctx, tickets);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The callback given each secret of a handshake as an NSS key log line
     * ({@link SslCallbacks#keylog}); NULL turns it off.
     *
     * @param ctx the context
     * @param callback the upcall stub
     */
    public static void SSL_CTX_set_keylog_callback(MemorySegment ctx, MemorySegment callback) {
        try {
            SSL_CTX_SET_KEYLOG_CALLBACK.invokeExact(ctx, callback);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
