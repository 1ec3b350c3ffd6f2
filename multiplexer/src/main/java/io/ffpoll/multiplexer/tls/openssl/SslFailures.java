package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.bindings.openssl.SslInfo;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLProtocolException;
import java.lang.foreign.MemorySegment;

/**
 * The one place where an OpenSSL failure becomes an exception. The message names the call,
 * then {@code SSL_get_error}'s verdict, then the error queue, which is read and cleared, e.g.
 * {@code "SSL_do_handshake: SSL_ERROR_SSL: error:0A000086:SSL routines::certificate verify
 * failed (verify: hostname mismatch)"}. A failure before the handshake completed is an
 * {@link SSLHandshakeException}; a record-layer failure after it an {@link SSLProtocolException}.
 */
final class SslFailures {
    private SslFailures() {}

    /**
     * A failed configuration call.
     *
     * @param call the C call
     * @param what what it was called on, or null
     * @return the exception
     */
    static SSLException setup(String call, String what) {
        String queue = Crypto.drainErrors();
        return new SSLException(call + (what == null ? "" : "(" + what + ")") + ": "
                + (queue.isEmpty() ? "failed, with nothing on OpenSSL's error queue" : queue));
    }

    /**
     * A failed call on a connection.
     *
     * @param call the C call
     * @param sslError what {@code SSL_get_error} said
     * @param ssl the connection, for its verification result
     * @param inHandshake whether the handshake had not completed
     * @param cause what a callback threw during the call, or null
     * @return the exception
     */
    static SSLException session(String call, int sslError, MemorySegment ssl, boolean inHandshake, Throwable cause) {
        StringBuilder m = new StringBuilder(call).append(": ").append(name(sslError));
        String alert = null;
        int errors = 0;
        for (long code = Crypto.ERR_get_error(); code != 0; code = Crypto.ERR_get_error()) {
            m.append(errors++ == 0 ? ": " : "; ").append(Crypto.ERR_error_string_n(code));
            if (alert == null) {
                alert = receivedAlert(code);
            }
        }
        if (errors == 0 && sslError == Ssl.SSL_ERROR_SYSCALL) {
            m.append(" with nothing on OpenSSL's error queue");
        }
        if (alert != null) {
            m.append(" (the peer's alert ").append(alert).append(')');
        }
        long verify = SslInfo.SSL_get_verify_result(ssl);
        if (verify != Ssl.X509_V_OK) {
            m.append(" (verify: ").append(Crypto.X509_verify_cert_error_string(verify)).append(')');
        }
        SSLException e = inHandshake ? new SSLHandshakeException(m.toString()) : new SSLProtocolException(m.toString());
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    /*
     * OpenSSL reports an alert from the peer as reason SSL_AD_REASON_OFFSET (1000) plus the
     * alert's number; its text ("tlsv1 alert no application protocol") is OpenSSL's own. The
     * name RFC 8446 6 gives it is what the JDK's engine and other stacks print.
     */
    private static String receivedAlert(long code) {
        if ((code & 0x80000000L) != 0) {
            return null; // ERR_SYSTEM_FLAG: the reason is an errno
        }
        return alertName((int) (code & 0x7FFFFF) - 1000);
    }

    /** {@return RFC 8446 6's name of an alert description, or null for one it does not name} */
    static String alertName(int description) {
        return switch (description) {
            case 0 -> "close_notify";
            case 10 -> "unexpected_message";
            case 20 -> "bad_record_mac";
            case 22 -> "record_overflow";
            case 40 -> "handshake_failure";
            case 42 -> "bad_certificate";
            case 43 -> "unsupported_certificate";
            case 44 -> "certificate_revoked";
            case 45 -> "certificate_expired";
            case 46 -> "certificate_unknown";
            case 47 -> "illegal_parameter";
            case 48 -> "unknown_ca";
            case 49 -> "access_denied";
            case 50 -> "decode_error";
            case 51 -> "decrypt_error";
            case 70 -> "protocol_version";
            case 71 -> "insufficient_security";
            case 80 -> "internal_error";
            case 86 -> "inappropriate_fallback";
            case 90 -> "user_canceled";
            case 100 -> "no_renegotiation";
            case 109 -> "missing_extension";
            case 110 -> "unsupported_extension";
            case 112 -> "unrecognized_name";
            case 113 -> "bad_certificate_status_response";
            case 115 -> "unknown_psk_identity";
            case 116 -> "certificate_required";
            case 120 -> "no_application_protocol";
            default -> null;
        };
    }

    private static String name(int sslError) {
        return switch (sslError) {
            case Ssl.SSL_ERROR_SSL -> "SSL_ERROR_SSL";
            case Ssl.SSL_ERROR_WANT_READ -> "SSL_ERROR_WANT_READ";
            case Ssl.SSL_ERROR_WANT_WRITE -> "SSL_ERROR_WANT_WRITE";
            case Ssl.SSL_ERROR_SYSCALL -> "SSL_ERROR_SYSCALL";
            case Ssl.SSL_ERROR_ZERO_RETURN -> "SSL_ERROR_ZERO_RETURN";
            default -> "SSL_get_error " + sslError;
        };
    }
}
