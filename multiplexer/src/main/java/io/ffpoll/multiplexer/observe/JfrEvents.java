package io.ffpoll.multiplexer.observe;

/**
 * The connection layer's JFR events, made only while enabled. Call these only when
 * {@link JfrSwitch#on()}: this class touches the event classes, and so loads JFR.
 */
public final class JfrEvents {
    private JfrEvents() {}

    /** Loads and initializes the event classes, while descriptors may still be free; whether any is enabled. */
    static boolean preload() {
        return BackPressureEvent.PROBE.isEnabled() | AcceptFailureEvent.PROBE.isEnabled()
                | ConnectionOpenedEvent.PROBE.isEnabled() | ConnectionClosedEvent.PROBE.isEnabled();
    }

    /** Whether BackPressure is enabled: the caller then names the connection. */
    public static boolean backPressureEnabled() {
        return BackPressureEvent.PROBE.isEnabled();
    }

    public static void backPressure(String loop, String connection, boolean paused, long queuedBytes) {
        BackPressureEvent e = new BackPressureEvent();
        e.loop = loop;
        e.connection = connection;
        e.paused = paused;
        e.queuedBytes = queuedBytes;
        e.commit();
    }

    public static void acceptFailure(String loop, String listener, int errno, String error) {
        if (AcceptFailureEvent.PROBE.isEnabled()) {
            AcceptFailureEvent e = new AcceptFailureEvent();
            e.loop = loop;
            e.listener = listener;
            e.errno = errno;
            e.error = error;
            e.commit();
        }
    }

    /** Whether ConnectionOpened is enabled: the caller then names the connection. */
    public static boolean connectionOpenedEnabled() {
        return ConnectionOpenedEvent.PROBE.isEnabled();
    }

    public static void connectionOpened(String loop, String connection) {
        ConnectionOpenedEvent e = new ConnectionOpenedEvent();
        e.loop = loop;
        e.connection = connection;
        e.commit();
    }

    /** Whether ConnectionClosed is enabled: the caller then gathers its figures. */
    public static boolean connectionClosedEnabled() {
        return ConnectionClosedEvent.PROBE.isEnabled();
    }

    public static void connectionClosed(String loop, String connection, long bytesIn, long bytesOut, long lifetimeNanos,
                                        String cause) {
        ConnectionClosedEvent e = new ConnectionClosedEvent();
        e.loop = loop;
        e.connection = connection;
        e.bytesIn = bytesIn;
        e.bytesOut = bytesOut;
        e.lifetime = lifetimeNanos;
        e.cause = cause;
        e.commit();
    }
}
