package io.ffpoll.multiplexer.tls.openssl;

/**
 * The TLS 1.3 cipher suites whose records {@link Tls13Records} protects (RFC 8446 B.4): the
 * libcrypto AEAD that runs them, its key length, and the HMAC of the suite's hash, which derives
 * keys from traffic secrets (HKDF, RFC 5869). Every AEAD here has a 12-byte nonce and a 16-byte
 * tag.
 */
enum Tls13Suite {
    AES_128_GCM_SHA256("TLS_AES_128_GCM_SHA256", "AES-128-GCM", 16, "HmacSHA256", 32),
    AES_256_GCM_SHA384("TLS_AES_256_GCM_SHA384", "AES-256-GCM", 32, "HmacSHA384", 48),
    CHACHA20_POLY1305_SHA256("TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305", 32, "HmacSHA256", 32);

    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;

    final String standardName;
    final String evpName;
    final int keyBytes;
    final String hmac;
    final int hashBytes;

    Tls13Suite(String standardName, String evpName, int keyBytes, String hmac, int hashBytes) {
        this.standardName = standardName;
        this.evpName = evpName;
        this.keyBytes = keyBytes;
        this.hmac = hmac;
        this.hashBytes = hashBytes;
    }

    /** {@return the suite of that IANA name, or null for one not here (the CCM suites)} */
    static Tls13Suite of(String standardName) {
        for (Tls13Suite s : values()) {
            if (s.standardName.equals(standardName)) {
                return s;
            }
        }
        return null;
    }
}
