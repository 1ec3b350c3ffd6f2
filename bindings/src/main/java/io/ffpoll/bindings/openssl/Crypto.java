package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * libcrypto: the per-thread error queue (ERR_get_error(3)), DER certificates and keys
 * (d2i_X509(3), i2d_X509, d2i_AutoPrivateKey), a certificate store's
 * {@code X509_STORE_add_cert}, and the generic stack accessors that {@code STACK_OF(X509)}
 * macros expand to.
 *
 * <p>The error queue is OpenSSL's errno: a failing call pushes one or more codes onto the
 * calling thread's queue, and they stay there until read. A caller that reads
 * {@code SSL_get_error} must empty the queue before the call ({@link #ERR_clear_error}), or an
 * old entry makes a harmless "want read" look like a fatal error.
 */
public final class Crypto {
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;
    // The longest line ERR_error_string_n writes is well under this; it truncates, never overflows.
    private static final int ERROR_STRING_BYTES = 256;

    private static final MethodHandle ERR_GET_ERROR = OpenSsl.crypto("ERR_get_error", FunctionDescriptor.of(LONG), true);
    private static final MethodHandle ERR_CLEAR_ERROR =
            OpenSsl.crypto("ERR_clear_error", FunctionDescriptor.ofVoid(), true);
    private static final MethodHandle ERR_ERROR_STRING_N =
            OpenSsl.crypto("ERR_error_string_n", FunctionDescriptor.ofVoid(LONG, PTR, LONG), false);
    private static final MethodHandle D2I_X509 =
            OpenSsl.crypto("d2i_X509", FunctionDescriptor.of(PTR, PTR, PTR, LONG), false);
    private static final MethodHandle I2D_X509 = OpenSsl.crypto("i2d_X509", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle X509_FREE = OpenSsl.crypto("X509_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle D2I_AUTOPRIVATEKEY =
            OpenSsl.crypto("d2i_AutoPrivateKey", FunctionDescriptor.of(PTR, PTR, PTR, LONG), false);
    private static final MethodHandle EVP_PKEY_FREE =
            OpenSsl.crypto("EVP_PKEY_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle X509_STORE_ADD_CERT =
            OpenSsl.crypto("X509_STORE_add_cert", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle X509_STORE_SET_FLAGS =
            OpenSsl.crypto("X509_STORE_set_flags", FunctionDescriptor.of(INT, PTR, LONG), false);
    private static final MethodHandle X509_VERIFY_CERT_ERROR_STRING =
            OpenSsl.crypto("X509_verify_cert_error_string", FunctionDescriptor.of(PTR, LONG), false);
    private static final MethodHandle OPENSSL_SK_NUM =
            OpenSsl.crypto("OPENSSL_sk_num", FunctionDescriptor.of(INT, PTR), true);
    private static final MethodHandle OPENSSL_SK_VALUE =
            OpenSsl.crypto("OPENSSL_sk_value", FunctionDescriptor.of(PTR, PTR, INT), true);

    /** Verification may end at any trusted certificate, not only at a self-signed root. */
    public static final long X509_V_FLAG_PARTIAL_CHAIN = 0x80000;

    private Crypto() {}

    /** {@return the oldest code on this thread's error queue, removing it; 0 when it is empty} */
    public static long ERR_get_error() {
        try {
            return (long) ERR_GET_ERROR.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Empties this thread's error queue. */
    public static void ERR_clear_error() {
        try {
            ERR_CLEAR_ERROR.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The text of an error code, e.g. {@code error:0A000086:SSL routines::certificate verify failed}.
     *
     * @param code a code from {@link #ERR_get_error()}
     * @return its text
     */
    public static String ERR_error_string_n(long code) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(ERROR_STRING_BYTES);
            ERR_ERROR_STRING_N.invokeExact(code, buf, (long) ERROR_STRING_BYTES);
            return buf.getString(0);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Reads and clears this thread's error queue: every entry's text, oldest first, joined by
     * {@code "; "}; empty when the queue was.
     *
     * @return the text
     */
    public static String drainErrors() {
        StringBuilder sb = new StringBuilder();
        for (long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            sb.append(ERR_error_string_n(code));
        }
        return sb.toString();
    }

    /**
     * Parses a DER certificate ({@link java.security.cert.Certificate#getEncoded()}).
     *
     * @param der the encoding
     * @return a new {@code X509 *} to free with {@link #X509_free}, or NULL if it does not parse
     */
    public static MemorySegment d2i_X509(byte[] der) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pp = derPointer(arena, der);
            return (MemorySegment) D2I_X509.invokeExact(MemorySegment.NULL, pp, (long) der.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Parses a DER private key, PKCS#8 ({@link java.security.PrivateKey#getEncoded()}) or the
     * traditional RSA or EC forms; the type is detected.
     *
     * @param der the encoding
     * @return a new {@code EVP_PKEY *} to free with {@link #EVP_PKEY_free}, or NULL
     */
    public static MemorySegment d2i_AutoPrivateKey(byte[] der) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pp = derPointer(arena, der);
            return (MemorySegment) D2I_AUTOPRIVATEKEY.invokeExact(MemorySegment.NULL, pp, (long) der.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    // d2i_* take a pointer to a pointer to the bytes, which they advance past what they parsed.
    private static MemorySegment derPointer(Arena arena, byte[] der) {
        MemorySegment bytes = arena.allocate(Math.max(1, der.length));
        MemorySegment.copy(der, 0, bytes, ValueLayout.JAVA_BYTE, 0, der.length);
        MemorySegment pp = arena.allocate(PTR);
        pp.set(ValueLayout.ADDRESS, 0, bytes);
        return pp;
    }

    /**
     * The DER encoding of a certificate.
     *
     * @param x509 an {@code X509 *}
     * @return its bytes
     * @throws IllegalStateException if OpenSSL cannot encode it (the message has the error queue)
     */
    public static byte[] i2d_X509(MemorySegment x509) {
        try (Arena arena = Arena.ofConfined()) {
            int length = (int) I2D_X509.invokeExact(x509, MemorySegment.NULL);
            if (length <= 0) {
                throw new IllegalStateException("i2d_X509: " + drainErrors());
            }
            MemorySegment out = arena.allocate(length);
            MemorySegment pp = arena.allocate(PTR);
            pp.set(ValueLayout.ADDRESS, 0, out);
            int written = (int) I2D_X509.invokeExact(x509, pp);
            if (written != length) {
                throw new IllegalStateException("i2d_X509 wrote " + written + " bytes of " + length + ": " + drainErrors());
            }
            return out.toArray(ValueLayout.JAVA_BYTE);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Drops one reference to a certificate (NULL is ignored).
     *
     * @param x509 the certificate
     */
    public static void X509_free(MemorySegment x509) {
        try {
            X509_FREE.invokeExact(x509);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Drops one reference to a key (NULL is ignored).
     *
     * @param pkey the key
     */
    public static void EVP_PKEY_free(MemorySegment pkey) {
        try {
            EVP_PKEY_FREE.invokeExact(pkey);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Adds a trusted certificate to a store; the store takes its own reference.
     *
     * @param store an {@code X509_STORE *}
     * @param x509 the certificate
     * @return 1, or 0 on failure
     */
    public static int X509_STORE_add_cert(MemorySegment store, MemorySegment x509) {
        try {
            return (int) X509_STORE_ADD_CERT.invokeExact(store, x509);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Adds verification flags ({@code X509_V_FLAG_*}) to a store.
     *
     * @param store an {@code X509_STORE *}
     * @param flags the flags to add
     * @return 1, or 0 on failure
     */
    public static int X509_STORE_set_flags(MemorySegment store, long flags) {
        try {
            return (int) X509_STORE_SET_FLAGS.invokeExact(store, flags);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The text of a certificate verification result ({@link SslInfo#SSL_get_verify_result}).
     *
     * @param result the {@code X509_V_*} code
     * @return e.g. "hostname mismatch"
     */
    public static String X509_verify_cert_error_string(long result) {
        try {
            return OpenSsl.string((MemorySegment) X509_VERIFY_CERT_ERROR_STRING.invokeExact(result));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The number of entries of a stack ({@code sk_X509_num}).
     *
     * @param stack an {@code OPENSSL_STACK *}, or NULL (-1)
     * @return how many
     */
    public static int OPENSSL_sk_num(MemorySegment stack) {
        try {
            return (int) OPENSSL_SK_NUM.invokeExact(stack);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Entry {@code i} of a stack ({@code sk_X509_value}), not a new reference.
     *
     * @param stack the stack
     * @param i the index
     * @return the entry, or NULL when out of range
     */
    public static MemorySegment OPENSSL_sk_value(MemorySegment stack, int i) {
        try {
            return (MemorySegment) OPENSSL_SK_VALUE.invokeExact(stack, i);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
