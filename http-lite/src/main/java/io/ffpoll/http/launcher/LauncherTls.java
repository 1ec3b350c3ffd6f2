package io.ffpoll.http.launcher;

import io.ffpoll.multiplexer.net.TlsConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The launcher's {@code --tls-*} options: gathered as they are parsed, then checked and built
 * into the server's {@link TlsConfig} (ALPN http/1.1). A file that cannot be used is told as
 * a {@link TlsFileException}, naming the option and the file, for the launcher to print and
 * exit 2 with, never a stack trace.
 */
final class LauncherTls {
    /** A certificate or key file that cannot be used (missing, unreadable, not PEM, a key that does not fit). */
    static final class TlsFileException extends IOException {
        TlsFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private Path cert;
    private Path key;
    private TlsConfig.Engine engine = TlsConfig.Engine.AUTO;
    private String[] ciphers;
    private String[] groups;
    private String[] protocols;
    private boolean given;
    /** HTTPS's port (0 picks a free one). */
    int port = 8443;
    /** An inherited listening socket for HTTPS ({@code --tls-fd}), or null. */
    Integer fd;

    /** Takes one {@code --tls-*} option and its value. */
    void option(String name, String value) {
        given = true;
        switch (name) {
            case "--tls-cert" -> cert = Path.of(value);
            case "--tls-key" -> key = Path.of(value);
            case "--tls-port" -> port = Main.integer(name, value, 0, 65535);
            case "--tls-fd" -> fd = Main.integer(name, value, 0, Integer.MAX_VALUE);
            case "--tls-engine" -> engine = switch (value) {
                case "jdk" -> TlsConfig.Engine.JDK;
                case "openssl" -> TlsConfig.Engine.OPENSSL;
                case "auto" -> TlsConfig.Engine.AUTO;
                default -> throw new IllegalArgumentException("--tls-engine takes jdk, openssl or auto, not " + value);
            };
            case "--tls-ciphers" -> ciphers = list(name, value);
            case "--tls-groups" -> groups = list(name, value);
            case "--tls-protocols" -> protocols = list(name, value);
            default -> throw new IllegalArgumentException("unknown option " + name);
        }
    }

    /** {@return whether any --tls option was given} */
    boolean given() {
        return given;
    }

    /**
     * The server's configuration.
     *
     * @throws IllegalArgumentException for options that do not go together
     * @throws TlsFileException for a file that cannot be used, or an engine that does not load
     */
    TlsConfig build() throws TlsFileException {
        if (cert == null || key == null) {
            throw new IllegalArgumentException("HTTPS needs both --tls-cert and --tls-key");
        }
        readable("--tls-cert", cert);
        readable("--tls-key", key);
        if (!TlsConfig.engineAvailable(engine)) {
            throw new TlsFileException("--tls-engine " + engine.name().toLowerCase(java.util.Locale.ROOT)
                    + ": the OpenSSL engine cannot be used in this process: " + TlsConfig.engineUnavailableReason(engine)
                    + " (use --tls-engine jdk or auto)", null);
        }
        TlsConfig.Builder b = TlsConfig.server().alpn("http/1.1").engine(engine);
        given("--tls-protocols", protocols, b::protocols);
        given("--tls-ciphers", ciphers, b::cipherSuites);
        given("--tls-groups", groups, b::groups);
        try {
            b.certificate(cert, key);
        } catch (IOException | RuntimeException e) { // a parser's unchecked exception is a malformed file too
            throw new TlsFileException("--tls-cert " + cert + " with --tls-key " + key + ": " + reason(e), e);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) { // the suites' and groups' fit to versions, certificate and engine
            throw new IllegalArgumentException((groups != null && ciphers == null ? "--tls-groups: " : "--tls-ciphers: ")
                    + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new TlsFileException("TLS with --tls-cert " + cert + " and --tls-key " + key + ": " + reason(e), e);
        }
    }

    /** Sets a list option's names where it was given; the builder's refusal names the option. */
    private static void given(String option, String[] names, java.util.function.Consumer<String[]> set) {
        if (names != null) {
            try {
                set.accept(names);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
            }
        }
    }

    /** A ':'-separated list (as nginx and OpenSSL write them; ',' is taken too). */
    private static String[] list(String option, String value) {
        String[] names = java.util.Arrays.stream(value.split("[:,]")).map(String::trim).filter(n -> !n.isEmpty())
                .toArray(String[]::new);
        if (names.length == 0) {
            throw new IllegalArgumentException(option + " takes a list of names, not '" + value + "'");
        }
        return names;
    }

    private static void readable(String option, Path file) throws TlsFileException {
        if (Files.isDirectory(file)) {
            throw new TlsFileException(option + " " + file + ": a directory, not a file", null);
        }
        if (!Files.isRegularFile(file)) {
            throw new TlsFileException(option + " " + file + ": no such file", null);
        }
        if (!Files.isReadable(file)) {
            throw new TlsFileException(option + " " + file + ": not readable by this process", null);
        }
    }

    /** The exception's message, and its cause's when that says more. */
    private static String reason(Throwable e) {
        String m = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        Throwable c = e.getCause();
        return c != null && c.getMessage() != null && !m.contains(c.getMessage()) ? m + " (" + c.getMessage() + ")" : m;
    }
}
