package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.Errors;
import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.TcpInfoField;

import java.io.IOException;
import java.net.SocketException;
import java.util.Objects;

/**
 * Typed socket options, read and set on any socket's descriptor: a {@link Listener}'s, a
 * {@link Connection}'s ({@code fd()}), a datagram endpoint's, or one of your own. What a user
 * of {@code StandardSocketOptions} or Netty's {@code ChannelOption} expects:
 * <pre>{@code
 * SocketOptions.set(connection.fd(), SocketOptions.SO_KEEPALIVE, true);
 * SocketOptions.set(connection.fd(), SocketOptions.TCP_KEEPIDLE, 30);
 * SocketOptions.set(connection.fd(), SocketOptions.SO_LINGER, SocketOptions.Linger.seconds(5));
 * int tos = SocketOptions.get(listener.fd(), SocketOptions.IP_TOS);
 * TcpInfo info = SocketOptions.tcpInfo(connection.fd());   // Linux
 * }</pre>
 *
 * <p>An option the OS lacks is refused with an {@link UnsupportedOperationException} that names
 * the option and the OS, before any call, never ignored: {@link #TCP_CORK},
 * {@link #TCP_USER_TIMEOUT}, {@link #TCP_FASTOPEN_CONNECT}, {@link #TCP_DEFER_ACCEPT},
 * {@link #SO_BUSY_POLL} and {@link #tcpInfo} are Linux's; {@link #TCP_NOPUSH} is the BSDs'
 * ({@link #isSupported} tells). A value out of the option's range is an
 * {@link IllegalArgumentException}; the kernel's refusal an {@link IOException} naming the call.
 *
 * <p>Threading: any thread, on a descriptor that is open. A connection's descriptor is closed,
 * and its number may be reused, once the connection closes: set options from its handler, on
 * its loop, or while you know it is open.
 */
public final class SocketOptions {
    private static final Platform OS = Platform.current();

    private SocketOptions() {}

    /**
     * One socket option and the type of its value. The constants of {@link SocketOptions} are
     * all there are.
     *
     * @param <T> the value's type
     */
    public static final class Option<T> {
        private final String name;
        private final Class<T> type;
        private final SocketOption raw; // null for SO_LINGER and IP_TOS, which are not one int option
        private final int min;
        private final int max;

        private Option(String name, Class<T> type, SocketOption raw, int min, int max) {
            this.name = name;
            this.type = type;
            this.raw = raw;
            this.min = min;
            this.max = max;
        }

        /** {@return the option's C name, e.g. {@code "TCP_KEEPIDLE"}} */
        public String name() {
            return name;
        }

