package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/** A connection ended, with what it carried and how long it lived. Off by default. */
@Name("ffpoll.ConnectionClosed")
@Label("Connection Closed")
@Category({"ffpoll", "Connection"})
@Description("A connection ended: its bytes and lifetime")
@Enabled(false)
@StackTrace(false)
public final class ConnectionClosedEvent extends jdk.jfr.Event {
    public static final ConnectionClosedEvent PROBE = new ConnectionClosedEvent();

    @Label("Loop")
    public String loop;

    @Label("Connection")
    public String connection;

    @Label("Bytes In")
    @DataAmount
    public long bytesIn;

    @Label("Bytes Out")
    @DataAmount
    public long bytesOut;

    @Label("Lifetime")
    @Timespan(Timespan.NANOSECONDS)
    public long lifetime;

    @Label("Cause")
    @Description("Why it ended abnormally (a reset, a timeout, an error), or empty for a clean close")
    public String cause;
}
