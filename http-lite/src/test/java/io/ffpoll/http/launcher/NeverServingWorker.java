package io.ffpoll.http.launcher;


import java.io.FileInputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * The launcher, whose workers never report that they serve: with {@code --workers} it runs as
 * {@link Main}, and the supervisor starts this same class as its workers (it runs its own
 * command line), which hold the ready pipe open and report nothing. Such a worker ends on
 * SIGTERM (the JVM's default), or once its supervisor is gone (end-of-file on fd 4), so that
 * none outlives a test.
 */
final class NeverServingWorker {
    private NeverServingWorker() {}

    public static void main(String[] args) throws Exception {
        if (!Arrays.asList(args).contains("--supervised")) {
            Main.main(args);
            return;
        }
        System.out.println("worker waiting, never serving");
        try (FileInputStream parent = new FileInputStream("/proc/self/fd/" + Worker.PARENT_FD)) {
            while (parent.read() != -1) {
                // the supervisor writes nothing: only its end closing matters
            }
        } catch (IOException gone) {
            // the same: the supervisor's end is gone
        }
        System.exit(0);
    }
}
