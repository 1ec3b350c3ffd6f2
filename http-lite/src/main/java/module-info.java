/**
 * http-lite: a strict, zero-copy HTTP/1.1 server on the ffpoll multiplexer.
 * {@link io.ffpoll.http.HttpServer} is the entry point; {@link io.ffpoll.http.Main} the launcher.
 */
module io.ffpoll.http {
    requires io.ffpoll.multiplexer;
    requires io.ffpoll.bindings; // the descriptor limit, syscall counts in the launcher
    requires org.slf4j;
    requires jdk.unsupported; // sun.misc.Signal: a worker of --workers ignores SIGHUP

    exports io.ffpoll.http;
}
