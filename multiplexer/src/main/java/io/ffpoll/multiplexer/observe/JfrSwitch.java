package io.ffpoll.multiplexer.observe;

import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether Flight Recorder runs in this JVM, learned from a listener and never by touching an
 * event class: the first use of a {@code jdk.jfr.Event} subclass loads and sets up about a
 * hundred JFR classes (most of a second on a busy machine), which a program that never records
 * should not pay at its first loop's start. Until JFR is initialized (by
 * {@code -XX:StartFlightRecording}, {@code jcmd JFR.start} or a {@code Recording}), the loops
 * make no event and time no callback; from then on, each event is made only while enabled.
 */
public final class JfrSwitch {
    private static volatile boolean on;
    // Other layers' event classes to load when the recorder starts; guarded by itself.
    private static final List<Runnable> PRELOADS = new ArrayList<>();
    private static boolean started; // guarded by PRELOADS

    static {
        // Called at once, from here, if the recorder runs already.
        FlightRecorder.addListener(new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                LoopMetricsEvent.register();
                // Loaded now, not when first needed: the first accept that fails with EMFILE
                // could not load a class (that takes a descriptor), and would not pause.
                JfrEvents.preload();
                StallEvents.preload();
                List<Runnable> more;
                synchronized (PRELOADS) {
                    started = true;
                    more = List.copyOf(PRELOADS);
                    PRELOADS.clear();
                }
                more.forEach(JfrSwitch::preload);
                on = true;
            }

            @Override
            public void recordingStateChanged(jdk.jfr.Recording recording) {
                if (on) {
                    StackSampler.settingsChanged();
                }
            }
        });
    }

    private JfrSwitch() {}

    /**
     * Runs {@code preload}, which loads a layer's own event classes, once the recorder is
     * initialized: at once if it is, else on the thread that starts it. A layer above (http-lite)
     * calls this as it starts, so that its first request under a recording does not load them on
     * a loop thread, where loading an event class takes tens of milliseconds.
     */
    public static void whenRecorderStarts(Runnable preload) {
        synchronized (PRELOADS) {
            if (!started) {
                PRELOADS.add(preload);
                return;
            }
        }
        preload(preload);
    }

    private static void preload(Runnable preload) {
        try {
            preload.run();
        } catch (RuntimeException | LinkageError e) {
            // Not loaded now: loaded where first used, as without this.
        }
    }

    /** {@return whether the recorder is initialized: only then may an event class be touched} */
    public static boolean on() {
        return on;
    }
}
