package io.ffpoll.multiplexer.tls;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The checks on a user's choice of cipher suites and key exchange groups that do not depend on
 * the engine: the names' form, and that every TLS version allowed keeps a suite. Each engine
 * then refuses the names it does not know.
 */
public final class CipherChoice {
    /**
     * The key exchange groups either engine knows by these names (RFC 8446 4.2.7, RFC 7919): the
     * names the JDK's {@code SSLParameters.setNamedGroups} and OpenSSL's groups list share.
     */
    public static final Set<String> GROUPS = Set.of("x25519", "x448", "secp256r1", "secp384r1", "secp521r1",
            "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192");

    private CipherChoice() {}

    /** Whether {@code suite} is one of TLS 1.3's (RFC 8446 B.4: no key exchange in the name). */
    public static boolean isTls13(String suite) {
        return !suite.contains("_WITH_");
    }

    /**
     * Checks a list of suites' form and its cover of {@code protocols}.
     *
     * @param suites IANA names, most preferred first
     * @param protocols the TLS versions allowed
     * @return the suites, in order, without repeats
     * @throws IllegalArgumentException for an empty list, a name that is no suite's IANA name (or
     *     a signalling value such as TLS_EMPTY_RENEGOTIATION_INFO_SCSV), or a version allowed with
     *     no suite of its own
     */
    public static List<String> suites(List<String> suites, List<String> protocols) {
        if (suites.isEmpty()) {
            throw new IllegalArgumentException("no cipher suite");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String s : suites) {
            if (s == null || !s.matches("TLS_[A-Z0-9_]+") || s.endsWith("_SCSV")) {
                throw new IllegalArgumentException("not a cipher suite's IANA name: " + s
                        + " (as RFC 8446 and the JDK name them, e.g. TLS_AES_128_GCM_SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            }
            out.add(s);
        }
        boolean has13 = out.stream().anyMatch(CipherChoice::isTls13);
        boolean has12 = out.stream().anyMatch(s -> !isTls13(s));
        if (protocols.contains("TLSv1.3") && !has13) {
            throw new IllegalArgumentException("TLSv1.3 is allowed but no TLS 1.3 cipher suite is (TLS_AES_128_GCM_SHA256, ...): "
                    + "add one, or allow TLSv1.2 alone");
        }
        if (protocols.contains("TLSv1.2") && !has12) {
            throw new IllegalArgumentException("TLSv1.2 is allowed but no TLS 1.2 cipher suite is (TLS_ECDHE_..._WITH_...): "
                    + "add one, or allow TLSv1.3 alone");
        }
        return List.copyOf(out);
    }

    /**
     * Checks a list of key exchange groups.
     *
     * @param groups names of {@link #GROUPS}, in any case, most preferred first
     * @return the names in lower case, in order, without repeats
     * @throws IllegalArgumentException for an empty list or a name not in {@link #GROUPS}
     */
    public static List<String> groups(List<String> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("no key exchange group");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String g : groups) {
            String name = g == null ? null : g.toLowerCase(Locale.ROOT);
            if (!GROUPS.contains(name)) {
                throw new IllegalArgumentException("unknown key exchange group " + g + "; known: " + new ArrayList<>(new java.util.TreeSet<>(GROUPS)));
            }
            out.add(name);
        }
        return List.copyOf(out);
    }
}
