package io.ffpoll.multiplexer.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A certificate chain, leaf first, and the private key of its leaf.
 *
 * @param chain the certificates, leaf first; not empty
 * @param key the leaf's private key (RSA or EC)
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {
    /** Checks that there is a leaf and a key; copies the chain. */
    public CertifiedKey {
        chain = List.copyOf(chain);
        Objects.requireNonNull(key, "key");
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certificate chain needs at least its leaf");
        }
    }

    /** {@return the leaf certificate} */
    public X509Certificate leaf() {
        return chain.getFirst();
    }
}
