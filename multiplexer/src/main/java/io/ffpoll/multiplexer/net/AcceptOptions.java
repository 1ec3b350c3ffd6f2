package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.SocketOption;

/**
 * Socket options a {@link Listener} sets on each socket it accepts, before the accept handler
 * sees it. Immutable; start from {@link #DEFAULTS} (nothing set: the kernel's defaults) and
 * change what you need: {@code AcceptOptions.DEFAULTS.noDelay(true).sendBuffer(256 << 10)}.
 * A socket whose option cannot be set is closed and the accept goes on with the next one.
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
