package io.ffpoll.http.serve;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.http.HttpServer;

import java.io.IOException;

/** Defaults the server takes from the process and OS it runs on. */
public final class ServerSockets {
    /**
     * Descriptors left for everything but connections: the JVM's own (jars, logs, the JDK's
     * selector and pre-close fds), two per loop (the poller and its wakeup), listeners, and
     * some slack.
     */
    public static final int RESERVED_FDS = 128;
    private static final Platform OS = Platform.current();

    private ServerSockets() {}

    /** The default connection limit: RLIMIT_NOFILE's soft limit less {@link #RESERVED_FDS}. */
    public static int defaultMaxConnections() throws IOException {
        long limit = Errors.check(OS.openFileLimit(), "getrlimit(RLIMIT_NOFILE)");
        return ConnectionLimit.fromDescriptorLimit(limit, RESERVED_FDS);
    }

    /** REUSEPORT where the kernel balances listeners on one port (Linux, FreeBSD), else ACCEPTOR. */
    public static HttpServer.AcceptMode defaultAcceptMode() {
        return OS.options().balancesReusePort() ? HttpServer.AcceptMode.REUSEPORT : HttpServer.AcceptMode.ACCEPTOR;
    }
}
