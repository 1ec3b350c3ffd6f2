package io.ffpoll.multiplexer.tls.openssl;

/** {@link OpenSslTransferTest} with the server's {@code SSL} kept: OpenSSL's record layer both ways. */
class OpenSslKeptSslTransferTest extends OpenSslTransferTest {
    @Override
    boolean keepSsl() {
        return true;
    }
}
