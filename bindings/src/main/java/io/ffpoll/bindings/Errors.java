package io.ffpoll.bindings;

import io.ffpoll.bindings.linux.ErrnoCodes;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;

/**
 * The one place where a negative binding result ({@code -errno}) becomes an exception. Every
 * message names the call and what it was called on, then the errno, e.g.
 * {@code "connect(127.0.0.1:9): ECONNREFUSED (Connection refused)"}.
 */
public final class Errors {

    private Errors() {}

    /** Returns {@code result} if it is not negative, else throws for {@code -result}. */
    public static int check(int result, String call) throws IOException {
        if (result < 0) {
            throw exception(call, -result);
        }
        return result;
    }

    /** {@link #check(int, String)} for calls that return {@code ssize_t}. */
    public static long check(long result, String call) throws IOException {
        if (result < 0) {
            throw exception(call, (int) -result);
        }
        return result;
    }

    /**
     * The exception for {@code errno} from {@code call}: {@link ConnectException} for a refused
     * or timed-out connect, {@link BindException} for an address in use, {@link SocketException}
     * for a connection the peer broke, a plain {@link IOException} otherwise.
     */
    public static IOException exception(String call, int errno) {
        String message = call + ": " + ErrnoCodes.describe(errno);
        if (errno == ErrnoCodes.ECONNREFUSED || errno == ErrnoCodes.ETIMEDOUT) {
            return new ConnectException(message);
        }
        if (errno == ErrnoCodes.EHOSTUNREACH || errno == ErrnoCodes.ENETUNREACH) {
            return new NoRouteToHostException(message);
        }
        if (errno == ErrnoCodes.EADDRINUSE || errno == ErrnoCodes.EADDRNOTAVAIL) {
            return new BindException(message);
        }
        if (errno == ErrnoCodes.ECONNRESET || errno == ErrnoCodes.EPIPE || errno == ErrnoCodes.ECONNABORTED
                || errno == ErrnoCodes.ENOTCONN) {
            return new SocketException(message);
        }
        return new IOException(message);
    }
}
