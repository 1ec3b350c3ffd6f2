package io.ffpoll.bindings.openssl;

import io.ffpoll.bindings.internal.Bounds;
import io.ffpoll.bindings.internal.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * libcrypto's symmetric ciphers (EVP_EncryptInit(3)): the AEAD ciphers of TLS records,
 * AES-GCM and ChaCha20-Poly1305, fetched once by name and run on a reusable context that each
 * record re-keys ({@code EVP_CipherInit_ex2} with a NULL cipher keeps the context's cipher).
 * AAD goes in through {@link #EVP_CipherUpdate} with a NULL output; the 16-byte tag is read
 * after {@link #EVP_CipherFinal_ex} when encrypting, and set before it when decrypting, with
 * {@link #EVP_CIPHER_CTX_ctrl}. Final fails (returns 0) when a tag does not match.
 */
public final class Evp {
    private static final ValueLayout PTR = ValueLayout.ADDRESS;
    private static final ValueLayout INT = ValueLayout.JAVA_INT;

    /** {@code EVP_CIPHER_CTX_ctrl}: read the tag after encrypting. */
    public static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    /** {@code EVP_CIPHER_CTX_ctrl}: the tag to check when decrypting. */
    public static final int EVP_CTRL_AEAD_SET_TAG = 0x11;

    private static final MethodHandle EVP_CIPHER_FETCH =
            OpenSsl.crypto("EVP_CIPHER_fetch", FunctionDescriptor.of(PTR, PTR, PTR, PTR), false);
    private static final MethodHandle EVP_CIPHER_FREE =
            OpenSsl.crypto("EVP_CIPHER_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle EVP_CIPHER_CTX_NEW =
            OpenSsl.crypto("EVP_CIPHER_CTX_new", FunctionDescriptor.of(PTR), false);
    private static final MethodHandle EVP_CIPHER_CTX_FREE =
            OpenSsl.crypto("EVP_CIPHER_CTX_free", FunctionDescriptor.ofVoid(PTR), false);
    private static final MethodHandle EVP_CIPHERINIT_EX2 =
            OpenSsl.crypto("EVP_CipherInit_ex2", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, INT, PTR), false);
    private static final MethodHandle EVP_CIPHERUPDATE =
            OpenSsl.crypto("EVP_CipherUpdate", FunctionDescriptor.of(INT, PTR, PTR, PTR, PTR, INT), false);
    private static final MethodHandle EVP_CIPHERFINAL_EX =
            OpenSsl.crypto("EVP_CipherFinal_ex", FunctionDescriptor.of(INT, PTR, PTR, PTR), false);
    private static final MethodHandle EVP_CIPHER_CTX_CTRL =
            OpenSsl.crypto("EVP_CIPHER_CTX_ctrl", FunctionDescriptor.of(INT, PTR, INT, INT, PTR), false);

    private Evp() {}

    /**
     * The cipher of that name from the default provider ("AES-128-GCM", "AES-256-GCM",
     * "ChaCha20-Poly1305").
     *
     * @param name the algorithm
     * @return the cipher, or NULL if no provider has it; {@link #EVP_CIPHER_free} releases it
     */
    public static MemorySegment EVP_CIPHER_fetch(String name) {
        try (Arena arena = Arena.ofConfined()) {
            return (MemorySegment) EVP_CIPHER_FETCH.invokeExact(MemorySegment.NULL, arena.allocateFrom(name),
                    MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Releases a fetched cipher. */
    public static void EVP_CIPHER_free(MemorySegment cipher) {
        try {
            EVP_CIPHER_FREE.invokeExact(cipher);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** {@return a new cipher context, or NULL out of memory} */
    public static MemorySegment EVP_CIPHER_CTX_new() {
        try {
            return (MemorySegment) EVP_CIPHER_CTX_NEW.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Frees a context; NULL is allowed. */
    public static void EVP_CIPHER_CTX_free(MemorySegment ctx) {
        try {
            EVP_CIPHER_CTX_FREE.invokeExact(ctx);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Sets up {@code ctx} for one message.
     *
     * @param ctx the context
     * @param cipher the cipher, or NULL to keep the one set before
     * @param key the key (the cipher's key length), or NULL to keep it
     * @param iv the nonce (12 bytes for the TLS AEADs), or NULL to keep it
     * @param encrypt 1 to encrypt, 0 to decrypt
     * @return 1, or 0 on failure
     */
    public static int EVP_CipherInit_ex2(MemorySegment ctx, MemorySegment cipher, MemorySegment key, MemorySegment iv,
                                         int encrypt) {
        try {
            return (int) EVP_CIPHERINIT_EX2.invokeExact(ctx, cipher, key, iv, encrypt, MemorySegment.NULL);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Encrypts or decrypts {@code in[inOffset, inOffset + length)} into {@code out} at
     * {@code outOffset}; with {@code out} NULL the bytes are additional authenticated data.
     * For an AEAD stream cipher the output is exactly as long as the input.
     *
     * @return the bytes written, or -1 on failure
     */
    public static int EVP_CipherUpdate(MemorySegment ctx, MemorySegment out, long outOffset, MemorySegment in,
                                       long inOffset, int length) {
        Bounds.range("EVP_CipherUpdate", inOffset, length, "in", in);
        if (out.address() != 0) {
            Bounds.range("EVP_CipherUpdate", outOffset, length, "out", out);
        }
        MemorySegment n = Errno.current().scratch; // int *outl
        MemorySegment to = out.address() == 0 ? out : out.asSlice(outOffset);
        try {
            int r = (int) EVP_CIPHERUPDATE.invokeExact(ctx, to, n, in.asSlice(inOffset), length);
            return r == 1 ? n.get(ValueLayout.JAVA_INT, 0) : -1;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Ends the message. An AEAD writes nothing here; decrypting, this is where the tag set by
     * {@link #EVP_CTRL_AEAD_SET_TAG} is checked.
     *
     * @param out room for a block (unused by the TLS AEADs)
     * @return 1, or 0 on failure (for decryption: the tag did not match)
     */
    public static int EVP_CipherFinal_ex(MemorySegment ctx, MemorySegment out) {
        MemorySegment n = Errno.current().scratch;
        try {
            return (int) EVP_CIPHERFINAL_EX.invokeExact(ctx, out, n);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A control call: {@link #EVP_CTRL_AEAD_GET_TAG} writes the tag to {@code ptr},
     * {@link #EVP_CTRL_AEAD_SET_TAG} reads it from there.
     *
     * @return 1, or &lt;= 0 on failure
     */
    public static int EVP_CIPHER_CTX_ctrl(MemorySegment ctx, int type, int arg, MemorySegment ptr) {
        try {
            return (int) EVP_CIPHER_CTX_CTRL.invokeExact(ctx, type, arg, ptr);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
