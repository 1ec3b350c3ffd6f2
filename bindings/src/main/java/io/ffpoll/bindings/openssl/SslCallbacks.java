package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Upcall stubs for the context callbacks, made from a Java method handle of the C signature.
 * A stub lives for the process ({@link Arena#global()}): make each once and keep it in a
 * {@code static final} field. The pointer arguments OpenSSL hands in come sized (a target
 * layout), so the Java side reads and writes them without any restricted call. A target must
 * never throw: an exception escaping an upcall ends the JVM.
 */
public final class SslCallbacks {
    // The longest ALPN list a ClientHello can carry: the extension's 16-bit length.
    private static final long ALPN_LIST_MAX = 0xFFFF;

    /** {@code int (*)(SSL *ssl, int *alert, void *arg)}: (MemorySegment, MemorySegment, MemorySegment)int. */
    public static final FunctionDescriptor SERVERNAME = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_INT), ValueLayout.ADDRESS);

    /**
     * {@code int (*)(SSL *ssl, const unsigned char **out, unsigned char *outlen,
     * const unsigned char *in, unsigned int inlen, void *arg)}: {@code out} is sized for one
     * pointer, {@code outlen} for one byte, {@code in} for the largest list (read only
     * {@code inlen} bytes of it).
     */
    public static final FunctionDescriptor ALPN_SELECT = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS,
            ValueLayout.ADDRESS.withTargetLayout(ValueLayout.ADDRESS),
            ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_BYTE),
            ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(ALPN_LIST_MAX, ValueLayout.JAVA_BYTE)),
            ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS);

    /** {@code int (*)(SSL *ssl, SSL_SESSION *session)}: return 1 to keep the reference, 0 to let OpenSSL drop it. */
    public static final FunctionDescriptor NEW_SESSION = FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS);

    // An NSS key log line: a label (at most 31 characters), 64 hex digits of client random, at
    // most 64 bytes of secret in hex (128 digits), two spaces and a NUL: at most 226 bytes.
    private static final long KEYLOG_LINE_MAX = 256;

    /**
     * {@code void (*)(const SSL *ssl, const char *line)}: {@code line} is sized for the longest
     * key log line; read it up to its NUL.
     */
    public static final FunctionDescriptor KEYLOG = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
            ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(KEYLOG_LINE_MAX, ValueLayout.JAVA_BYTE)));

    private SslCallbacks() {}

    /**
     * A stub for {@link SslCtx#SSL_CTX_set_tlsext_servername_callback}.
     *
     * @param target of type {@link #SERVERNAME}; returns {@link SslCtx#SSL_TLSEXT_ERR_OK}, or
     *     an error code
     * @return the function pointer
     */
    public static MemorySegment servername(MethodHandle target) {
        return Linker.nativeLinker().upcallStub(target, SERVERNAME, Arena.global());
    }

    /**
     * A stub for {@link SslCtx#SSL_CTX_set_alpn_select_cb}. The target points {@code *out} at
     * the chosen name inside {@code in} and sets {@code *outlen}.
     *
     * @param target of type {@link #ALPN_SELECT}; returns {@link SslCtx#SSL_TLSEXT_ERR_OK},
     *     {@link SslCtx#SSL_TLSEXT_ERR_ALERT_FATAL} or {@link SslCtx#SSL_TLSEXT_ERR_NOACK}
     * @return the function pointer
     */
    public static MemorySegment alpnSelect(MethodHandle target) {
        return Linker.nativeLinker().upcallStub(target, ALPN_SELECT, Arena.global());
    }

    /**
     * A stub for {@link SslCtx#SSL_CTX_sess_set_new_cb}.
     *
     * @param target of type {@link #NEW_SESSION}
     * @return the function pointer
     */
    public static MemorySegment newSession(MethodHandle target) {
        return Linker.nativeLinker().upcallStub(target, NEW_SESSION, Arena.global());
    }

    /**
     * A stub for {@link SslCtx#SSL_CTX_set_keylog_callback}.
     *
     * @param target of type {@link #KEYLOG}
     * @return the function pointer
     */
    public static MemorySegment keylog(MethodHandle target) {
        return Linker.nativeLinker().upcallStub(target, KEYLOG, Arena.global());
    }
}
