package io.ffpoll.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JMH's CSV result file ({@code -rf csv}), one row per benchmark, parameter set and secondary result. */
final class JmhCsv {
    /**
     * One row.
     *
     * @param benchmark the method's simple class and name, with a secondary result's suffix
     *                  ({@code WakeupLatencyBenchmark.wakeAndRun:p0.999})
     * @param score the score
     * @param unit its unit
     * @param params the parameters by name
     */
    record Row(String benchmark, double score, String unit, Map<String, String> params) {
        String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    private JmhCsv() {}

    static List<Row> read(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        List<String> lines = Files.readAllLines(file);
        List<String> header = split(lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> cells = split(line);
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 7; i < header.size() && i < cells.size(); i++) {
                params.put(header.get(i).replace("Param: ", ""), cells.get(i));
            }
            // io.ffpoll.bench.WakeupLatencyBenchmark.wakeAndRun:p0.999 -> WakeupLatencyBenchmark.wakeAndRun:p0.999
            String name = cells.get(0);
            int secondary = name.indexOf(':');
            int method = name.lastIndexOf('.', secondary < 0 ? name.length() : secondary);
            int owner = name.lastIndexOf('.', method - 1);
            rows.add(new Row(name.substring(owner + 1), Double.parseDouble(cells.get(4)), cells.get(6), params));
        }
        return rows;
    }

    /** Splits one CSV line; JMH quotes strings and never puts a quote or comma inside one. */
    private static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        for (String cell : line.split(",", -1)) {
            out.add(cell.startsWith("\"") && cell.endsWith("\"") && cell.length() >= 2 ? cell.substring(1, cell.length() - 1) : cell);
        }
        return out;
    }
}
