package io.ffpoll.multiplexer.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Map;

/**
 * Turns the three unencrypted DER forms of a private key that PEM files carry into a
 * {@link PrivateKey}, through the JDK's own key factories: PKCS#8 directly, and PKCS#1 (RSA) and
 * SEC1 (EC) after wrapping them into PKCS#8, the one form those factories read. Messages say
 * what is wrong with the key; the caller names the file.
 */
final class PrivateKeys {
    /** Algorithms a TLS certificate may carry that the engines do not take, named for messages. */
    private static final Map<String, String> OTHERS = Map.of(
            "1.2.840.113549.1.1.10", "RSASSA-PSS",
            "1.3.101.112", "Ed25519",
            "1.3.101.113", "Ed448",
            "1.2.840.10040.4.1", "DSA");

    private PrivateKeys() {}

    /**
     * A PKCS#8 PrivateKeyInfo ({@code BEGIN PRIVATE KEY}).
     *
     * @param der the encoding
     * @return the RSA or EC key
     * @throws IOException if it is malformed or of another algorithm
     */
    static PrivateKey pkcs8(byte[] der) throws IOException {
        Der.Reader info = new Der.Reader(der).next(Der.SEQUENCE, "PrivateKeyInfo").children();
        info.next(Der.INTEGER, "version");
        byte[] oid = info.next(Der.SEQUENCE, "AlgorithmIdentifier").children().next(Der.OID, "algorithm").content();
        String algorithm;
        if (Arrays.equals(oid, Der.RSA_ENCRYPTION)) {
            algorithm = "RSA";
        } else if (Arrays.equals(oid, Der.EC_PUBLIC_KEY)) {
            algorithm = "EC";
        } else {
            String dotted = Der.oidString(oid);
            String name = OTHERS.get(dotted);
            throw new IOException("the key's algorithm is " + (name == null ? "OID " + dotted : name + " (" + dotted + ")")
                    + "; only RSA and EC keys are supported");
        }
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException("the " + algorithm + " key cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * A PKCS#1 RSAPrivateKey ({@code BEGIN RSA PRIVATE KEY}).
     *
     * @param der the encoding
     * @return the key
     * @throws IOException if it is malformed
     */
    static PrivateKey pkcs1(byte[] der) throws IOException {
        // Checked here so that garbage is reported as such, not as whatever the factory says.
        Der.Reader key = new Der.Reader(der).next(Der.SEQUENCE, "RSAPrivateKey").children();
        key.next(Der.INTEGER, "version");
        key.next(Der.INTEGER, "modulus");
        // RFC 8017 appendix A.1: rsaEncryption's parameters are an explicit NULL.
        return pkcs8(Der.pkcs8(Der.RSA_ENCRYPTION, Der.encode(Der.NULL), der));
    }

    /**
     * A SEC1 ECPrivateKey ({@code BEGIN EC PRIVATE KEY}, RFC 5915), which must name its curve
     * in its parameters: PKCS#8 carries the curve beside the key, not in it.
     *
     * @param der the encoding
     * @return the key
     * @throws IOException if it is malformed, names no curve, or spells the curve out
     */
    static PrivateKey sec1(byte[] der) throws IOException {
        Der.Reader key = new Der.Reader(der).next(Der.SEQUENCE, "ECPrivateKey").children();
        key.next(Der.INTEGER, "version");
        key.next(Der.OCTET_STRING, "privateKey");
        byte[] curve = null;
        while (key.hasMore()) {
            Der.Element e = key.next();
            if (e.tag() == Der.CONTEXT_0) {
                Der.Element parameters = e.children().next();
                if (parameters.tag() != Der.OID) {
                    throw new IOException("the EC key spells its curve out instead of naming it; rewrite it with"
                            + " openssl ec -param_enc named_curve");
                }
                curve = Der.encode(Der.OID, parameters.content());
            }
        }
        if (curve == null) {
            throw new IOException("the EC key does not name its curve (ECPrivateKey parameters [0] are absent)");
        }
        return pkcs8(Der.pkcs8(Der.EC_PUBLIC_KEY, curve, der));
    }
}
