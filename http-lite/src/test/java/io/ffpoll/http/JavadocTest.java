package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public API is documented: javadoc over the three modules (bindings, multiplexer,
 * http-lite), with its default checks, reports no warning and no error.
 */
class JavadocTest {
    @Test
    void javadocOfThePublicApiHasNoWarnings() throws Exception {
        ToolProvider javadoc = ToolProvider.findFirst("javadoc").orElseThrow(() -> new AssertionError("no javadoc tool in this JDK"));
        Path root = Path.of(System.getProperty("user.dir")).getParent();
        String slf4j = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.contains("slf4j-api")).findFirst().orElseThrow();
        Path out = Files.createTempDirectory("ffpoll-javadoc");
        StringWriter log = new StringWriter();
        int rc;
        try (PrintWriter w = new PrintWriter(log)) {
            rc = javadoc.run(w, w, "-quiet", "-Xmaxwarns", "10000", "-d", out.toString(), "--module-path", slf4j,
                    "--module-source-path", "io.ffpoll.bindings=" + root.resolve("bindings/src/main/java"),
                    "--module-source-path", "io.ffpoll.multiplexer=" + root.resolve("multiplexer/src/main/java"),
                    "--module-source-path", "io.ffpoll.http=" + root.resolve("http-lite/src/main/java"),
                    "--module", "io.ffpoll.bindings,io.ffpoll.multiplexer,io.ffpoll.http");
        }
        try (Stream<Path> files = Files.walk(out)) {
            List<Path> all = files.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.delete(p);
            }
        }
        String text = log.toString();
        assertEquals(0, rc, text);
        assertTrue(!text.contains("warning") && !text.contains("error"), text);
    }
}
