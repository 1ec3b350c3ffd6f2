package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.LoopLocal;
import io.ffpoll.multiplexer.internal.LoopResource;
import io.ffpoll.multiplexer.internal.LoopResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * What the layers above have attached to one {@link EventLoop}: the resources it closes when it
 * stops (listeners, connections, connects in progress), and their per-loop state, whose hooks
 * run before each poll and which is closed last. Loop thread only.
 */
final class LoopAttachments {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);

    private final LoopResources resources = new LoopResources();
    private final List<LoopLocal> locals = new ArrayList<>(2);
    private final List<Class<?>> localTypes = new ArrayList<>(2);

    void adopt(LoopResource r) {
        resources.add(r);
    }

    void release(LoopResource r) {
        resources.remove(r);
    }

    <T extends LoopLocal> T local(Class<T> type, Function<EventLoop, T> factory, EventLoop loop) {
        T found = localIfPresent(type);
        if (found != null) {
            return found;
        }
        T made = factory.apply(loop);
        locals.add(made);
        localTypes.add(type);
        return made;
    }

    <T extends LoopLocal> T localIfPresent(Class<T> type) {
        for (int i = 0; i < localTypes.size(); i++) {
            if (localTypes.get(i) == type) {
                return type.cast(locals.get(i));
            }
        }
        return null;
    }

    void beforePoll(String loopName) {
        for (int i = 0; i < locals.size(); i++) {
            try {
                locals.get(i).beforePoll();
            } catch (Throwable t) {
                LOG.warn("event loop '{}': an end-of-iteration hook threw", loopName, t);
            }
        }
    }

    boolean haveWork() {
        for (int i = 0; i < locals.size(); i++) {
            if (locals.get(i).hasWork()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Closes what was registered on the loop: the resources that know how (listeners,
     * connections, connects in progress, each told why), then any fd still registered, and last
     * the state of the layers above (the connection layer's shared memory).
     */
    void closeAll(String loopName, Poller poller) {
        closeResources(loopName);
        int[] left = poller.registeredFds();
        for (int fd : left) {
            try {
                poller.deregisterAndClose(fd);
            } catch (java.io.IOException | RuntimeException e) {
                LOG.debug("event loop '{}': closing fd {}: {}", loopName, fd, e.toString());
            }
        }
        if (left.length > 0) {
            LOG.debug("event loop '{}' closed {} fd(s) registered on it", loopName, left.length);
        }
        closeLocals(loopName);
    }

    /** Closes the resources, and those their closing adopts, each once. */
    private void closeResources(String loopName) {
        while (!resources.isEmpty()) {
            LoopResource[] all = resources.takeAll();
            for (LoopResource r : all) {
                try {
                    r.closeBecauseLoopStopped();
                } catch (Throwable t) {
                    LOG.warn("event loop '{}': closing {} failed", loopName, r, t);
                }
            }
        }
    }

    private void closeLocals(String loopName) {
        for (LoopLocal local : locals) {
            try {
                local.closeBecauseLoopStopped();
            } catch (Throwable t) {
                LOG.warn("event loop '{}': closing {} failed", loopName, local, t);
            }
        }
    }
}
