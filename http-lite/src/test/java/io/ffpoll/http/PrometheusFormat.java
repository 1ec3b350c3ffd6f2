package io.ffpoll.http;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format, version 0.0.4, for tests: each family's
 * {@code # HELP} and {@code # TYPE} come once and before its samples; a sample is a valid name,
 * well-formed labels and a number; counters end in {@code _total}; no sample repeats; the text
 * ends in a newline. Returns the samples, {@code name{labels}} to value.
 */
public final class PrometheusFormat {
    private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:\\\\[\\\\\"n]|[^\"\\\\\\n])*\"";
    private static final Pattern SAMPLE = Pattern.compile("^(" + NAME + ")(\\{(?:" + LABEL + ")(?:," + LABEL + ")*\\})? (\\S+)$");
    private static final Pattern HELP = Pattern.compile("^# HELP (" + NAME + ") (.*)$");
    private static final Pattern TYPE = Pattern.compile("^# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)$");

    private PrometheusFormat() {}

    public static Map<String, Double> parse(String text) {
        if (!text.endsWith("\n")) {
            throw new AssertionError("the text does not end in a newline");
        }
        Map<String, String> types = new HashMap<>();
        Set<String> helps = new HashSet<>();
        Set<String> sampled = new HashSet<>();
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Matcher m;
            if ((m = HELP.matcher(line)).matches()) {
                check(helps.add(m.group(1)) && !sampled.contains(m.group(1)), "HELP once, before the samples: " + line);
            } else if ((m = TYPE.matcher(line)).matches()) {
                check(types.put(m.group(1), m.group(2)) == null && !sampled.contains(m.group(1)),
                        "TYPE once, before the samples: " + line);
                check(!m.group(2).equals("counter") || m.group(1).endsWith("_total"), "a counter ends in _total: " + line);
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                check(types.containsKey(m.group(1)), "a sample of a family with a TYPE: " + line);
                sampled.add(m.group(1));
                double value = Double.parseDouble(m.group(3));
                String key = m.group(1) + (m.group(2) == null ? "" : m.group(2));
                check(samples.put(key, value) == null, "one sample per series: " + line);
            } else {
                throw new AssertionError("not a line of the format: '" + line + "'");
            }
        }
        return samples;
    }

    /** The sum of {@code family}'s samples. */
    static double sum(Map<String, Double> samples, String family) {
        double s = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            if (e.getKey().equals(family) || e.getKey().startsWith(family + "{")) {
                s += e.getValue();
            }
        }
        return s;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
