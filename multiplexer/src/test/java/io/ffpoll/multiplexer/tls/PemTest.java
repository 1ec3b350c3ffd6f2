package io.ffpoll.multiplexer.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;

import static io.ffpoll.multiplexer.tls.PemFixtures.openssl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PemTest {
    @TempDir
    static Path dir;

    static Path caKey, caCert, leafKey, leafCert, chain, ecKey, ecCert, otherRsaKey;

    @BeforeAll
    static void makeKeys() throws Exception {
        PemFixtures.assumeOpenssl();
        caKey = PemFixtures.rsaKey(dir, "ca.key");
        caCert = PemFixtures.selfSigned(dir, "ca.pem", caKey, "Test CA");
        leafKey = PemFixtures.rsaKey(dir, "leaf.key");
        leafCert = PemFixtures.issued(dir, "leaf.pem", leafKey, "leaf.test", caCert, caKey);
        chain = PemFixtures.concat(dir, "chain.pem", leafCert, caCert);
        ecKey = PemFixtures.ecKey(dir, "ec.key");
        ecCert = PemFixtures.selfSigned(dir, "ec.pem", ecKey, "ec.test");
        otherRsaKey = PemFixtures.rsaKey(dir, "other.key");
    }

    @Test
    void readsEveryCertificateInOrder() throws IOException {
        List<X509Certificate> one = Pem.certificates(leafCert);
        assertEquals(1, one.size());
        assertEquals("CN=leaf.test", one.getFirst().getSubjectX500Principal().getName());

        List<X509Certificate> two = Pem.certificates(chain);
        assertEquals(List.of("CN=leaf.test", "CN=Test CA"),
                two.stream().map(c -> c.getSubjectX500Principal().getName()).toList());
        assertEquals(one.getFirst(), two.getFirst());
    }

    @Test
    void ignoresTextAroundTheBlocks() throws IOException {
        Path annotated = Files.writeString(dir.resolve("annotated.pem"), "Bag Attributes\n    friendlyName: leaf\r\n"
                + Files.readString(leafCert).replace("\n", "\r\n") + "trailing words\n");
        assertEquals(Pem.certificates(leafCert), Pem.certificates(annotated));
    }

    @Test
    void aFileWithoutCertificateIsRefusedByName() {
        IOException e = assertThrows(IOException.class, () -> Pem.certificates(leafKey));
        assertTrue(e.getMessage().contains(leafKey.toString()) && e.getMessage().contains("no certificate"), e.getMessage());
    }

    @Test
    void readsPkcs8RsaAndEcKeys() throws Exception {
        PrivateKey rsa = Pem.privateKey(leafKey);
        assertEquals("RSA", rsa.getAlgorithm());
        assertEquals(rsa, Pem.certifiedKey(chain, leafKey).key());

        PrivateKey ec = Pem.privateKey(ecKey);
        assertEquals("EC", ec.getAlgorithm());
        assertEquals(ec, Pem.certifiedKey(ecCert, ecKey).key());
    }

    @Test
    void readsPkcs1RsaKeys() throws Exception {
        openssl(dir, "rsa", "-in", leafKey.toString(), "-traditional", "-out", "leaf.pkcs1");
        Path pkcs1 = dir.resolve("leaf.pkcs1");
        assertTrue(Files.readString(pkcs1).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        assertSameKey(Pem.privateKey(leafKey), Pem.privateKey(pkcs1));
        Pem.certifiedKey(chain, pkcs1);
    }

    @Test
    void readsSec1EcKeysByTheirNamedCurve() throws Exception {
        openssl(dir, "ec", "-in", ecKey.toString(), "-out", "ec.sec1");
        Path sec1 = dir.resolve("ec.sec1");
        assertTrue(Files.readString(sec1).startsWith("-----BEGIN EC PRIVATE KEY-----"));
        assertSameKey(Pem.privateKey(ecKey), Pem.privateKey(sec1));
        Pem.certifiedKey(ecCert, sec1);

        // openssl ecparam -genkey writes the curve's own block before the key.
        openssl(dir, "ecparam", "-name", "secp384r1", "-genkey", "-out", "p384.sec1");
        assertEquals("EC", Pem.privateKey(dir.resolve("p384.sec1")).getAlgorithm());
    }

    @Test
    void refusesSec1KeysWithoutOrWithSpelledOutCurve() throws Exception {
        // ECPrivateKey { version 1, privateKey OCTET STRING (32 bytes) }: no parameters [0].
        byte[] der = new byte[39];
        byte[] head = {0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20};
        System.arraycopy(head, 0, der, 0, head.length);
        der[head.length] = 1;
        Path bare = pem("bare.sec1", "EC PRIVATE KEY", der);
        IOException e = assertThrows(IOException.class, () -> Pem.privateKey(bare));
        assertTrue(e.getMessage().contains(bare.toString()) && e.getMessage().contains("does not name its curve"),
                e.getMessage());

        openssl(dir, "ec", "-in", ecKey.toString(), "-param_enc", "explicit", "-out", "explicit.sec1");
        Path explicit = dir.resolve("explicit.sec1");
        e = assertThrows(IOException.class, () -> Pem.privateKey(explicit));
        assertTrue(e.getMessage().contains(explicit.toString()) && e.getMessage().contains("spells its curve out"),
                e.getMessage());
    }

    @Test
    void acceptsChainAndKeyInOneFile() throws IOException {
        Path both = PemFixtures.concat(dir, "both.pem", leafCert, caCert, leafKey);
        CertifiedKey k = Pem.certifiedKey(both, both);
        assertEquals(2, k.chain().size());
        assertEquals(Pem.privateKey(leafKey), k.key());

        Path keyFirst = PemFixtures.concat(dir, "key-first.pem", leafKey, leafCert);
        assertEquals(k.leaf(), Pem.certifiedKey(keyFirst, keyFirst).leaf());
    }

    @Test
    void refusesAKeyThatIsNotTheLeafs() {
        IOException e = assertThrows(IOException.class, () -> Pem.certifiedKey(chain, otherRsaKey));
        assertTrue(e.getMessage().startsWith("the key in " + otherRsaKey + " does not match the certificate in " + chain),
                e.getMessage());

        e = assertThrows(IOException.class, () -> Pem.certifiedKey(chain, ecKey));
        assertTrue(e.getMessage().startsWith("the key in " + ecKey + " does not match the certificate in " + chain),
                e.getMessage());
    }

    @Test
    void saysSoWhenTheLeafIsNotFirst() throws IOException {
        Path reversed = PemFixtures.concat(dir, "reversed.pem", caCert, leafCert);
        IOException e = assertThrows(IOException.class, () -> Pem.certifiedKey(reversed, leafKey));
        assertTrue(e.getMessage().contains("matches certificate 2 of the chain"), e.getMessage());
    }

    @Test
    void refusesEncryptedKeysWithTheCommandThatDecryptsThem() throws Exception {
        openssl(dir, "pkey", "-in", leafKey.toString(), "-aes256", "-passout", "pass:secret", "-out", "enc.pkcs8");
        openssl(dir, "rsa", "-in", leafKey.toString(), "-traditional", "-aes256", "-passout", "pass:secret",
                "-out", "enc.pkcs1");
        assertTrue(Files.readString(dir.resolve("enc.pkcs1")).contains("Proc-Type: 4,ENCRYPTED"));
        for (String name : List.of("enc.pkcs8", "enc.pkcs1")) {
            Path p = dir.resolve(name);
            IOException e = assertThrows(IOException.class, () -> Pem.privateKey(p));
            assertTrue(e.getMessage().contains("encrypted keys are not supported")
                    && e.getMessage().contains("openssl pkey -in " + p), e.getMessage());
        }
    }

    @Test
    void refusesKeysOfOtherAlgorithms() throws Exception {
        openssl(dir, "genpkey", "-algorithm", "ED25519", "-out", "ed.key");
        Path ed = dir.resolve("ed.key");
        IOException e = assertThrows(IOException.class, () -> Pem.privateKey(ed));
        assertTrue(e.getMessage().contains(ed.toString()) && e.getMessage().contains("Ed25519")
                && e.getMessage().contains("only RSA and EC"), e.getMessage());
    }

    @Test
    void refusesTwoKeysInOneFile() throws IOException {
        Path two = PemFixtures.concat(dir, "two-keys.pem", leafKey, otherRsaKey);
        IOException e = assertThrows(IOException.class, () -> Pem.privateKey(two));
        assertTrue(e.getMessage().contains("more than one private key"), e.getMessage());
    }

    @Test
    void garbageIsAnIOExceptionNamingTheFile() throws IOException {
        Path badBase64 = Files.writeString(dir.resolve("bad64.pem"),
                "-----BEGIN CERTIFICATE-----\nMIIB*not~base64\n-----END CERTIFICATE-----\n");
        IOException e = assertThrows(IOException.class, () -> Pem.certificates(badBase64));
        assertTrue(e.getMessage().contains(badBase64.toString()) && e.getMessage().contains("not valid base64"),
                e.getMessage());

        Path notDer = pem("notder.key", "PRIVATE KEY", new byte[] {0x30, 0x7F, 0x02});
        e = assertThrows(IOException.class, () -> Pem.privateKey(notDer));
        assertTrue(e.getMessage().contains(notDer.toString()) && e.getMessage().contains("malformed DER"), e.getMessage());

        Path notCert = pem("notcert.pem", "CERTIFICATE", new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
        e = assertThrows(IOException.class, () -> Pem.certificates(notCert));
        assertTrue(e.getMessage().contains(notCert.toString()) && e.getMessage().contains("cannot be parsed"),
                e.getMessage());

        Path unterminated = Files.writeString(dir.resolve("unterminated.pem"),
                Files.readString(leafCert).replace("-----END CERTIFICATE-----", ""));
        e = assertThrows(IOException.class, () -> Pem.certificates(unterminated));
        assertTrue(e.getMessage().contains("has no -----END CERTIFICATE----- line"), e.getMessage());

        Path binary = Files.write(dir.resolve("binary.der"), new byte[] {(byte) 0xFF, 0, (byte) 0xC3, 0x28});
        e = assertThrows(IOException.class, () -> Pem.certificates(binary));
        assertTrue(e.getMessage().contains("no certificate"), e.getMessage());

        Path missing = dir.resolve("missing.pem");
        e = assertThrows(NoSuchFileException.class, () -> Pem.certificates(missing));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    @Test
    void readsPkcs12WithItsPassword() throws Exception {
        openssl(dir, "pkcs12", "-export", "-in", leafCert.toString(), "-inkey", leafKey.toString(),
                "-certfile", caCert.toString(), "-passout", "pass:changeit", "-out", "leaf.p12");
        Path p12 = dir.resolve("leaf.p12");
        CertifiedKey k = Pem.pkcs12(p12, "changeit".toCharArray());
        assertEquals(List.of("CN=leaf.test", "CN=Test CA"),
                k.chain().stream().map(c -> c.getSubjectX500Principal().getName()).toList());
        assertSameKey(Pem.privateKey(leafKey), k.key());

        IOException e = assertThrows(IOException.class, () -> Pem.pkcs12(p12, "wrong".toCharArray()));
        assertEquals(p12 + ": wrong password for the PKCS#12 keystore", e.getMessage());

        e = assertThrows(IOException.class, () -> Pem.pkcs12(leafCert, "changeit".toCharArray()));
        assertTrue(e.getMessage().startsWith(leafCert + ": not a readable PKCS#12 keystore"), e.getMessage());
    }

    @Test
    void refusesPkcs12WithoutKey() throws Exception {
        openssl(dir, "pkcs12", "-export", "-nokeys", "-in", caCert.toString(), "-passout", "pass:changeit",
                "-out", "ca.p12");
        Path p12 = dir.resolve("ca.p12");
        IOException e = assertThrows(IOException.class, () -> Pem.pkcs12(p12, "changeit".toCharArray()));
        assertEquals(p12 + ": no private key entry in the PKCS#12 keystore", e.getMessage());
    }

    /** Keys equal as numbers: their encodings may differ (optional fields the JDK keeps as given). */
    private static void assertSameKey(PrivateKey expected, PrivateKey actual) {
        assertEquals(expected.getAlgorithm(), actual.getAlgorithm());
        if (expected instanceof RSAPrivateKey e && actual instanceof RSAPrivateKey a) {
            assertEquals(e.getModulus(), a.getModulus());
            assertEquals(e.getPrivateExponent(), a.getPrivateExponent());
        } else if (expected instanceof ECPrivateKey e && actual instanceof ECPrivateKey a) {
            assertEquals(e.getS(), a.getS());
            assertEquals(e.getParams().getCurve(), a.getParams().getCurve());
            assertEquals(e.getParams().getGenerator(), a.getParams().getGenerator());
        } else {
            throw new AssertionError("not RSA or EC: " + expected + ", " + actual);
        }
    }

    private static Path pem(String name, String label, byte[] der) throws IOException {
        String text = "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }
}
