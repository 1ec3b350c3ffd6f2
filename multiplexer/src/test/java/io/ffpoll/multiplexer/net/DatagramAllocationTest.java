package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The loop thread allocates nothing per datagram once warm: receiving (recvmmsg, or one
 * recvfrom each), handing each datagram to the handler, queueing its reply (to the sender's
 * view or to a JDK address) and sending the queue (sendmmsg, or one sendto each), for
 * datagrams of one size and of twelve. Measured with the JVM's per-thread allocation counter
 * by {@link DatagramAllocationProbe}, in a JVM of its own, for two reasons.
 *
 * <p>First, the JDK's own share. On every call of a downcall linked to capture errno, the FFM
 * linker takes a slice of the capture segment (SharedUtils.checkCaptureSegment), a 40-byte
 * object that C2 removes only when it inlines AbstractMemorySegmentImpl.asSlice and
 * SharedUtils.checkNative into the call. Its heuristics sometimes decline ("low call site
 * frequency" on a method handle's freshly customized form, "too big"), and then every
 * recvmmsg or epoll_wait allocates one for as long as that compiled code lives: seen in about
 * half of the runs in the shared test JVM, never in ffpoll's code. The child pins those two
 * inlining decisions (-XX:CompileCommand=inline), so that what is measured is ffpoll's.
 * Second, the test JVM's other work: the JIT state that earlier tests leave behind.
 *
 * <p>A per-datagram allocation shows in every window. What a window can also catch passes: a
 * one-off of the JIT, or a stretch of code at a lower tier between a deoptimisation and its
 * recompilation. So each case runs windows until one allocates nothing, and fails if none
 * does.
 */
class DatagramAllocationTest {
    /** The backend of the loop under test: the OS's own here, kqueue (on libkqueue) in a subclass. */
    String backend() {
        return "epoll";
    }

    /** Flags for the child JVM beyond those of the inlining (libkqueue's path in a subclass). */
    List<String> childFlags() {
        return List.of();
    }

    @Test
    void theLoopAllocatesNothingPerDatagramOnceWarm() throws Exception {
        Assumptions.assumeTrue(Platform.current().name().equals("linux"), "Linux's calls, batched and one at a time");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m",
                "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=inline,jdk.internal.foreign.AbstractMemorySegmentImpl::asSlice",
                "-XX:CompileCommand=inline,jdk.internal.foreign.abi.SharedUtils::checkNative"));
        cmd.addAll(childFlags());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DatagramAllocationProbe.class.getName(),
                backend()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("the probe failed:\n" + out);
        }
        List<Executable> cases = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("case ")) {
                continue;
            }
            int at = line.indexOf(" windows [");
            String name = line.substring(5, at);
            long[] windows = Arrays.stream(line.substring(at + 10, line.length() - 1).split(", "))
                    .mapToLong(Long::parseLong).toArray();
            long least = Arrays.stream(windows).min().orElseThrow();
            cases.add(() -> assertEquals(0, windows[windows.length - 1], name + ": the loop thread allocated "
                    + Arrays.toString(windows) + " bytes in " + windows.length + " windows of "
                    + DatagramAllocationProbe.WINDOW + " datagrams, at least "
                    + String.format("%.1f", least / (double) DatagramAllocationProbe.WINDOW) + " bytes per datagram"));
        }
        assertEquals(12, cases.size(), "a line per case:\n" + out);
        assertAll(cases);
    }
}
