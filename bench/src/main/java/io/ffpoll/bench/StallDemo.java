package io.ffpoll.bench;

import io.ffpoll.http.HttpServer;
import io.ffpoll.http.Response;
import io.ffpoll.http.launcher.Main;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * http-lite's built-in routes and its metrics, plus one deliberate mistake for bench/observe to
 * find: {@code GET /slow} sleeps 50 ms on the loop thread, stalling every connection on that
 * loop. Never do this in a quick route: blockingRoute exists for it.
 *
 * <pre>StallDemo PORT</pre>
 */
public final class StallDemo {
    private StallDemo() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        HttpServer server = Main.withBuiltInRoutes(HttpServer.builder())
                .route("GET", "/slow", r -> {
                    Thread.sleep(50); // the mistake: a blocking call on the loop
                    return Response.text(200, "slow\n");
                })
                .metrics("/metrics")
                .threads(1)
                .address(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .start();
        System.out.println("listening on 127.0.0.1:" + server.address().getPort());
        Thread.currentThread().join();
    }
}
