package io.ffpoll.multiplexer.tls.openssl;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * One direction's TLS 1.3 record protection: the application traffic secret, the key and IV
 * derived from it (RFC 8446 7.3), and the record sequence number. A KeyUpdate derives the next
 * secret and starts the count again at 0 (RFC 8446 7.2). About 100 bytes of heap, no native
 * memory: this is what an idle connection keeps of its TLS state.
 */
final class TrafficKeys {
    private static final byte[] TLS13 = "tls13 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY = "key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] IV = "iv".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRAFFIC_UPDATE = "traffic upd".getBytes(StandardCharsets.US_ASCII);

    final Tls13Suite suite;
    private byte[] secret;
    byte[] key;
    byte[] iv;
    /** The next record's sequence number. */
    long sequence;

    TrafficKeys(Tls13Suite suite, byte[] secret, long sequence) {
        if (secret.length != suite.hashBytes) {
            throw new IllegalArgumentException(secret.length + "-byte secret for " + suite.standardName);
        }
        this.suite = suite;
        this.secret = secret.clone();
        this.sequence = sequence;
        derive();
    }

    private void derive() {
        key = expandLabel(suite, secret, KEY, suite.keyBytes);
        iv = expandLabel(suite, secret, IV, Tls13Suite.NONCE_BYTES);
    }

    /** The KeyUpdate step: the next generation of secret, key and IV, from sequence 0. */
    void update() {
        byte[] next = expandLabel(suite, secret, TRAFFIC_UPDATE, suite.hashBytes);
        erase();
        secret = next;
        sequence = 0;
        derive();
    }

    /** Overwrites the secret, key and IV. */
    void erase() {
        Arrays.fill(secret, (byte) 0);
        Arrays.fill(key, (byte) 0);
        Arrays.fill(iv, (byte) 0);
    }

    /**
     * HKDF-Expand-Label(secret, label, "", length) of RFC 8446 7.1, for lengths up to the
     * hash's, which is one HMAC block (RFC 5869 2.3).
     */
    static byte[] expandLabel(Tls13Suite suite, byte[] secret, byte[] label, int length) {
        if (length > suite.hashBytes) {
            throw new IllegalArgumentException("one HKDF block only");
        }
        byte[] info = new byte[2 + 1 + TLS13.length + label.length + 1 + 1];
        int at = 0;
        info[at++] = (byte) (length >>> 8);
        info[at++] = (byte) length;
        info[at++] = (byte) (TLS13.length + label.length);
        System.arraycopy(TLS13, 0, info, at, TLS13.length);
        at += TLS13.length;
        System.arraycopy(label, 0, info, at, label.length);
        at += label.length;
        info[at++] = 0; // an empty context
        info[at] = 1;   // HKDF's block counter: T(1)
        byte[] block = new byte[suite.hashBytes];
        try {
            Mac mac = Mac.getInstance(suite.hmac);
            mac.init(new SecretKeySpec(secret, suite.hmac));
            mac.update(info);
            mac.doFinal(block, 0);
            mac.reset();
            return Arrays.copyOf(block, length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + suite.hmac, e);
        } finally {
            Arrays.fill(block, (byte) 0);
        }
    }
}
