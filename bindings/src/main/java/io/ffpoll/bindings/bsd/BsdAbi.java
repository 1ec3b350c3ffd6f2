package io.ffpoll.bindings.bsd;

/**
 * The numbers and layouts the BSD bindings use, per OS, as the system headers define them. They
 * are written here by hand, because there is no BSD header on the machines that build ffpoll;
 * {@code BsdAbiTest} holds each value with the header it comes from, so that a change is a
 * deliberate one. Both are LP64: pointers, size_t and long are 8 bytes.
 *
 * <p>Sources: XNU {@code bsd/sys/socket.h}, {@code bsd/sys/errno.h}, {@code bsd/sys/fcntl.h},
 * {@code bsd/netinet/in.h}, {@code bsd/netinet6/in6.h}, {@code bsd/sys/resource.h}; FreeBSD
 * {@code sys/sys/socket.h}, {@code sys/sys/errno.h}, {@code sys/sys/fcntl.h},
 * {@code sys/netinet/in.h}, {@code sys/netinet6/in6.h}, {@code sys/sys/resource.h}; NetBSD the
 * same files as FreeBSD (read in the src-netbsd tree of 2016 the rump kernel is built from).
 */
public enum BsdAbi {
    MACOS(30, 0, 0, 0, 0x1022, 67, 100),
    FREEBSD(28, 0x10000000, 0x20000000, 0x20000, 0, 17, 92),
    /** NetBSD: FreeBSD's socket() flags, its own MSG_NOSIGNAL, AF_INET6, F_DUPFD_CLOEXEC and EPROTO. */
    NETBSD(24, 0x10000000, 0x20000000, 0x0400, 0, 12, 96);

    // Shared by all three (4.4BSD numbering and layouts).
    public static final int AF_INET = 2;
    public static final int SOCK_STREAM = 1;
    public static final int SOL_SOCKET = 0xffff;
    public static final int SO_REUSEADDR = 0x0004;
    public static final int SO_KEEPALIVE = 0x0008;
    public static final int SO_LINGER = 0x0080;
    public static final int SO_REUSEPORT = 0x0200;
    public static final int SO_SNDBUF = 0x1001;
    public static final int SO_RCVBUF = 0x1002;
    public static final int SO_ERROR = 0x1007;
    /** FreeBSD 12+: SO_REUSEPORT that balances connections over the listeners, as Linux's does. */
    public static final int SO_REUSEPORT_LB = 0x00010000;
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 0x01;
    public static final int SHUT_WR = 1;
    public static final int MSG_DONTWAIT = 0x80;
    /** NetBSD's MSG_NBIO: its sosend waits for room unless this (or O_NONBLOCK) is set. */
    public static final int NETBSD_MSG_NBIO = 0x1000;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int O_NONBLOCK = 0x0004;
    public static final int RLIMIT_NOFILE = 8;
    /** sockaddr_in: sin_len(1) sin_family(1) sin_port(2) sin_addr(4) sin_zero(8). */
    public static final long SOCKADDR_IN_SIZE = 16;
    public static final long SIN_PORT = 2;
    public static final long SIN_ADDR = 4;
    /** sockaddr_in6: sin6_len(1) sin6_family(1) sin6_port(2) sin6_flowinfo(4) sin6_addr(16) sin6_scope_id(4). */
    public static final long SOCKADDR_IN6_SIZE = 28;
    public static final long SIN6_PORT = 2;
    public static final long SIN6_ADDR = 8;
    public static final long SIN6_SCOPE_ID = 24;
    /** sockaddr_storage: _SS_MAXSIZE. */
    public static final long SOCKADDR_STORAGE_SIZE = 128;
    /** msghdr: name(8) namelen(4, padded) iov(8) iovlen(int 4, padded) control(8) controllen(4) flags(4). */
    public static final long MSGHDR_SIZE = 48;
    public static final long MSG_IOV = 16;
    public static final long MSG_IOVLEN = 24;
    /** struct rlimit: rlim_cur, rlim_max, 8 bytes each. */
    public static final long RLIMIT_SIZE = 16;
    public static final long RLIM_INFINITY = 0x7fffffffffffffffL;

    public final int afInet6;
    /** socket() type flags; 0 where the OS has none (macOS: fcntl afterwards). */
    public final int sockCloexec;
    public final int sockNonblock;
    /** send flag against SIGPIPE; 0 where the OS lacks it (macOS: SO_NOSIGPIPE on the socket). */
    public final int msgNosignal;
    /** the socket option against SIGPIPE; 0 where not needed. */
    public final int soNosigpipe;
    public final int fDupfdCloexec;
    public final int eproto;

    BsdAbi(int afInet6, int sockCloexec, int sockNonblock, int msgNosignal, int soNosigpipe, int fDupfdCloexec,
           int eproto) {
        this.afInet6 = afInet6;
        this.sockCloexec = sockCloexec;
        this.sockNonblock = sockNonblock;
        this.msgNosignal = msgNosignal;
        this.soNosigpipe = soNosigpipe;
        this.fDupfdCloexec = fDupfdCloexec;
        this.eproto = eproto;
    }

    /**
     * send()'s flags for one call that must not wait. NetBSD's sosend ({@code uipc_socket.c})
     * waits for buffer space unless the socket is non-blocking or MSG_NBIO is set: MSG_DONTWAIT
     * alone only makes its receives non-blocking, and a send on a blocking socket blocked in
     * the rump kernel. The other BSDs honour MSG_DONTWAIT for both.
     *
     * @return the flags
     */
    public int msgDontwait() {
        return this == NETBSD ? MSG_DONTWAIT | NETBSD_MSG_NBIO : MSG_DONTWAIT;
    }

    /** Whether accept4 and SOCK_NONBLOCK/SOCK_CLOEXEC exist (FreeBSD 10+, NetBSD 8+); macOS has neither. */
    public boolean hasAccept4() {
        return sockNonblock != 0;
    }

    /**
     * errno numbers in {@link io.ffpoll.bindings.ErrnoName} order. The BSDs share 4.4BSD's
     * numbering up to ENOSYS (78); EPROTO came later, on its own number in each.
     */
    public int[] errnos() {
        return new int[] {
            1, 2, 4, 9, 35, 12, 17, 22, 23, 24, // EPERM ENOENT EINTR EBADF EAGAIN ENOMEM EEXIST EINVAL ENFILE EMFILE
            32, 78, eproto, 38, 48, 49, 51, 53, 54, 55, // EPIPE ENOSYS EPROTO ENOTSOCK EADDRINUSE EADDRNOTAVAIL ENETUNREACH ECONNABORTED ECONNRESET ENOBUFS
            56, 57, 60, 61, 65, 37, 36, // EISCONN ENOTCONN ETIMEDOUT ECONNREFUSED EHOSTUNREACH EALREADY EINPROGRESS
            13, 40, 42, 47, 63, 41 // EACCES EMSGSIZE ENOPROTOOPT EAFNOSUPPORT ENAMETOOLONG EPROTOTYPE
        };
    }
}
