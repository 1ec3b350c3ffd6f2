package io.ffpoll.http.internal;

import io.ffpoll.http.BodyProducer;
import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.http.WebSocket;
import io.ffpoll.http.parse.RequestHead;
import io.ffpoll.http.serve.Compression;
import io.ffpoll.http.websocket.WebSocketSession;
import io.ffpoll.multiplexer.net.OpenFile;

import java.util.function.Supplier;

/**
 * What the layers under the API (the parser's tests, the server, static files, WebSockets) may
 * do with {@link Request} and {@link io.ffpoll.http.Response} beyond their public API. The API
 * package installs the one implementation when Request is initialized; this package is not
 * exported, so users see none of it. Obtain it once, into a {@code static final} field.
 */
public abstract class HttpAccess {
    private static volatile HttpAccess installed;

    protected HttpAccess() {}

    /**
     * Called once, by Request's static initializer. Public only because Request lives in
     * another package: a call from anywhere else, or a second one, is refused, so that nothing
     * on the class path can put itself between the API and the server.
     *
     * @throws IllegalStateException if called from another class or a second time
     */
    public static void install(HttpAccess access) {
        Class<?> caller = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE).getCallerClass();
        synchronized (HttpAccess.class) {
            if (caller != Request.class || installed != null) {
                throw new IllegalStateException("HttpAccess is installed once, by Request");
            }
            installed = access;
        }
    }

    public static HttpAccess get() {
        HttpAccess a = installed;
        if (a != null) {
            return a;
        }
        try {
            Class.forName(Request.class.getName(), true, Request.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
        return installed;
    }

    /** A request around {@code head}, which it reads from then on (a loop's, around its parser's head). */
    public abstract Request request(RequestHead head);

    /** The head {@code r} reads: its bytes and where its parts are. */
    public abstract RequestHead head(Request r);

    /** The WebSocket a handler sees of {@code session}, upgraded from {@code request} (a detached one). */
    public abstract WebSocket webSocket(WebSocketSession session, Request request);

    // Response's parts, as the server writes them.

    /** {@return "Name: value\r\n"..., the handler's fields} */
    public abstract byte[] fields(Response r);

    /** {@return a fixed body, or null for a streamed one} */
    public abstract byte[] body(Response r);

    /** {@return a streamed body's maker of a fresh producer for each time it is sent, or null} */
    public abstract Supplier<BodyProducer> source(Response r);

    /** {@return the body's length; -1 when a streamed body's length is not known} */
    public abstract long length(Response r);

    /** {@return whether a streamed body goes chunked to HTTP/1.1 clients even when its length is known} */
    public abstract boolean chunkedOn11(Response r);

    /** {@return "Content-Length: N\r\n", or empty where no body may be sent or the length is unknown} */
    public abstract byte[] lengthField(Response r);

    /** {@return a file's bytes as the body, or null} */
    public abstract OpenFile file(Response r);

    public abstract long filePosition(Response r);

    /** {@return the Content-Type, or null} */
    public abstract String type(Response r);

    /** {@return whether a Content-Encoding, ETag, Content-Range or no-transform was set: never compressed} */
    public abstract boolean encoded(Response r);

    /** {@return false for 204 and 304: such a response has no body, and says nothing of its length} */
    public abstract boolean hasContent(Response r);

    /** A response whose body is {@code count} bytes of {@code file} from {@code position}; it owns the file. */
    public abstract Response fileResponse(int status, byte[] fields, OpenFile file, long position, long count);

    /** A fixed body with fields built by the server (static files); {@code type} is among them. */
    public abstract Response withFields(int status, byte[] fields, byte[] body, String type, boolean encoded);

    /** {@code r}, which has a fixed body, with its body in gzip and Content-Encoding and Vary said. */
    public abstract Response gzipped(Response r, Compression.Gzip gzip);

    /** {@code r} with Vary: Accept-Encoding, for a client that did not take gzip. */
    public abstract Response varied(Response r);
}
