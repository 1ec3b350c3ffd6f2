package io.ffpoll.bindings.bsd;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where libkqueue is for the tests that run the kqueue code on Linux: the build passes
 * {@code -Dffpoll.libkqueue.dir} (../shared/tools/libkqueue beside the checkout). Without it the
 * tests are skipped, loudly; where the environment says CI, they fail instead, since CI has it.
 */
public final class Libkqueue {
    private Libkqueue() {}

    /** The tools directory (holding include/ and lib/ under linux-x86_64), or the test is skipped. */
    public static Path dir() {
        String prop = System.getProperty("ffpoll.libkqueue.dir", "");
        Path dir = prop.isEmpty() ? null : Path.of(prop);
        if (dir == null || !Files.isRegularFile(dir.resolve("linux-x86_64/lib/libkqueue.so.0"))) {
            String why = "libkqueue is not at " + dir + " (../shared/tools/libkqueue beside this checkout): the kqueue"
                    + " backend cannot be tested on this machine. See the README, section kqueue, to get it.";
            if (System.getenv("CI") != null) {
                throw new AssertionError("CI must run the kqueue tests, but " + why);
            }
            System.err.println("*** SKIPPED: " + why);
            Assumptions.abort(why);
        }
        return dir;
    }

    /** The shared library. */
    public static Path library() {
        return dir().resolve("linux-x86_64/lib/libkqueue.so.0");
    }
}
