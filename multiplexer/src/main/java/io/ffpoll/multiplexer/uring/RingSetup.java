package io.ffpoll.multiplexer.uring;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.ErrnoCodes;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.IoUring;
import io.ffpoll.bindings.linux.IoUringAbi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;

import static io.ffpoll.bindings.linux.IoUringAbi.offset;

/**
 * Making a {@link Ring}: the setup flags, from the best this kernel takes down to none, the
 * features the backend cannot do without, and what a refused io_uring_setup means here.
 */
final class RingSetup {
    private static final StructLayout P = IoUringAbi.io_uring_params;

    private RingSetup() {}

    /**
     * Sets up a ring of {@code entries} SQEs and {@code cqEntries} CQEs: SINGLE_ISSUER with
     * DEFER_TASKRUN (Linux 6.1), else COOP_TASKRUN (5.19), else neither, each with SUBMIT_ALL
     * where known; the kernel must have EXT_ARG (5.11), NODROP (5.5) and multishot polls (5.13). Throws with the errno
     * of the first attempt where all fail (EPERM under seccomp or kernel.io_uring_disabled,
     * ENOSYS where the kernel lacks io_uring).
     *
     * <p>The ring starts disabled (R_DISABLED): SINGLE_ISSUER binds it to the thread that
     * enables it, and the thread that opens a poller is seldom the loop that polls it. The
     * first {@link Ring#enter} enables it on its own thread.
     */
    static Ring open(int entries, int cqEntries) throws IOException {
        int base = IoUringAbi.IORING_SETUP_CQSIZE | IoUringAbi.IORING_SETUP_CLAMP | IoUringAbi.IORING_SETUP_R_DISABLED;
        int[] tries = {
            base | IoUringAbi.IORING_SETUP_SUBMIT_ALL | IoUringAbi.IORING_SETUP_SINGLE_ISSUER
                    | IoUringAbi.IORING_SETUP_DEFER_TASKRUN,
            base | IoUringAbi.IORING_SETUP_SUBMIT_ALL | IoUringAbi.IORING_SETUP_COOP_TASKRUN,
            base,
        };
        int firstErrno = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment params = a.allocate(P);
            for (int flags : tries) {
                params.fill((byte) 0);
                params.set(ValueLayout.JAVA_INT, offset(P, "flags"), flags);
                params.set(ValueLayout.JAVA_INT, offset(P, "cq_entries"), cqEntries);
                int fd = IoUring.io_uring_setup(entries, params);
                if (fd < 0) {
                    firstErrno = firstErrno == 0 ? -fd : firstErrno;
                    if (fd == -ErrnoCodes.EINVAL) {
                        continue; // a flag this kernel does not know: try fewer
                    }
                    break;
                }
                int features = params.get(ValueLayout.JAVA_INT, offset(P, "features"));
                // RSRC_TAGS stands for Linux 5.13, which brought multishot polls (IORING_POLL_ADD_MULTI):
                // the opcode probe cannot tell, and 5.11-5.12 refuse them with EINVAL.
                int missing = IoUringAbi.IORING_FEAT_EXT_ARG | IoUringAbi.IORING_FEAT_NODROP
                        | IoUringAbi.IORING_FEAT_RSRC_TAGS;
                if ((features & missing) != missing) {
                    Fd.close(fd);
                    throw new IOException("io_uring: this kernel lacks IORING_FEAT_EXT_ARG, _NODROP or _RSRC_TAGS"
                            + " (Linux >= 5.13 needed, for multishot polls)");
                }
                try {
                    return new Ring(fd, params, flags);
                } catch (IOException e) {
                    Fd.close(fd);
                    throw e;
                }
            }
        }
        throw Errors.exception("io_uring_setup(" + entries + ")" + why(firstErrno), firstErrno);
    }

    /**
     * Whether the running kernel's version is at least {@code major.minor}, from os.version
     * ("6.8.0-45-generic"): for what no opcode probe tells, such as an opcode's flags.
     */
    static boolean kernelAtLeast(int major, int minor) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)")
                .matcher(System.getProperty("os.version", ""));
        if (!m.find()) {
            return false;
        }
        int maj = Integer.parseInt(m.group(1));
        return maj > major || (maj == major && Integer.parseInt(m.group(2)) >= minor);
    }

    /** What an io_uring_setup errno means where it is seen (io_uring(7), the sysctl's docs). */
    static String why(int errno) {
        if (errno == ErrnoCodes.EPERM) {
            String disabled = sysctl("/proc/sys/kernel/io_uring_disabled");
            if (disabled != null && !disabled.equals("0")) {
                return " [kernel.io_uring_disabled=" + disabled + "]";
            }
            return " [refused by a seccomp filter, such as Docker's default profile]";
        }
        if (errno == ErrnoCodes.ENOSYS) {
            return " [this kernel has no io_uring, or a seccomp filter hides it]";
        }
        if (errno == ErrnoCodes.EINVAL) {
            return " [this kernel is older than the setup flags need]";
        }
        return "";
    }

    private static String sysctl(String path) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(path)).trim();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
