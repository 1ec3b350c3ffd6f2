package io.ffpoll.bindings.openssl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * Whether OpenSSL 3 loads here, and the lookups the other classes of this package link from.
 * The libraries are found by their names only, as the dynamic linker knows them
 * ({@code libssl.so.3}, {@code libcrypto.so.3} on Linux; {@code libssl.3.dylib},
 * {@code libcrypto.3.dylib} on macOS): nothing here names a path, and nothing is shipped.
 *
 * <p>Class initialisation never throws: a missing library, a missing symbol or a version below
 * 3.0 becomes {@link #unavailableReason()}. The facades ({@link Ssl}, {@link SslInfo},
 * {@link SslCtx}, {@link Bio}, {@link Crypto}) link their handles when they are first used and throw
 * {@link IllegalStateException} then if OpenSSL is not {@link #available()}: check first.
 *
 * <p>These are library calls, not syscalls: none is counted by the counting mode, and none
 * captures errno. Their error convention is OpenSSL's own: a return value the man page
 * describes, and a per-thread error queue ({@link Crypto#drainErrors()}).
 */
public final class OpenSsl {
    /** The first version this package binds: 3.0.0 ({@code OPENSSL_VERSION_NUMBER} 0x30000000). */
    public static final long MIN_VERSION = 0x3000_0000L;

    private static final List<String> SSL_NAMES = List.of("libssl.so.3", "libssl.3.dylib");
    private static final List<String> CRYPTO_NAMES = List.of("libcrypto.so.3", "libcrypto.3.dylib");

    private static final SymbolLookup SSL;
    private static final SymbolLookup CRYPTO;
    private static final long VERSION;
    private static final String REASON;

    static {
        SymbolLookup ssl = load(SSL_NAMES);
        SymbolLookup crypto = load(CRYPTO_NAMES);
        long version = 0;
        String reason = null;
        if (ssl == null) {
            reason = String.join(" / ", SSL_NAMES) + " not found by the dynamic linker";
        } else if (crypto == null) {
            reason = String.join(" / ", CRYPTO_NAMES) + " not found by the dynamic linker";
        } else {
            try {
                MethodHandle num = Linker.nativeLinker().downcallHandle(
                        crypto.find("OpenSSL_version_num").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG));
                version = (long) num.invokeExact();
                if (Long.compareUnsigned(version, MIN_VERSION) < 0) {
                    reason = "OpenSSL " + Long.toHexString(version) + " is older than 3.0 (OpenSSL_version_num() < 0x30000000)";
                }
            } catch (Throwable e) { // a libcrypto without the symbol: 1.0 or not OpenSSL at all
                reason = "libcrypto has no OpenSSL_version_num: not OpenSSL 1.1 or later (" + e + ")";
            }
        }
        SSL = ssl;
        CRYPTO = crypto;
        VERSION = version;
        REASON = reason;
    }

    private OpenSsl() {}

    private static SymbolLookup load(List<String> names) {
        for (String name : names) {
            try {
                return SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException notFound) {
                // try the next name
            }
        }
        return null;
    }

    /** {@return whether libssl and libcrypto 3.x loaded} */
    public static boolean available() {
        return REASON == null;
    }

    /** {@return why OpenSSL cannot be used here, or null when it can} */
    public static String unavailableReason() {
        return REASON;
    }

    /** {@return {@code OpenSSL_version_num()}, e.g. 0x30000130 for 3.0.19; 0 if libcrypto did not load} */
    public static long versionNumber() {
        return VERSION;
    }

    static MethodHandle ssl(String name, FunctionDescriptor descriptor, boolean critical) {
        return link(SSL, "libssl", name, descriptor, critical);
    }

    static MethodHandle crypto(String name, FunctionDescriptor descriptor, boolean critical) {
        return link(CRYPTO, "libcrypto", name, descriptor, critical);
    }

    // Critical (no thread-state transition) only for calls that copy or read a few fields: they
    // never call back into Java and never run long, so they cannot hold up a safepoint.
    private static MethodHandle link(SymbolLookup lookup, String library, String name, FunctionDescriptor descriptor,
                                     boolean critical) {
        if (REASON != null) {
            throw new IllegalStateException("OpenSSL is not available: " + REASON);
        }
        MemorySegment address = lookup.find(name)
                .orElseThrow(() -> new IllegalStateException(library + " has no " + name));
        return critical
                ? Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.critical(false))
                : Linker.nativeLinker().downcallHandle(address, descriptor);
    }

    /**
     * The NUL-terminated string at {@code p}, or null for NULL.
     *
     * @param p a {@code const char *} returned by OpenSSL
     * @return the string (UTF-8)
     */
    static String string(MemorySegment p) {
        return p.address() == 0 ? null : p.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
