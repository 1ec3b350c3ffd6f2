package io.ffpoll.http.example;

import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Response;

import java.io.IOException;
import java.net.InetSocketAddress;

/** http-lite's quick start in the README. */
public final class Hello {
    private Hello() {}

    /**
     * Starts the quick-start server on {@code port} of 127.0.0.1.
     *
     * @param port the port (0 picks a free one)
     * @return the running server
     * @throws IOException if the port cannot be bound
     */
    public static HttpServer start(int port) throws IOException {
        // README:begin http-lite
        HttpServer server = HttpServer.builder()
                .route("GET", "/hello/{name}", request ->
                        Response.text(200, "Hello, " + request.pathParameter("name") + "!\n"))
                .blockingRoute("POST", "/orders", request ->   // may block: runs on a virtual thread
                        Response.json(201, "{\"bytes\":" + request.bodyLength() + "}"))
                .address(new InetSocketAddress("127.0.0.1", port))
                .start();
        // README:end
        return server;
    }

    /**
     * Runs the quick-start server on port 8080 until the process is stopped.
     *
     * @param args unused
     * @throws IOException if it cannot start
     */
    public static void main(String[] args) throws IOException {
        HttpServer server = start(8080);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.shutdown(java.time.Duration.ofSeconds(5))));
    }
}
