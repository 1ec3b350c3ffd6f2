package io.ffpoll.multiplexer;

import io.ffpoll.bindings.Processes;
import io.ffpoll.bindings.platform.Platform;
import sun.misc.SignalHandler;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The process-wide side of {@link SignalWatch}: one JVM handler per watched signal, installed
 * with the first watch and replaced by the previous one after the last. The JVM runs the
 * handler on a thread of its own for each signal; it only hands the signal to each watch.
 */
@SuppressWarnings("restriction")
final class SignalDispatch {
    private static final Map<SignalWatch.Signal, SignalDispatch> BY_SIGNAL = new EnumMap<>(SignalWatch.Signal.class);

    private final sun.misc.Signal jvmSignal;
    private final List<SignalWatch> watches = new CopyOnWriteArrayList<>();
    private final SignalHandler dispatcher = s -> {
        for (SignalWatch w : watches) {
            w.deliver();
        }
    };
    private SignalHandler previous; // under the class lock

    private SignalDispatch(SignalWatch.Signal signal) {
        this.jvmSignal = new sun.misc.Signal(signal.name());
    }

    /** Adds {@code watch}; false, adding nothing, if {@code unlessIgnored} and the signal is ignored. */
    static boolean add(SignalWatch watch, boolean unlessIgnored) {
        synchronized (SignalDispatch.class) {
            SignalDispatch d = BY_SIGNAL.computeIfAbsent(watch.signal(), SignalDispatch::new);
            if (d.watches.isEmpty() && !d.install(watch.signal(), unlessIgnored)) {
                return false;
            }
            d.watches.add(watch);
            return true;
        }
    }

    static void remove(SignalWatch watch) {
        synchronized (SignalDispatch.class) {
            SignalDispatch d = BY_SIGNAL.get(watch.signal());
            if (d != null && d.watches.remove(watch) && d.watches.isEmpty()) {
                d.restore();
            }
        }
    }

    /** Puts the dispatcher in; false, changing nothing, if {@code unlessIgnored} and the signal is ignored. */
    private boolean install(SignalWatch.Signal signal, boolean unlessIgnored) {
        if (signal == SignalWatch.Signal.CHLD) {
            initializeProcessSupport();
        }
        SignalHandler before;
        try {
            before = sun.misc.Signal.handle(jvmSignal, dispatcher);
        } catch (IllegalArgumentException refused) { // -Xrs, or a signal the VM keeps
            throw new IllegalStateException("the JVM refuses a handler for SIG" + signal + ": " + refused.getMessage(), refused);
        }
        if (before == SignalHandler.SIG_IGN && signal != SignalWatch.Signal.CHLD) {
            // HotSpot installs nothing for a shutdown signal it finds ignored (nohup), and says
            // so only by returning SIG_IGN; the JDK's table holds the dispatcher all the same.
            if (unlessIgnored) {
                sun.misc.Signal.handle(jvmSignal, SignalHandler.SIG_IGN); // out of the table; still ignored
                return false;
            }
            // To take it whatever it was: the disposition goes back to the default, then ours in.
            long r = Processes.signal(jvmSignal.getNumber(), Processes.SIG_DFL);
            if (r < 0) {
                sun.misc.Signal.handle(jvmSignal, SignalHandler.SIG_IGN);
                throw new IllegalStateException("signal(SIG" + signal + ", SIG_DFL): "
                        + Platform.current().describe((int) -r));
            }
            sun.misc.Signal.handle(jvmSignal, dispatcher);
        }
        previous = before;
        return true;
    }

    private void restore() {
        SignalHandler current = sun.misc.Signal.handle(jvmSignal, previous);
        if (current != dispatcher) {
            sun.misc.Signal.handle(jvmSignal, current); // replaced by someone else meanwhile: theirs stays
        }
        previous = null;
    }

    /**
     * The JDK's process support sets SIGCHLD back to SIG_DFL when it is initialized (so that
     * waitpid works even if the JVM was started with SIGCHLD ignored); a handler installed
     * before that would be gone after the program's first ProcessBuilder.start.
     */
    private static void initializeProcessSupport() {
        try {
            Class.forName("java.lang.ProcessImpl", true, null);
        } catch (ClassNotFoundException | LinkageError absent) {
            // A JDK without it cannot start processes, so cannot reset SIGCHLD either.
        }
    }
}
