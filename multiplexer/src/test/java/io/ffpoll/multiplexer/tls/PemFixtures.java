package io.ffpoll.multiplexer.tls;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Keys and certificates made at test time by the openssl command (OpenSSL 3), so no key
 * material is checked in and none expires. Every file goes into the caller's directory.
 */
final class PemFixtures {
    static final Path OPENSSL = Path.of("/usr/bin/openssl");

    private PemFixtures() {}

    /** Skips the calling test class where the openssl command is absent. */
    static void assumeOpenssl() {
        assumeTrue(Files.isExecutable(OPENSSL), "these tests make their keys with " + OPENSSL + ", which is absent");
    }

    /**
     * Runs openssl in {@code dir}; its standard input is empty, so a prompt fails instead of
     * waiting.
     */
    static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(OPENSSL.toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output;
        try (InputStream in = p.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        int rc = p.waitFor();
        if (rc != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + rc + ":\n" + output);
        }
    }

    /** A 2048-bit RSA key in PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    static Path rsaKey(Path dir, String name) throws IOException, InterruptedException {
        openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", name);
        return dir.resolve(name);
    }

    /** A P-256 key in PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    static Path ecKey(Path dir, String name) throws IOException, InterruptedException {
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
        return dir.resolve(name);
    }

    /** A self-signed certificate for {@code key}, its subject and DNS name {@code cn}. */
    static Path selfSigned(Path dir, String name, Path key, String cn) throws IOException, InterruptedException {
        openssl(dir, "req", "-x509", "-new", "-key", key.toString(), "-subj", "/CN=" + cn,
                "-addext", "subjectAltName=DNS:" + cn, "-days", "2", "-out", name);
        return dir.resolve(name);
    }

    /** A certificate for {@code key} named {@code cn}, issued by {@code caCert}. */
    static Path issued(Path dir, String name, Path key, String cn, Path caCert, Path caKey)
            throws IOException, InterruptedException {
        String csr = name + ".csr";
        openssl(dir, "req", "-new", "-key", key.toString(), "-subj", "/CN=" + cn, "-out", csr);
        openssl(dir, "x509", "-req", "-in", csr, "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", "2", "-days", "2", "-out", name);
        return dir.resolve(name);
    }

    /** The files one after the other, as {@code cat} joins them. */
    static Path concat(Path dir, String name, Path... parts) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Path p : parts) {
            text.append(Files.readString(p));
        }
        return Files.writeString(dir.resolve(name), text);
    }
}
