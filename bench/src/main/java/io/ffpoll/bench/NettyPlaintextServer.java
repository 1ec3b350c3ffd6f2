package io.ffpoll.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Netty's epoll transport serving /plaintext on one event loop, written the way the common
 * web-framework benchmarks do (HttpServerCodec, a shared body buffer, flush once per read
 * batch), as an opponent for http-lite. Usage: {@code NettyPlaintextServer [port]} (18083).
 */
public final class NettyPlaintextServer {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);
    private static final ByteBuf BODY = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer().writeBytes("Hello, World!".getBytes(StandardCharsets.US_ASCII)));
    private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain");
    private static final AsciiString SERVER = AsciiString.cached("netty");
    private static final AsciiString LENGTH = AsciiString.cached("13");

    private NettyPlaintextServer() {}

    /** The /plaintext answer, shared with {@link NettyTlsServer}: one instance per channel. */
    static final class Handler extends NettyServers.Flushing<Object> {
        private long second;
        private AsciiString date;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                long now = System.currentTimeMillis() / 1000;
                if (now != second) {
                    second = now;
                    date = new AsciiString(DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
                }
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        BODY.duplicate(), false);
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN).set(HttpHeaderNames.SERVER, SERVER)
                        .set(HttpHeaderNames.DATE, date).set(HttpHeaderNames.CONTENT_LENGTH, LENGTH);
                if (HttpUtil.isKeepAlive((HttpRequest) msg)) {
                    ctx.write(r, ctx.voidPromise());
                } else {
                    // "Connection: close" (bench/compare-tls's handshake rate): answer, then close.
                    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                }
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18083;
        // "io_uring": Netty's io_uring transport (4.2), for the io_uring rows of the load report.
        boolean uring = args.length > 1 && args[1].equals("io_uring");
        NettyServers.serve(port, uring, "netty " + (uring ? "io_uring" : "epoll") + " plaintext server",
                ch -> ch.pipeline().addLast(new HttpServerCodec(), new Handler()));
    }
}
