package io.ffpoll.bindings.platform;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;

/**
 * The checks every OS makes of a Unix socket's name before encoding it, so that a name the
 * kernel would refuse (or, worse, silently cut at {@code sun_path}'s end) is a clear error
 * before any call; and the charset a path's text becomes bytes in.
 */
public final class UnixNames {
    /**
     * The platform's file-name encoding: what the JDK encodes every {@link java.nio.file.Path}
     * of the default file system in (its {@code sun.jnu.encoding}, which the locale set when the
     * JVM started: UTF-8 under a UTF-8 locale, ISO-8859-1 under a Latin-1 one, ASCII under
     * {@code LANG=C}), and so the bytes its UnixDomainSocketAddress channels put in sun_path.
     */
    private static final Charset FILE_NAMES = fileNameCharset();

    private UnixNames() {}

    private static Charset fileNameCharset() {
        String name = System.getProperty("sun.jnu.encoding");
        try {
            return name == null ? Charset.defaultCharset() : Charset.forName(name);
        } catch (IllegalArgumentException unknown) { // the JVM itself could not have started with it
            return Charset.defaultCharset();
        }
    }

    /**
     * {@code path}'s bytes in the platform's file-name encoding, as the JDK encodes the same
     * path for a file or a Unix-domain socket.
     *
     * @param path the path's text
     * @return the bytes
     * @throws IllegalArgumentException if a character has no byte in that encoding (the JDK
     *         refuses such a path too: {@link java.nio.file.InvalidPathException})
     */
    public static byte[] encodePath(String path) {
        try {
            ByteBuffer b = FILE_NAMES.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(path));
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the Unix socket path " + path + " cannot be encoded in " + FILE_NAMES
                    + ", the platform's file-name encoding (sun.jnu.encoding, from the locale)", e);
        }
    }

    /**
     * The text of a path's bytes, decoded as {@link #encodePath} encodes: what the JDK's
     * {@code Path} of those bytes holds. Bytes that are not valid in the encoding become U+FFFD.
     *
     * @param bytes the path's bytes
     * @return the text
     */
    public static String decodePath(byte[] bytes) {
        return new String(bytes, FILE_NAMES);
    }

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
