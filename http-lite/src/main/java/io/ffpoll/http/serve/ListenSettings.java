package io.ffpoll.http.serve;

import io.ffpoll.multiplexer.EventLoopGroup;
import io.ffpoll.multiplexer.net.TlsConfig;

import java.net.SocketAddress;

/**
 * Where and on which loops a server listens, as its builder's settings were when it started:
 * read on the caller's thread, so that a builder changed or reused afterwards does not change
 * the server.
 *
 * @param address        plain HTTP's address
 * @param inheritedFd    plain HTTP's inherited listening socket, or -1
 * @param plain          whether plain HTTP is served (beside HTTPS, or alone)
 * @param tls            HTTPS's configuration, or null for none
 * @param tlsAddress     HTTPS's address
 * @param tlsInheritedFd HTTPS's inherited listening socket, or -1
 * @param backlog        the listening sockets' backlog
 * @param group          a group of the caller's to run on, or null for loops of the server's own
 * @param threads        how many loops of its own
 * @param backend        its own loops' backend, or null for the OS's own
 */
public record ListenSettings(SocketAddress address, int inheritedFd, boolean plain, TlsConfig tls,
                             SocketAddress tlsAddress, int tlsInheritedFd, int backlog, EventLoopGroup group,
                             int threads, String backend) {}
