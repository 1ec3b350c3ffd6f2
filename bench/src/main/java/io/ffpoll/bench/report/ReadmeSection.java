package io.ffpoll.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Puts a generated report into the README between {@code <!-- NAME:begin -->} and
 * {@code <!-- NAME:end -->}, so that the README's tables and charts are always those of the
 * latest run and never edited by hand: the report's title is dropped, its headings go one level
 * down and its chart links are made relative to the README.
 */
public final class ReadmeSection {
    private ReadmeSection() {}

    /**
     * For the shell scripts: {@code ReadmeSection NAME REPORT.md} puts the report (its first
     * line is its title) between the NAME markers of ./README.md.
     */
    public static void main(String[] args) throws IOException {
        Path report = Path.of(args[1]);
        replace(Path.of("README.md"), args[0], report.toAbsolutePath().getParent(), Files.readString(report));
    }

    static void replace(Path readme, String name, Path reportDir, String report) throws IOException {
        if (!Files.exists(readme)) {
            return;
        }
        String begin = "<!-- " + name + ":begin -->\n";
        String end = "<!-- " + name + ":end -->";
        String text = Files.readString(readme);
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            return;
        }
        String body = report.substring(report.indexOf('\n') + 1)
                .replace("\n## ", "\n### ")
                .replace("](", "](" + readme.toAbsolutePath().getParent().relativize(reportDir.toAbsolutePath()) + "/");
        Files.writeString(readme, text.substring(0, from + begin.length()) + body.strip() + "\n" + text.substring(to));
    }
}
