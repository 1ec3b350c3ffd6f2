package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Platform;

/**
 * errno values by name, as {@link Platform#current()} numbers them, for comparing the
 * {@code -errno} results of the bindings: {@code r == -Err.EAGAIN}. Static finals, so the JIT
 * folds them into constants.
 */
public final class Err {
    /** {@code EPERM}, as this OS numbers it: compare results with {@code -EPERM}. */
    public static final int EPERM = of(ErrnoName.EPERM);
    /** {@code ENOENT}, as this OS numbers it: compare results with {@code -ENOENT}. */
    public static final int ENOENT = of(ErrnoName.ENOENT);
    /** {@code EINTR}, as this OS numbers it: compare results with {@code -EINTR}. */
    public static final int EINTR = of(ErrnoName.EINTR);
    /** {@code EBADF}, as this OS numbers it: compare results with {@code -EBADF}. */
    public static final int EBADF = of(ErrnoName.EBADF);
    /** {@code EAGAIN}, as this OS numbers it: compare results with {@code -EAGAIN}. */
    public static final int EAGAIN = of(ErrnoName.EAGAIN);
    /** {@code ENOMEM}, as this OS numbers it: compare results with {@code -ENOMEM}. */
    public static final int ENOMEM = of(ErrnoName.ENOMEM);
    /** {@code EEXIST}, as this OS numbers it: compare results with {@code -EEXIST}. */
    public static final int EEXIST = of(ErrnoName.EEXIST);
    /** {@code EINVAL}, as this OS numbers it: compare results with {@code -EINVAL}. */
    public static final int EINVAL = of(ErrnoName.EINVAL);
    /** {@code ENFILE}, as this OS numbers it: compare results with {@code -ENFILE}. */
    public static final int ENFILE = of(ErrnoName.ENFILE);
    /** {@code EMFILE}, as this OS numbers it: compare results with {@code -EMFILE}. */
    public static final int EMFILE = of(ErrnoName.EMFILE);
    /** {@code EPIPE}, as this OS numbers it: compare results with {@code -EPIPE}. */
    public static final int EPIPE = of(ErrnoName.EPIPE);
    /** {@code ENOSYS}, as this OS numbers it: compare results with {@code -ENOSYS}. */
    public static final int ENOSYS = of(ErrnoName.ENOSYS);
    /** {@code EPROTO}, as this OS numbers it: compare results with {@code -EPROTO}. */
    public static final int EPROTO = of(ErrnoName.EPROTO);
    /** {@code ENOTSOCK}, as this OS numbers it: compare results with {@code -ENOTSOCK}. */
    public static final int ENOTSOCK = of(ErrnoName.ENOTSOCK);
    /** {@code EADDRINUSE}, as this OS numbers it: compare results with {@code -EADDRINUSE}. */
    public static final int EADDRINUSE = of(ErrnoName.EADDRINUSE);
    /** {@code EADDRNOTAVAIL}, as this OS numbers it: compare results with {@code -EADDRNOTAVAIL}. */
    public static final int EADDRNOTAVAIL = of(ErrnoName.EADDRNOTAVAIL);
    /** {@code ENETUNREACH}, as this OS numbers it: compare results with {@code -ENETUNREACH}. */
    public static final int ENETUNREACH = of(ErrnoName.ENETUNREACH);
    /** {@code ECONNABORTED}, as this OS numbers it: compare results with {@code -ECONNABORTED}. */
    public static final int ECONNABORTED = of(ErrnoName.ECONNABORTED);
    /** {@code ECONNRESET}, as this OS numbers it: compare results with {@code -ECONNRESET}. */
    public static final int ECONNRESET = of(ErrnoName.ECONNRESET);
    /** {@code ENOBUFS}, as this OS numbers it: compare results with {@code -ENOBUFS}. */
    public static final int ENOBUFS = of(ErrnoName.ENOBUFS);
    /** {@code EISCONN}, as this OS numbers it: compare results with {@code -EISCONN}. */
    public static final int EISCONN = of(ErrnoName.EISCONN);
    /** {@code ENOTCONN}, as this OS numbers it: compare results with {@code -ENOTCONN}. */
    public static final int ENOTCONN = of(ErrnoName.ENOTCONN);
    /** {@code ETIMEDOUT}, as this OS numbers it: compare results with {@code -ETIMEDOUT}. */
    public static final int ETIMEDOUT = of(ErrnoName.ETIMEDOUT);
    /** {@code ECONNREFUSED}, as this OS numbers it: compare results with {@code -ECONNREFUSED}. */
    public static final int ECONNREFUSED = of(ErrnoName.ECONNREFUSED);
    /** {@code EHOSTUNREACH}, as this OS numbers it: compare results with {@code -EHOSTUNREACH}. */
    public static final int EHOSTUNREACH = of(ErrnoName.EHOSTUNREACH);
    /** {@code EALREADY}, as this OS numbers it: compare results with {@code -EALREADY}. */
    public static final int EALREADY = of(ErrnoName.EALREADY);
    /** {@code EINPROGRESS}, as this OS numbers it: compare results with {@code -EINPROGRESS}. */
    public static final int EINPROGRESS = of(ErrnoName.EINPROGRESS);
    /** {@code EPROTOTYPE}, as this OS numbers it: compare results with {@code -EPROTOTYPE}. */
    public static final int EPROTOTYPE = of(ErrnoName.EPROTOTYPE);

    private Err() {}

    private static int of(ErrnoName name) {
        return Platform.current().errno(name);
    }
}
