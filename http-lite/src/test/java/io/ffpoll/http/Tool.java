package io.ffpoll.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A command-line client (curl, openssl s_client) run to its end, its output kept. */
public final class Tool {
    private Tool() {}

    /** What a tool printed, and how it exited. */
    public record Run(int exit, String out, String err) {
        public String all() {
            return out + err;
        }
    }

    /**
     * Runs {@code command} with {@code stdin} as its input, to its end (at most 60 s), and
     * closes its pipes: a test's descriptor count is back when this returns.
     */
    public static Run run(List<String> command, String stdin) throws IOException, InterruptedException {
        return run(command, stdin, false);
    }

    /**
     * As {@link #run(List, String)}; with {@code keepInputOpen} the tool's input stays open
     * after {@code stdin} until the tool ends by itself (destroyed after 60 s), so that it does
     * not take the end of its input as a command to quit.
     */
    public static Run run(List<String> command, String stdin, boolean keepInputOpen) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    killed.set(true);
                    p.destroyForcibly();
                }
            } catch (InterruptedException done) {
                // the tool ended in time
            }
        });
        // stderr on a platform thread of its own, so that neither pipe fills while the other is read
        CompletableFuture<String> err = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("tool-stderr-" + p.pid()).start(() -> {
            try (InputStream e = p.getErrorStream()) {
                err.complete(new String(e.readAllBytes(), StandardCharsets.ISO_8859_1));
            } catch (IOException | RuntimeException e) {
                err.completeExceptionally(e);
            }
        });
        OutputStream in = p.getOutputStream();
        try {
            in.write(stdin.getBytes(StandardCharsets.ISO_8859_1));
            in.flush();
        } catch (IOException exited) {
            // it did not read its input (it failed first, or reads none): its output tells
        }
        if (!keepInputOpen) {
            closeQuietly(in);
        }
        String out;
        try (InputStream o = p.getInputStream()) {
            out = new String(o.readAllBytes(), StandardCharsets.ISO_8859_1);
        } finally {
            closeQuietly(in);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not end within 60 s");
        watchdog.interrupt();
        watchdog.join();
        assertFalse(killed.get(), String.join(" ", command) + " did not end within 60 s: killed");
        try {
            return new Run(p.exitValue(), out, err.get(60, TimeUnit.SECONDS));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new UncheckedIOException(new IOException("reading " + command.getFirst() + "'s stderr", e));
        }
    }

    private static void closeQuietly(OutputStream in) {
        try {
            in.close();
        } catch (IOException exited) {
            // the tool is gone: nothing to tell it
        }
    }
}
