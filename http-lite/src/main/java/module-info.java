/**
 * http-lite: a strict, zero-copy HTTP/1.1 server on the ffpoll multiplexer.
 * {@link io.ffpoll.http.HttpServer} is the entry point; {@code io.ffpoll.http.launcher.Main} the
 * launcher. Only io.ffpoll.http is exported: the parser (.parse), the server (.serve), static
 * files (.files), the access log and JFR event (.observe), WebSockets (.websocket), the launcher (.launcher) and the API's hooks for them
 * (.internal) are not.
 */
module io.ffpoll.http {
    requires transitive io.ffpoll.multiplexer; // the API names its types: EventLoopGroup, LoopMetrics, TlsConfig
    requires io.ffpoll.bindings; // the descriptor limit, syscall counts in the launcher
    requires org.slf4j;
    requires jdk.unsupported; // sun.misc.Signal: a worker of --workers ignores SIGHUP
    requires jdk.jfr; // the ffpoll.HttpRequest event (.observe, not exported: JFR needs no export)

    exports io.ffpoll.http;
}
