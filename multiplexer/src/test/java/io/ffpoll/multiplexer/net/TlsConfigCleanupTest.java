package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.testing.Await;
import io.ffpoll.multiplexer.tls.openssl.OpenSslTlsFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A TlsConfig has no close: the engine's native contexts go when the configuration is unreachable. */
class TlsConfigCleanupTest {
    @Test
    void theOpenSslContextsOfATlsConfigNobodyHoldsAreFreed() throws Exception {
        assumeTrue(TlsConfig.engineAvailable(TlsConfig.Engine.OPENSSL),
                "SKIPPED: the OpenSSL engine is not usable here: " + OpenSslTlsFactory.disabledReason());
        TlsConfig config = TlsTestKeys.server("openssl", "ec").serverName("other.test", TlsTestKeys.chain("rsa"),
                TlsTestKeys.key("rsa")).build();
        assertEquals("openssl", config.engine());
        OpenSslTlsFactory factory = (OpenSslTlsFactory) config.factory();
        assertFalse(factory.contextsFreed());
        config = null;
        Await.until(() -> {
            System.gc();
            return factory.contextsFreed();
        }, "the contexts of a TlsConfig nobody holds are freed");
    }
}
