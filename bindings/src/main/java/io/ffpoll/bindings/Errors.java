package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Platform;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.util.Set;

/**
 * The one place where a negative binding result ({@code -errno}) becomes an exception. Every
 * message names the call and what it was called on, then the errno, e.g.
 * {@code "connect(127.0.0.1:9): ECONNREFUSED (Connection refused)"} or
 * {@code "connect(/run/app.sock): ENOENT (No such file or directory)"}.
 *
 * <p>The exception's class is the JDK's for the same failure, so that code written against
 * java.net catches ffpoll's errors where it catches the JDK's: the JDK turns every errno of a
 * socket call into a {@link SocketException} unless a subclass says more (ConnectException for
 * a refused connect, BindException for an address in use, ...), and so does this class. A call
 * is a socket call when its name, the text before the first {@code '('}, space or colon of
 * {@code call}, is one of the socket API's (connect, bind, sendmsg, getsockopt, ...); errors of
 * the calls on other descriptors (read, fcntl, epoll_ctl, ...) are plain {@link IOException}s,
 * except for what the errno alone says (a broken pipe is a SocketException on a pipe too).
 */
public final class Errors {
    // The socket API's calls, by the names messages give them; what the JDK's Net and
    // UnixDomainSockets natives report through handleSocketError.
    private static final Set<String> SOCKET_CALLS = Set.of("socket", "socketpair", "bind", "listen", "accept",
            "accept4", "connect", "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg",
            "shutdown", "getsockopt", "setsockopt", "getsockname", "getpeername");

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
     * or timed-out connect, {@link NoRouteToHostException} for an unreachable host or network,
     * {@link BindException} for an address in use, {@link SocketException} for a connection the
     * peer broke and for any other errno of a socket call (ENOENT from a connect to a Unix path
     * with no socket, as the JDK's SocketChannel has it), a plain {@link IOException} otherwise.
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
        if (errno == Err.ECONNRESET || errno == Err.EPIPE || errno == Err.ECONNABORTED || errno == Err.ENOTCONN
                || isSocketCall(call)) {
            return new SocketException(message);
        }
        return new IOException(message);
    }

    /**
     * The exception for {@code errno} from a call on {@code file}, as {@code java.nio.file}
     * reports it: {@link java.nio.file.NoSuchFileException} for ENOENT,
     * {@link java.nio.file.AccessDeniedException} for EACCES, a
     * {@link java.nio.file.FileSystemException} otherwise; each names the call and the errno.
     *
     * @param call the call, as messages name it
     * @param file the file
     * @param errno the errno value
     * @return the exception
     */
    public static IOException fileException(String call, String file, int errno) {
        String reason = call + ": " + Platform.current().describe(errno);
        if (errno == Err.ENOENT) {
            return new java.nio.file.NoSuchFileException(file, null, reason);
        }
        if (errno == Platform.current().errno(ErrnoName.EACCES)) {
            return new java.nio.file.AccessDeniedException(file, null, reason);
        }
        return new java.nio.file.FileSystemException(file, null, reason);
    }

    /** Whether {@code call} names one of the socket API's calls (see the class comment). */
    private static boolean isSocketCall(String call) {
        int end = 0;
        while (end < call.length() && call.charAt(end) != '(' && call.charAt(end) != ' ' && call.charAt(end) != ':') {
            end++;
        }
        return SOCKET_CALLS.contains(call.substring(0, end));
    }
}
