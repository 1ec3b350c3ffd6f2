package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A connection's write queue crossed a watermark: above the high one the connection turns
 * unwritable (paused: its producer should stop), below the low one writable again (resumed).
 * A peer that does not read shows as a pause with no resume.
 */
@Name("ffpoll.BackPressure")
@Label("Back-Pressure")
@Category({"ffpoll", "Connection"})
@Description("A connection paused (write queue above the high watermark) or resumed (below the low one)")
@StackTrace(false)
public final class BackPressureEvent extends jdk.jfr.Event {
    /** Checked before an event is made: a disabled event costs one test. */
    public static final BackPressureEvent PROBE = new BackPressureEvent();

    @Label("Loop")
    public String loop;

    @Label("Connection")
    public String connection;

    @Label("Paused")
    @Description("true: turned unwritable; false: writable again")
    public boolean paused;

    @Label("Queued Bytes")
    @DataAmount
    public long queuedBytes;
}
