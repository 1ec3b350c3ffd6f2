package io.ffpoll.bench;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/**
 * Netty's WebSocket echo on one epoll event loop (HttpServerCodec, HttpObjectAggregator,
 * WebSocketServerProtocolHandler at /ws, an echo of text and binary frames that flushes once
 * per read batch), the opponent of http-lite's in {@code bench/load-websocket}.
 * Usage: {@code NettyWebSocketServer [port]} (18097).
 */
public final class NettyWebSocketServer {
    private NettyWebSocketServer() {}

    private static final class Echo extends NettyServers.Flushing<WebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
                ctx.write(frame.retainedDuplicate(), ctx.voidPromise());
            }
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 18097;
        NettyServers.serve(port, false, "netty websocket echo", ch -> ch.pipeline().addLast(new HttpServerCodec(),
                new HttpObjectAggregator(65536), new WebSocketServerProtocolHandler("/ws", null, false, 1 << 20), new Echo()));
    }
}
