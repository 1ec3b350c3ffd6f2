package io.ffpoll.multiplexer.observe;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * One callback on a loop thread (a handler's event, a timer, a task) that ran longer than the
 * threshold. The stack is the loop thread's, sampled while the callback ran, so it shows where
 * the callback was: a blocking call, a lock, a long computation.
 */
@Name("ffpoll.SlowHandler")
@Label("Slow Handler")
@Category({"ffpoll", "Event Loop"})
@Description("A callback that held its event loop's thread longer than the threshold")
@Threshold("20 ms")
@StackTrace(false)
public final class SlowHandlerEvent extends jdk.jfr.Event {
    @Label("Loop")
    public String loop;

    @Label("Callback")
    @Description("A handler, timer or task, by its class (a connection's, by its handler)")
    public String callback;

    @Label("Callback Kind")
    @Description("event, timer, task, after-poll, flush or completion")
    public String kind;

    @Label("Stack")
    @Description("The loop thread's stack, sampled while the callback ran; empty if the sampler did not see it run (it looks as the callback reaches the threshold, if it gets the CPU in time)")
    public String stack;
}
