package io.ffpoll.multiplexer.tls;

import io.ffpoll.multiplexer.net.TlsConfig;
import io.ffpoll.multiplexer.tls.jdk.JdkContexts;
import io.ffpoll.multiplexer.tls.jdk.JdkTlsFactory;
import io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/** Picks the engine a {@code TlsConfig} asked for, and falls back from OpenSSL where it does not load. */
public final class TlsEngines {
    private static final Logger LOG = LoggerFactory.getLogger(TlsEngines.class);
    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

    private TlsEngines() {}

    /**
     * The factory of {@code engine} for {@code settings}.
     *
     * @param settings what the builder gathered
     * @param engine the engine asked for
     * @return the factory
     * @throws IOException if the engine asked for cannot be used, or refuses the key material
     */
    public static TlsSessionFactory factory(TlsSettings settings, TlsConfig.Engine engine) throws IOException {
        return switch (engine) {
            case JDK -> jdk(JdkContexts.of(settings), settings);
            case OPENSSL -> {
                if (!OpenSslTlsFactory.enabled()) {
                    throw new IOException("the OpenSSL engine cannot be used: " + OpenSslTlsFactory.disabledReason());
                }
                yield OpenSslTlsFactory.create(settings);
            }
            case AUTO -> {
                if (OpenSslTlsFactory.enabled()) {
                    yield OpenSslTlsFactory.create(settings);
                }
                if (FALLBACK_LOGGED.compareAndSet(false, true)) {
                    LOG.info("TLS runs on the JDK's SSLEngine: {}", OpenSslTlsFactory.disabledReason());
                }
                SSLContext context;
                try {
                    context = JdkContexts.of(settings);
                } catch (IllegalStateException e) {
                    // A setting the JDK engine cannot honour, met only because OpenSSL is missing here.
                    throw new IllegalStateException("the OpenSSL engine is not available here ("
                            + OpenSslTlsFactory.disabledReason() + "), so the JDK engine is used, and " + e.getMessage(), e);
                }
                yield jdk(context, settings);
            }
        };
    }

    /**
     * The JDK engine over {@code context}.
     *
     * @param context the SSL context
     * @param settings protocols, ALPN, client authentication and timeouts
     * @return the factory
     */
    public static TlsSessionFactory jdk(SSLContext context, TlsSettings settings) {
        return new JdkTlsFactory(context, settings);
    }
}
