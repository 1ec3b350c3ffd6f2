package io.ffpoll.bindings.platform;

/**
 * The fields of Linux's {@code struct tcp_info} that {@link OptionCalls#tcpInfo} reads, in the
 * order of the {@code int[]} it fills (each field's {@link #ordinal()} is its index). Every one
 * is a {@code __u8} or {@code __u32} in the struct; times are in microseconds except the
 * {@code LAST_*} ages, which are in milliseconds.
 */
public enum TcpInfoField {
    STATE, CA_STATE, RETRANSMITS, PROBES, BACKOFF, OPTIONS,
    RTO, ATO, SND_MSS, RCV_MSS,
    UNACKED, SACKED, LOST, RETRANS,
    LAST_DATA_SENT, LAST_DATA_RECV, LAST_ACK_RECV,
    PMTU, RCV_SSTHRESH, RTT, RTTVAR, SND_SSTHRESH, SND_CWND, ADVMSS, REORDERING,
    RCV_RTT, RCV_SPACE, TOTAL_RETRANS;

    /** How many there are: the length {@link OptionCalls#tcpInfo} needs. */
    public static final int COUNT = values().length;
}
