package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.platform.UnixNames;

import java.io.Serial;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The address of a Unix-domain socket: a filesystem path, or (Linux only) an abstract name,
 * which lives in a namespace of the kernel's and leaves no file behind. Every call that takes a
 * {@link SocketAddress} ({@link GroupListener#start(io.ffpoll.multiplexer.EventLoopGroup,
 * SocketAddress, GroupListener.Handler)}, {@link Listener#bind}, {@link Connection#connect(
 * io.ffpoll.multiplexer.EventLoop, SocketAddress, ConnectionHandler)}, {@link Connector},
 * {@link DatagramEndpoint#bind}) takes one of these, or the JDK's {@link UnixDomainSocketAddress}
 * for a path, beside an {@link java.net.InetSocketAddress}.
 *
 * <pre>{@code
 * GroupListener.start(group, UnixAddress.path(Path.of("/run/app.sock")), handler);
 * Connection.connect(loop, UnixAddress.abstractName("app"), handler);   // Linux
 * }</pre>
 *
 * <p>A listener or a datagram endpoint on a path makes the socket file when it binds and
 * removes it when it closes (if the file is still the one it made); a file left by a socket
 * that died is taken over, a live one's is not ({@link Listener#bind}, {@link DatagramEndpoint#bind}).
 * {@link #withPermissions} sets the file's mode: a listener applies it between bind and listen,
 * so no client can connect before it holds; a datagram endpoint right after bind (a peer that
 * sends in between does so under the umask's mode: for a socket that only some may reach, bind
 * it in a directory only they can enter).
 *
 * <p>A path's bytes are the ones the JDK gives the same {@link Path}: its text in the
 * platform's file-name encoding ({@code sun.jnu.encoding}, which the locale sets when the JVM
 * starts; UTF-8 under a UTF-8 locale), decomposed (NFD) on macOS as the JDK does there. So a
 * socket ffpoll binds on a path with non-ASCII characters is reached by the JDK's
 * {@code SocketChannel} with a {@link UnixDomainSocketAddress} of the same path, and the other
 * way round, and {@link #path()} gives the Path back. A process that names the socket in
 * another encoding (a C program under another locale) reaches another file, as it would
 * with the JDK. An abstract name has no file and the JDK cannot name it: its bytes are UTF-8,
 * whatever the locale, so that two ffpoll processes always agree on it.
 *
 * <p>The name must fit the OS's {@code sun_path} (107 bytes on Linux, 103 on macOS and
 * FreeBSD, counted in the bytes above); a longer one is refused before any call with an
 * {@link IllegalArgumentException} that says ENAMETOOLONG. On macOS and FreeBSD an abstract
 * name is an {@link UnsupportedOperationException} that names the OS, when it is bound or
 * connected to.
 *
 * <p>Immutable. Two addresses are equal when they name the same socket (the same path, as
 * given, or the same abstract name); the permissions, a setting for bind, are not compared.
 * Serialized as its bytes, which is what the kernel compares: a deserialized address names
 * the same socket in a JVM under another locale, where {@link #path()} may decode it to
 * other text.
 */
public final class UnixAddress extends SocketAddress {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final UnixAddress UNNAMED = new UnixAddress(new byte[0], false, null);

    /** The path's bytes (file-name encoding), or the abstract name's (UTF-8) without its leading NUL; empty: unnamed. */
    private final byte[] name;
    /** Whether {@link #name} is a Linux abstract name. */
    private final boolean abstractName;
    /** The socket file's mode when bound; null for what the umask leaves. */
    private final Set<PosixFilePermission> permissions;

    private UnixAddress(byte[] name, boolean abstractName, Set<PosixFilePermission> permissions) {
        this.name = name;
        this.abstractName = abstractName;
        this.permissions = permissions;
    }

    /**
     * A socket file at {@code path}, named by the bytes the JDK gives the same path (see above).
     *
     * @param path the path (relative ones resolve against the working directory when bound)
     * @return the address
     * @throws IllegalArgumentException for an empty path, or one with a character the
     *         platform's file-name encoding has no bytes for (possible only for a Path of
     *         another file system: the default one refuses such a path itself)
     */
    public static UnixAddress path(Path path) {
        String s = Objects.requireNonNull(path, "path").toString();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("an empty path names no Unix socket");
        }
        return new UnixAddress(Platform.current().unix().unixPathBytes(s), false, null);
    }

    /**
     * A socket file at {@code path}.
     *
     * @param path the path
     * @return the address
     */
    public static UnixAddress path(String path) {
        return path(Path.of(path));
    }

    /**
     * A Linux abstract name: no file, gone with the last socket bound to it; its bytes are
     * {@code name} in UTF-8 whatever the locale (without the leading NUL the kernel wants, which
     * is added here).
     * Anyone in the network namespace may connect to it: file permissions do not apply.
     *
     * @param name the name, not empty
     * @return the address
     */
    public static UnixAddress abstractName(String name) {
        byte[] bytes = Objects.requireNonNull(name, "name").getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0) {
            throw new IllegalArgumentException("an empty abstract name names no Unix socket");
        }
        return new UnixAddress(bytes, true, null);
    }

    /**
     * The address of the JDK's {@code address} (always a path).
     *
     * @param address the JDK's address
     * @return the address
     */
    public static UnixAddress of(UnixDomainSocketAddress address) {
        return path(address.getPath());
    }

    /**
     * An unnamed socket's address: what a client that did not bind (almost every stream client)
     * has, as its peer sees it. It cannot be connected to or listened on; a
     * {@link DatagramEndpoint} bound to it has the kernel pick a name instead (Linux's autobind,
     * an abstract name; see {@link DatagramEndpoint#bind}).
     *
     * @return the unnamed address
     */
    public static UnixAddress unnamed() {
        return UNNAMED;
    }

    /** A datagram sender's name as read in place: a path's bytes, or an abstract name's without its NUL. */
    static UnixAddress received(byte[] name, boolean abstractName) {
        return name.length == 0 && !abstractName ? UNNAMED : new UnixAddress(name, abstractName, null);
    }

    /** What the kernel reported: empty for unnamed, a leading NUL for an abstract name, else a path. */
    static UnixAddress fromKernel(byte[] sunPath) {
        if (sunPath.length == 0) {
            return UNNAMED;
        }
        if (sunPath[0] == 0) {
            return new UnixAddress(Arrays.copyOfRange(sunPath, 1, sunPath.length), true, null);
        }
        return new UnixAddress(sunPath, false, null);
    }

    /**
     * This address with the socket file's permissions set when it is bound (a path only); for
     * example {@code PosixFilePermissions.fromString("rw-rw----")} lets the group connect too.
     * Without it the file has what the process's umask leaves of {@code rwxrwxrwx}.
     *
     * @param permissions the file's mode
     * @return the address with the permissions
     * @throws IllegalArgumentException for an abstract name, which has no file
     */
    public UnixAddress withPermissions(Set<PosixFilePermission> permissions) {
        if (abstractName) {
            throw new IllegalArgumentException("the abstract name " + this + " has no file to set permissions on");
        }
        Set<PosixFilePermission> copy = permissions.isEmpty() ? EnumSet.noneOf(PosixFilePermission.class)
                : EnumSet.copyOf(permissions);
        return new UnixAddress(name, false, java.util.Collections.unmodifiableSet(copy));
    }

    /** {@return the permissions the socket file gets when bound, or null for the umask's} */
    public Set<PosixFilePermission> permissions() {
        return permissions;
    }

    /** {@return whether this is a Linux abstract name} */
    public boolean isAbstract() {
        return abstractName;
    }

    /** {@return whether this is an unnamed socket (a client's, as a server sees it)} */
    public boolean isUnnamed() {
        return name.length == 0;
    }

    /**
     * The socket file's path: the Path the JDK makes of the same bytes. Bytes that are not valid
     * in the platform's file-name encoding (a socket named by a process under another locale)
     * decode with U+FFFD in their place, so that Path may name another file.
     *
     * @return the path, or null for an abstract name or an unnamed socket
     */
    public Path path() {
        return abstractName || name.length == 0 ? null : Path.of(UnixNames.decodePath(name));
    }

    /** {@return the abstract name, or null for a path or an unnamed socket} */
    public String name() {
        return abstractName ? new String(name, StandardCharsets.UTF_8) : null;
    }

    /**
     * The JDK's address of the same path, for {@code SocketChannel.open(...)}.
     *
     * @return the JDK's address
     * @throws UnsupportedOperationException for an abstract name or an unnamed socket, which
     *         the JDK cannot name
     */
    public UnixDomainSocketAddress toUnixDomainSocketAddress() {
        Path p = path();
        if (p == null) {
            throw new UnsupportedOperationException("the JDK's UnixDomainSocketAddress names paths only, not " + this);
        }
        return UnixDomainSocketAddress.of(p);
    }

    /** The bytes that go into sun_path (after the NUL, for an abstract name). */
    byte[] bytes() {
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnixAddress u && u.abstractName == abstractName && Arrays.equals(u.name, name);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(name) * 31 + (abstractName ? 1 : 0);
    }

    /** {@return the path; {@code @name} for an abstract name (as ss(8) shows it); "(unnamed)"} */
    @Override
    public String toString() {
        if (name.length == 0) {
            return "(unnamed)";
        }
        return abstractName ? "@" + new String(name, StandardCharsets.UTF_8) : UnixNames.decodePath(name);
    }
}
