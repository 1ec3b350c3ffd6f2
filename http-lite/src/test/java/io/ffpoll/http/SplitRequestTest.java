package io.ffpoll.http;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static io.ffpoll.http.ServerProbe.partialRequests;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A request whose head and body arrive in different reads: the loop's shared request is filled
 * again from this connection when the body completes, and everything the handler sees of it
 * (path parameters, the peer's address) must be this connection's, even when other
 * connections were served on the same loop in between.
 */
class SplitRequestTest extends HttpTestBase {

    private HttpServer server() throws java.io.IOException {
        return start(builder().threads(1)
                .route("POST", "/users/{id}", r -> Response.text(200, r.pathParameter("id") + ":"
                        + new String(r.body(), StandardCharsets.UTF_8) + ":" + r.remoteAddress().getPort()))
                .route("PUT", "/users/{id}", r -> Response.text(200, "put " + r.pathParameter("id") + ":"
                        + new String(r.body(), StandardCharsets.UTF_8)))
                .route("POST", "/port", r -> Response.text(200, new String(r.body(), StandardCharsets.UTF_8) + ":"
                        + r.remoteAddress().getPort()))
                .route("GET", "/port", r -> Response.text(200, Integer.toString(r.remoteAddress().getPort()))));
    }

    private static String post(String body) {
        return "POST /users/42 HTTP/1.1\r\n" + HOST + "Content-Length: " + body.length() + "\r\n\r\n";
    }

    @Test
    void aRouteWithPathParametersIsAnsweredWhenTheBodyComesInALaterRead() throws Exception {
        HttpServer s = server();
        try (Socket socket = new Socket()) {
            socket.connect(s.address(), 30_000);
            socket.setSoTimeout(30_000);
            RawClient c = new RawClient(socket, socket.getInputStream());
            c.send(post("hello"));
            await(() -> partialRequests(s) == 1, "the server has read the head");
            c.send("hello");
            RawClient.Response r = c.read();
            assertEquals(200, r.status(), r.text());
            assertEquals("42:hello:" + socket.getLocalPort(), r.text());
            // The same request in one write, for comparison.
            RawClient.Response whole = c.send(post("again") + "again").read();
            assertEquals(200, whole.status(), whole.text());
            assertEquals("42:again:" + socket.getLocalPort(), whole.text());
        }
    }

    @Test
    void anotherConnectionServedBetweenHeadAndBodyLeavesNothingOfItsOwn() throws Exception {
        HttpServer s = server();
        try (Socket x = new Socket(); Socket y = new Socket()) {
            for (Socket socket : new Socket[] {x, y}) {
                socket.connect(s.address(), 30_000);
                socket.setSoTimeout(30_000);
            }
            RawClient cx = new RawClient(x, x.getInputStream());
            RawClient cy = new RawClient(y, y.getInputStream());
            cx.send("POST /port HTTP/1.1\r\n" + HOST + "Content-Length: 6\r\n\r\n");
            await(() -> partialRequests(s) == 1, "the server has read x's head");
            RawClient.Response ry = cy.send("GET /port HTTP/1.1\r\n" + HOST + "\r\n").read();
            assertEquals(Integer.toString(y.getLocalPort()), ry.text(), "y's own port");
            RawClient.Response rx = cx.send("from-x").read();
            assertEquals(200, rx.status(), rx.text());
            assertEquals("from-x:" + x.getLocalPort(), rx.text(), "x's handler sees x's port");
            // Again with a path parameter, y served in between.
            cx.send(post("next-x"));
            await(() -> partialRequests(s) == 1, "the server has read x's second head");
            assertEquals(Integer.toString(y.getLocalPort()), cy.send("GET /port HTTP/1.1\r\n" + HOST + "\r\n").read().text());
            rx = cx.send("next-x").read();
            assertEquals(200, rx.status(), rx.text());
            assertEquals("42:next-x:" + x.getLocalPort(), rx.text(), "x's handler sees x's parameters and port");
        }
    }

    @Test
    void aPutExpectingContinueToARouteWithAPathParameterIsAnswered() throws Exception {
        HttpServer s = server();
        InetSocketAddress a = s.address();
        // The JDK's client waits for 100 Continue before it sends the body: head and body in
        // different reads by design.
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest put = HttpRequest.newBuilder(URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/users/7"))
                    .expectContinue(true).timeout(Duration.ofSeconds(30))
                    .PUT(HttpRequest.BodyPublishers.ofString("payload")).build();
            HttpResponse<String> r = client.send(put, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("put 7:payload", r.body());
        }
        // And with a raw socket, the interim response seen.
        try (RawClient c = new RawClient(a)) {
            c.send("PUT /users/8 HTTP/1.1\r\n" + HOST + "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
            assertEquals(100, c.read().status());
            RawClient.Response r = c.send("body").read();
            assertEquals(200, r.status(), r.text());
            assertEquals("put 8:body", r.text());
        }
    }
}
