/*
 * Prints the OpenSSL constants that io.ffpoll.bindings.openssl copies by hand, read from this
 * machine's OpenSSL 3 headers (libssl-dev). OpenSslConstantsTest compiles it with cc and checks
 * every line against the Java fields of the same name, and that every such field is printed.
 * Output format, one per line:
 *   const <NAME> <value>
 */
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/evp.h>
#include <stdio.h>

#define CONST(c) printf("const %s %lld\n", #c, (long long) (c))

int main(void) {
#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "OpenSSL 3 headers needed"
#endif
    CONST(TLS1_2_VERSION);
    CONST(TLS1_3_VERSION);
    CONST(SSL_OP_NO_TICKET);
    CONST(SSL_OP_CIPHER_SERVER_PREFERENCE);
    CONST(SSL_OP_NO_COMPRESSION);
    CONST(SSL_OP_NO_RENEGOTIATION);
    CONST(SSL_MODE_ENABLE_PARTIAL_WRITE);
    CONST(SSL_MODE_AUTO_RETRY);
    CONST(SSL_MODE_NO_AUTO_CHAIN);
    CONST(X509_V_FLAG_PARTIAL_CHAIN);
    CONST(SSL_MODE_RELEASE_BUFFERS);
    CONST(SSL_VERIFY_NONE);
    CONST(SSL_VERIFY_PEER);
    CONST(SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    CONST(SSL_SESS_CACHE_CLIENT);
    CONST(SSL_SESS_CACHE_SERVER);
    CONST(SSL_SESS_CACHE_NO_INTERNAL);
    CONST(SSL_TLSEXT_ERR_OK);
    CONST(SSL_TLSEXT_ERR_ALERT_FATAL);
    CONST(SSL_TLSEXT_ERR_NOACK);
    CONST(SSL_CTRL_EXTRA_CHAIN_CERT);
    CONST(SSL_CTRL_MODE);
    CONST(SSL_CTRL_SET_GROUPS_LIST);
    CONST(SSL_CTRL_SET_SESS_CACHE_MODE);
    CONST(SSL_CTRL_SET_TLSEXT_SERVERNAME_CB);
    CONST(SSL_CTRL_CHAIN_CERT);
    CONST(SSL_CTRL_SET_MIN_PROTO_VERSION);
    CONST(SSL_CTRL_SET_MAX_PROTO_VERSION);
    CONST(SSL_ERROR_NONE);
    CONST(SSL_ERROR_SSL);
    CONST(SSL_ERROR_WANT_READ);
    CONST(SSL_ERROR_WANT_WRITE);
    CONST(SSL_ERROR_SYSCALL);
    CONST(SSL_ERROR_ZERO_RETURN);
    CONST(SSL_SENT_SHUTDOWN);
    CONST(SSL_RECEIVED_SHUTDOWN);
    CONST(SSL_CTRL_SET_TLSEXT_HOSTNAME);
    CONST(TLSEXT_NAMETYPE_host_name);
    CONST(X509_V_OK);
    CONST(SSL_KEY_UPDATE_NOT_REQUESTED);
    CONST(SSL_KEY_UPDATE_REQUESTED);
    CONST(EVP_CTRL_AEAD_GET_TAG);
    CONST(EVP_CTRL_AEAD_SET_TAG);
    return 0;
}
