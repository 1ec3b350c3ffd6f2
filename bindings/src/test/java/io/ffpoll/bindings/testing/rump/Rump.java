package io.ffpoll.bindings.testing.rump;

import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Assumptions;

/**
 * For the tests that run ffpoll over a NetBSD rump kernel, in every module: the kernel's
 * libraries come from the folder named by {@code -Dffpoll.rump}, built by the user (the project
 * ships none). Without the property, the calling test class is skipped with one line on stderr
 * saying how to run it, never failed. With it, {@link Platform#current()} becomes the rump
 * platform, so the whole JVM must run only the rump tests ({@code -Dtest='Rump*'}).
 */
public final class Rump {
    private Rump() {}

    /**
     * Boots the rump kernel and makes its platform the current one; or the calling test class is
     * skipped. Call it from {@code @BeforeAll}, before anything touches {@code Platform} (or
     * {@code Err}), so that the platform is chosen here.
     */
    public static void require() {
        if (!RumpKernel.requested()) {
            skip("-D" + RumpKernel.PROPERTY + " is unset");
        }
        System.setProperty(Platform.PROVIDER_PROPERTY, RumpPlatform.class.getName());
        Platform p = Platform.current();
        if (!(p instanceof RumpPlatform)) {
            skip("the platform was chosen (" + p.name() + ") before the rump tests ran: run them in a JVM of"
                    + " their own, -Dtest='Rump*'");
        }
    }

    /** Whether the rump platform is the current one (only after {@link #require()} made it so). */
    public static boolean active() {
        return System.getProperty(Platform.PROVIDER_PROPERTY, "").equals(RumpPlatform.class.getName())
                && Platform.current() instanceof RumpPlatform;
    }

    private static void skip(String why) {
        String caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).walk(frames -> frames
                .map(StackWalker.StackFrame::getDeclaringClass)
                .filter(c -> c != Rump.class)
                .findFirst().map(Class::getSimpleName).orElse("?"));
        String message = why + ". The tests on NetBSD's kernel (a rump kernel) are skipped (the kqueue model"
                + " tests still run); build a rump kernel yourself and pass -D" + RumpKernel.PROPERTY
                + "=/path/to/rump/lib -Dtest='Rump*' (README, section \"kqueue and the platform layer\")";
        System.err.println("*** SKIPPED " + caller + ": " + message);
        Assumptions.abort(message);
    }
}
