package io.ffpoll.bindings;

import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.Platform;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The POSIX process calls a supervisor needs: {@code pipe}, {@code posix_spawn} with file
 * actions, {@code waitid}, {@code waitpid}, {@code kill} and {@code signal}; the same functions on Linux, macOS
 * and FreeBSD, with the flag values and opaque type sizes of each. Like every binding here, each
 * call returns its result or {@code -errno}, and is counted by {@link Syscalls} under its C name.
 *
 * <p>Why {@code posix_spawn}: Java's ProcessBuilder closes every inherited descriptor above 2,
 * and a supervisor must hand its children the listening socket. A spawn file action
 * ({@code posix_spawn_file_actions_adddup2}) places it at a fixed number in the child with no
 * extra round trip, where {@code SCM_RIGHTS} would need a Unix socket, a connect back and a
 * message per child. Every other descriptor is closed in the child
 * ({@code posix_spawn_file_actions_addclosefrom_np} on glibc 2.34+ and FreeBSD 13+,
 * {@code POSIX_SPAWN_CLOEXEC_DEFAULT} on macOS), so a worker holds nothing of its supervisor's;
 * on an older libc with neither, only descriptors without close-on-exec reach the child (every
 * socket, epoll and eventfd descriptor ffpoll opens has it; a kqueue is never inherited).
 */
public final class Processes {
    /** SIGHUP, 1 on every supported OS. */
    public static final int SIGHUP = 1;
    /** SIGKILL, 9 on every supported OS. */
    public static final int SIGKILL = 9;
    /** SIGTERM, 15 on every supported OS. */
    public static final int SIGTERM = 15;
    /** SIG_DFL for {@link #signal}, 0 on every supported OS. */
    public static final long SIG_DFL = 0;
    /** SIG_IGN for {@link #signal}, 1 on every supported OS. */
    public static final long SIG_IGN = 1;
    /** WNOHANG for {@link #waitpid(long, int)}, 1 on every supported OS. */
    public static final int WNOHANG = 1;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final AddressLayout PTR = ValueLayout.ADDRESS;
    // Opaque types, allocated at least as large as the largest: glibc's posix_spawnattr_t is 336
    // bytes and its posix_spawn_file_actions_t 80, its sigset_t 128; macOS and FreeBSD use a
    // pointer for both spawn types, and 4 and 16 bytes for sigset_t.
    private static final long SPAWNATTR_BYTES = 512;
    private static final long FILE_ACTIONS_BYTES = 256;
    private static final long SIGSET_BYTES = 128;
    // siginfo_t, which waitid fills in and we do not read: 128 bytes on Linux, 104 on macOS, 80 on FreeBSD.
    private static final long SIGINFO_BYTES = 128;

    private static final Syscalls.Counter C_PIPE = Syscalls.counter("pipe");
    private static final Syscalls.Counter C_SPAWN = Syscalls.counter("posix_spawn");
    private static final Syscalls.Counter C_WAITID = Syscalls.counter("waitid");
    private static final Syscalls.Counter C_WAITPID = Syscalls.counter("waitpid");
    private static final Syscalls.Counter C_KILL = Syscalls.counter("kill");
    private static final Syscalls.Counter C_SIGNAL = Syscalls.counter("signal");

    private Processes() {}

    /**
     * The spawn flags of one OS (glibc {@code spawn.h}; XNU {@code libsyscall/wrappers/spawn/spawn.h};
     * FreeBSD {@code include/spawn.h}).
     *
     * @param setSigmask {@code POSIX_SPAWN_SETSIGMASK}
     * @param cloexecDefault {@code POSIX_SPAWN_CLOEXEC_DEFAULT} (macOS only; else 0)
     */
    record SpawnFlags(int setSigmask, int cloexecDefault) {
        static SpawnFlags of(String os) {
            return switch (os) {
                case "linux" -> new SpawnFlags(0x08, 0);
                case "macos" -> new SpawnFlags(0x08, 0x4000);
                case "freebsd" -> new SpawnFlags(0x20, 0);
                default -> throw new IllegalArgumentException(os);
            };
        }
    }

