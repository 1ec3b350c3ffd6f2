/** http-lite: the HTTP/1.1 server on the multiplexer (not built yet; see the README's roadmap). */
module io.ffpoll.http {
    requires io.ffpoll.multiplexer;
}
