package io.ffpoll.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@link NettyPlaintextServer}'s /plaintext over TLS (1.3 and 1.2, ALPN http/1.1) on one epoll
 * event loop, the Netty peer of bench/compare-tls. The engine is the JDK's SSLEngine under
 * Netty's SslHandler ({@code jdk}) or BoringSSL through netty-tcnative ({@code openssl},
 * Netty's SslProvider.OPENSSL; it fails at start when the native library does not load rather
 * than falling back). Usage: {@code NettyTlsServer PORT CHAIN_PEM KEY_PEM jdk|openssl}; the key
 * is PKCS#8 PEM (what {@code openssl genpkey} writes).
 */
public final class NettyTlsServer {
    private NettyTlsServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4 || !(args[3].equals("jdk") || args[3].equals("openssl"))) {
            System.err.println("usage: NettyTlsServer PORT CHAIN_PEM KEY_PEM jdk|openssl");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        SslProvider provider = args[3].equals("jdk") ? SslProvider.JDK : SslProvider.OPENSSL;
        if (provider == SslProvider.OPENSSL && !OpenSsl.isAvailable()) {
            throw new IllegalStateException("netty-tcnative did not load", OpenSsl.unavailabilityCause());
        }
        SslContext tls = SslContextBuilder.forServer(new File(args[1]), new File(args[2]))
                .sslProvider(provider)
                .protocols("TLSv1.3", "TLSv1.2")
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_1_1))
                .build();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new HttpServerCodec(),
                                    new NettyPlaintextServer.Handler());
                        }
                    });
            b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync();
            System.out.println("netty epoll TLS server (" + provider + ") on 127.0.0.1:" + port);
            group.terminationFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }
}
