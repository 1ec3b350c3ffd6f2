package io.ffpoll.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a JFR recording and prints what kept ffpoll's loops from serving: the longest loop
 * stalls and slow handlers (each with its callback and the top of the stack sampled while it
 * ran), the slowest handlers summed by callback, and counts of back-pressure and accept
 * failures.
 *
 * <pre>bench/jfr-top rec.jfr [how many, default 10]</pre>
 */
public final class JfrTop {
    private JfrTop() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: bench/jfr-top RECORDING.jfr [N]");
            System.exit(2);
        }
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        List<RecordedEvent> stalls = new ArrayList<>();
        List<RecordedEvent> slow = new ArrayList<>();
        Map<String, Integer> counts = new TreeMap<>();
        try (RecordingFile file = new RecordingFile(Path.of(args[0]))) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                String name = e.getEventType().getName();
                if (!name.startsWith("ffpoll.")) {
                    continue;
                }
                counts.merge(name, 1, Integer::sum);
                if (name.equals("ffpoll.LoopStall")) {
                    stalls.add(e);
                } else if (name.equals("ffpoll.SlowHandler")) {
                    slow.add(e);
                }
            }
        }
        System.out.println("ffpoll events in " + args[0] + ": " + (counts.isEmpty() ? "none" : counts));
        print("loop stalls", stalls, top, "callback");
        print("slow handlers", slow, top, "callback");
        bySource(slow, top);
    }

    private static void print(String title, List<RecordedEvent> events, int top, String what) {
        if (events.isEmpty()) {
            return;
        }
        System.out.printf("%nlongest %s (%d in all):%n", title, events.size());
        events.stream().sorted(Comparator.comparing((RecordedEvent e) -> e.getDuration()).reversed()).limit(top).forEach(e -> {
            System.out.printf("  %8.1f ms  loop %s  %s: %s%n", millis(e.getDuration()), e.getString("loop"),
                    e.getString("kind"), e.getString(what));
            String stack = e.getString("stack");
            if (stack != null && !stack.isEmpty()) {
                stack.lines().limit(6).forEach(l -> System.out.println("              " + l));
            }
        });
    }

    private static void bySource(List<RecordedEvent> slow, int top) {
        if (slow.isEmpty()) {
            return;
        }
        Map<String, double[]> sums = new TreeMap<>();
        for (RecordedEvent e : slow) {
            double[] s = sums.computeIfAbsent(e.getString("callback").replaceAll(" \\(connection .*\\)$", ""),
                    k -> new double[2]);
            s[0]++;
            s[1] += millis(e.getDuration());
        }
        System.out.printf("%nslow handlers by callback (count, total ms):%n");
        sums.entrySet().stream().sorted(Comparator.comparingDouble((Map.Entry<String, double[]> x) -> x.getValue()[1]).reversed())
                .limit(top)
                .forEach(x -> System.out.printf("  %6d  %10.1f  %s%n", (long) x.getValue()[0], x.getValue()[1], x.getKey()));
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }
}