        /** {@return the type of its value} */
        public Class<T> type() {
            return type;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * SO_LINGER's value: whether {@code close} lingers, and for how many seconds at most. On
     * with 0 seconds, close drops what is unsent and resets the connection.
     *
     * @param on whether close lingers
     * @param seconds the most it waits, 0 to 65535 (0 when off)
     */
    public record Linger(boolean on, int seconds) {
        /** Off: close returns at once and the kernel sends what is left in the background. */
        public static final Linger OFF = new Linger(false, 0);

        /**
         * Checks the range of {@code seconds}.
         *
         * @throws IllegalArgumentException if {@code seconds} is out of 0..65535
         */
        public Linger {
            if (seconds < 0 || seconds > 65535) {
                throw new IllegalArgumentException("SO_LINGER: seconds " + seconds + " out of 0..65535");
            }
        }

        /**
         * On, for {@code seconds}.
         *
         * @param seconds the most close waits, 0 to 65535
         * @return the value
         */
        public static Linger seconds(int seconds) {
            return new Linger(true, seconds);
        }
    }

    private static Option<Boolean> flag(String name, SocketOption raw) {
        return new Option<>(name, Boolean.class, raw, 0, 1);
    }

    private static Option<Integer> number(String name, SocketOption raw, int min, int max) {
        return new Option<>(name, Integer.class, raw, min, max);
    }

    /** Send small writes at once (no Nagle). */
    public static final Option<Boolean> TCP_NODELAY = flag("TCP_NODELAY", SocketOption.TCP_NODELAY);
    /** Bind a port whose old connections are in TIME_WAIT. */
    public static final Option<Boolean> SO_REUSEADDR = flag("SO_REUSEADDR", SocketOption.REUSE_ADDRESS);
    /** Probe an idle connection ({@link #TCP_KEEPIDLE}, {@link #TCP_KEEPINTVL}, {@link #TCP_KEEPCNT}). */
    public static final Option<Boolean> SO_KEEPALIVE = flag("SO_KEEPALIVE", SocketOption.KEEP_ALIVE);
    /** Seconds idle before the first keep-alive probe, 1..32767 (macOS: TCP_KEEPALIVE). */
    public static final Option<Integer> TCP_KEEPIDLE = number("TCP_KEEPIDLE", SocketOption.TCP_KEEPIDLE, 1, 32767);
    /** Seconds between keep-alive probes, 1..32767. */
    public static final Option<Integer> TCP_KEEPINTVL = number("TCP_KEEPINTVL", SocketOption.TCP_KEEPINTVL, 1, 32767);
    /** Unanswered keep-alive probes before the connection is dropped, 1..127. */
    public static final Option<Integer> TCP_KEEPCNT = number("TCP_KEEPCNT", SocketOption.TCP_KEEPCNT, 1, 127);
    /**
     * The receive buffer, in bytes. Linux doubles the value set (the kernel's bookkeeping takes
     * its share), so reading it back gives twice what was set, within {@code net.core.rmem_max};
     * setting it turns the buffer's autotuning off.
     */
    public static final Option<Integer> SO_RCVBUF = number("SO_RCVBUF", SocketOption.RECEIVE_BUFFER, 1, Integer.MAX_VALUE);
    /** The send buffer, in bytes; doubled on Linux as {@link #SO_RCVBUF} is ({@code net.core.wmem_max}). */
    public static final Option<Integer> SO_SNDBUF = number("SO_SNDBUF", SocketOption.SEND_BUFFER, 1, Integer.MAX_VALUE);
    /** Whether and how long {@code close} waits for unsent data ({@link Linger}). */
    public static final Option<Linger> SO_LINGER = new Option<>("SO_LINGER", Linger.class, null, 0, 0);
    /** Milliseconds data may stay unacknowledged before the connection is dropped; 0: the system's (Linux only). */
    public static final Option<Integer> TCP_USER_TIMEOUT =
            number("TCP_USER_TIMEOUT", SocketOption.TCP_USER_TIMEOUT, 0, Integer.MAX_VALUE);
    /**
     * TCP Fast Open on a listener, set before {@code listen}: on Linux the length of the queue of
     * fast-open requests not yet accepted ({@code net.ipv4.tcp_fastopen} must allow servers);
     * on FreeBSD and macOS any non-zero value turns it on.
     */
    public static final Option<Integer> TCP_FASTOPEN = number("TCP_FASTOPEN", SocketOption.TCP_FASTOPEN, 0, Integer.MAX_VALUE);
    /** TCP Fast Open on a client socket, set before connect (Linux only). */
    public static final Option<Boolean> TCP_FASTOPEN_CONNECT = flag("TCP_FASTOPEN_CONNECT", SocketOption.TCP_FASTOPEN_CONNECT);
    /**
     * Seconds a listener holds a connection until its first data arrives (Linux only; the kernel
     * rounds it to its SYN-ACK retransmission steps when read back).
     */
    public static final Option<Integer> TCP_DEFER_ACCEPT =
            number("TCP_DEFER_ACCEPT", SocketOption.TCP_DEFER_ACCEPT, 0, Integer.MAX_VALUE);
    /** Hold partial frames until uncorked, at most 200 ms (Linux only; the BSDs have {@link #TCP_NOPUSH}). */
    public static final Option<Boolean> TCP_CORK = flag("TCP_CORK", SocketOption.TCP_CORK);
    /** Hold the last partial segment of writes until cleared (FreeBSD, macOS; Linux has {@link #TCP_CORK}). */
    public static final Option<Boolean> TCP_NOPUSH = flag("TCP_NOPUSH", SocketOption.TCP_NOPUSH);
    /** Microseconds to busy-poll the device queue on a blocking read; 0: off (Linux only). */
    public static final Option<Integer> SO_BUSY_POLL = number("SO_BUSY_POLL", SocketOption.SO_BUSY_POLL, 0, Integer.MAX_VALUE);
    /**
     * The type-of-service byte (DSCP and ECN bits), 0..255: IP_TOS on an IPv4 socket and
     * IPV6_TCLASS on an IPv6 one, chosen by the socket's own family, as
     * {@code StandardSocketOptions.IP_TOS} is.
     */
    public static final Option<Integer> IP_TOS = number("IP_TOS", null, 0, 255);

    /**
     * Whether this OS has {@code option}.
     *
     * @param option the option
     * @return whether {@link #set} and {@link #get} of it can work here
     */
    public static boolean isSupported(Option<?> option) {
        return isSupported(OS, option);
    }

    static boolean isSupported(Platform os, Option<?> option) {
        return option.raw == null || os.options().supports(option.raw);
    }

    /**
     * Sets {@code option} on the socket {@code fd}.
     *
     * @param <T> the value's type
     * @param fd the socket
     * @param option the option
     * @param value its value
     * @throws IOException if the kernel refuses it (the message names the call, the fd and the errno)
     * @throws IllegalArgumentException if the value is out of the option's range
     * @throws UnsupportedOperationException if this OS lacks the option
     */
    public static <T> void set(int fd, Option<T> option, T value) throws IOException {
        set(OS, fd, option, value);
    }

    static <T> void set(Platform os, int fd, Option<T> option, T value) throws IOException {
        Objects.requireNonNull(value, option.name);
        String call = "setsockopt(fd " + fd + ", " + option.name + ", " + value + ")";
        if (option == SO_LINGER) {
            Linger l = (Linger) value;
            Errors.check(os.options().setLinger(fd, l.on(), l.seconds()), call);
            return;
        }
        int v = value instanceof Boolean b ? (b ? 1 : 0) : (Integer) option.type.cast(value);
        if (v < option.min || v > option.max) {
            throw new IllegalArgumentException(option.name + ": " + v + " out of " + option.min + ".." + option.max);
        }
        Errors.check(os.options().setOption(fd, raw(os, fd, option), v), call);
    }

    /**
     * Reads {@code option} from the socket {@code fd}.
     *
     * @param <T> the value's type
     * @param fd the socket
     * @param option the option
     * @return its value
     * @throws IOException if the kernel refuses it
     * @throws UnsupportedOperationException if this OS lacks the option
     */
    public static <T> T get(int fd, Option<T> option) throws IOException {
        return get(OS, fd, option);
    }

    static <T> T get(Platform os, int fd, Option<T> option) throws IOException {
        String call = "getsockopt(fd " + fd + ", " + option.name + ")";
        if (option == SO_LINGER) {
            int[] onAndSeconds = new int[2];
            Errors.check(os.options().getLinger(fd, onAndSeconds), call);
            return option.type.cast(onAndSeconds[0] != 0 ? Linger.seconds(onAndSeconds[1]) : Linger.OFF);
        }
        int v = Errors.check(os.options().getOption(fd, raw(os, fd, option)), call);
        return option.type == Boolean.class ? option.type.cast(v != 0) : option.type.cast(v);
    }

    /** The int option behind {@code option}; IP_TOS's depends on the socket's family. */
    private static SocketOption raw(Platform os, int fd, Option<?> option) throws IOException {
        if (option.raw != null) {
            return option.raw;
        }
        int version = Errors.check(os.options().ipVersion(fd), "getsockname(fd " + fd + ")");
        if (version == 0) {
            throw new SocketException(option.name + ": fd " + fd + " is not an IPv4 or IPv6 socket");
        }
        return version == 6 ? SocketOption.IPV6_TCLASS : SocketOption.IP_TOS;
    }

    /**
     * TCP_INFO of the TCP socket {@code fd}: its state, round-trip times, windows and
     * retransmissions, as the kernel has them now (Linux only).
     *
     * @param fd a TCP socket
     * @return the snapshot
     * @throws IOException if the kernel refuses (ENOPROTOOPT: not a TCP socket)
     * @throws UnsupportedOperationException on an OS other than Linux (FreeBSD's struct tcp_info
     *         has another layout, macOS has TCP_CONNECTION_INFO; neither is bound)
     */
    public static TcpInfo tcpInfo(int fd) throws IOException {
        return tcpInfo(OS, fd);
    }

    static TcpInfo tcpInfo(Platform os, int fd) throws IOException {
        int[] f = new int[TcpInfoField.COUNT];
        Errors.check(os.options().tcpInfo(fd, f), "getsockopt(fd " + fd + ", TCP_INFO)");
        return TcpInfo.of(f);
    }
}
