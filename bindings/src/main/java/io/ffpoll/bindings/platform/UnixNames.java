package io.ffpoll.bindings.platform;

/**
 * The checks every OS makes of a Unix socket's name before encoding it, so that a name the
 * kernel would refuse (or, worse, silently cut at {@code sun_path}'s end) is a clear error
 * before any call.
 */
public final class UnixNames {
    private UnixNames() {}

    /**
     * Checks {@code name} against the {@code room} bytes {@code sun_path} has for it on {@code os}.
     *
     * @param name the path's or the abstract name's bytes
     * @param abstractName whether it is an abstract name (NUL bytes allowed)
     * @param room the most bytes the name may have
     * @param os the OS, for the message
     * @throws IllegalArgumentException if the name is empty, too long (the message starts with
     *         ENAMETOOLONG, as the kernel would say), or a path holds a NUL byte
     */
    public static void check(byte[] name, boolean abstractName, long room, String os) {
        String what = abstractName ? "abstract name" : "path";
        if (name.length == 0) {
            throw new IllegalArgumentException("an empty " + what + " names no Unix socket");
        }
        if (name.length > room) {
            throw new IllegalArgumentException("ENAMETOOLONG: the Unix socket " + what + " is " + name.length
                    + " bytes; " + os + "'s sun_path holds at most " + room + (abstractName ? "" : " and a NUL")
                    + (abstractName ? "" : ": use a shorter path (a relative one, or a shorter directory)"));
        }
        if (!abstractName) {
            for (byte b : name) {
                if (b == 0) {
                    throw new IllegalArgumentException("a Unix socket path cannot hold a NUL byte");
                }
            }
        }
    }
}
