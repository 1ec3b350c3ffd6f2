package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.testing.CProbe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written io_uring ABI against this machine's {@code <linux/io_uring.h>}
 * (native/io_uring_probe.c): every size, offset and constant the probe prints matches Java,
 * and every Java struct field and constant is probed.
 */
class IoUringLayoutTest {
    private static Map<String, Long> probe;

    @BeforeAll
    static void runProbe() throws Exception {
        probe = CProbe.run("io_uring_probe.c");
    }

    private static Map<String, Long> javaConstants() throws IllegalAccessException {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (Field f : IoUringAbi.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isPublic(m) && (f.getType() == int.class || f.getType() == long.class)) {
                out.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        return out;
    }

    @Test
    void everyProbedLineMatchesJava() throws Exception {
        Map<String, Long> constants = javaConstants();
        List<String> mismatches = new ArrayList<>();
        probe.forEach((key, c) -> {
            String[] k = key.split(" ");
            Long java = switch (k[0]) {
                case "sizeof" -> IoUringAbi.STRUCTS.containsKey(k[1]) ? IoUringAbi.STRUCTS.get(k[1]).byteSize() : null;
                case "offsetof" -> {
                    String[] sf = k[1].split("\\.");
                    StructLayout s = IoUringAbi.STRUCTS.get(sf[0]);
                    yield s == null ? null : s.byteOffset(MemoryLayout.PathElement.groupElement(sf[1]));
                }
                case "const" -> constants.get(k[1]);
                default -> throw new AssertionError("unknown probe line " + key);
            };
            if (java == null) {
                mismatches.add(key + ": printed by the probe, not in IoUringAbi");
            } else if (java.longValue() != c) {
                mismatches.add(key + ": C says " + c + ", Java says " + java);
            }
        });
        assertTrue(mismatches.isEmpty(), "io_uring ABI drifted from the header:\n" + String.join("\n", mismatches));
        assertTrue(probe.size() > 80, "probe printed only " + probe.size() + " lines");
    }

    @Test
    void everyJavaFieldAndConstantIsProbed() throws Exception {
        TreeSet<String> unprobed = new TreeSet<>();
        for (String c : javaConstants().keySet()) {
            if (!probe.containsKey("const " + c)) {
                unprobed.add("const " + c);
            }
        }
        IoUringAbi.STRUCTS.forEach((name, layout) -> {
            if (!probe.containsKey("sizeof " + name)) {
                unprobed.add("sizeof " + name);
            }
            for (MemoryLayout member : layout.memberLayouts()) {
                String field = member.name().orElse("");
                boolean reserved = field.startsWith("resv") || field.startsWith("pad") || field.startsWith("__pad")
                        || field.equals("sq_thread_cpu") || field.equals("sq_thread_idle") || field.equals("wq_fd")
                        || field.equals("user_addr");
                if (!(member instanceof PaddingLayout) && !reserved && !probe.containsKey("offsetof " + name + "." + field)) {
                    unprobed.add("offsetof " + name + "." + field);
                }
            }
        });
        assertTrue(unprobed.isEmpty(), "add these to native/io_uring_probe.c: " + unprobed);
    }
}
