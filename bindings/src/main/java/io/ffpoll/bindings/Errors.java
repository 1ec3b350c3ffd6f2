package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Platform;
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

    /**
     * Returns {@code result} if it is not negative, else throws for {@code -result}.
     *
     * @param result a binding result: a value, or -errno
     * @param call the call, as messages name it
     * @return {@code result}
     * @throws IOException for a negative {@code result}
     */
    public static int check(int result, String call) throws IOException {
        if (result < 0) {
            throw exception(call, -result);
        }
        return result;
    }

    /**
     * {@link #check(int, String)} for calls that return {@code ssize_t}.
     *
     * @param result a binding result: a value, or -errno
     * @param call the call, as messages name it
     * @return {@code result}
     * @throws IOException for a negative {@code result}
     */
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
     *
     * @param call the call, as messages name it
     * @param errno the errno value
     * @return the exception
     */
    public static IOException exception(String call, int errno) {
        String message = call + ": " + Platform.current().describe(errno);
        if (errno == Err.ECONNREFUSED || errno == Err.ETIMEDOUT) {
            return new ConnectException(message);
        }
        if (errno == Err.EHOSTUNREACH || errno == Err.ENETUNREACH) {
            return new NoRouteToHostException(message);
        }
        if (errno == Err.EADDRINUSE || errno == Err.EADDRNOTAVAIL) {
            return new BindException(message);
        }
        if (errno == Err.ECONNRESET || errno == Err.EPIPE || errno == Err.ECONNABORTED || errno == Err.ENOTCONN) {
            return new SocketException(message);
        }
        return new IOException(message);
    }
}
