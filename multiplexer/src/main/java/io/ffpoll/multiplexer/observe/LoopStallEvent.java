package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Timespan;

/**
 * A loop iteration that kept the loop from polling for longer than the threshold: every
 * connection on the loop waited that long. Its duration is the iteration's busy part, from the
 * poll's return to the next poll. It names the callback that ran longest in it, with a stack
 * taken while that callback ran (the commit's own stack would only show the loop).
 */
@Name("ffpoll.LoopStall")
@Label("Loop Stall")
@Category({"ffpoll", "Event Loop"})
@Description("An event-loop iteration that ran longer than the threshold, with the callback that ran longest")
@Threshold("20 ms")
@StackTrace(false)
public final class LoopStallEvent extends jdk.jfr.Event {
    @Label("Loop")
    public String loop;

    @Label("Events")
    @Description("Ready events dispatched in the iteration")
    public int events;

    @Label("Longest Callback")
    @Description("What ran longest: a handler, timer or task, by its class (a connection's, by its handler)")
    public String callback;

    @Label("Callback Kind")
    @Description("event, timer, task, after-poll, flush or completion")
    public String kind;

    @Label("Callback Duration")
    @Timespan(Timespan.NANOSECONDS)
    public long callbackDuration;

    @Label("Callback Stack")
    @Description("The loop thread's stack, sampled while the longest callback ran; empty if the sampler did not see it run (it looks as the callback reaches the threshold, if it gets the CPU in time)")
    public String stack;
}
