package io.ffpoll.bindings;

/**
 * errno values by name, as {@link Platform#current()} numbers them, for comparing the
 * {@code -errno} results of the bindings: {@code r == -Err.EAGAIN}. Static finals, so the JIT
 * folds them into constants.
 */
public final class Err {
    public static final int EPERM = of(ErrnoName.EPERM);
    public static final int ENOENT = of(ErrnoName.ENOENT);
    public static final int EINTR = of(ErrnoName.EINTR);
    public static final int EBADF = of(ErrnoName.EBADF);
    public static final int EAGAIN = of(ErrnoName.EAGAIN);
    public static final int ENOMEM = of(ErrnoName.ENOMEM);
    public static final int EEXIST = of(ErrnoName.EEXIST);
    public static final int EINVAL = of(ErrnoName.EINVAL);
    public static final int ENFILE = of(ErrnoName.ENFILE);
    public static final int EMFILE = of(ErrnoName.EMFILE);
    public static final int EPIPE = of(ErrnoName.EPIPE);
    public static final int ENOSYS = of(ErrnoName.ENOSYS);
    public static final int EPROTO = of(ErrnoName.EPROTO);
    public static final int ENOTSOCK = of(ErrnoName.ENOTSOCK);
    public static final int EADDRINUSE = of(ErrnoName.EADDRINUSE);
    public static final int EADDRNOTAVAIL = of(ErrnoName.EADDRNOTAVAIL);
    public static final int ENETUNREACH = of(ErrnoName.ENETUNREACH);
    public static final int ECONNABORTED = of(ErrnoName.ECONNABORTED);
    public static final int ECONNRESET = of(ErrnoName.ECONNRESET);
    public static final int ENOBUFS = of(ErrnoName.ENOBUFS);
    public static final int EISCONN = of(ErrnoName.EISCONN);
    public static final int ENOTCONN = of(ErrnoName.ENOTCONN);
    public static final int ETIMEDOUT = of(ErrnoName.ETIMEDOUT);
    public static final int ECONNREFUSED = of(ErrnoName.ECONNREFUSED);
    public static final int EHOSTUNREACH = of(ErrnoName.EHOSTUNREACH);
    public static final int EALREADY = of(ErrnoName.EALREADY);
    public static final int EINPROGRESS = of(ErrnoName.EINPROGRESS);

    private Err() {}

    private static int of(ErrnoName name) {
        return Platform.current().errno(name);
    }
}
