package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Ssl;
import io.ffpoll.bindings.openssl.SslInfo;
import io.ffpoll.bindings.openssl.SslCallbacks;
import io.ffpoll.bindings.openssl.SslCtx;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The context callbacks, one upcall stub each for the process, and the table that leads from
 * the {@code SSL *} a callback is given to its {@link OpenSslSession}. Callbacks run on the
 * thread that called into OpenSSL, inside a session's own call, during handshakes only (and
 * for a client's new tickets): the table lookup boxes a long then, never per record. No target
 * throws: an exception escaping an upcall would end the JVM, so each keeps it for the session
 * to report as the cause of its failure.
 */
final class OpenSslCallbacks {
    private static final Map<Long, OpenSslSession> SESSIONS = new ConcurrentHashMap<>();

    static final MemorySegment SERVERNAME;
    static final MemorySegment ALPN_SELECT;
    static final MemorySegment NEW_SESSION;
    static final MemorySegment KEYLOG;

    static {
        MethodHandles.Lookup l = MethodHandles.lookup();
        try {
            SERVERNAME = SslCallbacks.servername(l.findStatic(OpenSslCallbacks.class, "servername",
                    SslCallbacks.SERVERNAME.toMethodType()));
            ALPN_SELECT = SslCallbacks.alpnSelect(l.findStatic(OpenSslCallbacks.class, "alpnSelect",
                    SslCallbacks.ALPN_SELECT.toMethodType()));
            NEW_SESSION = SslCallbacks.newSession(l.findStatic(OpenSslCallbacks.class, "newSession",
                    SslCallbacks.NEW_SESSION.toMethodType()));
            KEYLOG = SslCallbacks.keylog(l.findStatic(OpenSslCallbacks.class, "keylog", SslCallbacks.KEYLOG.toMethodType()));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private OpenSslCallbacks() {}

    static void register(MemorySegment ssl, OpenSslSession session) {
        SESSIONS.put(ssl.address(), session);
    }

    static void unregister(MemorySegment ssl) {
        SESSIONS.remove(ssl.address());
    }

    /** A server read the client's SNI: switch to the context of that name's certificate, if any. */
    private static int servername(MemorySegment ssl, MemorySegment alert, MemorySegment arg) {
        OpenSslSession s = SESSIONS.get(ssl.address());
        if (s == null) {
            return SslCtx.SSL_TLSEXT_ERR_OK;
        }
        try {
            String name = SslInfo.SSL_get_servername(ssl);
            MemorySegment ctx = name == null ? null : s.contexts().forServerName(name);
            if (ctx != null) {
                Ssl.SSL_set_SSL_CTX(ssl, ctx);
            }
            return SslCtx.SSL_TLSEXT_ERR_OK;
        } catch (Throwable t) {
            s.callbackFailed(t);
            return SslCtx.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    /**
     * A server read the client's ALPN offer: choose its own first protocol that the client
     * offers; none in common fails the handshake with no_application_protocol.
     */
    private static int alpnSelect(MemorySegment ssl, MemorySegment out, MemorySegment outlen, MemorySegment in,
                                  int inlen, MemorySegment arg) {
        OpenSslSession s = SESSIONS.get(ssl.address());
        if (s == null) {
            return SslCtx.SSL_TLSEXT_ERR_NOACK;
        }
        try {
            for (byte[] mine : s.contexts().alpn) {
                int at = 0;
                while (at < inlen) {
                    int len = in.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
                    if (at + 1 + len > inlen) {
                        break; // malformed: OpenSSL checks the list before calling, so never here
                    }
                    if (len == mine.length && same(in, at + 1, mine)) {
                        // Points into the client's list, which OpenSSL keeps until it copies the choice.
                        out.set(ValueLayout.ADDRESS, 0, in.asSlice(at + 1));
                        outlen.set(ValueLayout.JAVA_BYTE, 0, (byte) len);
                        return SslCtx.SSL_TLSEXT_ERR_OK;
                    }
                    at += 1 + len;
                }
            }
            return SslCtx.SSL_TLSEXT_ERR_ALERT_FATAL;
        } catch (Throwable t) {
            s.callbackFailed(t);
            return SslCtx.SSL_TLSEXT_ERR_ALERT_FATAL;
        }
    }

    private static boolean same(MemorySegment in, int at, byte[] name) {
        for (int i = 0; i < name.length; i++) {
            if (in.get(ValueLayout.JAVA_BYTE, at + i) != name[i]) {
                return false;
            }
        }
        return true;
    }

    /** A client got a session it can resume (TLS 1.3: a ticket, after the handshake): 1 keeps it. */
    private static int newSession(MemorySegment ssl, MemorySegment session) {
        OpenSslSession s = SESSIONS.get(ssl.address());
        if (s == null) {
            return 0;
        }
        try {
            return s.offerForResumption(session) ? 1 : 0;
        } catch (Throwable t) {
            s.callbackFailed(t);
            return 0;
        }
    }

    /**
     * A server that frees its {@code SSL} after the handshake ({@link Tls13Records}) takes its
     * two TLS 1.3 application traffic secrets from the key log lines OpenSSL gives it (the NSS
     * format: label, client random, secret, in hex). Nothing is logged anywhere.
     */
    private static void keylog(MemorySegment ssl, MemorySegment line) {
        OpenSslSession s = SESSIONS.get(ssl.address());
        if (s == null) {
            return;
        }
        try {
            boolean client = startsWith(line, CLIENT_SECRET);
            if (client || startsWith(line, SERVER_SECRET)) {
                s.trafficSecret(client, secretOf(line));
            }
        } catch (Throwable t) {
            s.callbackFailed(t);
        }
    }

    // Read from the native line, no String made: a String of a secret could not be erased.
    private static boolean startsWith(MemorySegment line, byte[] label) {
        for (int i = 0; i < label.length; i++) {
            if (line.get(ValueLayout.JAVA_BYTE, i) != label[i]) {
                return false;
            }
        }
        return line.get(ValueLayout.JAVA_BYTE, label.length) == ' ';
    }

    // The third field: hex digits after the second space, up to the NUL.
    private static byte[] secretOf(MemorySegment line) {
        long at = 0;
        for (int spaces = 0; spaces < 2; at++) {
            byte b = line.get(ValueLayout.JAVA_BYTE, at);
            if (b == 0) {
                throw new IllegalArgumentException("a key log line of fewer than three fields");
            }
            if (b == ' ') {
                spaces++;
            }
        }
        long end = at;
        while (line.get(ValueLayout.JAVA_BYTE, end) != 0) {
            end++;
        }
        if ((end - at) % 2 != 0 || end - at > 2 * 64) {
            throw new IllegalArgumentException("a key log secret of " + (end - at) + " hex digits");
        }
        byte[] secret = new byte[(int) (end - at) / 2];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = (byte) (hex(line.get(ValueLayout.JAVA_BYTE, at + 2L * i)) << 4 | hex(line.get(ValueLayout.JAVA_BYTE, at + 2L * i + 1)));
        }
        return secret;
    }

    private static int hex(byte c) {
        int d = Character.digit(c, 16);
        if (d < 0) {
            throw new IllegalArgumentException("not a hex digit in a key log secret: " + c);
        }
        return d;
    }

    private static final byte[] CLIENT_SECRET = "CLIENT_TRAFFIC_SECRET_0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] SERVER_SECRET = "SERVER_TRAFFIC_SECRET_0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
}
