package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.OptionCalls;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;

/**
 * Socket options every socket a {@link Listener} accepts has before the accept handler sees it.
 * Immutable; start from {@link #DEFAULTS} (nothing set: the kernel's defaults) and change what
 * you need: {@code AcceptOptions.DEFAULTS.noDelay(true).sendBuffer(256 << 10)}.
 *
 * <p>A listener that owns its socket alone sets them once, on the listening socket, when it
 * starts: Linux, FreeBSD and macOS pass them on to each socket accepted from it, so an accept
 * costs no setsockopt. It reads them back from its first accepted socket; where that one lacks
 * them (it waited in the backlog from before the listener started, or the kernel passed them
 * not on), every accepted socket gets them set, as a shared listener's do
 * ({@link Listener#startShared}). A socket whose option cannot be set is closed and the accept
 * goes on with the next one. Buffer sizes set on the listening socket also count for the
 * window scale the kernel offers in its SYN-ACK, which a size set after the accept cannot
 * change (tcp(7)).
 *
 * @param noDelay       TCP_NODELAY on every accepted socket (send small writes at once)
 * @param sendBuffer    SO_SNDBUF in bytes, or 0 to leave it (and its autotuning) alone
 * @param receiveBuffer SO_RCVBUF in bytes, or 0 to leave it alone
 * @param keepAlive     SO_KEEPALIVE on every accepted socket
 */
public record AcceptOptions(boolean noDelay, int sendBuffer, int receiveBuffer, boolean keepAlive) {
    /** Nothing set: accepted sockets keep the kernel's defaults. */
    public static final AcceptOptions DEFAULTS = new AcceptOptions(false, 0, 0, false);

    /**
     * Checks the sizes.
     *
     * @throws IllegalArgumentException if a buffer size is negative
     */
    public AcceptOptions {
        if (sendBuffer < 0 || receiveBuffer < 0) {
            throw new IllegalArgumentException("buffer sizes must not be negative: " + sendBuffer + ", " + receiveBuffer);
        }
    }

    /**
     * These options with TCP_NODELAY set or not.
     * @param on true to set it
     * @return new options
     */
    public AcceptOptions noDelay(boolean on) {
        return new AcceptOptions(on, sendBuffer, receiveBuffer, keepAlive);
    }

    /**
     * These options with SO_SNDBUF set.
     * @param bytes the size, or 0 to leave the default
     * @return new options
     */
    public AcceptOptions sendBuffer(int bytes) {
        return new AcceptOptions(noDelay, bytes, receiveBuffer, keepAlive);
    }

    /**
     * These options with SO_RCVBUF set.
     * @param bytes the size, or 0 to leave the default
     * @return new options
     */
    public AcceptOptions receiveBuffer(int bytes) {
        return new AcceptOptions(noDelay, sendBuffer, bytes, keepAlive);
    }

    /**
     * These options with SO_KEEPALIVE set or not.
     * @param on true to set it
     * @return new options
     */
    public AcceptOptions keepAlive(boolean on) {
        return new AcceptOptions(noDelay, sendBuffer, receiveBuffer, on);
    }

    /** Whether any option is set, so that a listener has something to do. */
    boolean setsAny() {
        return noDelay || sendBuffer > 0 || receiveBuffer > 0 || keepAlive;
    }

    /**
     * Whether {@code accepted} has every option set here as {@code listener}, the socket it was
     * accepted from and that they were set on, has them: whether the kernel passed them on.
     */
    boolean inherited(Platform os, int listener, int accepted) {
        OptionCalls calls = os.options();
        return (!noDelay || calls.getOption(accepted, SocketOption.TCP_NODELAY) > 0)
                && (!keepAlive || calls.getOption(accepted, SocketOption.KEEP_ALIVE) > 0)
                && (sendBuffer == 0 || sameSize(calls, SocketOption.SEND_BUFFER, listener, accepted))
                && (receiveBuffer == 0 || sameSize(calls, SocketOption.RECEIVE_BUFFER, listener, accepted));
    }

    // The kernel keeps its own figure for a size it was given (Linux doubles it): the accepted
    // socket's must be the listener's, whatever that is.
    private static boolean sameSize(OptionCalls calls, SocketOption option, int listener, int accepted) {
        int had = calls.getOption(listener, option);
        return had > 0 && calls.getOption(accepted, option) == had;
    }

    /** Sets the options on {@code fd}: 0, or the -errno of the first that failed. */
    int apply(Platform os, int fd) {
        int r = 0;
        if (noDelay) {
            r = os.options().setOption(fd, SocketOption.TCP_NODELAY, 1);
        }
        if (r == 0 && sendBuffer > 0) {
            r = os.options().setOption(fd, SocketOption.SEND_BUFFER, sendBuffer);
        }
        if (r == 0 && receiveBuffer > 0) {
            r = os.options().setOption(fd, SocketOption.RECEIVE_BUFFER, receiveBuffer);
        }
        if (r == 0 && keepAlive) {
            r = os.options().setOption(fd, SocketOption.KEEP_ALIVE, 1);
        }
        return Math.min(r, 0);
    }
}
