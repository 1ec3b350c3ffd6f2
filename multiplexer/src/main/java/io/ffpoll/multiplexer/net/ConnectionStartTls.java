package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.internal.LoopFuture;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * How TLS begins on a {@link Connection}: with the connection ({@code Connection.open},
 * {@code connect}), or on an open one, as SMTP, IMAP, POP3, XMPP, LDAP and PostgreSQL begin it
 * after a plaintext exchange (RFC 3207, RFC 2595, RFC 6120, RFC 4511). Loop thread only.
 */
abstract sealed class ConnectionStartTls extends ConnectionTlsSending permits ConnectionSettings {

    ConnectionStartTls(EventLoop loop, int fd, java.net.SocketAddress remote, ConnectionHandler handler) {
        super(loop, fd, remote, handler);
    }

    /**
     * Starts TLS on a connected socket: the session is made, a client's ClientHello queued, and
     * the handshake timer set. Returns false (the connection closed with the reason) if the
     * engine could not make a session.
     */
    final boolean tlsBegin(TlsConfig config, String serverName, int peerPort) {
        return tlsBegin(config, serverName, peerPort, -1);
    }

    /**
     * {@link #tlsBegin(TlsConfig, String, int)}; with {@code plainUntil} >= 0 on an open
     * connection (STARTTLS), whose queued bytes before that index go out as written, ahead of
     * the session's first record: the session begins in the flush that has put them all in
     * front of it.
     */
    final boolean tlsBegin(TlsConfig config, String serverName, int peerPort, long plainUntil) {
        try {
            tls = new TlsLayer(config, io, serverName, peerPort);
            if (plainUntil < 0) {
                tls.session.begin();
            } else {
                tls.upgraded = true;
                tls.begun = false;
                tls.plainUntil = plainUntil;
            }
        } catch (IOException | RuntimeException e) {
            finish(engineFailure(e), true);
            return false;
        }
        if (tls.begun) {
            startHandshakeTimer();
        }
        if (!tls.cipherOut.isEmpty() || !tls.begun) {
            requestFlush();
        }
        return true;
    }

    /**
     * The handler began TLS inside onData ({@code startTls}): what it left of the delivery is
     * the start of the peer's TLS stream, not plaintext (RFC 3207 4.2: nothing received before
     * the handshake may count after it). Bytes injected behind a STARTTLS command thus fail the
     * handshake instead of reaching the handler; a ClientHello sent right behind it is served.
     */
    @Override
    final void tlsTakesLeftover(MemorySegment view, long used, long length) {
        if (used < length) {
            tls.cipherIn.keep(view, used, length);
        }
        input.release();
        if (tls.begun && !tls.cipherIn.isEmpty()) {
            loop.execute(this::tlsResume); // began already (a flush inside onData): nothing else runs it
        }
    }

    private void startHandshakeTimer() {
        TlsConfig config = tls.config;
        long ms = config.handshakeTimeout().toMillis();
        tls.handshakeTimer = loop.schedule(config.handshakeTimeout(), () -> {
            if (!closed && !tls.handshakeDone) {
                LOG.debug("TLS handshake with {} timed out after {} ms", who(), ms);
                finish(new SocketTimeoutException("TLS handshake with " + who() + " timed out after " + ms + " ms"), true);
            }
        });
    }

    @Override
    final void beginAfterPlaintext() throws IOException {
        tls.begun = true;
        tls.session.begin();
        startHandshakeTimer(); // from here: the plaintext before it is bounded as on plain TCP, by the connection's own timeouts
        if (!tls.cipherIn.isEmpty()) {
            loop.execute(this::tlsResume); // not inside the flush, which may run inside onData
        }
    }

    /** The session began after STARTTLS's plaintext went ahead: runs what the peer sent meanwhile through it. */
    private void tlsResume() {
        TlsLayer t = tls;
        if (!closed && t != null && t.begun && !t.cipherIn.isEmpty()) {
            decrypt(t.cipherIn.view(), t.cipherIn.length());
        }
    }

    /**
     * {@link #startTls(TlsConfig, String)} with no server name: a server's configuration, or a
     * client's connected to an {@link InetSocketAddress}, whose host string is the name.
     *
     * @param config a server's configuration, or a client's
     * @return completes with this connection once the handshake is done
     * @throws IllegalStateException if TLS runs on this connection already, its connect has not
     *     ended, or it is not a socket
     * @throws IllegalArgumentException for a client's configuration that checks the server's
     *     name when the connection has no address to take it from
     */
    public final CompletableFuture<Connection> startTls(TlsConfig config) {
        return startTls(config, null);
    }

