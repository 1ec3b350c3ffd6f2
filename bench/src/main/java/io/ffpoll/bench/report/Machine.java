package io.ffpoll.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;

/** The run's date and machine, as every report states them. */
final class Machine {
    private Machine() {}

    /** {@return one Markdown paragraph: date, CPU model and count, kernel, JDK, and the command} */
    static String describe(String command) {
        return "Run " + LocalDate.now() + " on " + cpuModel() + " (" + Runtime.getRuntime().availableProcessors()
                + " cores), Linux " + read("/proc/sys/kernel/osrelease") + ", JDK " + System.getProperty("java.vm.version")
                + " (" + System.getProperty("java.vm.name") + "). Command: `" + command + "`.\n";
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("an unknown CPU");
        } catch (IOException e) {
            return "an unknown CPU";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
