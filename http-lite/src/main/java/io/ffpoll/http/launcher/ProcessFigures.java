package io.ffpoll.http.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** This process's resident memory and open descriptors, from /proc (Linux); -1 elsewhere. */
final class ProcessFigures {
    private ProcessFigures() {}

    static long rss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            // no /proc
        }
        return -1;
    }

    static long fds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count() - 1; // less the directory stream's own
        } catch (IOException | RuntimeException notLinux) {
            return -1;
        }
    }
}
