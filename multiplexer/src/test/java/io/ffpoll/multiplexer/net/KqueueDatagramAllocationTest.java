package io.ffpoll.multiplexer.net;

import io.ffpoll.bindings.bsd.NativeKevent;
import io.ffpoll.bindings.testing.Libkqueue;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * {@link DatagramAllocationTest} again with the loop on the kqueue backend (libkqueue here, so
 * with Linux's calls under it): the loop's own per-event path is kqueue's.
 */
class KqueueDatagramAllocationTest extends DatagramAllocationTest {
    @BeforeAll
    static void startLibkqueue() {
        Libkqueue.require();
    }

    @Override
    String backend() {
        return "kqueue";
    }

    @Override
    List<String> childFlags() {
        String library = System.getProperty(NativeKevent.LIBKQUEUE_PROPERTY, "");
        return library.isEmpty() ? List.of() : List.of("-D" + NativeKevent.LIBKQUEUE_PROPERTY + "=" + library);
    }
}
