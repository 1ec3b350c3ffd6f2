package io.ffpoll.bench;

import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.File;

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
        NettyServers.serve(port, false, "netty epoll TLS server (" + provider + ")", ch -> ch.pipeline().addLast(
                tls.newHandler(ch.alloc()), new HttpServerCodec(), new NettyPlaintextServer.Handler()));
    }
}
