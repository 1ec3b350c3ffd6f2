package io.ffpoll.bindings.platform;

import io.ffpoll.bindings.SocketOption;

/**
 * The socket options of one OS family, beside {@link Platform} ({@link Platform#options()}):
 * the int options by {@link SocketOption} (each OS has its own levels and numbers, and lacks
 * some), SO_ERROR, SO_LINGER in seconds, TCP_INFO where it is bound, and the IP version of a
 * socket. Every call returns its result or {@code -errno}; an option the OS lacks is refused
 * before any call.
 */
public abstract class OptionCalls {
    private final String os;

    /**
     * For the implementations.
     *
     * @param os the OS, as {@link Platform#name()} names it
     */
    protected OptionCalls(String os) {
        this.os = os;
    }

    /** {@return the OS, as {@link Platform#name()} names it} */
    public final String os() {
        return os;
    }

    /**
     * Whether several listening sockets on one port share its connections out fairly
     * ({@link SocketOption#REUSE_PORT_BALANCED}): Linux and FreeBSD, not macOS.
     *
     * @return whether listeners on one port are balanced
     */
    public abstract boolean balancesReusePort();

    /**
     * setsockopt(2) of an int option.
     * @param fd the socket
     * @param option the option
     * @param value the value
     * @return 0, or -errno
     */
    public abstract int setOption(int fd, SocketOption option, int value);

    /**
     * getsockopt(2) of an int option.
     * @param fd the socket
     * @param option the option
     * @return the value, or -errno
     */
    public abstract int getOption(int fd, SocketOption option);

    /**
     * The socket's pending error (SO_ERROR, 0 for none; positive), or -errno if it cannot be read.
     *
     * @param fd the descriptor
     * @return the pending error (0: none), or -errno
     */
    public abstract int socketError(int fd);

    /**
     * SO_LINGER {on, 0}: close then drops what is unsent and resets the connection.
     *
     * @param fd the descriptor
     * @return 0, or -errno
     */
    public abstract int resetOnClose(int fd);

    /**
     * Whether this OS has {@code option}. {@link #setOption} and {@link #getOption} of one it
     * lacks throw an {@link UnsupportedOperationException} naming the option and the OS, before
     * any call: an option is never silently ignored.
     *
     * @param option the option
     * @return whether this OS has it
     */
    public abstract boolean supports(SocketOption option);

    /**
     * The exception for {@code option} on an OS that lacks it.
     *
     * @param option the option
     * @return the exception, naming the option and this OS
     */
    protected final UnsupportedOperationException unsupported(SocketOption option) {
        return new UnsupportedOperationException("socket option " + option + " is not available on " + os);
    }

    /**
     * SO_LINGER, in seconds (macOS: SO_LINGER_SEC; its SO_LINGER counts clock ticks).
     *
     * @param fd the socket
     * @param on whether close lingers (with 0 seconds: resets the connection)
     * @param seconds how long close may wait for unsent data, at least 0
     * @return 0, or -errno
     */
    public abstract int setLinger(int fd, boolean on, int seconds);

    /**
     * SO_LINGER as it is: {@code onAndSeconds[0]} gets 1 (on) or 0 (off), {@code [1]} the seconds.
     *
     * @param fd the socket
     * @param onAndSeconds two ints to fill
     * @return 0, or -errno
     */
    public abstract int getLinger(int fd, int[] onAndSeconds);

    /**
     * The bytes in a TCP socket's send queue that the peer has not acknowledged, sent or not
     * (Linux: SIOCOUTQ): they go down as the peer's application reads and its window opens.
     *
     * @param fd the socket
     * @return the bytes, or -errno; -ENOSYS where the OS is not Linux (FIONWRITE and
     *     SO_NWRITE are not bound)
     */
    public abstract int unacknowledged(int fd);

    /**
     * Whether {@link #tcpInfo} is available: Linux's {@code struct tcp_info} (FreeBSD's has
     * another layout and macOS has only TCP_CONNECTION_INFO; neither is bound).
     *
     * @return whether TCP_INFO can be read here
     */
    public abstract boolean hasTcpInfo();

    /**
     * TCP_INFO of a TCP socket into {@code fields}, indexed by {@link TcpInfoField#ordinal()}.
     *
     * @param fd the socket
     * @param fields at least {@link TcpInfoField#COUNT} ints
     * @return 0, or -errno (ENOPROTOOPT: not a TCP socket)
     * @throws UnsupportedOperationException where {@link #hasTcpInfo()} is false
     */
    public abstract int tcpInfo(int fd, int[] fields);

    /**
     * The IP version of the socket {@code fd} is, from its bound address's family.
     *
     * @param fd the socket
     * @return 4 (AF_INET), 6 (AF_INET6), 0 for another family, or -errno
     */
    public abstract int ipVersion(int fd);
}
