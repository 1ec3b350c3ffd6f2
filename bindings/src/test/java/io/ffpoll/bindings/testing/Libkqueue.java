package io.ffpoll.bindings.testing;

import io.ffpoll.bindings.bsd.NativeKevent;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * libkqueue for the tests that run the kqueue code on Linux, in every module: the library
 * named by {@code -Dffpoll.libkqueue}, else {@code libkqueue.so.0} from the dynamic linker
 * ({@link NativeKevent#libkqueue()}). The project ships no copy of it: where it is missing, the
 * calling test class is skipped with one line on stderr naming the property, never failed. The
 * kernels' behaviour is checked without it by the model tests ({@code KeventModelTest}).
 */
public final class Libkqueue {
    private Libkqueue() {}

    /**
     * Loads libkqueue (then {@code NativeKevent.libkqueue()} and {@code Poller.open("kqueue")}
     * find it); or the calling test class is skipped. Call it from {@code @BeforeAll}, so that a
     * class is skipped whole and says so once.
     */
    public static void require() {
        try {
            NativeKevent.libkqueue();
        } catch (IllegalStateException missing) {
            skip(missing.getMessage());
        }
    }

    /**
     * The directory holding libkqueue's {@code sys/event.h}, for compiling a probe against it:
     * {@code -Dffpoll.libkqueue.include} where set, else {@code ../include/kqueue} beside the
     * library of {@code -Dffpoll.libkqueue} (libkqueue's {@code make install} layout), else
     * {@code /usr/include/kqueue} (distribution packages); or the calling test class is skipped.
     *
     * @return the include directory
     */
    public static Path headerDirectory() {
        List<Path> candidates = new ArrayList<>();
        String include = System.getProperty("ffpoll.libkqueue.include", "");
        if (!include.isEmpty()) {
            candidates.add(Path.of(include));
        } else {
            String library = System.getProperty(NativeKevent.LIBKQUEUE_PROPERTY, "");
            if (!library.isEmpty()) {
                Path libDir = Path.of(library).toAbsolutePath().getParent();
                candidates.add(libDir.resolveSibling("include").resolve("kqueue"));
                candidates.add(libDir.resolveSibling("include"));
            }
            candidates.add(Path.of("/usr/include/kqueue"));
        }
        for (Path dir : candidates) {
            if (Files.isRegularFile(dir.resolve("sys/event.h"))) {
                return dir;
            }
        }
        return skip("libkqueue's sys/event.h is in none of " + candidates
                + "; name its directory with -Dffpoll.libkqueue.include=/path/to/include");
    }

    private static <T> T skip(String why) {
        String caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(StackWalker.StackFrame::getDeclaringClass)
                .filter(c -> c != Libkqueue.class)
                .findFirst().map(Class::getSimpleName).orElse("?"));
        String message = why + ". The kqueue tests on libkqueue are skipped (the kqueue model tests still run);"
                + " build libkqueue by hand and pass -D" + NativeKevent.LIBKQUEUE_PROPERTY
                + "=/path/to/libkqueue.so.0 (README, section \"kqueue and the platform layer\")";
        System.err.println("*** SKIPPED " + caller + ": " + message);
        Assumptions.abort(message);
        throw new AssertionError("unreachable: Assumptions.abort throws");
    }
}
