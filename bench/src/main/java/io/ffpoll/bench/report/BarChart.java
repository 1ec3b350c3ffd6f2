package io.ffpoll.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * A horizontal grouped bar chart as SVG text: one group per row of a table (a parameter set),
 * one bar per side in it, each labelled with its value. Generated from the raw results so that a
 * rerun redraws it; no hand-made pictures.
 */
final class BarChart {
    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
    private static final int WIDTH = 760;
    private static final int LABEL = 170;
    private static final int BAR = 16;
    private static final int GAP = 12;

    /** One row of the chart: its label and one value per series (NaN: no bar). */
    record Group(String label, double[] values) {}

    private BarChart() {}

    /**
     * The chart.
     *
     * @param title the caption
     * @param unit what the values measure, with the direction that is better
     * @param series the sides, in bar order
     * @param groups the rows
     * @return SVG text
     */
    static String svg(String title, String unit, List<String> series, List<Group> groups) {
        double max = 0;
        for (Group g : groups) {
            for (double v : g.values()) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        int plot = WIDTH - LABEL - 110;
        int top = 44 + 18;
        int height = top + groups.size() * (series.size() * BAR + GAP) + 16;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                WIDTH, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
        s.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", escape(title)));
        s.append(String.format(Locale.ROOT, "<text x=\"8\" y=\"38\" fill=\"#555\">%s</text>%n", escape(unit)));
        int x = LABEL;
        for (int i = 0; i < series.size(); i++) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", x, 46, COLOURS[i % COLOURS.length], x + 16, 56, escape(series.get(i))));
            x += 24 + 8 * series.get(i).length();
        }
        int y = top;
        for (Group g : groups) {
            int groupHeight = series.size() * BAR;
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
                    LABEL - 8, y + groupHeight / 2 + 4, escape(g.label())));
            for (int i = 0; i < series.size(); i++) {
                double v = i < g.values().length ? g.values()[i] : Double.NaN;
                if (!Double.isNaN(v)) {
                    double w = max == 0 ? 0 : Math.max(1, v / max * plot);
                    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                                    + "<text x=\"%.1f\" y=\"%d\" fill=\"#333\">%s</text>%n",
                            LABEL, y + i * BAR, w, BAR - 2, COLOURS[i % COLOURS.length], LABEL + w + 4, y + i * BAR + 12, number(v)));
                }
            }
            y += groupHeight + GAP;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** A figure with three significant digits, thousands grouped. */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
