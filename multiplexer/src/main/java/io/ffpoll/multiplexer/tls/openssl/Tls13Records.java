package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.multiplexer.tls.CipherSink;
import io.ffpoll.multiplexer.tls.TlsSession;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLProtocolException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A server connection's TLS 1.3 record layer after its handshake, in place of OpenSSL's: the
 * application traffic keys OpenSSL derived ({@link TrafficKeys}), libcrypto's AEAD re-keyed
 * per record ({@link RecordCiphers}), and the few rules of RFC 8446 that remain once the
 * handshake is done. What it keeps between records is two sets of keys, about 200 bytes, where
 * an idle {@code SSL} object keeps about 14 KB; this is how an idle TLS connection costs little
 * more than a plain one, as kernel TLS would make it where the kernel has it.
 *
 * <p>It accepts application data, alerts (close_notify ends the input; user_canceled is
 * ignored; any other is fatal, RFC 8446 6) and KeyUpdate (7.2, 4.6.3: answered with one of
 * ours when the peer requests it). Anything else after the handshake, a record that does not
 * decrypt or is too long, and a KeyUpdate that does not end its record are fatal, with the
 * alert RFC 8446 names sent first, and so are more than {@link #MAX_WITHOUT_DATA} records in a
 * row that carry no data (KeyUpdate, user_canceled, empty), as OpenSSL's own layer refuses them.
 * A max_fragment_length the handshake settled (RFC 6066) bounds records both ways. It starts a
 * KeyUpdate of its own every {@link #KEY_UPDATE_RECORDS} records it sends, below AES-GCM's
 * limit (5.5). Loop thread only.
 */
final class Tls13Records {
    /** Records sent under one key before a KeyUpdate: RFC 8446 5.5 allows AES-GCM 2^24.5. */
    static final long KEY_UPDATE_RECORDS = 1L << 24;

    private static final int HEADER = 5;
    private static final byte APPLICATION_DATA = 23;
    private static final byte ALERT = 21;
    private static final byte HANDSHAKE = 22;
    private static final int MAX_PLAINTEXT = 16384;
    // RFC 8446 5.2: at most 2^14 + 256 bytes of ciphertext, 2^14 + 1 of inner plaintext.
    private static final int MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
    static final int MAX_PLAINTEXT_BYTES = MAX_PLAINTEXT;
    private static final int OVERHEAD = 1 + Tls13Suite.TAG_BYTES; // inner type, tag
    private static final byte KEY_UPDATE = 24;
    // As OpenSSL's own record layer (MAX_KEY_UPDATE_MESSAGES, MAX_EMPTY_RECORDS): records that
    // carry no data, each a little work (an HKDF step and an answer for a KeyUpdate), at most
    // this many in a row.
    static final int MAX_WITHOUT_DATA = 32;
    private static final int KEY_UPDATE_MESSAGE = 5; // type, 24-bit length 1, request_update

    // RFC 8446 6: alert descriptions this layer sends or names.
    private static final int CLOSE_NOTIFY = 0;
    private static final int UNEXPECTED_MESSAGE = 10;
    private static final int BAD_RECORD_MAC = 20;
    private static final int RECORD_OVERFLOW = 22;
    private static final int ILLEGAL_PARAMETER = 47;
    private static final int DECODE_ERROR = 50;
    private static final int USER_CANCELED = 90;

    private final TrafficKeys read;
    private final TrafficKeys write;
    private final CipherSink sink;
    private final MemorySegment scratch;
    private final RecordCiphers ciphers;
    private final long keyUpdateRecords;
    private final int maxPlaintext; // 2^14, or less where RFC 6066's max_fragment_length settled it
    private int withoutData;
    private byte[] handshake; // a KeyUpdate split over records, made when one is
    private int handshakeBytes;
    private boolean peerClosed;
    private boolean outboundClosed;
    private long consumed;
    private long produced;

    Tls13Records(TrafficKeys read, TrafficKeys write, CipherSink sink, MemorySegment scratch, RecordCiphers ciphers,
                 long keyUpdateRecords) {
        this(read, write, sink, scratch, ciphers, keyUpdateRecords, MAX_PLAINTEXT);
    }

    /**
     * @param maxPlaintext the most plaintext in a record either way: 2^14, or what RFC 6066's
     *     max_fragment_length settled (512 to 4096)
     */
    Tls13Records(TrafficKeys read, TrafficKeys write, CipherSink sink, MemorySegment scratch, RecordCiphers ciphers,
                 long keyUpdateRecords, int maxPlaintext) {
        this.maxPlaintext = maxPlaintext;
        this.read = read;
        this.write = write;
        this.sink = sink;
        this.scratch = scratch;
        this.ciphers = ciphers;
        this.keyUpdateRecords = keyUpdateRecords;
    }

    long consumed() {
        return consumed;
    }

    long produced() {
        return produced;
    }

    boolean outboundClosed() {
        return outboundClosed;
    }

    /** As {@link TlsSession#read}: whole records from {@code in}, plaintext to {@code out}. */
    int read(MemorySegment in, MemorySegment out) throws SSLException {
        consumed = 0;
        produced = 0;
        long length = in.byteSize();
        while (!peerClosed) {
            long left = length - consumed;
            if (left == 0) {
                return TlsSession.NEED_INPUT;
            }
            byte type = in.get(ValueLayout.JAVA_BYTE, consumed);
            if (type != APPLICATION_DATA) {
                throw fatal(UNEXPECTED_MESSAGE, "a record of type " + (type & 0xff) + " after the handshake"
                        + " (only application_data records are encrypted in TLS 1.3)");
            }
            if (left < HEADER) {
                return TlsSession.NEED_INPUT;
            }
            int body = (in.get(ValueLayout.JAVA_BYTE, consumed + 3) & 0xff) << 8 | in.get(ValueLayout.JAVA_BYTE, consumed + 4) & 0xff;
            if (body > MAX_CIPHERTEXT || body - Tls13Suite.TAG_BYTES > maxPlaintext + 1) {
                throw fatal(RECORD_OVERFLOW, "a record of " + body + " bytes");
            }
            if (body < OVERHEAD) {
                throw fatal(BAD_RECORD_MAC, "a record of " + body + " bytes, too short for its tag");
            }
            if (left < HEADER + body) {
                return TlsSession.NEED_INPUT;
            }
            int inner = body - Tls13Suite.TAG_BYTES;
            if (out.byteSize() - produced < inner) {
                return TlsSession.OUT_FULL;
            }
            decrypt(in, consumed, body, out, produced);
            consumed += HEADER + body;
            int end = inner - 1;
            while (end >= 0 && out.get(ValueLayout.JAVA_BYTE, produced + end) == 0) {
                end--; // RFC 8446 5.4: zero padding after the content type
            }
            if (end < 0) {
                throw fatal(UNEXPECTED_MESSAGE, "a record with no content type");
            }
            byte content = out.get(ValueLayout.JAVA_BYTE, produced + end);
            if (handshakeBytes > 0 && content != HANDSHAKE) {
                throw fatal(UNEXPECTED_MESSAGE, "a record of type " + content + " inside a handshake message");
            }
            if (content != APPLICATION_DATA || end == 0) {
                if (++withoutData > MAX_WITHOUT_DATA) {
                    throw fatal(UNEXPECTED_MESSAGE, withoutData + " records in a row without data (KeyUpdate, user_canceled,"
                            + " empty)");
                }
            } else {
                withoutData = 0;
            }
            switch (content) {
                case APPLICATION_DATA -> produced += end;
                case ALERT -> alert(out, produced, end);
                case HANDSHAKE -> handshake(out, produced, end);
                default -> throw fatal(UNEXPECTED_MESSAGE, "a record of content type " + (content & 0xff));
            }
        }
        return TlsSession.CLOSED;
    }

    /**
     * Checks the records a server's OpenSSL wrote as its TLS 1.3 handshake ended: each must
     * decrypt with {@code keys} at the next sequence number and carry a NewSessionTicket. The
     * plaintext goes to {@code buf} after {@code length}.
     *
     * @return how many records there were (so the sequence number of the next one), or -1 if
     *     anything there is not as expected
     */
    static long countTickets(MemorySegment buf, int length, TrafficKeys keys, RecordCiphers ciphers) throws SSLException {
        final byte newSessionTicket = 4;
        long at = 0;
        long count = 0;
        while (at < length) {
            if (length - at < HEADER || buf.get(ValueLayout.JAVA_BYTE, at) != APPLICATION_DATA) {
                return -1;
            }
            int body = (buf.get(ValueLayout.JAVA_BYTE, at + 3) & 0xff) << 8 | buf.get(ValueLayout.JAVA_BYTE, at + 4) & 0xff;
            int inner = body - Tls13Suite.TAG_BYTES;
            if (body < OVERHEAD || body > MAX_CIPHERTEXT || at + HEADER + body > length || length + inner > buf.byteSize()) {
                return -1;
            }
            MemorySegment ctx = ciphers.begin(keys, false);
            ciphers.expect(ctx, buf, at + HEADER + inner);
            ciphers.aad(ctx, buf, at, HEADER);
            ciphers.update(ctx, buf, at + HEADER, buf, length, inner);
            if (!ciphers.open(ctx)) {
                return -1;
            }
            int end = inner - 1;
            while (end >= 0 && buf.get(ValueLayout.JAVA_BYTE, length + end) == 0) {
                end--;
            }
            if (end < 1 || buf.get(ValueLayout.JAVA_BYTE, length + end) != HANDSHAKE
                    || buf.get(ValueLayout.JAVA_BYTE, length) != newSessionTicket) {
                return -1;
            }
            keys.sequence++;
            count++;
            at += HEADER + body;
        }
        return count;
    }

    private void decrypt(MemorySegment in, long at, int body, MemorySegment out, long outAt) throws SSLException {
        MemorySegment ctx = ciphers.begin(read, false);
        ciphers.expect(ctx, in, at + HEADER + body - Tls13Suite.TAG_BYTES);
        ciphers.aad(ctx, in, at, HEADER);
        ciphers.update(ctx, in, at + HEADER, out, outAt, body - Tls13Suite.TAG_BYTES);
        if (!ciphers.open(ctx)) {
            throw fatal(BAD_RECORD_MAC, "a record that does not decrypt (sequence " + read.sequence + ")");
        }
        read.sequence++;
    }

    private void alert(MemorySegment out, long at, int length) throws SSLException {
        if (length != 2) {
            throw fatal(DECODE_ERROR, "an alert of " + length + " bytes");
        }
        int description = out.get(ValueLayout.JAVA_BYTE, at + 1) & 0xff;
        if (description == CLOSE_NOTIFY) {
            peerClosed = true;
        } else if (description != USER_CANCELED) {
            outboundClosed = true; // a fatal alert ends the connection both ways, unanswered
            throw new SSLProtocolException("the peer's fatal alert " + alertName(description));
        }
    }

    // Only KeyUpdate may come after a TLS 1.3 handshake to a server that requests no client
    // certificate afterwards; it may be split over records (5.1), but must end one (5.1: no
    // message may span a key change).
    private void handshake(MemorySegment out, long at, int length) throws SSLException {
        if (length == 0) {
            throw fatal(UNEXPECTED_MESSAGE, "an empty handshake record");
        }
        if (handshake == null) {
            handshake = new byte[KEY_UPDATE_MESSAGE];
        }
        for (int i = 0; i < length; i++) {
            if (handshakeBytes == KEY_UPDATE_MESSAGE) {
                throw fatal(UNEXPECTED_MESSAGE, "a KeyUpdate that does not end its record");
            }
            handshake[handshakeBytes++] = out.get(ValueLayout.JAVA_BYTE, at + i);
            if (handshakeBytes == 1 && handshake[0] != KEY_UPDATE) {
                throw fatal(UNEXPECTED_MESSAGE, "a handshake message of type " + (handshake[0] & 0xff)
                        + " after the handshake");
            }
            if (handshakeBytes == 4 && (handshake[1] != 0 || handshake[2] != 0 || handshake[3] != 1)) {
                throw fatal(DECODE_ERROR, "a KeyUpdate whose length is not 1");
            }
        }
        if (handshakeBytes < KEY_UPDATE_MESSAGE) {
            return;
        }
        handshakeBytes = 0;
        int request = handshake[4];
        if (request != 0 && request != 1) {
            throw fatal(ILLEGAL_PARAMETER, "a KeyUpdate with request_update " + request);
        }
        read.update();
        if (request == 1 && !outboundClosed) {
            keyUpdate();
        }
    }

    /** As {@link TlsSession#write}: all of {@code in}, in records of up to 16 KiB (or the negotiated fragment length). */
    void write(MemorySegment in) throws SSLException {
        if (outboundClosed) {
            throw new SSLException("write after closeOutbound: close_notify was sent");
        }
        long length = in.byteSize();
        long filled = 0;
        for (long at = 0; at < length; ) {
            int n = (int) Math.min(maxPlaintext, length - at);
            if (filled + HEADER + n + OVERHEAD > scratch.byteSize()) {
                sink.append(scratch, 0, filled);
                filled = 0;
            }
            filled += seal(APPLICATION_DATA, in, at, n, filled);
            at += n;
            if (write.sequence >= keyUpdateRecords) {
                sink.append(scratch, 0, filled);
                filled = 0;
                keyUpdate();
            }
        }
        if (filled > 0) {
            sink.append(scratch, 0, filled);
        }
    }

    /** Sends close_notify (once); nothing is written after it. */
    void closeNotify() throws SSLException {
        if (!outboundClosed) {
            sendAlert(CLOSE_NOTIFY);
        }
    }

    /** The connection closed its output before the handshake ended: nothing is to be written. */
    void outputClosed() {
        outboundClosed = true;
    }

    /** Overwrites the keys; the layer is unusable afterwards. */
    void erase() {
        read.erase();
        write.erase();
        outboundClosed = true;
    }

    // A record into the scratch at `to`: header, then the inner plaintext (content, type)
    // encrypted, then the tag. The content may already be in place there (src == scratch).
    private int seal(byte type, MemorySegment src, long at, int n, long to) throws SSLException {
        int body = n + OVERHEAD;
        scratch.set(ValueLayout.JAVA_BYTE, to, APPLICATION_DATA);
        scratch.set(ValueLayout.JAVA_BYTE, to + 1, (byte) 3);
        scratch.set(ValueLayout.JAVA_BYTE, to + 2, (byte) 3);
        scratch.set(ValueLayout.JAVA_BYTE, to + 3, (byte) (body >>> 8));
        scratch.set(ValueLayout.JAVA_BYTE, to + 4, (byte) body);
        MemorySegment ctx = ciphers.begin(write, true);
        ciphers.aad(ctx, scratch, to, HEADER);
        ciphers.update(ctx, src, at, scratch, to + HEADER, n);
        ciphers.type(ctx, type, scratch, to + HEADER + n);
        ciphers.seal(ctx, scratch, to + HEADER + n + 1);
        write.sequence++;
        return HEADER + body;
    }

    // 4.6.3: our KeyUpdate goes under the old key; what follows, under the new.
    private void keyUpdate() throws SSLException {
        sendKeyUpdate(false);
    }

    /** Sends a KeyUpdate, asking the peer to update its keys too or not, and moves to the next write key. */
    void sendKeyUpdate(boolean requestUpdate) throws SSLException {
        sendRecord(HANDSHAKE, new byte[] {KEY_UPDATE, 0, 0, 1, (byte) (requestUpdate ? 1 : 0)});
        write.update();
    }

    private void sendAlert(int description) throws SSLException {
        outboundClosed = true;
        sendRecord(ALERT, new byte[] {(byte) (description == CLOSE_NOTIFY ? 1 : 2), (byte) description}); // warning, fatal
    }

    /** One record of inner content type {@code type} carrying {@code content} (at most 16 KiB), to the sink. */
    void sendRecord(byte type, byte[] content) throws SSLException {
        MemorySegment.copy(content, 0, scratch, ValueLayout.JAVA_BYTE, HEADER, content.length);
        int n = seal(type, scratch, HEADER, content.length, 0);
        sink.append(scratch, 0, n);
    }

    // The alert goes first, unless close_notify was sent: then nothing more may be.
    private SSLException fatal(int description, String what) throws SSLException {
        if (!outboundClosed) {
            sendAlert(description);
        }
        return new SSLProtocolException("TLS 1.3 record layer: " + what + "; sent the alert " + alertName(description));
    }

    private static String alertName(int description) {
        String name = SslFailures.alertName(description);
        return name != null ? name : "number " + description;
    }
}
