package io.ffpoll.http;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.Platform;

import java.io.IOException;

/** Set-up of the server's sockets and limits from the process it runs in. */
final class ServerSockets {
    /**
     * Descriptors left for everything but connections: the JVM's own (jars, logs, the JDK's
     * selector and pre-close fds), two per loop (the poller and its wakeup), listeners, and
     * some slack.
     */
    static final int RESERVED_FDS = 128;
    private static final Platform OS = Platform.current();

    private ServerSockets() {}

    /** An inherited socket may be blocking or inheritable: make it what our loops expect. */
    static void prepareInherited(int fd) throws IOException {
        Errors.check(OS.makeNonBlockingCloexec(fd), "fcntl(" + fd + ", O_NONBLOCK, FD_CLOEXEC)");
    }

    /** A close-on-exec duplicate of {@code fd}. */
    static int duplicate(int fd) throws IOException {
        return Errors.check(OS.duplicate(fd), "fcntl(" + fd + ", F_DUPFD_CLOEXEC)");
    }

    static void close(int fd) {
        OS.close(fd);
    }

    /** The default connection limit: RLIMIT_NOFILE's soft limit less {@link #RESERVED_FDS}. */
    static int defaultMaxConnections() throws IOException {
        long limit = Errors.check(OS.openFileLimit(), "getrlimit(RLIMIT_NOFILE)");
        return ConnectionLimit.fromDescriptorLimit(limit, RESERVED_FDS);
    }

    /** REUSEPORT where the kernel balances listeners on one port (Linux, FreeBSD), else ACCEPTOR. */
    static HttpServer.AcceptMode defaultAcceptMode() {
        return OS.balancesReusePort() ? HttpServer.AcceptMode.REUSEPORT : HttpServer.AcceptMode.ACCEPTOR;
    }
}
