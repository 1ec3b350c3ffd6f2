package io.ffpoll.http;

/** What a test may observe of a running server's loops, asked on the loops themselves. */
final class ServerProbe {
    private ServerProbe() {}

    /** Connections that hold part of a request (their read timeout runs), over all loops. */
    static long partialRequests(HttpServer s) {
        long n = 0;
        for (int i = 0; i < s.loopCount(); i++) {
            int loop = i;
            try {
                n += s.onLoop(loop, () -> s.loopState(loop).connections().stream().filter(c -> c.requestStarted() != 0).count());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return n;
    }
}
