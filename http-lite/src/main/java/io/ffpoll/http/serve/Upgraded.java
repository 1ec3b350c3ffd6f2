package io.ffpoll.http.serve;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** A connection after its upgrade ({@link UpgradeRoute}): its connection's events go here. Loop thread. */
public interface Upgraded {
    /** The handshake's answer is queued: it begins, and ends at once if the server is stopping. */
    void opened(boolean serverStopping);

    /** Takes the whole units (frames) at the start of {@code data}; returns the bytes taken. */
    long onData(MemorySegment data);

    void writabilityChanged(boolean writable);

    /** The server is stopping. */
    void goingAway();

    /** The connection ended. */
    void ended(IOException cause);
}
