package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.linux.gen.LinuxH;

/**
 * The Linux errno values the bindings and the layers above act on, with their C names and the
 * glibc strerror text, so an exception can say {@code ECONNREFUSED (Connection refused)}.
 */
public final class ErrnoCodes {
    public static final int EPERM = LinuxH.EPERM();
    public static final int ENOENT = LinuxH.ENOENT();
    public static final int EINTR = LinuxH.EINTR();
    public static final int EBADF = LinuxH.EBADF();
    public static final int EAGAIN = LinuxH.EAGAIN();
    public static final int EWOULDBLOCK = LinuxH.EWOULDBLOCK();
    public static final int ENOMEM = LinuxH.ENOMEM();
    public static final int EEXIST = LinuxH.EEXIST();
    public static final int EINVAL = LinuxH.EINVAL();
    public static final int EOPNOTSUPP = LinuxH.EOPNOTSUPP();
    public static final int ENFILE = LinuxH.ENFILE();
    public static final int EMFILE = LinuxH.EMFILE();
    public static final int EPIPE = LinuxH.EPIPE();
    public static final int ENOSYS = LinuxH.ENOSYS();
    public static final int EPROTO = LinuxH.EPROTO();
    public static final int ENOTSOCK = LinuxH.ENOTSOCK();
    public static final int EADDRINUSE = LinuxH.EADDRINUSE();
    public static final int EADDRNOTAVAIL = LinuxH.EADDRNOTAVAIL();
    public static final int ENETUNREACH = LinuxH.ENETUNREACH();
    public static final int ECONNABORTED = LinuxH.ECONNABORTED();
    public static final int ECONNRESET = LinuxH.ECONNRESET();
    public static final int ENOBUFS = LinuxH.ENOBUFS();
    public static final int EISCONN = LinuxH.EISCONN();
    public static final int ENOTCONN = LinuxH.ENOTCONN();
    public static final int ETIMEDOUT = LinuxH.ETIMEDOUT();
    public static final int ECONNREFUSED = LinuxH.ECONNREFUSED();
    public static final int EHOSTUNREACH = LinuxH.EHOSTUNREACH();
    public static final int EALREADY = LinuxH.EALREADY();
    public static final int EINPROGRESS = LinuxH.EINPROGRESS();
    public static final int EACCES = LinuxH.EACCES();
    public static final int EMSGSIZE = LinuxH.EMSGSIZE();
    public static final int ENOPROTOOPT = LinuxH.ENOPROTOOPT();
    public static final int EAFNOSUPPORT = LinuxH.EAFNOSUPPORT();
    public static final int ENAMETOOLONG = LinuxH.ENAMETOOLONG();
    /**
     * Not in the generated header list (one more symbol would need a regen): 91 in Linux's
     * asm-generic/errno.h, which x86-64 and arm64 use; LinuxUnixDatagramsTest sees the kernel
     * answer it.
     */
    public static final int EPROTOTYPE = 91;

    private static final Object[][] TABLE = {
            {EPERM, "EPERM", "Operation not permitted"},
            {ENOENT, "ENOENT", "No such file or directory"},
            {EINTR, "EINTR", "Interrupted system call"},
            {EBADF, "EBADF", "Bad file descriptor"},
            {EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
            {ENOMEM, "ENOMEM", "Cannot allocate memory"},
            {EEXIST, "EEXIST", "File exists"},
            {EINVAL, "EINVAL", "Invalid argument"},
            {ENFILE, "ENFILE", "Too many open files in system"},
            {EMFILE, "EMFILE", "Too many open files"},
            {EPIPE, "EPIPE", "Broken pipe"},
            {ENOSYS, "ENOSYS", "Function not implemented"},
            {EPROTO, "EPROTO", "Protocol error"},
            {ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"},
            {EADDRINUSE, "EADDRINUSE", "Address already in use"},
            {EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address"},
            {ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
            {ECONNABORTED, "ECONNABORTED", "Software caused connection abort"},
            {ECONNRESET, "ECONNRESET", "Connection reset by peer"},
            {ENOBUFS, "ENOBUFS", "No buffer space available"},
            {EISCONN, "EISCONN", "Transport endpoint is already connected"},
            {ENOTCONN, "ENOTCONN", "Transport endpoint is not connected"},
            {ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
            {ECONNREFUSED, "ECONNREFUSED", "Connection refused"},
            {EHOSTUNREACH, "EHOSTUNREACH", "No route to host"},
            {EALREADY, "EALREADY", "Operation already in progress"},
            {EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
            {EACCES, "EACCES", "Permission denied"},
            {EMSGSIZE, "EMSGSIZE", "Message too long"},
            {ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available"},
            {EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol"},
            {ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
            {EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"},
    };

    private ErrnoCodes() {}

    /** {@code "ECONNREFUSED (Connection refused)"}, or {@code "errno 97"} for one not listed. */
    public static String describe(int errno) {
        for (Object[] row : TABLE) {
            if ((int) row[0] == errno) {
                return row[1] + " (" + row[2] + ")";
            }
        }
        return "errno " + errno;
    }
}
