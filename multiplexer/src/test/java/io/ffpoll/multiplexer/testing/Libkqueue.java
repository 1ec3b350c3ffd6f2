package io.ffpoll.multiplexer.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where libkqueue is, for running the kqueue backend on Linux: the build passes its path as
 * {@code -Dffpoll.libkqueue} (../shared/tools/libkqueue beside the checkout). Without it the
 * test is skipped, loudly; but where ../shared exists (CI has it), a missing library fails.
 */
public final class Libkqueue {
    private Libkqueue() {}

    /** The library's path, set as {@code ffpoll.libkqueue} for {@code Poller.open("kqueue")}; or the test is skipped. */
    public static Path require() {
        String prop = System.getProperty("ffpoll.libkqueue", "");
        Path lib = prop.isEmpty() ? null : Path.of(prop);
        if (lib == null || !Files.isRegularFile(lib)) {
            String why = "libkqueue is not at " + lib + ": the kqueue backend cannot be tested on this machine."
                    + " Put ../shared/tools/libkqueue beside this checkout (see the README, section kqueue).";
            Path shared = lib;
            for (int up = 0; up < 5 && shared != null; up++) {
                shared = shared.getParent(); // .../shared from .../shared/tools/libkqueue/linux-x86_64/lib/libkqueue.so.0
            }
            if (shared != null && Files.isDirectory(shared) && !System.getProperty("os.arch", "").contains("aarch64")) {
                throw new AssertionError("../shared is here but libkqueue is not: " + why);
            }
            System.err.println("*** SKIPPED: " + why);
            Assumptions.abort(why);
        }
        return lib;
    }
}
