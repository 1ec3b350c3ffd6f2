/**
 * FFM bindings to the kernel's readiness and socket APIs. Functions keep their C names and
 * return the result, or {@code -errno} on failure; {@link io.ffpoll.bindings.Errors} turns a
 * negative result into an exception that names the call. No policy lives here.
 */
module io.ffpoll.bindings {
    exports io.ffpoll.bindings;
    // The platform layer (the socket and fd calls the multiplexer is built on) and the
    // machinery under every binding (errno capture, bounds, syscall counting, fault injection)
    // serve the modules above; a user sees neither.
    exports io.ffpoll.bindings.platform to io.ffpoll.multiplexer, io.ffpoll.http;
    exports io.ffpoll.bindings.internal to io.ffpoll.multiplexer, io.ffpoll.http;
    // The OS packages serve the multiplexer's backends only; everything above them goes
    // through Platform.
    exports io.ffpoll.bindings.linux to io.ffpoll.multiplexer;
    exports io.ffpoll.bindings.bsd to io.ffpoll.multiplexer;
    // OpenSSL for the multiplexer's TLS engine; library calls, not syscalls.
    exports io.ffpoll.bindings.openssl to io.ffpoll.multiplexer;
    // The generated package is an implementation detail of the facades in linux/.
}
