package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A context's cipher suites and key exchange groups. TLS 1.3's suites are set apart from TLS
 * 1.2's ({@link SslCtx#SSL_CTX_set_cipher_list}) and by their IANA names; TLS 1.2's take
 * OpenSSL's own names, which {@link #OPENSSL_cipher_name} finds from the IANA ones.
 * {@link #SSL_CTX_set1_groups_list} is a macro over {@code SSL_CTX_ctrl}. On failure the reason
 * is on the error queue ({@link Crypto#drainErrors()}).
 */
public final class SslCiphers {
    public static final int SSL_CTRL_SET_GROUPS_LIST = 92;
    public static final int SSL_CTRL_SET_DH_AUTO = 118;

    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final MethodHandle SSL_CTX_SET_CIPHERSUITES =
            OpenSsl.ssl("SSL_CTX_set_ciphersuites", FunctionDescriptor.of(INT, PTR, PTR), false);
    private static final MethodHandle OPENSSL_CIPHER_NAME =
            OpenSsl.ssl("OPENSSL_cipher_name", FunctionDescriptor.of(PTR, PTR), false);

    private static final MethodHandle SSL_GET1_SUPPORTED_CIPHERS =
            OpenSsl.ssl("SSL_get1_supported_ciphers", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_CIPHER_STANDARD_NAME =
            OpenSsl.ssl("SSL_CIPHER_standard_name", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle OPENSSL_SK_FREE =
            OpenSsl.crypto("OPENSSL_sk_free", FunctionDescriptor.ofVoid(PTR), false);

    private SslCiphers() {}

    /**
     * TLS 1.3's cipher suites for the context, most preferred first.
     *
     * @param ctx the context
     * @param suites IANA names joined by ':', e.g. {@code "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"}
     * @return 1, or 0 where no name is known (unknown names among known ones are skipped)
     */
    public static int SSL_CTX_set_ciphersuites(MemorySegment ctx, String suites) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) SSL_CTX_SET_CIPHERSUITES.invokeExact(ctx, arena.allocateFrom(suites));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The key exchange groups for the context, most preferred first (the macro over
     * {@code SSL_CTX_ctrl(SSL_CTRL_SET_GROUPS_LIST)}).
     *
     * @param ctx the context
     * @param groups group names joined by ':', e.g. {@code "x25519:secp256r1"}
     * @return 1, or 0 where a name is unknown
     */
    public static long SSL_CTX_set1_groups_list(MemorySegment ctx, String groups) {
        try (Arena arena = Arena.ofConfined()) {
            return SslCtx.ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, arena.allocateFrom(groups));
        }
    }

    /**
     * Whether a server picks its DHE parameters itself, by the certificate's strength (the macro
     * over {@code SSL_CTX_ctrl(SSL_CTRL_SET_DH_AUTO)}): without them or this, a DHE suite is
     * never negotiated.
     *
     * @param ctx the context
     * @param on 1 to turn it on
     * @return 1
     */
    public static long SSL_CTX_set_dh_auto(MemorySegment ctx, int on) {
        return SslCtx.ctrl(ctx, SSL_CTRL_SET_DH_AUTO, on, MemorySegment.NULL);
    }

    /**
     * The IANA names of the suites {@code ssl} could negotiate, most preferred first: its lists
     * less what its versions, security level and providers rule out
     * ({@code SSL_get1_supported_ciphers}, with the stack freed here).
     *
     * @param ssl a connection, which need not have begun
     * @return the names; empty where none is left
     */
    public static java.util.List<String> supportedCiphers(MemorySegment ssl) {
        try {
            MemorySegment stack = (MemorySegment) SSL_GET1_SUPPORTED_CIPHERS.invokeExact(ssl);
            if (stack.address() == 0) {
                return java.util.List.of();
            }
            try {
                java.util.List<String> names = new java.util.ArrayList<>();
                for (int i = 0, n = Crypto.OPENSSL_sk_num(stack); i < n; i++) {
                    names.add(OpenSsl.string((MemorySegment) SSL_CIPHER_STANDARD_NAME.invokeExact(Crypto.OPENSSL_sk_value(stack, i))));
                }
                return names;
            } finally {
                OPENSSL_SK_FREE.invokeExact(stack);
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * OpenSSL's name of a cipher suite (what {@code SSL_CTX_set_cipher_list} takes).
     *
     * @param ianaName the suite's IANA name, e.g. {@code "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
     * @return its OpenSSL name ({@code "ECDHE-RSA-AES128-GCM-SHA256"}), or {@code "(NONE)"} for a
     *     name OpenSSL does not know
     */
    public static String OPENSSL_cipher_name(String ianaName) {
        try (Arena arena = Arena.ofConfined()) {
            return OpenSsl.string((MemorySegment) OPENSSL_CIPHER_NAME.invokeExact(arena.allocateFrom(ianaName)));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
