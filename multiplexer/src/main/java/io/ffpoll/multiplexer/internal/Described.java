package io.ffpoll.multiplexer.internal;

/**
 * A callback that can say what it is better than its class name can: a connection names its
 * handler, an HTTP connection the request it serves. Asked only when a JFR event about a slow
 * callback is written.
 */
public interface Described {
    String describeCallback();
}
