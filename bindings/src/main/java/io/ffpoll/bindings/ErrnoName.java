package io.ffpoll.bindings;

import io.ffpoll.bindings.platform.Platform;

/**
 * The errno values the layers above the bindings act on, by name, with the text glibc and the
 * BSD libcs give them. Each {@link Platform} says which number each name has there: EAGAIN is
 * 11 on Linux and 35 on macOS and FreeBSD. Above the bindings, errno values are compared by
 * name ({@link Err}), never by number.
 */
public enum ErrnoName {
    /** EPERM (Operation not permitted). */
    EPERM("Operation not permitted"),
    /** ENOENT (No such file or directory). */
    ENOENT("No such file or directory"),
    /** EINTR (Interrupted system call). */
    EINTR("Interrupted system call"),
    /** EBADF (Bad file descriptor). */
    EBADF("Bad file descriptor"),
    /** EAGAIN (Resource temporarily unavailable). */
    EAGAIN("Resource temporarily unavailable"),
    /** ENOMEM (Cannot allocate memory). */
    ENOMEM("Cannot allocate memory"),
    /** EEXIST (File exists). */
    EEXIST("File exists"),
    /** EINVAL (Invalid argument). */
    EINVAL("Invalid argument"),
    /** ENFILE (Too many open files in system). */
    ENFILE("Too many open files in system"),
    /** EMFILE (Too many open files). */
    EMFILE("Too many open files"),
    /** EPIPE (Broken pipe). */
    EPIPE("Broken pipe"),
    /** ENOSYS (Function not implemented). */
    ENOSYS("Function not implemented"),
    /** EPROTO (Protocol error). */
    EPROTO("Protocol error"),
    /** ENOTSOCK (Socket operation on non-socket). */
    ENOTSOCK("Socket operation on non-socket"),
    /** EADDRINUSE (Address already in use). */
    EADDRINUSE("Address already in use"),
    /** EADDRNOTAVAIL (Cannot assign requested address). */
    EADDRNOTAVAIL("Cannot assign requested address"),
    /** ENETUNREACH (Network is unreachable). */
    ENETUNREACH("Network is unreachable"),
    /** ECONNABORTED (Software caused connection abort). */
    ECONNABORTED("Software caused connection abort"),
    /** ECONNRESET (Connection reset by peer). */
    ECONNRESET("Connection reset by peer"),
    /** ENOBUFS (No buffer space available). */
    ENOBUFS("No buffer space available"),
    /** EISCONN (Transport endpoint is already connected). */
    EISCONN("Transport endpoint is already connected"),
    /** ENOTCONN (Transport endpoint is not connected). */
    ENOTCONN("Transport endpoint is not connected"),
    /** ETIMEDOUT (Connection timed out). */
    ETIMEDOUT("Connection timed out"),
    /** ECONNREFUSED (Connection refused). */
    ECONNREFUSED("Connection refused"),
    /** EHOSTUNREACH (No route to host). */
    EHOSTUNREACH("No route to host"),
    /** EALREADY (Operation already in progress). */
    EALREADY("Operation already in progress"),
    /** EINPROGRESS (Operation now in progress). */
    EINPROGRESS("Operation now in progress"),
    /** EACCES (Permission denied). */
    EACCES("Permission denied"),
    /** EMSGSIZE (Message too long). */
    EMSGSIZE("Message too long"),
    /** ENOPROTOOPT (Protocol not available). */
    ENOPROTOOPT("Protocol not available"),
    /** EAFNOSUPPORT (Address family not supported by protocol). */
    EAFNOSUPPORT("Address family not supported by protocol"),
    /** ENAMETOOLONG (File name too long). */
    ENAMETOOLONG("File name too long"),
    /** EPROTOTYPE (Protocol wrong type for socket): a Unix socket of the other type is bound to the path. */
    EPROTOTYPE("Protocol wrong type for socket");

    private final String text;

    ErrnoName(String text) {
        this.text = text;
    }

    /**
     * What strerror says, e.g. "Connection refused".
     *
     * @return the text
     */
    public String text() {
        return text;
    }
}
