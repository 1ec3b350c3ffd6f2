package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A connection was accepted or connected. Off by default: one event per connection. */
@Name("ffpoll.ConnectionOpened")
@Label("Connection Opened")
@Category({"ffpoll", "Connection"})
@Description("A connection was accepted or connected")
@Enabled(false)
@StackTrace(false)
public final class ConnectionOpenedEvent extends jdk.jfr.Event {
    public static final ConnectionOpenedEvent PROBE = new ConnectionOpenedEvent();

    @Label("Loop")
    public String loop;

    @Label("Connection")
    public String connection;
}
