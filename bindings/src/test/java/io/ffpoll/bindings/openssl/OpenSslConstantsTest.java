package io.ffpoll.bindings.openssl;

import io.ffpoll.bindings.testing.CProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles native/openssl_probe.c against this machine's OpenSSL headers, runs it, and checks
 * every constant it prints against the field of the same name in the openssl bindings; then
 * that every upper-case constant field of those classes was printed. The constants are copied
 * by hand (the control codes behind OpenSSL's macros among them), so this is what keeps them
 * honest.
 */
class OpenSslConstantsTest {
    private static final List<Class<?>> CLASSES = List.of(Ssl.class, SslInfo.class, SslCtx.class, SslCiphers.class, Bio.class, Crypto.class, Evp.class);
    private static final Map<String, Long> PROBE = new LinkedHashMap<>();

    @BeforeAll
    static void runProbe() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/include/openssl/ssl.h"))
                        || Files.exists(Path.of("/usr/local/include/openssl/ssl.h"))
                        || Files.exists(Path.of("/opt/homebrew/include/openssl/ssl.h")),
                "SKIPPED: no OpenSSL headers (libssl-dev), so OpenSSL's constants cannot be checked");
        CProbe.run("openssl_probe.c").forEach((key, value) -> PROBE.put(key.substring(key.indexOf(' ') + 1), value));
    }

    // Reading a field by reflection initialises its class, which links the library's symbols.
    private static Map<String, Long> javaConstants() throws Exception {
        Assumptions.assumeTrue(OpenSsl.available(), "SKIPPED: OpenSSL does not load: " + OpenSsl.unavailableReason());
        Map<String, Long> out = new LinkedHashMap<>();
        for (Class<?> c : CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                // TLSEXT_NAMETYPE_host_name is the one constant OpenSSL spells in mixed case.
                boolean constant = Modifier.isStatic(m) && Modifier.isFinal(m) && Modifier.isPublic(m)
                        && (f.getType() == int.class || f.getType() == long.class)
                        && (f.getName().matches("[A-Z0-9_]+") || f.getName().startsWith("TLSEXT_NAMETYPE_"));
                if (constant) {
                    out.put(f.getName(), ((Number) f.get(null)).longValue());
                }
            }
        }
        return out;
    }

    @Test
    void everyProbedConstantMatchesJava() throws Exception {
        Map<String, Long> java = javaConstants();
        List<String> mismatches = new ArrayList<>();
        PROBE.forEach((name, value) -> {
            Long j = java.get(name);
            if (j == null) {
                mismatches.add(name + ": printed by the probe, no Java field");
            } else if (j.longValue() != value) {
                mismatches.add(name + ": C says " + value + ", Java says " + j);
            }
        });
        assertTrue(mismatches.isEmpty(), "OpenSSL constants drifted from the headers:\n" + String.join("\n", mismatches));
        assertTrue(PROBE.size() >= 30, "probe printed only " + PROBE.size() + " lines");
    }

    @Test
    void everyJavaConstantIsProbed() throws Exception {
        TreeSet<String> unprobed = new TreeSet<>(javaConstants().keySet());
        unprobed.removeAll(PROBE.keySet());
        assertTrue(unprobed.isEmpty(), "constants not in native/openssl_probe.c: " + unprobed);
    }
}
