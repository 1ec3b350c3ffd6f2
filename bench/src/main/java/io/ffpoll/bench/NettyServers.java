package io.ffpoll.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/** What the Netty opponents of the bench scripts share: one event loop on 127.0.0.1, and a handler that flushes once per read batch. */
final class NettyServers {
    private NettyServers() {}

    /** A handler that writes as it reads and flushes once per read batch, closing on an error. */
    abstract static class Flushing<T> extends SimpleChannelInboundHandler<T> {
        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /**
     * Serves on one event loop (epoll, or io_uring) at 127.0.0.1:{@code port} with the pipeline
     * {@code init} builds, prints {@code banner}, and runs until the process is killed.
     */
    static void serve(int port, boolean uring, String banner, Consumer<SocketChannel> init) throws InterruptedException {
        if (uring) {
            IoUring.ensureAvailability();
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                uring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory());
        try {
            ServerBootstrap b = new ServerBootstrap().group(group)
                    .channel(uring ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            init.accept(ch);
                        }
                    });
            b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync();
            System.out.println(banner + " on 127.0.0.1:" + port);
            group.terminationFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }
}
