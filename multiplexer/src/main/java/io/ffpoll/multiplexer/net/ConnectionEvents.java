package io.ffpoll.multiplexer.net;

import io.ffpoll.multiplexer.internal.LoopCounters;
import io.ffpoll.multiplexer.observe.JfrEvents;
import io.ffpoll.multiplexer.observe.JfrSwitch;

import java.io.IOException;

/**
 * What a connection's life tells the loop's counters and JFR: opened, paused or resumed by
 * back-pressure, closed. A JFR event is made only while the recorder runs and the event is
 * enabled; otherwise each costs the test of a volatile flag.
 */
final class ConnectionEvents {
    private ConnectionEvents() {}

    static void opened(ConnectionState c) {
        if (JfrSwitch.on() && JfrEvents.connectionOpenedEnabled()) {
            JfrEvents.connectionOpened(c.loop.name(), c.who());
        }
    }

    /** The queue crossed a watermark: {@code writable} false above the high one, true below the low one. */
    static void writabilityChanged(ConnectionState c, boolean writable) {
        long[] counts = c.io.counts;
        if (c.closed) {
            // closed() counted its end already; a watermark crossed while closing changes nothing
        } else if (writable) {
            counts[LoopCounters.PAUSED_NOW]--;
        } else {
            counts[LoopCounters.PAUSED_NOW]++;
            counts[LoopCounters.PAUSED_TOTAL]++;
        }
        if (JfrSwitch.on() && JfrEvents.backPressureEnabled()) {
            JfrEvents.backPressure(c.loop.name(), c.who(), !writable, c.queue.bytes());
        }
    }

    static void closed(ConnectionState c, IOException cause) {
        if (!c.writable) {
            c.io.counts[LoopCounters.PAUSED_NOW]--; // paused until its end: no longer held
        }
        if (JfrSwitch.on() && JfrEvents.connectionClosedEnabled()) {
            // Bytes on the wire both ways: ciphertext on a TLS connection, as bytesRead counts,
            // with the plaintext sent before STARTTLS.
            long sent = c.queue.sentOnWire() + (c.tls != null ? c.tls.cipherOut.sent() : 0);
            JfrEvents.connectionClosed(c.loop.name(), c.who(), c.bytesRead, sent, System.nanoTime() - c.openedAt,
                    cause == null ? "" : cause.toString());
        }
    }
}
