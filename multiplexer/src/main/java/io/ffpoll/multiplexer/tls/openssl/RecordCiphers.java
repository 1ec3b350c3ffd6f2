package io.ffpoll.multiplexer.tls.openssl;

import io.ffpoll.bindings.openssl.Crypto;
import io.ffpoll.bindings.openssl.Evp;

import javax.net.ssl.SSLException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One thread's libcrypto AEAD contexts for {@link Tls13Records}: one per suite and direction,
 * made on first use and re-keyed for every record, so a connection holds no cipher context
 * between records (an AES-GCM context with its key schedule is about a kilobyte). Also the
 * few native bytes each record needs: key, nonce, tag and the inner content type. Loop threads
 * own theirs for their life; a thread's contexts are freed once it is gone (a Cleaner).
 */
final class RecordCiphers {
    private static final ThreadLocal<RecordCiphers> PER_THREAD = ThreadLocal.withInitial(RecordCiphers::new);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MemorySegment[] FETCHED = new MemorySegment[Tls13Suite.values().length];
    static final AtomicInteger LIVE_CONTEXTS = new AtomicInteger();

    private static final long KEY_AT = 0;
    private static final long NONCE_AT = 32;
    private static final long TAG_AT = 48;
    private static final long TYPE_AT = 64;
    private static final long FINAL_AT = 72; // EVP_CipherFinal_ex's output: an AEAD writes none
    private static final long SCRATCH = 128;

    private final MemorySegment[] contexts; // [suite * 2 + (encrypt ? 1 : 0)]
    private final MemorySegment scratch;
    private final MemorySegment key;
    private final MemorySegment nonce;
    private final MemorySegment tag;
    private final MemorySegment finalOut;

    private RecordCiphers() {
        contexts = new MemorySegment[Tls13Suite.values().length * 2];
        Arena arena = Arena.ofAuto();
        scratch = arena.allocate(SCRATCH, 16);
        key = scratch.asSlice(KEY_AT, 32);
        nonce = scratch.asSlice(NONCE_AT, Tls13Suite.NONCE_BYTES);
        tag = scratch.asSlice(TAG_AT, Tls13Suite.TAG_BYTES);
        finalOut = scratch.asSlice(FINAL_AT, 32);
        MemorySegment[] owned = contexts;
        CLEANER.register(this, () -> {
            for (MemorySegment c : owned) {
                if (c != null) {
                    Evp.EVP_CIPHER_CTX_free(c);
                    LIVE_CONTEXTS.decrementAndGet();
                }
            }
        });
    }

    /** {@return this thread's contexts} */
    static RecordCiphers current() {
        return PER_THREAD.get();
    }

    private static synchronized MemorySegment cipher(Tls13Suite suite) throws SSLException {
        MemorySegment c = FETCHED[suite.ordinal()];
        if (c == null) {
            c = Evp.EVP_CIPHER_fetch(suite.evpName);
            if (c.address() == 0) {
                Crypto.ERR_clear_error();
                throw new SSLException("libcrypto has no " + suite.evpName + " (EVP_CIPHER_fetch)");
            }
            FETCHED[suite.ordinal()] = c; // kept for the process, as the library is
        }
        return c;
    }