    /**
     * What {@link #waitid} passes on one OS (glibc {@code bits/waitflags.h} and
     * {@code linux/wait.h}; XNU {@code bsd/sys/wait.h}; FreeBSD {@code sys/sys/wait.h}).
     *
     * @param pPid {@code P_PID}, the first value of FreeBSD's {@code idtype_t} but the second of the others'
     * @param wExited {@code WEXITED}
     * @param wNoWait {@code WNOWAIT}
     * @param wideId whether {@code id_t} is 64 bits (FreeBSD) rather than 32 (Linux, macOS)
     */
    record WaitFlags(int pPid, int wExited, int wNoWait, boolean wideId) {
        static WaitFlags of(String os) {
            return switch (os) {
                case "linux" -> new WaitFlags(1, 4, 0x01000000, false);
                case "macos" -> new WaitFlags(1, 0x04, 0x20, false);
                case "freebsd" -> new WaitFlags(0, 16, 8, true);
                default -> throw new IllegalArgumentException(os);
            };
        }
    }

    private static MethodHandle link(String name, FunctionDescriptor d) {
        return Errno.link(find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), d, false);
    }

    private static Optional<MemorySegment> find(String name) {
        return Linker.nativeLinker().defaultLookup().find(name);
    }

    private static MethodHandle plain(String name, FunctionDescriptor d) {
        return Linker.nativeLinker().downcallHandle(find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)), d);
    }

    /** Linked on first use, so that loading this class looks nothing up. */
    private static final class H {
        static final SpawnFlags FLAGS = SpawnFlags.of(Platform.current().name());
        static final MethodHandle PIPE = link("pipe", FunctionDescriptor.of(INT, PTR));
        static final WaitFlags WAIT = WaitFlags.of(Platform.current().name());
        static final MethodHandle WAITPID = link("waitpid", FunctionDescriptor.of(INT, INT, PTR, INT));
        static final MethodHandle WAITID = linkWaitid(WAIT.wideId());
        static final MethodHandle KILL = link("kill", FunctionDescriptor.of(INT, INT, INT));
        static final MethodHandle SIGNAL = link("signal", FunctionDescriptor.of(PTR, INT, PTR));
        // The posix_spawn family returns an error number instead of setting errno.
        static final MethodHandle SPAWN = plain("posix_spawn", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, PTR, PTR));
        static final MethodHandle FA_INIT = plain("posix_spawn_file_actions_init", FunctionDescriptor.of(INT, PTR));
        static final MethodHandle FA_DESTROY = plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(INT, PTR));
        static final MethodHandle FA_DUP2 = plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(INT, PTR, INT, INT));
        static final MethodHandle FA_CLOSEFROM = find("posix_spawn_file_actions_addclosefrom_np")
                .map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(INT, PTR, INT))).orElse(null);
        static final MethodHandle FA_INHERIT = find("posix_spawn_file_actions_addinherit_np") // macOS
                .map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(INT, PTR, INT))).orElse(null);
        static final MethodHandle ATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(INT, PTR));
        static final MethodHandle ATTR_DESTROY = plain("posix_spawnattr_destroy", FunctionDescriptor.of(INT, PTR));
        static final MethodHandle ATTR_FLAGS = plain("posix_spawnattr_setflags", FunctionDescriptor.of(INT, PTR, ValueLayout.JAVA_SHORT));
        static final MethodHandle ATTR_SIGMASK = plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(INT, PTR, PTR));
        static final MethodHandle SIGEMPTYSET = plain("sigemptyset", FunctionDescriptor.of(INT, PTR));
    }

    // waitid(idtype_t, id_t, siginfo_t *, int), always called with a long id: narrowed here
    // where id_t is 32 bits, so that one invokeExact serves every OS.
    private static MethodHandle linkWaitid(boolean wide) {
        MethodHandle h = link("waitid", FunctionDescriptor.of(INT, INT, wide ? ValueLayout.JAVA_LONG : INT, PTR, INT));
        return MethodHandles.explicitCastArguments(h,
                MethodType.methodType(int.class, MemorySegment.class, int.class, long.class, MemorySegment.class, int.class));
    }

    /**
     * pipe(2); both ends close-on-exec and blocking.
     *
     * @param fds receives the read end at 0 and the write end at 1
     * @return 0, or -errno
     */
    public static int pipe(int[] fds) {
        C_PIPE.hit();
        Errno.PerThread t = Errno.current();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(INT, 2);
            int r = (int) H.PIPE.invokeExact(t.state, pair);
            if (r < 0) {
                return -t.errno();
            }
            fds[0] = pair.getAtIndex(INT, 0);
            fds[1] = pair.getAtIndex(INT, 1);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        Platform p = Platform.current();
        for (int fd : fds) {
            int r = p.makeNonBlockingCloexec(fd);
            if (r >= 0) {
                r = p.setBlocking(fd, true);
            }
            if (r < 0) {
                p.close(fds[0]);
                p.close(fds[1]);
                return r;
            }
        }
        return 0;
    }

    /**
     * posix_spawn(3): runs {@code path} with {@code argv} and {@code env} in a new process whose
     * descriptors are 0, 1 and 2 of this one plus, for each pair of {@code placements}, the
     * descriptor {@code placements[i][0]} of this process at number {@code placements[i][1]};
     * every other descriptor is closed, and no signal is blocked.
     *
     * @param path the executable's absolute path
     * @param argv the arguments, the program name first
     * @param env the environment
     * @param placements pairs of (descriptor here, number in the child), numbers above 2
     * @return the child's pid, or -errno
     */
    public static long spawn(String path, List<String> argv, Map<String, String> env, int[][] placements) {
        C_SPAWN.hit();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_BYTES, 16);
            MemorySegment attr = arena.allocate(SPAWNATTR_BYTES, 16);
            MemorySegment sigset = arena.allocate(SIGSET_BYTES, 16);
            int r = (int) H.FA_INIT.invokeExact(actions);
            if (r != 0) {
                return -r;
            }
            try {
                r = (int) H.ATTR_INIT.invokeExact(attr);
                if (r != 0) {
                    return -r;
                }
                try {
                    return spawn(arena, path, argv, env, placements, actions, attr, sigset);
                } finally {
                    int ignored = (int) H.ATTR_DESTROY.invokeExact(attr);
                }
            } finally {
                int ignored = (int) H.FA_DESTROY.invokeExact(actions);
            }
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    private static long spawn(Arena arena, String path, List<String> argv, Map<String, String> env, int[][] placements,
                              MemorySegment actions, MemorySegment attr, MemorySegment sigset) throws Throwable {
        int highest = 2;
        for (int[] p : placements) {
            int r = (int) H.FA_DUP2.invokeExact(actions, p[0], p[1]);
            if (r != 0) {
                return -r;
            }
            highest = Math.max(highest, p[1]);
        }
        int flags = H.FLAGS.setSigmask();
        if (H.FLAGS.cloexecDefault() != 0 && H.FA_INHERIT != null) {
            for (int fd = 0; fd <= 2; fd++) {
                int r = (int) H.FA_INHERIT.invokeExact(actions, fd);
                if (r != 0) {
                    return -r;
                }
            }
            flags |= H.FLAGS.cloexecDefault();
        } else if (H.FA_CLOSEFROM != null) {
            int r = (int) H.FA_CLOSEFROM.invokeExact(actions, highest + 1);
            if (r != 0) {
                return -r;
            }
        }
        int r = (int) H.SIGEMPTYSET.invokeExact(sigset);
        r = r != 0 ? r : (int) H.ATTR_SIGMASK.invokeExact(attr, sigset);
        r = r != 0 ? r : (int) H.ATTR_FLAGS.invokeExact(attr, (short) flags);
        if (r != 0) {
            return -Math.abs(r);
        }
        MemorySegment pid = arena.allocate(INT);
        r = (int) H.SPAWN.invokeExact(pid, arena.allocateFrom(path), actions, attr, strings(arena, argv),
                strings(arena, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
        return r != 0 ? -r : pid.get(INT, 0);
    }

    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(PTR, values.size() + 1);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(PTR, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(PTR, values.size(), MemorySegment.NULL);
        return array;
    }

    /**
     * waitid(2) as {@code waitid(P_PID, pid, &info, WEXITED | WNOWAIT)}: blocks until the child
     * {@code pid} has exited and leaves it unreaped, a zombie that keeps its pid, so that the
     * kernel cannot give that pid to another process until {@link #waitpid} reaps it. A
     * supervisor waits with this and then reaps under the lock it signals with: it never signals
     * a pid that was reaped, and so never one the kernel may have reused.
     *
     * <p>Linux (since 2.6.9) and FreeBSD return only once the child has exited. macOS also
     * returns when the child is stopped (SIGSTOP), although only WEXITED was asked for (Go's
     * issue 19314); a {@code waitpid(pid, WNOHANG)} then finds nothing to reap, and since a
     * stopped child stays reportable, calling this again returns at once until it continues.
     * Not pidfds ({@code pidfd_open}, {@code pidfd_send_signal}): they are Linux-only, and a
     * pidfd is a descriptor to close, whose number, once closed, can be reused like a pid.
     *
     * @param pid a child of this process
     * @return 0 once it has exited, or -errno (EINTR: call again; ECHILD: not an unreaped child)
     */
    public static int waitid(long pid) {
        C_WAITID.hit();
        Errno.PerThread t = Errno.current();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(SIGINFO_BYTES, 8);
            int r = (int) H.WAITID.invokeExact(t.state, H.WAIT.pPid(), pid, info, H.WAIT.wExited() | H.WAIT.wNoWait());
            return r < 0 ? -t.errno() : 0;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * waitpid(2), blocking until the child {@code pid} ends, and reaping it.
     *
     * @param pid a child of this process
     * @return its wait status (decode with {@link #describe}), or -errno (EINTR: call again)
     */
    public static int waitpid(long pid) {
        return waitpid(pid, 0);
    }

    /**
     * waitpid(2): reaps the child {@code pid} once it has exited.
     *
     * @param pid a child of this process
     * @param options 0 to block until it exits, or {@link #WNOHANG} not to
     * @return its wait status (decode with {@link #describe}); with WNOHANG and the child still
     *         running, -EAGAIN (waitpid itself returns 0 then, which a status of 0 would hide);
     *         or -errno (EINTR: call again; ECHILD: not an unreaped child of this process)
     */
    public static int waitpid(long pid, int options) {
        C_WAITPID.hit();
        Errno.PerThread t = Errno.current();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(INT);
            int r = (int) H.WAITPID.invokeExact(t.state, (int) pid, status, options);
            if (r == 0) {
                return -Platform.current().errno(ErrnoName.EAGAIN);
            }
            return r < 0 ? -t.errno() : status.get(INT, 0);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * kill(2). Signalling a child after it was reaped may reach another process: the kernel
     * reuses a pid once it is reaped (see {@link #waitid}).
     *
     * @param pid the process
     * @param signal the signal ({@link #SIGTERM}, {@link #SIGKILL}, {@link #SIGHUP})
     * @return 0, or -errno
     */
    public static int kill(long pid, int signal) {
        C_KILL.hit();
        Errno.PerThread t = Errno.current();
        try {
            int r = (int) H.KILL.invokeExact(t.state, (int) pid, signal);
            return r < 0 ? -t.errno() : 0;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * signal(3) with {@link #SIG_DFL} or {@link #SIG_IGN}: sets this process's disposition of
     * {@code signal}. Only for a signal the JVM does not handle itself (it owns SIGSEGV, SIGQUIT
     * and others, and replacing its handler breaks it), and on the JVM's terms: a Java handler
     * is installed with {@code sun.misc.Signal}, which does nothing for SIGHUP, SIGINT or SIGTERM
     * while they are ignored, as they are under {@code nohup}; setting {@link #SIG_DFL} first
     * lets it install one.
     *
     * @param signal the signal
     * @param disposition {@link #SIG_DFL} or {@link #SIG_IGN}
     * @return the previous disposition ({@link #SIG_DFL}, {@link #SIG_IGN} or a handler's
     *         address), or -errno (EINVAL: not a signal whose disposition can be set)
     */
    public static long signal(int signal, long disposition) {
        if (disposition != SIG_DFL && disposition != SIG_IGN) {
            throw new IllegalArgumentException("disposition " + disposition + ": SIG_DFL or SIG_IGN");
        }
        C_SIGNAL.hit();
        Errno.PerThread t = Errno.current();
        try {
            MemorySegment previous = (MemorySegment) H.SIGNAL.invokeExact(t.state, signal, MemorySegment.ofAddress(disposition));
            return previous.address() == -1 ? -t.errno() : previous.address(); // SIG_ERR is (void (*)(int)) -1
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A wait status in words: {@code "exit 0"}, {@code "killed by signal 9"}. The encoding (the
     * low 7 bits the signal, the next 8 the exit code) is the same on Linux and the BSDs.
     *
     * @param status a status from {@link #waitpid}
     * @return the words
     */
    public static String describe(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? "exit " + ((status >> 8) & 0xff) : "killed by signal " + signal;
    }

    /**
     * Whether a wait status says the process exited normally with code 0.
     *
     * @param status a status from {@link #waitpid}
     * @return whether it exited with 0
     */
    public static boolean succeeded(int status) {
        return status == 0;
    }
}
