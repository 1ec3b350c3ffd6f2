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
        String queue = Crypto.drainErrors();
        StringBuilder m = new StringBuilder(call).append(": ").append(name(sslError));
        if (!queue.isEmpty()) {
            m.append(": ").append(queue);
        } else if (sslError == Ssl.SSL_ERROR_SYSCALL) {
            m.append(" with nothing on OpenSSL's error queue");
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
