package io.ffpoll.http;

import io.ffpoll.http.websocket.WebSocketFrames;
import io.ffpoll.http.websocket.WebSocketSession;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One server-side WebSocket connection (RFC 6455), as a {@link WebSocketHandler} sees it.
 * Sends may be made from any thread: on the loop they are queued at once, from another thread
 * they are handed to the loop in the order made. A send returns false once the socket is
 * closing or closed (nothing is queued then), and when a virtual thread waiting to send is
 * interrupted. Only virtual threads wait (a platform thread may be another loop's). Messages go as one frame each, unmasked, as a
 * server's must.
 *
 * <p>What is sent waits in the connection's queue while the peer does not read it; past the
 * queue's cap (64 MiB) the connection is aborted, and the handler hears {@code onClose} with
 * 1006. A loop handler watches {@link #isWritable()} or
 * {@link WebSocketHandler#onWritabilityChanged} and stops sending meanwhile; a blocking
 * handler's sends wait by themselves. A WebSocket has no idle timeout and the server sends no
 * pings of its own: a peer that vanished without a FIN is noticed when a send fails, so a
 * handler that must notice sooner pings ({@link #ping}) and closes on a missing pong.
 */
public final class WebSocket {
    private final WebSocketSession session;
    private final Request request;

    WebSocket(WebSocketSession session, Request request) {
        this.session = session;
        this.request = request;
    }

    /**
     * Sends a text message.
     *
     * @param text the text
     * @return false if the socket no longer sends
     */
    public boolean sendText(CharSequence text) {
        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
        return session.send(WebSocketFrames.frame(WebSocketFrames.TEXT, utf8, 0, utf8.length));
    }

    /**
     * Sends a binary message; the caller may reuse {@code data} when this returns.
     *
     * @param data the bytes
     * @return false if the socket no longer sends
     */
    public boolean sendBinary(byte[] data) {
        return session.send(WebSocketFrames.frame(WebSocketFrames.BINARY, data, 0, data.length)); // the frame is the copy
    }

    /**
     * Sends a ping; the peer answers with a pong ({@link WebSocketHandler#onPong}).
     *
     * @param data at most 125 bytes
     * @return false if the socket no longer sends
     * @throws IllegalArgumentException for more than 125 bytes
     */
    public boolean ping(byte[] data) {
        if (data.length > 125) {
            throw new IllegalArgumentException("a ping carries at most 125 bytes, not " + data.length);
        }
        return session.send(WebSocketFrames.frame(WebSocketFrames.PING, data, 0, data.length));
    }

    /**
     * Begins the closing handshake: sends a close frame with {@code code} and {@code reason},
     * sends nothing after it, and ends the connection once the peer answers or leaves.
     * Idempotent: only the first close sends a frame.
     *
     * @param code 1000 (normal), 1001 (going away), 1008 (policy), 1011 (internal error),
     *             another code RFC 6455 7.4.1 lets an endpoint send, or 3000..4999
     * @param reason at most 123 bytes of UTF-8
     * @throws IllegalArgumentException for a code an endpoint may not send, or a longer reason
     */
    public void close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        if (!WebSocketFrames.sendableCode(code)) {
            throw new IllegalArgumentException("close code " + code + " may not be sent (RFC 6455 7.4)");
        }
        if (r.length > 123) {
            throw new IllegalArgumentException("a close reason is at most 123 bytes of UTF-8, not " + r.length);
        }
        session.close(code, r);
    }

    /** Closes with 1000 (normal closure) and no reason. */
    public void close() {
        close(1000, "");
    }

    /** {@return whether the socket still sends: open, and no close frame sent} */
    public boolean isOpen() {
        return session.isOpen();
    }

    /** {@return whether its send queue is below the high watermark (as last seen by the loop)} */
    public boolean isWritable() {
        return session.isWritable();
    }

    /** {@return the upgrade request: its path, parameters and headers (a detached copy)} */
    public Request request() {
        return request;
    }

    /** {@return the peer's address, or null on a Unix socket} */
    public InetSocketAddress remoteAddress() {
        return request.remoteAddress();
    }

    /** {@return the subprotocol chosen at the handshake, or null} */
    public String subprotocol() {
        return session.subprotocol();
    }

    @Override
    public String toString() {
        return "WebSocket[" + request.path() + " from " + remoteAddress() + (isOpen() ? "" : ", closed") + "]";
    }
}
