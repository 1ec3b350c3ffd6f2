package io.ffpoll.bindings.platform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;

/**
 * The checks every OS makes of a Unix socket's name before encoding it, so that a name the
 * kernel would refuse (or, worse, silently cut at {@code sun_path}'s end) is a clear error
 * before any call; the charset a path's text becomes bytes in; and the reading of a received
 * sockaddr_un's name in place, without allocating, for a datagram's sender.
 */
public final class UnixNames {
    /**
     * The platform's file-name encoding: what the JDK encodes every {@link java.nio.file.Path}
     * of the default file system in (its {@code sun.jnu.encoding}, which the locale set when the
     * JVM started: UTF-8 under a UTF-8 locale, ISO-8859-1 under a Latin-1 one, ASCII under
     * {@code LANG=C}), and so the bytes its UnixDomainSocketAddress channels put in sun_path.
     */
    private static final Charset FILE_NAMES = fileNameCharset();

    /** offsetof(struct sockaddr_un, sun_path): after sun_family (Linux) or sun_len and sun_family (BSDs). */
    private static final long SUN_PATH = 2;

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
     * Whether the sockaddr_un of {@code length} bytes in {@code sockaddr} is an abstract name:
     * one that starts with a NUL byte where the OS has them (Linux). Where it has none, such a
     * sun_path is empty: an unnamed socket (the BSDs' {@code sun_noname}).
     *
     * @param sockaddr a sockaddr_un
     * @param length its length, as the kernel gave it
     * @param abstractNames whether the OS has abstract names
     * @return whether it is an abstract name
     */
    public static boolean isAbstract(MemorySegment sockaddr, int length, boolean abstractNames) {
        return abstractNames && length > SUN_PATH && sockaddr.get(ValueLayout.JAVA_BYTE, SUN_PATH) == 0;
    }

    /**
     * Copies the name in the sockaddr_un of {@code length} bytes into {@code dst}: a path's
     * bytes without its NUL, or an abstract name's without the NUL in front. An unnamed sender
     * (length 0 on Linux, an empty sun_path on the BSDs) has none.
     *
     * @param sockaddr a sockaddr_un
     * @param length its length, as the kernel gave it
     * @param abstractNames whether the OS has abstract names
     * @param dst where the bytes go, or null to count them only
     * @return the name's length in bytes, 0 for an unnamed socket
     * @throws IndexOutOfBoundsException if {@code dst} is too small for the name
     */
    public static int read(MemorySegment sockaddr, int length, boolean abstractNames, byte[] dst) {
        long end = Math.min(length, sockaddr.byteSize());
        long from = SUN_PATH;
        long at;
        if (isAbstract(sockaddr, length, abstractNames)) {
            from++;
            at = end; // an abstract name is every byte the length counts, NULs included
        } else {
            at = from;
            while (at < end && sockaddr.get(ValueLayout.JAVA_BYTE, at) != 0) {
                at++; // a path ends at its NUL, whatever length its binder counted
            }
        }
        int n = (int) Math.max(0, at - from);
        if (dst != null && n > 0) {
            MemorySegment.copy(sockaddr, ValueLayout.JAVA_BYTE, from, dst, 0, n);
        }
        return n;
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
