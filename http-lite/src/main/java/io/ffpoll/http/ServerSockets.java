package io.ffpoll.http;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.linux.Fd;
import io.ffpoll.bindings.linux.Resource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Set-up of the server's sockets and limits from the process it runs in. */
final class ServerSockets {
    /**
     * Descriptors left for everything but connections: the JVM's own (jars, logs, the JDK's
     * selector and pre-close fds), two per loop (epoll, eventfd), listeners, and some slack.
     */
    static final int RESERVED_FDS = 128;

    private ServerSockets() {}

    /** An inherited socket may be blocking or inheritable: make it what our loops expect. */
    static void prepareInherited(int fd) throws IOException {
        int flags = Errors.check(Fd.fcntl(fd, Fd.F_GETFL, 0), "fcntl(" + fd + ", F_GETFL)");
        Errors.check(Fd.fcntl(fd, Fd.F_SETFL, flags | Fd.O_NONBLOCK), "fcntl(" + fd + ", F_SETFL, O_NONBLOCK)");
        Errors.check(Fd.fcntl(fd, Fd.F_SETFD, Fd.FD_CLOEXEC), "fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)");
    }

    /** A close-on-exec duplicate of {@code fd}. */
    static int duplicate(int fd) throws IOException {
        return Errors.check(Fd.fcntl(fd, Fd.F_DUPFD_CLOEXEC, 3), "fcntl(" + fd + ", F_DUPFD_CLOEXEC)");
    }

    /** The default connection limit: RLIMIT_NOFILE's soft limit less {@link #RESERVED_FDS}. */
    static int defaultMaxConnections() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = Resource.allocateRlimit(arena);
            Errors.check(Resource.getrlimit(Resource.RLIMIT_NOFILE, rlim), "getrlimit(RLIMIT_NOFILE)");
            return ConnectionLimit.fromDescriptorLimit(Resource.rlim_cur(rlim), RESERVED_FDS);
        }
    }
}
