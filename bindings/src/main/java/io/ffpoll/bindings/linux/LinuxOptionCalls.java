package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.SocketOption;
import io.ffpoll.bindings.platform.OptionCalls;

/**
 * {@link OptionCalls} on Linux: glibc's levels and numbers ({@link Sockets}, {@link SockOpts}),
 * SO_REUSEPORT balanced by the kernel, and {@code struct tcp_info}.
 */
final class LinuxOptionCalls extends OptionCalls {
    LinuxOptionCalls() {
        super("linux");
    }

    @Override
    public boolean balancesReusePort() {
        return true;
    }

    private static int level(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS, REUSE_PORT_BALANCED, SEND_BUFFER, RECEIVE_BUFFER, KEEP_ALIVE, SO_BUSY_POLL ->
                    Sockets.SOL_SOCKET;
            case IP_TOS -> SockOpts.IPPROTO_IP;
            case IPV6_TCLASS -> Sockets.IPPROTO_IPV6;
            default -> Sockets.IPPROTO_TCP;
        };
    }

    /** The option's number, or -1 for one Linux lacks (TCP_NOPUSH: TCP_CORK is Linux's). */
    private static int number(SocketOption o) {
        return switch (o) {
            case REUSE_ADDRESS -> Sockets.SO_REUSEADDR;
            case REUSE_PORT_BALANCED -> Sockets.SO_REUSEPORT;
            case TCP_NODELAY -> Sockets.TCP_NODELAY;
            case SEND_BUFFER -> Sockets.SO_SNDBUF;
            case RECEIVE_BUFFER -> Sockets.SO_RCVBUF;
            case KEEP_ALIVE -> Sockets.SO_KEEPALIVE;
            case TCP_KEEPIDLE -> SockOpts.TCP_KEEPIDLE;
            case TCP_KEEPINTVL -> SockOpts.TCP_KEEPINTVL;
            case TCP_KEEPCNT -> SockOpts.TCP_KEEPCNT;
            case TCP_USER_TIMEOUT -> SockOpts.TCP_USER_TIMEOUT;
            case TCP_FASTOPEN -> SockOpts.TCP_FASTOPEN;
            case TCP_FASTOPEN_CONNECT -> SockOpts.TCP_FASTOPEN_CONNECT;
            case TCP_DEFER_ACCEPT -> SockOpts.TCP_DEFER_ACCEPT;
            case TCP_CORK -> SockOpts.TCP_CORK;
            case TCP_NOPUSH -> -1;
            case SO_BUSY_POLL -> SockOpts.SO_BUSY_POLL;
            case IP_TOS -> SockOpts.IP_TOS;
            case IPV6_TCLASS -> SockOpts.IPV6_TCLASS;
        };
    }

    // An option Linux lacks throws UnsupportedOperationException before any call.
    @Override
    public int setOption(int fd, SocketOption option, int value) {
        int number = number(option);
        if (number < 0) {
            throw unsupported(option);
        }
        return Sockets.setsockopt(fd, level(option), number, value);
    }

    // An option Linux lacks throws UnsupportedOperationException before any call.
    @Override
    public int getOption(int fd, SocketOption option) {
        int number = number(option);
        if (number < 0) {
            throw unsupported(option);
        }
        return Sockets.getsockopt(fd, level(option), number);
    }

    @Override
    public int socketError(int fd) {
        return Sockets.getsockopt(fd, Sockets.SOL_SOCKET, Sockets.SO_ERROR);
    }

    @Override
    public int resetOnClose(int fd) {
        return Sockets.setLinger(fd, true, 0);
    }

    @Override
    public boolean supports(SocketOption option) {
        return number(option) >= 0;
    }

    @Override
    public int setLinger(int fd, boolean on, int seconds) {
        return Sockets.setLinger(fd, on, seconds);
    }

    @Override
    public int getLinger(int fd, int[] onAndSeconds) {
        return SockOpts.getLinger(fd, onAndSeconds);
    }

    @Override
    public int unacknowledged(int fd) {
        return SockOpts.unacknowledged(fd);
    }

    @Override
    public boolean hasTcpInfo() {
        return true;
    }

    @Override
    public int tcpInfo(int fd, int[] fields) {
        return SockOpts.tcpInfo(fd, fields);
    }

    @Override
    public int ipVersion(int fd) {
        int family = SockOpts.family(fd);
        return family < 0 ? family : family == Sockets.AF_INET ? 4 : family == Sockets.AF_INET6 ? 6 : 0;
    }
}
