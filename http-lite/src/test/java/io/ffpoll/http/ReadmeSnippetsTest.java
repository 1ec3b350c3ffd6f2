package io.ffpoll.http;

import io.ffpoll.http.example.Hello;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's Java snippets are the examples' marked regions, word for word, and the examples
 * run: so the quick starts compile and work as written.
 */
class ReadmeSnippetsTest extends HttpTestBase {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    private static String normalize(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
    }

    /** The marked regions of the example sources, by name. */
    private static Map<String, String> regions() throws IOException {
        Map<String, String> regions = new LinkedHashMap<>();
        Pattern region = Pattern.compile("// README:begin (\\S+)\\n(.*?)\\n\\s*// README:end", Pattern.DOTALL);
        for (Path p : List.of(ROOT.resolve("multiplexer/src/main/java/io/ffpoll/multiplexer/example/QuickEcho.java"),
                ROOT.resolve("multiplexer/src/main/java/io/ffpoll/multiplexer/example/PassDescriptor.java"),
                ROOT.resolve("http-lite/src/main/java/io/ffpoll/http/example/Hello.java"))) {
            Matcher m = region.matcher(Files.readString(p));
            while (m.find()) {
                regions.put(m.group(1), normalize(m.group(2)));
            }
        }
        return regions;
    }

    @Test
    void everyJavaSnippetInTheReadmeIsAnExampleRegion() throws IOException {
        Map<String, String> regions = regions();
        assertEquals(4, regions.size(), regions.keySet().toString());
        List<String> snippets = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(ROOT.resolve("README.md")));
        while (m.find()) {
            snippets.add(normalize(m.group(1)));
        }
        assertTrue(snippets.size() >= regions.size(), snippets.size() + " java snippets in the README");
        for (String snippet : snippets) {
            assertTrue(regions.containsValue(snippet), "a README snippet is no example's region:\n" + snippet);
        }
        for (Map.Entry<String, String> r : regions.entrySet()) {
            assertTrue(snippets.contains(r.getValue()), "region " + r.getKey() + " is not in the README");
        }
    }

    @Test
    void theHttpQuickStartRuns() throws Exception {
        HttpServer hello = Hello.start(0);
        servers.add(hello);
        try (RawClient c = new RawClient(hello.address())) {
            assertEquals("Hello, Ada!\n", c.send("GET /hello/Ada HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            assertEquals("{\"bytes\":3}", c.send("POST /orders HTTP/1.1\r\n" + HOST + "Content-Length: 3\r\n\r\nabc")
                    .read().text());
        }
        // QuickEcho runs in the multiplexer's QuickEchoTest (its example package is not exported).
    }
}
