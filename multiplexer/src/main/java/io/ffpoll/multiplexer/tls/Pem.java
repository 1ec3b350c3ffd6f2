package io.ffpoll.multiplexer.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * Reads certificates and keys as servers keep them: PEM files (nginx's {@code ssl_certificate}
 * and {@code ssl_certificate_key}) and PKCS#12 keystores. Text outside the
 * {@code -----BEGIN ...-----} / {@code -----END ...-----} blocks is ignored, as OpenSSL ignores
 * it ({@code openssl x509 -text} output, {@code Bag Attributes} lines). Every failure is an
 * {@link IOException} whose message names the file and what is wrong with it. Stateless and
 * thread-safe.
 */
public final class Pem {
    private static final String CERTIFICATE = "CERTIFICATE";

    private Pem() {}

    /**
     * Every {@code CERTIFICATE} block of a PEM file, in the file's order.
     *
     * @param pem the file
     * @return the certificates; not empty
     * @throws IOException if the file cannot be read, holds no certificate, or a block is not
     *     valid base64 or not an X.509 certificate
     */
    public static List<X509Certificate> certificates(Path pem) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory factory = x509();
        for (Block b : blocks(pem)) {
            if (!b.label.equals(CERTIFICATE)) {
                continue;
            }
            try {
                out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der(pem))));
            } catch (CertificateException e) {
                throw new IOException(pem + ": the certificate at line " + b.line + " cannot be parsed: " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) {
            throw new IOException(pem + ": no certificate (no -----BEGIN CERTIFICATE----- block)");
        }
        return out;
    }

    /**
     * The one private key of a PEM file, unencrypted, RSA or EC, in any of the forms OpenSSL
     * writes: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or
     * SEC1 ({@code BEGIN EC PRIVATE KEY}, which must name its curve). Other blocks in the file
     * (certificates, {@code EC PARAMETERS}) are skipped.
     *
     * @param pem the file
     * @return the key
     * @throws IOException if the file cannot be read, holds no key or more than one, the key is
     *     encrypted, malformed, or neither RSA nor EC
     */
    public static PrivateKey privateKey(Path pem) throws IOException {
        Block key = null;
        for (Block b : blocks(pem)) {
            if (!b.label.endsWith("PRIVATE KEY")) {
                continue;
            }
            if (key != null) {
                throw new IOException(pem + ": more than one private key (lines " + key.line + " and " + b.line
                        + "); keep the one that belongs to the certificate");
            }
            key = b;
        }
        if (key == null) {
            throw new IOException(pem + ": no private key (no -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY"
                    + " or EC PRIVATE KEY block)");
        }
        if (key.label.equals("ENCRYPTED PRIVATE KEY") || key.encrypted) {
            throw new IOException(pem + ": the private key is encrypted, and encrypted keys are not supported;"
                    + " decrypt it with: openssl pkey -in " + pem + " -out <decrypted.pem>");
        }
        byte[] der = key.der(pem);
        try {
            return switch (key.label) {
                case "PRIVATE KEY" -> PrivateKeys.pkcs8(der);
                case "RSA PRIVATE KEY" -> PrivateKeys.pkcs1(der);
                case "EC PRIVATE KEY" -> PrivateKeys.sec1(der);
                default -> throw new IOException("the format is not supported; use PKCS#8 (BEGIN PRIVATE KEY),"
                        + " RSA PRIVATE KEY or EC PRIVATE KEY");
            };
        } catch (IOException e) {
            throw new IOException(pem + ": the " + key.label + " at line " + key.line + ": " + e.getMessage(), e);
        }
    }

    /**
     * A certificate chain and its key from PEM files, as nginx's {@code ssl_certificate} and
     * {@code ssl_certificate_key} take them; both may name the same file holding the chain and
     * the key.
     *
     * @param chainPem the chain, leaf first
     * @param keyPem the leaf's private key
     * @return the pair
     * @throws IOException as {@link #certificates} and {@link #privateKey} do, or if the key is
     *     not the leaf's
     */
    public static CertifiedKey certifiedKey(Path chainPem, Path keyPem) throws IOException {
        List<X509Certificate> chain = certificates(chainPem);
        PrivateKey key = privateKey(keyPem);
        requireMatch(chain, key, "the key in " + keyPem + " does not match the certificate in " + chainPem);
        return new CertifiedKey(chain, key);
    }

    /**
     * The first private key entry of a PKCS#12 keystore and its chain. The key must be
     * protected by the keystore's own password, as {@code openssl pkcs12 -export} and
     * {@code keytool} make them.
     *
     * @param p12 the keystore
     * @param password its password
     * @return the pair
     * @throws IOException if the file cannot be read or is not PKCS#12, the password is wrong,
     *     or it holds no RSA or EC key entry
     */
    public static CertifiedKey pkcs12(Path p12, char[] password) throws IOException {
        KeyStore store;
        try (InputStream in = open(p12)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
        } catch (IOException e) {
            if (e instanceof NoSuchFileException || e instanceof AccessDeniedException) {
                throw e;
            }
            // The JDK reports a failed integrity check as an IOException caused by this.
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IOException(p12 + ": wrong password for the PKCS#12 keystore", e);
            }
            throw new IOException(p12 + ": not a readable PKCS#12 keystore: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IOException(p12 + ": the PKCS#12 keystore cannot be loaded: " + e.getMessage(), e);
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (!store.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class)) {
                    continue;
                }
                KeyStore.PrivateKeyEntry entry =
                        (KeyStore.PrivateKeyEntry) store.getEntry(alias, new KeyStore.PasswordProtection(password));
                String algorithm = entry.getPrivateKey().getAlgorithm();
                if (!algorithm.equals("RSA") && !algorithm.equals("EC")) {
                    throw new IOException(p12 + ": the key \"" + alias + "\" is " + algorithm
                            + "; only RSA and EC keys are supported");
                }
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : entry.getCertificateChain()) {
                    chain.add((X509Certificate) c);
                }
                requireMatch(chain, entry.getPrivateKey(), p12 + ": the key \"" + alias + "\" does not match its certificate");
                return new CertifiedKey(chain, entry.getPrivateKey());
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(p12 + ": the key cannot be recovered with the keystore's password (a key password"
                    + " different from the keystore's is not supported): " + e.getMessage(), e);
        }
        throw new IOException(p12 + ": no private key entry in the PKCS#12 keystore");
    }

    /**
     * Fails unless {@code key} is the private half of the leaf's public key. The check signs a
     * random nonce and verifies it with the leaf: it covers both algorithms with one path, and
     * costs a signature once per configuration.
     */
    private static void requireMatch(List<X509Certificate> chain, PrivateKey key, String message) throws IOException {
        if (matches(key, chain.getFirst().getPublicKey())) {
            return;
        }
        // A key that fits another certificate of the chain means the chain is out of order,
        // which the bare "does not match" would hide.
        for (int i = 1; i < chain.size(); i++) {
            if (matches(key, chain.get(i).getPublicKey())) {
                throw new IOException(message + ": it matches certificate " + (i + 1)
                        + " of the chain; the leaf must come first");
            }
        }
        X509Certificate leaf = chain.getFirst();
        throw new IOException(message + " (" + leaf.getSubjectX500Principal().getName() + ": its public key is "
                + leaf.getPublicKey().getAlgorithm() + ", the private key is " + key.getAlgorithm() + ")");
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> null;
        };
        if (algorithm == null) {
            return false;
        }
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // A key of another curve or size: the halves do not belong together.
            return false;
        }
    }

    private static CertificateFactory x509() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new AssertionError("every JDK has an X.509 certificate factory", e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        try {
            return Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(file.toString(), null, "permission denied");
        }
    }

    /**
     * One {@code -----BEGIN label-----} block.
     *
     * @param label the label
     * @param line the line of its BEGIN, from 1
     * @param encrypted whether its RFC 1421 headers say {@code Proc-Type: 4,ENCRYPTED}
     * @param base64 its body, whitespace removed
     */
    private record Block(String label, int line, boolean encrypted, String base64) {
        byte[] der(Path file) throws IOException {
            try {
                return Base64.getDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the " + label + " at line " + line + " is not valid base64: "
                        + e.getMessage(), e);
            }
        }
    }

    private static List<Block> blocks(Path file) throws IOException {
        String text;
        try (InputStream in = open(file)) {
            // Latin-1 maps every byte to a char, so a binary file is reported as holding no
            // block rather than failing to decode.
            text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        List<Block> out = new ArrayList<>();
        String label = null;
        int begin = 0;
        boolean encrypted = false;
        boolean inHeaders = false;
        boolean sawHeader = false;
        StringBuilder body = new StringBuilder();
        int n = 0;
        for (String raw : text.split("\r?\n|\r", -1)) {
            n++;
            String line = raw.strip();
            if (label == null) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----") && line.length() > 16) {
                    label = line.substring(11, line.length() - 5);
                    begin = n;
                    encrypted = false;
                    inHeaders = true;
                    sawHeader = false;
                    body.setLength(0);
                }
                continue;
            }
            if (line.startsWith("-----BEGIN ")) {
                throw new IOException(file + ": the " + label + " that begins at line " + begin + " has no -----END "
                        + label + "----- line before line " + n);
            }
            if (line.startsWith("-----END ")) {
                if (!line.equals("-----END " + label + "-----")) {
                    throw new IOException(file + ": the " + label + " that begins at line " + begin
                            + " ends with \"" + line + "\" at line " + n);
                }
                out.add(new Block(label, begin, encrypted, body.toString()));
                label = null;
                continue;
            }
            if (inHeaders) {
                // RFC 1421 headers (Proc-Type, DEK-Info) precede the body: base64 has no colon,
                // a continuation line starts with white space, and a blank line separates them
                // from the body.
                if (line.indexOf(':') > 0) {
                    sawHeader = true;
                    encrypted |= line.startsWith("Proc-Type:") && line.contains("ENCRYPTED");
                    continue;
                }
                if (line.isEmpty() || (sawHeader && Character.isWhitespace(raw.charAt(0)))) {
                    continue;
                }
                inHeaders = false;
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (!Character.isWhitespace(c)) {
                    body.append(c);
                }
            }
        }
        if (label != null) {
            throw new IOException(file + ": the " + label + " that begins at line " + begin + " has no -----END " + label
                    + "----- line");
        }
        return out;
    }
}