    /**
     * Starts one record: {@code ctx} keyed with {@code keys}, its nonce the IV XOR the sequence
     * number (RFC 8446 5.3).
     *
     * @return the context, ready for AAD and data
     */
    MemorySegment begin(TrafficKeys keys, boolean encrypt) throws SSLException {
        int slot = keys.suite.ordinal() * 2 + (encrypt ? 1 : 0);
        MemorySegment ctx = contexts[slot];
        if (ctx == null) {
            MemorySegment made = Evp.EVP_CIPHER_CTX_new();
            if (made.address() == 0) {
                throw new SSLException("EVP_CIPHER_CTX_new: out of memory");
            }
            if (Evp.EVP_CipherInit_ex2(made, cipher(keys.suite), MemorySegment.NULL, MemorySegment.NULL, encrypt ? 1 : 0) != 1) {
                SSLException e = failed("EVP_CipherInit_ex2");
                Evp.EVP_CIPHER_CTX_free(made);
                throw e;
            }
            LIVE_CONTEXTS.incrementAndGet();
            contexts[slot] = made; // kept only once it works: a failure here is not for good
            ctx = made;
        }
        MemorySegment.copy(keys.key, 0, scratch, ValueLayout.JAVA_BYTE, KEY_AT, keys.key.length);
        byte[] iv = keys.iv;
        long seq = keys.sequence;
        for (int i = 0; i < Tls13Suite.NONCE_BYTES; i++) {
            int shift = 8 * (Tls13Suite.NONCE_BYTES - 1 - i);
            byte s = shift < 64 ? (byte) (seq >>> shift) : 0;
            scratch.set(ValueLayout.JAVA_BYTE, NONCE_AT + i, (byte) (iv[i] ^ s));
        }
        int r = Evp.EVP_CipherInit_ex2(ctx, MemorySegment.NULL, key, nonce, encrypt ? 1 : 0);
        key.fill((byte) 0);
        if (r != 1) {
            throw failed("EVP_CipherInit_ex2");
        }
        return ctx;
    }

    /** Feeds {@code length} bytes of additional authenticated data. */
    void aad(MemorySegment ctx, MemorySegment from, long at, int length) throws SSLException {
        if (Evp.EVP_CipherUpdate(ctx, MemorySegment.NULL, 0, from, at, length) != length) {
            throw failed("EVP_CipherUpdate (AAD)");
        }
    }

    /** Encrypts or decrypts {@code length} bytes from {@code from[at]} to {@code to[toAt]}. */
    void update(MemorySegment ctx, MemorySegment from, long at, MemorySegment to, long toAt, int length) throws SSLException {
        if (length > 0 && Evp.EVP_CipherUpdate(ctx, to, toAt, from, at, length) != length) {
            throw failed("EVP_CipherUpdate");
        }
    }

    /** Encrypts the one byte of inner content type to {@code to[toAt]} (RFC 8446 5.2). */
    void type(MemorySegment ctx, byte type, MemorySegment to, long toAt) throws SSLException {
        scratch.set(ValueLayout.JAVA_BYTE, TYPE_AT, type);
        update(ctx, scratch, TYPE_AT, to, toAt, 1);
    }

    /** Ends an encryption and writes its tag to {@code to[toAt]}. */
    void seal(MemorySegment ctx, MemorySegment to, long toAt) throws SSLException {
        if (Evp.EVP_CipherFinal_ex(ctx, finalOut) != 1) {
            throw failed("EVP_CipherFinal_ex");
        }
        if (Evp.EVP_CIPHER_CTX_ctrl(ctx, Evp.EVP_CTRL_AEAD_GET_TAG, Tls13Suite.TAG_BYTES, tag) != 1) {
            throw failed("EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_GET_TAG)");
        }
        MemorySegment.copy(scratch, TAG_AT, to, toAt, Tls13Suite.TAG_BYTES);
    }

    /** Sets the tag that {@link #open} checks, from {@code from[at]}; before the data. */
    void expect(MemorySegment ctx, MemorySegment from, long at) throws SSLException {
        MemorySegment.copy(from, at, scratch, TAG_AT, Tls13Suite.TAG_BYTES);
        if (Evp.EVP_CIPHER_CTX_ctrl(ctx, Evp.EVP_CTRL_AEAD_SET_TAG, Tls13Suite.TAG_BYTES, tag) != 1) {
            throw failed("EVP_CIPHER_CTX_ctrl(EVP_CTRL_AEAD_SET_TAG)");
        }
    }

    /** {@return whether the tag matched} Ends a decryption. */
    boolean open(MemorySegment ctx) {
        if (Evp.EVP_CipherFinal_ex(ctx, finalOut) == 1) {
            return true;
        }
        Crypto.ERR_clear_error(); // a tag that does not match is the peer's error, not ours to report
        return false;
    }

    private static SSLException failed(String call) {
        StringBuilder m = new StringBuilder(call).append(" failed");
        for (long code = Crypto.ERR_get_error(); code != 0; code = Crypto.ERR_get_error()) {
            m.append(": ").append(Crypto.ERR_error_string_n(code));
        }
        return new SSLException(m.toString());
    }
}
