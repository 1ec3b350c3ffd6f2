package io.ffpoll.multiplexer.net;

/**
 * What the kernel knows of one TCP connection: Linux's {@code struct tcp_info} (TCP_INFO, see
 * tcp(7)), read with {@link SocketOptions#tcpInfo(int)}. A snapshot: the figures move with every
 * segment. Times are in microseconds, except the {@code last*} ages, in milliseconds; windows and
 * thresholds are in segments, MSS values in bytes. Linux only: elsewhere
 * {@link SocketOptions#tcpInfo(int)} throws {@link UnsupportedOperationException}.
 *
 * @param state         the TCP state, numbered as Linux does ({@link #stateName()})
 * @param caState       the congestion-avoidance state (0: open)
 * @param retransmits   retransmissions of the segment now timing out
 * @param probes        unanswered zero-window or keep-alive probes
 * @param backoff       exponential backoff of the retransmission timer
 * @param options       TCPI_OPT_* bits: timestamps 1, SACK 2, window scaling 4, ECN 8
 * @param rtoMicros     the retransmission timeout
 * @param atoMicros     the delayed-ACK timeout
 * @param sndMss        the send MSS
 * @param rcvMss        the receive MSS, as estimated
 * @param unacked       segments sent and not acknowledged
 * @param sacked        segments selectively acknowledged
 * @param lost          segments thought lost
 * @param retrans       segments retransmitted and not acknowledged
 * @param lastDataSentMillis age of the last data sent
 * @param lastDataRecvMillis age of the last data received
 * @param lastAckRecvMillis  age of the last ACK received
 * @param pmtu          the path MTU
 * @param rcvSsthresh   the receive slow-start threshold
 * @param rttMicros     the smoothed round-trip time
 * @param rttvarMicros  the round-trip time's variation
 * @param sndSsthresh   the send slow-start threshold
 * @param sndCwnd       the congestion window
 * @param advmss        the MSS advertised to the peer
 * @param reordering    the reordering the sender tolerates
 * @param rcvRttMicros  the receiver's estimate of the round-trip time
 * @param rcvSpace      the receive buffer space the autotuning aims at
 * @param totalRetrans  segments retransmitted over the connection's life
 */
public record TcpInfo(int state, int caState, int retransmits, int probes, int backoff, int options,
                      int rtoMicros, int atoMicros, int sndMss, int rcvMss,
                      int unacked, int sacked, int lost, int retrans,
                      int lastDataSentMillis, int lastDataRecvMillis, int lastAckRecvMillis,
                      int pmtu, int rcvSsthresh, int rttMicros, int rttvarMicros, int sndSsthresh, int sndCwnd,
                      int advmss, int reordering, int rcvRttMicros, int rcvSpace, int totalRetrans) {

    /** Linux's TCP_ESTABLISHED. */
    public static final int ESTABLISHED = 1;

    // include/net/tcp_states.h, in order from 1.
    private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    /** {@return the state's name, e.g. {@code "ESTABLISHED"} or {@code "LISTEN"}} */
    public String stateName() {
        return state > 0 && state < STATES.length ? STATES[state] : "state " + state;
    }

    /** {@return whether the connection is established (data may flow both ways)} */
    public boolean isEstablished() {
        return state == ESTABLISHED;
    }
}
