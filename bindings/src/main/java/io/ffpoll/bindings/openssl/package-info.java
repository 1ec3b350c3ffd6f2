/**
 * OpenSSL 3 (libssl, libcrypto) through FFM, for the multiplexer's TLS engine: one class per
 * part of the C API ({@link io.ffpoll.bindings.openssl.Ssl}, {@link io.ffpoll.bindings.openssl.SslInfo},
 * {@link io.ffpoll.bindings.openssl.SslCtx},
 * {@link io.ffpoll.bindings.openssl.Bio}, {@link io.ffpoll.bindings.openssl.Crypto},
 * {@link io.ffpoll.bindings.openssl.Evp}), functions
 * and constants under their C names, and {@link io.ffpoll.bindings.openssl.OpenSsl} saying
 * whether the libraries load. Hand-written (jextract would need OpenSSL's headers at build
 * time); every constant is checked against the installed headers by OpenSslConstantsTest, and
 * every handle's descriptor follows the 3.0 prototypes. Pointers to OpenSSL's objects are
 * opaque segments; nothing reads a struct.
 */
package io.ffpoll.bindings.openssl;
