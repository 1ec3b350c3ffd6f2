package io.ffpoll.http;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The modules as a user on the module path gets them (the other tests run on the class path,
 * where every public class is visible): a program that requires io.ffpoll.multiplexer compiles
 * against the exported API and runs; one that reaches for the backends, the loop's internals,
 * the bindings' counting and platform layer, or http-lite's parser, server, launcher or the
 * hooks between them does not compile; http-lite's launcher runs as a module and answers.
 */
class ModulePathTest {
    private static String modulePath;
    private static Path work;

    @BeforeAll
    static void findTheModules() throws Exception {
        // The reactor's compiled modules (surefire runs in http-lite/), and slf4j's from the class
        // path; a build of http-lite alone (-pl http-lite) has the bindings and the multiplexer
        // only as the jars on its class path, which are the same modules.
        List<String> path = new ArrayList<>();
        List<String> classPath = Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator));
        for (String module : List.of("bindings", "multiplexer", "http-lite")) {
            Path classes = Path.of("..", module, "target", "classes").toAbsolutePath().normalize();
            if (!module.equals("http-lite") && !Files.isRegularFile(classes.resolve("module-info.class"))) {
                String jar = classPath.stream().filter(e -> Path.of(e).getFileName().toString().startsWith("ffpoll-" + module + "-")
                        && e.endsWith(".jar") && !e.endsWith("-tests.jar")).findFirst()
                        .orElseThrow(() -> new AssertionError("no module at " + classes + ", nor a jar of it on the class path"));
                path.add(jar);
                continue;
            }
            assertTrue(Files.isRegularFile(classes.resolve("module-info.class")), "no module at " + classes);
            path.add(classes.toString());
        }
        classPath.stream()
                .filter(e -> e.contains("slf4j-api") || e.contains("slf4j-simple"))
                .forEach(path::add);
        modulePath = String.join(File.pathSeparator, path);
        work = Files.createTempDirectory("ffpoll-module-user");
    }

    @AfterAll
    static void removeTheUsersFiles() throws Exception {
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private static final String ECHO_USER = """
            package user.echo;

            import io.ffpoll.bindings.Errors;
            import io.ffpoll.multiplexer.EventLoopGroup;
            import io.ffpoll.multiplexer.net.Connection;
            import io.ffpoll.multiplexer.net.GroupListener;

            import java.net.InetSocketAddress;
            import java.net.Socket;

            public final class Main {
                public static void main(String[] args) throws Exception {
                    try (EventLoopGroup group = EventLoopGroup.start("user", 2);
                         GroupListener server = GroupListener.start(group, new InetSocketAddress("127.0.0.1", 0),
                                 (loop, fd, peer) -> Connection.open(loop, fd, peer, (c, data) -> {
                                     c.write(data);
                                     return data.byteSize();
                                 }));
                         Socket s = new Socket("127.0.0.1", server.address().getPort())) {
                        s.getOutputStream().write("hello".getBytes());
                        System.out.println("ECHO " + new String(s.getInputStream().readNBytes(5)));
                        System.out.println(Errors.exception("read(fd 3)", io.ffpoll.bindings.Err.ECONNRESET).getMessage());
                    }
                }
            }
            """;

    /** Compiles {@code source} as module {@code user.echo}; returns javac's exit code, its output in {@code out}. */
    private static int compile(String name, String source, StringBuilder out) throws Exception {
        Path src = work.resolve(name).resolve("src");
        Path pkg = src.resolve("user/echo");
        Files.createDirectories(pkg);
        // A user who requires the bindings and http-lite too: what they export is readable, the
        // rest must not be.
        Files.writeString(src.resolve("module-info.java"),
                "module user.echo { requires io.ffpoll.multiplexer; requires io.ffpoll.bindings; requires io.ffpoll.http; }\n");
        Files.writeString(pkg.resolve("Main.java"), source);
        Path classes = work.resolve(name).resolve("classes");
        // The javac beside the java running the tests (a JDK >= 23, which the build chose).
        Path javac = Path.of(ProcessHandle.current().info().command().orElseThrow()).resolveSibling("javac");
        Process p = new ProcessBuilder(javac.toString(), "--module-path", modulePath, "-d", classes.toString(),
                src.resolve("module-info.java").toString(), pkg.resolve("Main.java").toString())
                .redirectErrorStream(true).start();
        out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "javac did not finish");
        return p.exitValue();
    }

    private static Process java(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=io.ffpoll.bindings"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    @Test
    void aMultiplexerUserCompilesAgainstTheExportedApiAndRuns() throws Exception {
        StringBuilder javacSaid = new StringBuilder();
        assertEquals(0, compile("echo", ECHO_USER, javacSaid), javacSaid.toString());
        Process p = java("--module-path", modulePath + File.pathSeparator + work.resolve("echo/classes"),
                "-m", "user.echo/user.echo.Main");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ECHO hello"), out);
        assertTrue(out.contains("read(fd 3): ECONNRESET"), out); // the bindings' exported API, read too
    }

    @Test
    void whatIsNotApiDoesNotCompileOnTheModulePath() throws Exception {
        for (String internal : List.of("io.ffpoll.multiplexer.backend.EventBuffer", "io.ffpoll.multiplexer.internal.LoopAccess",
                "io.ffpoll.multiplexer.epoll.EpollBackend", "io.ffpoll.bindings.internal.Syscalls",
                "io.ffpoll.bindings.platform.Platform", "io.ffpoll.bindings.linux.Epoll",
                "io.ffpoll.http.internal.HttpAccess", "io.ffpoll.http.parse.RequestHead", "io.ffpoll.http.serve.HttpConnection",
                "io.ffpoll.http.launcher.Main")) {
            String source = ECHO_USER.replace("import java.net.Socket;", "import java.net.Socket;\nimport " + internal + ";");
            StringBuilder javacSaid = new StringBuilder();
            String name = internal.substring(internal.lastIndexOf('.') + 1);
            assertNotEquals(0, compile("reach-" + name, source, javacSaid), internal + " compiled");
            assertTrue(javacSaid.toString().contains("is not visible"), javacSaid.toString());
        }
    }

    @Test
    void theLauncherRunsAsAModuleAndAnswers() throws Exception {
        Process p = java("--module-path", modulePath, "-m", "io.ffpoll.http/io.ffpoll.http.launcher.Main",
                "--port", "0", "--threads", "1");
        try {
            ProcessLines lines = new ProcessLines(p);
            int port = Integer.parseInt(lines.await(Pattern.compile("listening on .*:(\\d+) ")));
            try (RawClient c = new RawClient(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                RawClient.Response r = c.send("GET /plaintext HTTP/1.1\r\nHost: m\r\n\r\n").read();
                assertEquals(200, r.status());
                assertEquals("Hello, World!", r.text());
            }
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
