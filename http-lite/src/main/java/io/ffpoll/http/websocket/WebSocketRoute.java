package io.ffpoll.http.websocket;

import io.ffpoll.http.HttpHandler;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.http.WebSocketHandler;
import io.ffpoll.http.internal.HttpAccess;
import io.ffpoll.http.parse.Grammar;
import io.ffpoll.http.serve.ServerConfig;
import io.ffpoll.http.serve.UpgradeRoute;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * A WebSocket route: the opening handshake's checks (RFC 6455 4.2.1) and its 101 answer
 * (4.2.2). A request that is no valid handshake is answered with 400, or with 426 and the
 * version this server speaks (13) when the version or the upgrade itself is missing; the
 * connection stays HTTP then. No extension is negotiated (permessage-deflate is not
 * offered back), so every frame's RSV bits must be 0.
 */
public final class WebSocketRoute implements HttpHandler, UpgradeRoute {
    private static final HttpAccess HTTP = HttpAccess.get();
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final Response NOT_GET = Response.text(400, "A WebSocket handshake is a GET over HTTP/1.1\n");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(WebSocketRoute.class);
    private static final Response FORBIDDEN = Response.text(403, "Forbidden\n");
    private static final Response INTERNAL_ERROR = Response.text(500, "Internal Server Error\n");
    private static final Response BAD_KEY = Response.text(400, "Sec-WebSocket-Key must be 16 bytes in base64\n");
    private static final Response UPGRADE_REQUIRED = HTTP.withFields(426,
            // Connection: upgrade goes with Upgrade (RFC 9110 7.8).
            "Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    .getBytes(StandardCharsets.US_ASCII),
            "This is a WebSocket endpoint: upgrade to websocket, version 13\n".getBytes(StandardCharsets.US_ASCII),
            "text/plain; charset=utf-8", false);

    final WebSocketHandler handler;
    final boolean blocking;
    private final List<String> subprotocols;

    public WebSocketRoute(WebSocketHandler handler, boolean blocking, List<String> subprotocols) {
        this.handler = java.util.Objects.requireNonNull(handler, "handler");
        this.blocking = blocking;
        this.subprotocols = List.copyOf(subprotocols);
        for (String p : this.subprotocols) {
            if (p.isEmpty() || !p.chars().allMatch(c -> c < 128 && Grammar.TCHAR[c])) {
                throw new IllegalArgumentException("a subprotocol is a token: '" + p + "'");
            }
        }
    }

    /** Called only for a request that is no handshake: {@link #refusal} decides before. */
    @Override
    public Response handle(Request request) {
        Response r = refusal(request);
        return r != null ? r : UPGRADE_REQUIRED;
    }

    /** Why {@code r} is no handshake this route takes, as the answer; null if it is one. */
    @Override
    public Response refusal(Request r) {
        boolean headOnly = r.method().equals("HEAD");
        if (!(headOnly || r.method().equals("GET")) || !HTTP.head(r).http11) {
            return NOT_GET;
        }
        // HEAD gets what a GET without the upgrade would (RFC 9110 9.3.2): it cannot be one.
        if (headOnly || !hasToken(r, "Upgrade", "websocket") || !hasToken(r, "Connection", "upgrade")) {
            return UPGRADE_REQUIRED;
        }
        if (!"13".equals(strip(r.header("Sec-WebSocket-Version")))) {
            return UPGRADE_REQUIRED;
        }
        String key = strip(r.header("Sec-WebSocket-Key"));
        if (key == null || key.length() != 24) {
            return BAD_KEY;
        }
        try {
            if (Base64.getDecoder().decode(key).length != 16) {
                return BAD_KEY;
            }
        } catch (IllegalArgumentException notBase64) {
            return BAD_KEY;
        }
        if (r.bodyLength() > 0) {
            return NOT_GET;
        }
        try {
            if (!handler.accepts(r)) {
                return FORBIDDEN;
            }
        } catch (Throwable t) {
            LOG.warn("the WebSocket handler's accepts({}) failed; answering 500", r, t);
            return INTERNAL_ERROR;
        }
        return null;
    }

    /** The subprotocol to answer with: the first of this route's that the client offers; null for none. */
    String subprotocol(Request r) {
        if (subprotocols.isEmpty()) {
            return null;
        }
        java.util.Set<String> offered = new java.util.HashSet<>();
        for (int i = 0; i < r.headerCount(); i++) {
            if (r.headerName(i).equalsIgnoreCase("Sec-WebSocket-Protocol")) {
                for (String p : r.headerValue(i).split(",")) {
                    offered.add(p.strip());
                }
            }
        }
        for (String mine : subprotocols) { // the server's order of preference
            if (offered.contains(mine)) {
                return mine;
            }
        }
        return null;
    }

    /** The 101 answer to a handshake {@link #refusal} took. */
    static byte[] switching(Request r, String subprotocol) {
        String accept;
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            accept = Base64.getEncoder().encodeToString(
                    sha1.digest((strip(r.header("Sec-WebSocket-Key")) + GUID).getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-1", e);
        }
        return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                + accept + "\r\n" + (subprotocol == null ? "" : "Sec-WebSocket-Protocol: " + subprotocol + "\r\n")
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Answers a handshake {@link #refusal} took with 101 and makes the session that has the
     * connection from the next byte, not opened yet ({@link WebSocketSession#opened}); null if
     * the connection closed meanwhile.
     */
    @Override
    public WebSocketSession upgrade(io.ffpoll.multiplexer.net.Connection c, ServerConfig config, Request request) {
        String subprotocol = subprotocol(request);
        if (!c.write(switching(request, subprotocol))) {
            return null;
        }
        c.setMaxPending(config.webSocketMaxFrame() + 14 + 65536L); // a whole frame, and a read's worth beyond
        WebSocketSession session = new WebSocketSession(c, this, request.detach(), subprotocol,
                config.webSocketMaxFrame(), config.webSocketMaxMessage());
        return session;
    }

    /** Whether any {@code name} field's comma-separated list holds {@code token}, ignoring case. */
    private static boolean hasToken(Request r, String name, String token) {
        for (int i = 0; i < r.headerCount(); i++) {
            if (!r.headerName(i).equalsIgnoreCase(name)) {
                continue;
            }
            for (String t : r.headerValue(i).split(",")) {
                if (t.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String strip(String s) {
        return s == null ? null : s.strip();
    }
}
