package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Bio;
import io.ffpoll.bindings.openssl.SslInfo;
import io.ffpoll.multiplexer.tls.CipherSink;

import javax.net.ssl.SSLException;
import java.lang.foreign.MemorySegment;

/**
 * The step from OpenSSL's record layer to {@link Tls13Records} at the end of a server's TLS 1.3
 * handshake. What OpenSSL wrote in that last step (its NewSessionTickets, the first records under
 * the server's application key) goes to the sink, and is then decrypted with the keys derived
 * from the server's secret: that proves the keys and tells the next sequence number. The
 * client's Finished was the last record fed, so the read side starts at 0.
 */
final class Handover {
    private Handover() {}

    /**
     * The record layer that takes over from {@code ssl}, or null where the records OpenSSL
     * wrote do not check out, or libcrypto fails: then the connection keeps its {@code SSL}.
     * Either way what the write BIO held is in the sink; the caller erases the secrets.
     */
    static Tls13Records take(MemorySegment ssl, MemorySegment wbio, Tls13Suite suite, byte[] clientSecret,
                             byte[] serverSecret, CipherSink sink, MemorySegment scratch, long keyUpdateRecords) {
        if (clientSecret.length != suite.hashBytes || serverSecret.length != suite.hashBytes) {
            return null;
        }
        int room = (int) Math.min(scratch.byteSize(), Integer.MAX_VALUE);
        int n = Math.max(Bio.BIO_read(wbio, scratch, 0, room), 0);
        if (n > 0) {
            sink.append(scratch, 0, n);
        }
        // RFC 6066 max_fragment_length, which OpenSSL's server accepts: 1 to 4 for 512 to 4096 bytes.
        int fragment = SslInfo.SSL_SESSION_get_max_fragment_length(SslInfo.SSL_get_session(ssl));
        TrafficKeys write = new TrafficKeys(suite, serverSecret, 0);
        TrafficKeys read = new TrafficKeys(suite, clientSecret, 0);
        RecordCiphers ciphers = RecordCiphers.current();
        long sent;
        try {
            // Decrypted into the scratch behind them; more than one scratch of them is not expected.
            sent = n == room || fragment > 4 ? -1 : Tls13Records.countTickets(scratch, n, write, ciphers);
        } catch (SSLException e) { // out of memory, or no such cipher: OpenSSL's layer goes on
            sent = -1;
        }
        if (sent < 0) {
            write.erase();
            read.erase();
            return null;
        }
        write.sequence = sent;
        return new Tls13Records(read, write, sink, scratch, ciphers, keyUpdateRecords,
                fragment == 0 ? Tls13Records.MAX_PLAINTEXT_BYTES : 512 << (fragment - 1));
    }
}
