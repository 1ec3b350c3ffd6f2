package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * accept(2) failed on a listener: EMFILE or ENFILE (out of descriptors), ENOBUFS or ENOMEM, or
 * another errno. The connection waits in the backlog (or was dropped by the kernel).
 */
@Name("ffpoll.AcceptFailure")
@Label("Accept Failure")
@Category({"ffpoll", "Connection"})
@Description("accept(2) failed on a listening socket")
@StackTrace(false)
public final class AcceptFailureEvent extends jdk.jfr.Event {
    public static final AcceptFailureEvent PROBE = new AcceptFailureEvent();

    @Label("Loop")
    public String loop;

    @Label("Listener")
    public String listener;

    @Label("Errno")
    public int errno;

    @Label("Error")
    @Description("The errno's name and text, e.g. EMFILE (Too many open files)")
    public String error;
}
