package io.ffpoll.bindings;

import io.ffpoll.bindings.linux.gen.LinuxH;
import io.ffpoll.bindings.testing.CProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compiles native/layout_probe.c with this machine's C compiler and headers, runs it, and checks
 * every size, offset and constant it prints against the generated Java layouts and constants;
 * then checks the other way round, that every generated struct field and constant was probed.
 */
class LayoutProbeTest {
    private static final String GEN = "io.ffpoll.bindings.linux.gen.";
    private static final Map<String, Long> PROBE = new LinkedHashMap<>();

    @BeforeAll
    static void runProbe() throws Exception {
        PROBE.putAll(CProbe.run("layout_probe.c", "-I", CProbe.nativeDir().toString()));
    }

    private static GroupLayout struct(String name) throws Exception {
        return (GroupLayout) Class.forName(GEN + name).getMethod("layout").invoke(null);
    }

    @Test
    void everyProbedSizeOffsetAndConstantMatchesJava() throws Exception {
        Map<String, ValueLayout> types = Map.of(
                "int", LinuxH.C_INT, "long", LinuxH.C_LONG, "size_t", LinuxH.C_LONG,
                "ssize_t", LinuxH.C_LONG, "socklen_t", LinuxH.C_INT, "eventfd_t", ValueLayout.JAVA_LONG);
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, Long> e : PROBE.entrySet()) {
            String[] key = e.getKey().split(" ");
            long c = e.getValue();
            long java = switch (key[0]) {
                case "sizeof" -> types.containsKey(key[1]) ? types.get(key[1]).byteSize() : struct(key[1]).byteSize();
                case "offsetof" -> {
                    String[] sf = key[1].split("\\.");
                    yield struct(sf[0]).byteOffset(MemoryLayout.PathElement.groupElement(sf[1]));
                }
                case "const" -> {
                    // Constants are C ints or unsigned flags (EPOLLET is 1u << 31): compare the 32 bits.
                    c = c & 0xFFFF_FFFFL;
                    yield Integer.toUnsignedLong((int) LinuxH.class.getMethod(key[1]).invoke(null));
                }
                default -> throw new AssertionError("unknown probe line " + e.getKey());
            };
            if (java != c) {
                mismatches.add(e.getKey() + ": C says " + c + ", Java says " + java);
            }
        }
        assertTrue(mismatches.isEmpty(), "layouts drifted from the headers:\n" + String.join("\n", mismatches));
        assertTrue(PROBE.size() > 100, "probe printed only " + PROBE.size() + " lines");
    }

    @Test
    void everyGeneratedFieldAndConstantIsProbed() throws Exception {
        Set<String> unprobed = new TreeSet<>();
        for (String name : List.of("epoll_event", "epoll_data", "sockaddr", "sockaddr_in", "sockaddr_in6",
                "sockaddr_storage", "in_addr", "in6_addr", "iovec", "msghdr", "linger", "timespec", "rlimit",
                "sockaddr_un", "mmsghdr", "cmsghdr", "ucred", "tcp_info", "ip_mreqn", "ipv6_mreq", "itimerspec")) {
            GroupLayout layout = struct(name);
            if (!PROBE.containsKey("sizeof " + name)) {
                unprobed.add("sizeof " + name);
            }
            for (MemoryLayout member : layout.memberLayouts()) {
                if (!(member instanceof PaddingLayout) && member.name().isPresent()
                        && !PROBE.containsKey("offsetof " + name + "." + member.name().get())) {
                    unprobed.add("offsetof " + name + "." + member.name().get());
                }
            }
        }
        for (Method m : LinuxH.class.getDeclaredMethods()) {
            boolean constant = Modifier.isStatic(m.getModifiers()) && Modifier.isPublic(m.getModifiers())
                    && m.getParameterCount() == 0 && m.getReturnType() == int.class
                    && m.getName().equals(m.getName().toUpperCase());
            if (constant && !PROBE.containsKey("const " + m.getName())) {
                unprobed.add("const " + m.getName());
            }
        }
        assertTrue(unprobed.isEmpty(), "add these to native/layout_probe.c: " + unprobed);
    }

    @Test
    void generatedStructsAreTheOnesListedInTheProbe() throws Exception {
        Path gen = Path.of("src/main/java/io/ffpoll/bindings/linux/gen");
        Assumptions.assumeTrue(Files.isDirectory(gen), "sources not beside the test");
        Set<String> structs = new TreeSet<>();
        try (var files = Files.list(gen)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".java") && !n.startsWith("LinuxH") && !n.equals("package-info.java")
                            && !n.equals("epoll_data_t.java"))
                    .forEach(n -> structs.add(n.substring(0, n.length() - 5)));
        }
        for (String s : structs) {
            assertTrue(PROBE.containsKey("sizeof " + s), "generated struct " + s + " is not probed");
        }
    }
}
