package io.ffpoll.http.serve;

import io.ffpoll.http.Request;
import io.ffpoll.http.Response;
import io.ffpoll.multiplexer.EventLoop;

import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * The pending response of one async route: completed on any thread, it hops onto the
 * connection's loop. A stage may outlive its connection (the handler may never complete it),
 * so this is all the stage keeps, and {@link #drop()} lets go of the connection when it closes
 * or stops waiting: a result after that is ignored.
 */
final class AsyncReply implements BiConsumer<Response, Throwable> {
    /** The owner's callback on the loop: this reply, and the response or the failure. */
    interface Done {
        void asyncDone(AsyncReply reply, Response response, Throwable failure);
    }

    final Request request;
    final long started;
    private final EventLoop loop;
    private volatile Done owner;

    AsyncReply(Done owner, EventLoop loop, Request request, long started) {
        this.owner = owner;
        this.loop = loop;
        this.request = request;
        this.started = started;
    }

    void drop() {
        owner = null;
    }

    @Override
    public void accept(Response response, Throwable failure) {
        Done o = owner;
        if (o == null) {
            return;
        }
        // Dependent stages wrap the cause (CompletableFuture's contract): the error handler
        // should see the failure itself.
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        try {
            loop.execute(() -> o.asyncDone(this, response, cause));
        } catch (RejectedExecutionException loopGone) {
            // the server stopped: the connection is closed already
        }
    }
}
