package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.TcpInfoField;

/**
 * What the kernel knows of one TCP connection: Linux's {@code struct tcp_info} (TCP_INFO, see
 * tcp(7)), read with {@link SocketOptions#tcpInfo(int)}. A snapshot: the figures move with every
 * segment. Times are in microseconds, except the {@code last*} ages, in milliseconds; windows and
 * thresholds are in segments, MSS values in bytes. Linux only: elsewhere
 * {@link SocketOptions#tcpInfo(int)} throws {@link UnsupportedOperationException}.
 *
 * <p>Every figure is unsigned in the kernel's struct: the first six are {@code __u8}s, given as
 * {@code int}s from 0 to 255; the rest are {@code __u32}s, given as {@code long}s from 0 to
 * 2^32 - 1, so that one at or past 2^31 (the {@code last*} age of a connection idle for 25
 * days) never reads as negative.
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
                      long rtoMicros, long atoMicros, long sndMss, long rcvMss,
                      long unacked, long sacked, long lost, long retrans,
                      long lastDataSentMillis, long lastDataRecvMillis, long lastAckRecvMillis,
                      long pmtu, long rcvSsthresh, long rttMicros, long rttvarMicros, long sndSsthresh, long sndCwnd,
                      long advmss, long reordering, long rcvRttMicros, long rcvSpace, long totalRetrans) {

    /** Linux's TCP_ESTABLISHED. */
    public static final int ESTABLISHED = 1;

    // include/net/tcp_states.h, in order from 1.
    private static final String[] STATES = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
        "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV"};

    /** The snapshot in the fields {@code Platform.tcpInfo} filled, indexed by {@link TcpInfoField#ordinal()}. */
    static TcpInfo of(int[] raw) {
        return new TcpInfo(u8(raw, TcpInfoField.STATE), u8(raw, TcpInfoField.CA_STATE),
                u8(raw, TcpInfoField.RETRANSMITS), u8(raw, TcpInfoField.PROBES),
                u8(raw, TcpInfoField.BACKOFF), u8(raw, TcpInfoField.OPTIONS),
                u32(raw, TcpInfoField.RTO), u32(raw, TcpInfoField.ATO),
                u32(raw, TcpInfoField.SND_MSS), u32(raw, TcpInfoField.RCV_MSS),
                u32(raw, TcpInfoField.UNACKED), u32(raw, TcpInfoField.SACKED),
                u32(raw, TcpInfoField.LOST), u32(raw, TcpInfoField.RETRANS),
                u32(raw, TcpInfoField.LAST_DATA_SENT), u32(raw, TcpInfoField.LAST_DATA_RECV),
                u32(raw, TcpInfoField.LAST_ACK_RECV), u32(raw, TcpInfoField.PMTU),
                u32(raw, TcpInfoField.RCV_SSTHRESH), u32(raw, TcpInfoField.RTT),
                u32(raw, TcpInfoField.RTTVAR), u32(raw, TcpInfoField.SND_SSTHRESH),
                u32(raw, TcpInfoField.SND_CWND), u32(raw, TcpInfoField.ADVMSS),
                u32(raw, TcpInfoField.REORDERING), u32(raw, TcpInfoField.RCV_RTT),
                u32(raw, TcpInfoField.RCV_SPACE), u32(raw, TcpInfoField.TOTAL_RETRANS));
    }

    // The int[] holds each field's bits: a __u32 at or past 2^31 is a negative int there.
    private static int u8(int[] raw, TcpInfoField f) {
        return raw[f.ordinal()] & 0xFF;
    }

    private static long u32(int[] raw, TcpInfoField f) {
        return Integer.toUnsignedLong(raw[f.ordinal()]);
    }

    /** {@return the state's name, e.g. {@code "ESTABLISHED"} or {@code "LISTEN"}} */
    public String stateName() {
        return state > 0 && state < STATES.length ? STATES[state] : "state " + state;
    }

    /** {@return whether the connection is established (data may flow both ways)} */
    public boolean isEstablished() {
        return state == ESTABLISHED;
    }
}
