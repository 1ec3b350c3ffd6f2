/**
 * FFM bindings to the kernel's readiness and socket APIs. Functions keep their C names and
 * return the result, or {@code -errno} on failure; {@link io.ffpoll.bindings.Errors} turns a
 * negative result into an exception that names the call. No policy lives here.
 */
module io.ffpoll.bindings {
    exports io.ffpoll.bindings;
    exports io.ffpoll.bindings.linux;
    exports io.ffpoll.bindings.bsd;
    // The generated package is an implementation detail of the facades in linux/.
}
