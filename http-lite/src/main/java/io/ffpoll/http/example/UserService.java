package io.ffpoll.http.example;

import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small JSON service on http-lite, the shape of a real one: path parameters, a JSON POST, a
 * query parameter, a blocking route, a streamed export, custom headers, and custom 404 and 500
 * bodies. Run it with {@code java ... io.ffpoll.http.example.UserService 8081}, then
 * {@code curl -d '{"name":"ada"}' localhost:8081/users} and {@code curl localhost:8081/users/1}.
 */
public final class UserService {
    private static final Pattern NAME = Pattern.compile("\"name\"\\s*:\\s*\"([^\"\\\\]*)\"");
    private final Map<Long, String> users = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** The service's routes on {@code b}. */
    public HttpServer.Builder routes(HttpServer.Builder b) {
        return b.route("GET", "/users/{id}", this::get)
                .route("POST", "/users", this::create)
                .route("GET", "/users", this::find)
                .blockingRoute("GET", "/reports/{name}", this::report)
                .route("GET", "/export", r -> export())
                .route("GET", "/boom", r -> {
                    throw new IllegalStateException("a bug, for the example");
                })
                .fallback(r -> json(404, "{\"error\":\"no such resource: " + escape(r.path()) + "\"}"))
                .onError((r, failure) -> json(500, "{\"error\":\"internal error\"}"));
    }

    private Response get(Request r) {
        long id;
        try {
            id = Long.parseLong(r.pathParameter("id"));
        } catch (NumberFormatException e) {
            return json(400, "{\"error\":\"id must be a number\"}");
        }
        String name = users.get(id);
        return name == null ? json(404, "{\"error\":\"no user " + id + "\"}")
                : json(200, user(id, name)).withHeader("Cache-Control", "no-store");
    }

    private Response create(Request r) {
        Matcher m = NAME.matcher(new String(r.body(), StandardCharsets.UTF_8));
        if (!m.find()) {
            return json(422, "{\"error\":\"a JSON object with a name is required\"}");
        }
        long id = ids.incrementAndGet();
        users.put(id, m.group(1));
        return json(201, user(id, m.group(1))).withHeader("Location", "/users/" + id);
    }

    private Response find(Request r) {
        String wanted = r.queryParameter("name");
        StringBuilder out = new StringBuilder("[");
        users.forEach((id, name) -> {
            if (wanted == null || wanted.equals(name)) {
                out.append(out.length() > 1 ? "," : "").append(user(id, name));
            }
        });
        return json(200, out.append(']').toString());
    }

    /** A blocking route: it may wait (here on a sleep standing for a slow backend). */
    private Response report(Request r) throws InterruptedException {
        Thread.sleep(10);
        return json(200, "{\"report\":\"" + escape(r.pathParameter("name")) + "\",\"users\":" + users.size() + "}");
    }

    /** One line per user, produced while the client reads: never the whole export in memory. */
    private Response export() {
        return Response.stream(200, "text/csv; charset=utf-8", () -> {
            var it = new java.util.TreeMap<>(users).entrySet().iterator();
            return () -> {
                if (!it.hasNext()) {
                    return null;
                }
                var user = it.next();
                return (user.getKey() + "," + user.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            };
        });
    }

    private static String user(long id, String name) {
        return "{\"id\":" + id + ",\"name\":\"" + escape(name) + "\"}";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static Response json(int status, String body) {
        return Response.json(status, body);
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8081;
        HttpServer server = new UserService().routes(HttpServer.builder())
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).start();
        System.out.println("user service on http://" + server.address().getHostString() + ":" + server.address().getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.shutdown(java.time.Duration.ofSeconds(10))));
    }
}
