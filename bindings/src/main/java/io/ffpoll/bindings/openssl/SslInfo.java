package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * What a connection's handshake settled: the version, the cipher suite, ALPN's choice, the
 * SNI name, the peer's certificates and their verification, and whether a session was
 * resumed. Read after the handshake (the verification result also after a failed one); none
 * of these calls fails: they answer NULL, 0 or null instead.
 */
public final class SslInfo {
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;
    private static final ValueLayout LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle SSL_GET0_ALPN_SELECTED =
            OpenSsl.ssl("SSL_get0_alpn_selected", FunctionDescriptor.ofVoid(PTR, PTR, PTR), false);
    private static final MethodHandle SSL_GET_SERVERNAME =
            OpenSsl.ssl("SSL_get_servername", FunctionDescriptor.of(PTR, PTR, INT), false);
    private static final MethodHandle SSL_GET_VERSION = OpenSsl.ssl("SSL_get_version", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_GET_CURRENT_CIPHER =
            OpenSsl.ssl("SSL_get_current_cipher", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_CIPHER_STANDARD_NAME =
            OpenSsl.ssl("SSL_CIPHER_standard_name", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_SESSION_REUSED =
            OpenSsl.ssl("SSL_session_reused", FunctionDescriptor.of(INT, PTR), false);
    private static final MethodHandle SSL_GET0_PEER_CERTIFICATE =
            OpenSsl.ssl("SSL_get0_peer_certificate", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_GET_PEER_CERT_CHAIN =
            OpenSsl.ssl("SSL_get_peer_cert_chain", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_GET_SESSION = OpenSsl.ssl("SSL_get_session", FunctionDescriptor.of(PTR, PTR), false);
    private static final MethodHandle SSL_SESSION_GET_MAX_FRAGMENT_LENGTH =
            OpenSsl.ssl("SSL_SESSION_get_max_fragment_length", FunctionDescriptor.of(ValueLayout.JAVA_BYTE, PTR), false);
    private static final MethodHandle SSL_GROUP_TO_NAME =
            OpenSsl.ssl("SSL_group_to_name", FunctionDescriptor.of(PTR, PTR, INT), false);
    private static final MethodHandle SSL_GET_VERIFY_RESULT =
            OpenSsl.ssl("SSL_get_verify_result", FunctionDescriptor.of(LONG, PTR), false);

    private SslInfo() {}

    /** {@return the protocol ALPN chose, or null when none was} */
    public static byte[] SSL_get0_alpn_selected(MemorySegment ssl) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(PTR);
            MemorySegment len = arena.allocate(INT);
            SSL_GET0_ALPN_SELECTED.invokeExact(ssl, data, len);
            int n = len.get(ValueLayout.JAVA_INT, 0);
            MemorySegment p = data.get(ValueLayout.ADDRESS, 0);
            return n == 0 || p.address() == 0 ? null : p.reinterpret(n).toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the SNI name the client sent (on both sides), or null} */
    public static String SSL_get_servername(MemorySegment ssl) {
        try {
            return OpenSsl.string((MemorySegment) SSL_GET_SERVERNAME.invokeExact(ssl, Ssl.TLSEXT_NAMETYPE_host_name));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the protocol version's name: "TLSv1.3", "TLSv1.2", ...} */
    public static String SSL_get_version(MemorySegment ssl) {
        try {
            return OpenSsl.string((MemorySegment) SSL_GET_VERSION.invokeExact(ssl));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the IANA name of the cipher suite in use ({@code SSL_CIPHER_standard_name(SSL_get_current_cipher(ssl))}), or null} */
    public static String SSL_CIPHER_standard_name(MemorySegment ssl) {
        try {
            MemorySegment cipher = (MemorySegment) SSL_GET_CURRENT_CIPHER.invokeExact(ssl);
            return cipher.address() == 0 ? null
                    : OpenSsl.string((MemorySegment) SSL_CIPHER_STANDARD_NAME.invokeExact(cipher));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@code SSL_CTRL_GET_NEGOTIATED_GROUP}, from {@code <openssl/ssl.h>} (OpenSSL 3.0). */
    public static final int SSL_CTRL_GET_NEGOTIATED_GROUP = 134;

    /**
     * The macro over {@code SSL_ctrl(SSL_CTRL_GET_NEGOTIATED_GROUP)}: the group the key exchange
     * used, as an NID (or a TLS group id with {@code TLSEXT_nid_unknown} set, for a provider's
     * group), or 0 when there was none.
     *
     * @param ssl the connection, after its handshake
     * @return the group, or 0
     */
    public static int SSL_get_negotiated_group(MemorySegment ssl) {
        try {
            return (int) (long) Ssl.SSL_CTRL.invokeExact(ssl, SSL_CTRL_GET_NEGOTIATED_GROUP, 0L, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The TLS name of a group {@link #SSL_get_negotiated_group} returned ({@code x25519},
     * {@code secp256r1}, {@code ffdhe2048}: the IANA registry's names), or null for none.
     *
     * @param ssl the connection
     * @param id the group
     * @return its name, or null
     */
    public static String SSL_group_to_name(MemorySegment ssl, int id) {
        if (id == 0) {
            return null;
        }
        try {
            return OpenSsl.string((MemorySegment) SSL_GROUP_TO_NAME.invokeExact(ssl, id));
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return 1 if the handshake resumed an earlier session} */
    public static int SSL_session_reused(MemorySegment ssl) {
        try {
            return (int) SSL_SESSION_REUSED.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the peer's leaf certificate (no new reference), or NULL} */
    public static MemorySegment SSL_get0_peer_certificate(MemorySegment ssl) {
        try {
            return (MemorySegment) SSL_GET0_PEER_CERTIFICATE.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The chain the peer sent, as a {@code STACK_OF(X509)} (no new reference), or NULL. On a
     * client it starts with the server's leaf; on a server it leaves the client's leaf out.
     *
     * @param ssl the connection
     * @return the stack
     */
    public static MemorySegment SSL_get_peer_cert_chain(MemorySegment ssl) {
        try {
            return (MemorySegment) SSL_GET_PEER_CERT_CHAIN.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the peer certificate's verification result: {@link Ssl#X509_V_OK} or an {@code X509_V_ERR_*} code} */
    public static long SSL_get_verify_result(MemorySegment ssl) {
        try {
            return (long) SSL_GET_VERIFY_RESULT.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return the connection's session (no new reference), or NULL} */
    public static MemorySegment SSL_get_session(MemorySegment ssl) {
        try {
            return (MemorySegment) SSL_GET_SESSION.invokeExact(ssl);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The RFC 6066 max_fragment_length a session settled: 0 for none, 1 to 4 for records of at
     * most 512, 1024, 2048 or 4096 bytes of plaintext.
     *
     * @param session from {@link #SSL_get_session}
     * @return the mode
     */
    public static int SSL_SESSION_get_max_fragment_length(MemorySegment session) {
        try {
            return (byte) SSL_SESSION_GET_MAX_FRAGMENT_LENGTH.invokeExact(session) & 0xff;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
