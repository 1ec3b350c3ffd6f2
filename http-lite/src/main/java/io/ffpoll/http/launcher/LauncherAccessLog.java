package io.ffpoll.http.launcher;

import io.ffpoll.http.AccessLog;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The launcher's {@code --access-log FILE|-} and {@code --access-log-format clf|json}: read in
 * any order, and the log opened once all options are read, so that a mistake in them opens no
 * file and starts no thread.
 */
final class LauncherAccessLog {
    private String to;
    private AccessLog.Format format = AccessLog.Format.CLF;

    void option(String name, String value) {
        if (name.equals("--access-log")) {
            to = value;
            return;
        }
        format = switch (value) {
            case "clf" -> AccessLog.Format.CLF;
            case "json" -> AccessLog.Format.JSON;
            default -> throw new IllegalArgumentException("--access-log-format takes clf or json, not " + value);
        };
    }

    /** The log asked for, or null: {@code -} is standard output, flushed but left open; else a file, appended to. */
    AccessLog open() throws IOException {
        if (to == null) {
            return null;
        }
        if (to.equals("-")) {
            return AccessLog.of(System.out, format, AccessLog.DEFAULT_CAPACITY);
        }
        try {
            return AccessLog.open(Path.of(to), format);
        } catch (IOException | InvalidPathException e) {
            throw new IOException("--access-log " + to + ": cannot be opened for appending (" + e + ")", e);
        }
    }
}
