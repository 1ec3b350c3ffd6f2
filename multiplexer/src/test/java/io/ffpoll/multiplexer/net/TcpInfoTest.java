package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.platform.TcpInfoField;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.function.ToLongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link TcpInfo}'s accessors against {@code struct tcp_info} (include/uapi/linux/tcp.h): the
 * first six fields are {@code __u8}, every other one read is a {@code __u32}, so no accessor may
 * give a negative number; one at or past 2^31 (an age in ms of a connection idle for 25 days,
 * say) must come back as the kernel's unsigned value. The kernel cannot be made to report such
 * figures on demand, so the raw fields are made here, as {@code Platform.tcpInfo} fills them.
 */
class TcpInfoTest {
    private static final EnumSet<TcpInfoField> U8 = EnumSet.of(TcpInfoField.STATE, TcpInfoField.CA_STATE,
            TcpInfoField.RETRANSMITS, TcpInfoField.PROBES, TcpInfoField.BACKOFF, TcpInfoField.OPTIONS);

    private static Map<TcpInfoField, ToLongFunction<TcpInfo>> accessors() {
        Map<TcpInfoField, ToLongFunction<TcpInfo>> m = new EnumMap<>(TcpInfoField.class);
        m.put(TcpInfoField.STATE, TcpInfo::state);
        m.put(TcpInfoField.CA_STATE, TcpInfo::caState);
        m.put(TcpInfoField.RETRANSMITS, TcpInfo::retransmits);
        m.put(TcpInfoField.PROBES, TcpInfo::probes);
        m.put(TcpInfoField.BACKOFF, TcpInfo::backoff);
        m.put(TcpInfoField.OPTIONS, TcpInfo::options);
        m.put(TcpInfoField.RTO, TcpInfo::rtoMicros);
        m.put(TcpInfoField.ATO, TcpInfo::atoMicros);
        m.put(TcpInfoField.SND_MSS, TcpInfo::sndMss);
        m.put(TcpInfoField.RCV_MSS, TcpInfo::rcvMss);
        m.put(TcpInfoField.UNACKED, TcpInfo::unacked);
        m.put(TcpInfoField.SACKED, TcpInfo::sacked);
        m.put(TcpInfoField.LOST, TcpInfo::lost);
        m.put(TcpInfoField.RETRANS, TcpInfo::retrans);
        m.put(TcpInfoField.LAST_DATA_SENT, TcpInfo::lastDataSentMillis);
        m.put(TcpInfoField.LAST_DATA_RECV, TcpInfo::lastDataRecvMillis);
        m.put(TcpInfoField.LAST_ACK_RECV, TcpInfo::lastAckRecvMillis);
        m.put(TcpInfoField.PMTU, TcpInfo::pmtu);
        m.put(TcpInfoField.RCV_SSTHRESH, TcpInfo::rcvSsthresh);
        m.put(TcpInfoField.RTT, TcpInfo::rttMicros);
        m.put(TcpInfoField.RTTVAR, TcpInfo::rttvarMicros);
        m.put(TcpInfoField.SND_SSTHRESH, TcpInfo::sndSsthresh);
        m.put(TcpInfoField.SND_CWND, TcpInfo::sndCwnd);
        m.put(TcpInfoField.ADVMSS, TcpInfo::advmss);
        m.put(TcpInfoField.REORDERING, TcpInfo::reordering);
        m.put(TcpInfoField.RCV_RTT, TcpInfo::rcvRttMicros);
        m.put(TcpInfoField.RCV_SPACE, TcpInfo::rcvSpace);
        m.put(TcpInfoField.TOTAL_RETRANS, TcpInfo::totalRetrans);
        return m;
    }

    @Test
    void everyFieldComesBackUnsignedAndInItsOwnAccessor() {
        Map<TcpInfoField, ToLongFunction<TcpInfo>> accessors = accessors();
        assertEquals(TcpInfoField.COUNT, accessors.size(), "an accessor for every field read");
        // Each field a different value, so that a swapped pair shows; the u32s at and past 2^31.
        for (long top : new long[] {0x8000_0000L, 0xFFFF_FF00L}) {
            int[] raw = new int[TcpInfoField.COUNT];
            for (TcpInfoField f : TcpInfoField.values()) {
                raw[f.ordinal()] = U8.contains(f) ? 0xF0 + f.ordinal() : (int) (top + f.ordinal());
            }
            TcpInfo info = TcpInfo.of(raw);
            for (TcpInfoField f : TcpInfoField.values()) {
                long expected = U8.contains(f) ? 0xF0 + f.ordinal() : top + f.ordinal();
                assertEquals(expected, accessors.get(f).applyAsLong(info), f + " in " + info);
            }
        }
    }
}
