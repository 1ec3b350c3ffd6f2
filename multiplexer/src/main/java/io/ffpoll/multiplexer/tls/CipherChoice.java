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
     * Checks that a server's TLS 1.2 suites can serve one of its certificates: a suite names the
     * key its certificate must have ({@code _ECDSA_} or {@code _RSA_}), and a TLS 1.2 client
     * finds no suite in common with a server whose every suite wants the other kind.
     *
     * @param suites the suites chosen (empty for the default, which has both kinds)
     * @param protocols the versions allowed
     * @param keys the server's certificates' keys
     * @throws IllegalArgumentException where TLS 1.2 is allowed and no TLS 1.2 suite fits a key
     */
    public static void fitCertificates(List<String> suites, List<String> protocols, java.util.Collection<CertifiedKey> keys) {
        if (suites.isEmpty() || !protocols.contains("TLSv1.2") || keys.isEmpty()) {
            return;
        }
        Set<String> algorithms = new java.util.TreeSet<>();
        keys.forEach(k -> algorithms.add(k.key().getAlgorithm()));
        for (String s : suites) {
            String needs = certificateKey(s);
            if (!isTls13(s) && (needs == null || algorithms.contains(needs))) {
                return;
            }
        }
        throw new IllegalArgumentException("no TLS 1.2 cipher suite chosen fits this server's certificates, whose keys are "
                + algorithms + ": a TLS 1.2 client would find no suite in common (choose a TLS_ECDHE_"
                + (algorithms.contains("EC") ? "ECDSA" : "RSA") + "_WITH_... suite, or allow TLSv1.3 alone)");
    }

    /**
     * Checks that TLS 1.2 keeps a key exchange: its ECDHE suites (all of the default ones) need
     * an elliptic-curve group, the ffdhe groups being for TLS 1.3 (and DHE suites) only.
     *
     * @param suites the suites chosen (empty for the default: ECDHE alone on TLS 1.2)
     * @param protocols the versions allowed
     * @param groups the groups chosen (empty for the engine's, which have curves)
     * @throws IllegalArgumentException where TLS 1.2 is allowed and has only ECDHE suites, but no
     *     group is a curve
     */
    public static void fitGroups(List<String> suites, List<String> protocols, List<String> groups) {
        if (groups.isEmpty() || !protocols.contains("TLSv1.2") || groups.stream().anyMatch(g -> !g.startsWith("ffdhe"))) {
            return;
        }
        if (suites.isEmpty() || suites.stream().filter(s -> !isTls13(s)).allMatch(s -> s.startsWith("TLS_ECDHE_"))) {
            throw new IllegalArgumentException("the groups " + groups + " have no elliptic curve, which TLS 1.2's ECDHE suites need: "
                    + "add x25519 or secp256r1, or allow TLSv1.3 alone");
        }
    }

    /** The key algorithm a TLS 1.2 suite's certificate needs ("EC" or "RSA"), or null for one this does not tell. */
    private static String certificateKey(String suite) {
        if (suite.contains("_ECDSA_")) {
            return "EC";
        }
        if (suite.matches("TLS_((EC)?DHE_)?RSA_WITH_.*")) {
            return "RSA";
        }
        return null;
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