    /**
     * Begins TLS on this open connection (STARTTLS). Everything written before this call is
     * sent as written, and everything written after it is sent in TLS records once the
     * handshake is done; a server's answer to the command ("220 Ready to start TLS") is
     * written just before the call. The bytes received that the handler has not consumed (what
     * it leaves of the current {@code onData} delivery, or kept from earlier ones when the call
     * comes from elsewhere, a loop task or a timer), and everything the peer sends from then
     * on, are TLS: bytes a peer pipelined behind its STARTTLS command are taken as its
     * ClientHello, and plaintext injected there fails the handshake instead of reaching the
     * handler (the attack RFC 3207 4.2 and CVE-2011-0411 are about). So a handler that calls this in {@code onData} returns
     * at once, with the offset just past the command: parsing on through the delivery would
     * read the injected plaintext itself. The handler stays open and sees no second
     * {@code onOpen}: it gets the decrypted bytes once the handshake is done, and
     * {@link #tls()} then tells what it settled.
     *
     * <p>A handshake that fails, or takes longer than {@link TlsConfig#handshakeTimeout()},
     * closes the connection, as for a connection that began with TLS: the handler hears
     * {@code onClosed} with the reason, and the future fails with it. While the handshake runs
     * the socket is read even if the handler paused reading. The
     * handshake timeout counts from when the plaintext written before this call is all on its
     * way, not from the call: a slow reader of a large greeting is bounded by the connection's
     * own timeouts, as on plain TCP. Loop thread only.
     *
     * @param config a server's configuration, or a client's
     * @param serverName a client's: the name it sends (SNI) and checks the certificate against;
     *     null to take the host string of the connection's {@link InetSocketAddress}. Must be
     *     null with a server's configuration
     * @return completes with this connection once the handshake is done; fails with the
     *     reason the connection closed first, at once if it is closing, closed or shut for output
     * @throws IllegalStateException if TLS runs on this connection already, its connect has not
     *     ended, or it is not a socket (a pipe, a terminal)
     * @throws IllegalArgumentException for a server's configuration with a server name, or a
     *     client's that checks the server's name ({@link TlsConfig.Builder#verifyHostname})
     *     with no name given or to be taken from the address
     */
    public final CompletableFuture<Connection> startTls(TlsConfig config, String serverName) {
        checkLoop("startTls");
        Objects.requireNonNull(config, "config");
        if (tls != null) {
            throw new IllegalStateException("TLS runs on " + who() + " already");
        }
        if (notSocket) {
            throw new IllegalStateException("TLS needs a socket: " + who() + " is not one");
        }
        if (!connected && !closed) {
            throw new IllegalStateException("the connect of " + who() + " has not ended");
        }
        if (serverName != null && !config.isClient()) {
            throw new IllegalArgumentException("a server name is a client's: " + config + " is a server's configuration");
        }
        InetSocketAddress ip = remote instanceof InetSocketAddress a ? a : null;
        String name = serverName != null || !config.isClient() || ip == null ? serverName : ip.getHostString();
        if (name == null && config.isClient() && config.verifiesHostname()) {
            // No name, no check: the client would trust any certificate its authorities signed.
            throw new IllegalArgumentException("a TLS client that verifies the server's name needs the name (" + who()
                    + " has no host to take it from), or verifyHostname(false)");
        }
        CompletableFuture<Connection> result = new LoopFuture<>(loop);
        if (!acceptsWrites() || inputEnded) {
            result.completeExceptionally(new ClosedConnectionException("cannot start TLS on " + who() + ": it is "
                    + (closed ? "closed" : closing ? "closing" : outputShutdownRequested ? "shut down for output"
                    : "at the end of its input")));
            return result;
        }
        opening = result; // failed by the close if the handshake does not end first
        if (tlsBegin(config, name, ip == null ? -1 : ip.getPort(), queue.taken() + queue.untaken())) {
            if (!delivering && !input.isEmpty()) {
                tls.cipherIn.keep(input.view(), 0, input.length()); // kept before: the peer's TLS too
                input.release();
            }
            updateInterest(); // the handshake reads on, whether the handler reads or not
        }
        return result;
    }
}
