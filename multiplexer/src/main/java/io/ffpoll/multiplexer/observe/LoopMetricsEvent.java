package io.ffpoll.multiplexer.observe;

import io.ffpoll.multiplexer.EventLoop;
import io.ffpoll.multiplexer.LoopMetrics;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;


/**
 * Each running loop's {@link LoopMetrics}, once a period (1 s by default), so that JDK Mission
 * Control draws them over time. The counters are totals since the loop started; a rate is the
 * difference between two events.
 */
@Name("ffpoll.LoopMetrics")
@Label("Loop Metrics")
@Category({"ffpoll", "Event Loop"})
@Description("An event loop's counters and gauges, once a period")
@Period("1 s")
@StackTrace(false)
public final class LoopMetricsEvent extends jdk.jfr.Event {

    private static boolean registered; // guarded by LoopMetricsEvent.class

    @Label("Loop") public String loop;
    @Label("Iterations") public long iterations;
    @Label("Events") public long events;
    @Label("Tasks Run") public long tasksRun;
    @Label("Timers Fired") public long timersFired;
    @Label("Wakeups") public long wakeups;
    @Label("Busy Time") @Timespan(Timespan.NANOSECONDS) public long busy;
    @Label("Idle Time") @Timespan(Timespan.NANOSECONDS) public long idle;
    @Label("Open Connections") public long openConnections;
    @Label("Accepts") public long accepts;
    @Label("Accept Errors") public long acceptErrors;
    @Label("Bytes In") @DataAmount public long bytesIn;
    @Label("Bytes Out") @DataAmount public long bytesOut;
    @Label("Datagrams In") public long datagramsIn;
    @Label("Datagrams Out") public long datagramsOut;
    @Label("Paused Connections") public long pausedConnections;
    @Label("Pauses") public long pauses;
    @Label("Buffers In Use") public long buffersInUse;
    @Label("Buffers Free") public long buffersFree;

    /** Once the recorder runs ({@link JfrSwitch}): from then on a recording can take the event. */
    static synchronized void register() {
        if (!registered) {
            registered = true;
            FlightRecorder.addPeriodicEvent(LoopMetricsEvent.class, LoopMetricsEvent::emit);
        }
    }

    private static void emit() {
        for (EventLoop loop : RunningLoops.LOOPS) {
            LoopMetrics m = loop.metrics();
            LoopMetricsEvent e = new LoopMetricsEvent();
            e.loop = m.loop();
            e.iterations = m.iterations();
            e.events = m.events();
            e.tasksRun = m.tasksRun();
            e.timersFired = m.timersFired();
            e.wakeups = m.wakeups();
            e.busy = m.busyNanos();
            e.idle = m.idleNanos();
            e.openConnections = m.openConnections();
            e.accepts = m.accepts();
            e.acceptErrors = m.acceptErrorsTotal();
            e.bytesIn = m.bytesIn();
            e.bytesOut = m.bytesOut();
            e.datagramsIn = m.datagramsIn();
            e.datagramsOut = m.datagramsOut();
            e.pausedConnections = m.pausedConnections();
            e.pauses = m.pauses();
            e.buffersInUse = m.buffersInUse();
            e.buffersFree = m.buffersFree();
            e.commit();
        }
    }
}
