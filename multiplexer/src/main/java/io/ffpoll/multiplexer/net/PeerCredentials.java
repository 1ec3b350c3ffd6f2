package io.ffpoll.multiplexer.net;

import java.util.OptionalLong;

/**
 * Who is at the other end of a Unix-domain socket, as the kernel recorded it when the peer
 * connected (or called socketpair): its user and group ids and, where the OS tells, its process
 * id. The kernel vouches for these; nothing the peer sends can change them. Linux fills all
 * three (SO_PEERCRED); macOS too (getpeereid and LOCAL_PEERPID); FreeBSD gives no pid here
 * (getpeereid), so {@code pid} is empty there.
 *
 * @param uid the peer's effective user id
 * @param gid the peer's effective group id
 * @param pid the peer's process id, where the OS tells it
 */
public record PeerCredentials(long uid, long gid, OptionalLong pid) {
    /**
     * Checks the fields.
     *
     * @throws NullPointerException if {@code pid} is null
     */
    public PeerCredentials {
        java.util.Objects.requireNonNull(pid, "pid");
    }
}
