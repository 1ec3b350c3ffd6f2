package io.ffpoll.http;

/**
 * What a WebSocket route does with its connections (RFC 6455), one handler for all of them.
 * Callbacks for one WebSocket never overlap and come in the order of the frames; they run on
 * the connection's loop (a {@link HttpServer.Builder#webSocket} route: they must not block) or
 * on a virtual thread of the connection's own ({@link HttpServer.Builder#blockingWebSocket}:
 * they may block, and the connection stops reading while they fall behind).
 *
 * <p>A message arrives whole, however it was fragmented; text is valid UTF-8 (a message that
 * is not closes the connection with 1007 before any callback sees it). Pings are answered with
 * a pong by the server itself. A callback that throws closes its WebSocket with 1011 (internal
 * error); the server and its other connections go on. Every method has a default: a message
 * of a kind the handler does not take closes with 1003 (unsupported data).
 */
public interface WebSocketHandler {
    /**
     * Decides, before the 101, whether to take this handshake: false answers 403 and the
     * connection stays HTTP. Check the Origin here: a browser sends one with every handshake,
     * and an endpoint that trusts cookies must refuse other sites' pages (cross-site WebSocket
     * hijacking); the default takes every handshake. Runs on the loop and must not block, for
     * a blocking handler too; if it throws, the answer is 500.
     *
     * @param upgrade the handshake request (valid during this call only)
     * @return whether to accept it
     * @throws Exception to answer 500
     */
    default boolean accepts(Request upgrade) throws Exception {
        return true;
    }

    /**
     * The handshake is done; the socket may send from now on.
     *
     * @param socket the WebSocket
     * @throws Exception to close it with 1011
     */
    default void onOpen(WebSocket socket) throws Exception {}

    /**
     * A whole text message.
     *
     * @param socket the WebSocket
     * @param text the message
     * @throws Exception to close it with 1011
     */
    default void onText(WebSocket socket, String text) throws Exception {
        socket.close(1003, "text messages are not accepted here");
    }

    /**
     * A whole binary message.
     *
     * @param socket the WebSocket
     * @param data the message
     * @throws Exception to close it with 1011
     */
    default void onBinary(WebSocket socket, byte[] data) throws Exception {
        socket.close(1003, "binary messages are not accepted here");
    }

    /**
     * A ping came, and its pong has been sent.
     *
     * @param socket the WebSocket
     * @param data its application data (at most 125 bytes)
     * @throws Exception to close it with 1011
     */
    default void onPing(WebSocket socket, byte[] data) throws Exception {}

    /**
     * A pong came (an answer to {@link WebSocket#ping}, or unasked: a heartbeat).
     *
     * @param socket the WebSocket
     * @param data its application data
     * @throws Exception to close it with 1011
     */
    default void onPong(WebSocket socket, byte[] data) throws Exception {}

    /**
     * The socket's send queue went above its high watermark ({@code false}: the peer is not
     * reading; stop sending) or back below the low one ({@code true}). Only on the loop's
     * handler; a blocking handler's sends wait for the loop instead.
     *
     * @param socket the WebSocket
     * @param writable whether it takes more without growing the queue further
     * @throws Exception to close it with 1011
     */
    default void onWritabilityChanged(WebSocket socket, boolean writable) throws Exception {}

    /**
     * The WebSocket is closed, once, whoever began: the peer's close code and reason, or the
     * code the server sent (a protocol error: 1002, 1007, 1009; {@link WebSocket#close}'s
     * own), or 1006 with an empty reason when the connection ended without a close frame.
     * 1005 says the peer's close frame had no code.
     *
     * @param socket the WebSocket
     * @param code the close code
     * @param reason the reason, perhaps empty
     */
    default void onClose(WebSocket socket, int code, String reason) {}
}
