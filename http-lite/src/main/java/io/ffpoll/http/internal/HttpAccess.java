package io.ffpoll.http.internal;

import io.ffpoll.http.Request;
import io.ffpoll.http.parse.RequestHead;

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
}
