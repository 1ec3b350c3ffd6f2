package io.ffpoll.multiplexer;

import io.ffpoll.multiplexer.internal.LoopAccess;
import io.ffpoll.multiplexer.internal.LoopLocal;
import io.ffpoll.multiplexer.internal.LoopResource;

import java.util.function.Function;

/** The loop's side of {@link LoopAccess}: what the connection layer may do beyond the public API. */
final class LoopAccessBridge extends LoopAccess {
    @Override
    public void adopt(EventLoop loop, LoopResource r) {
        loop.checkInLoop("adopt");
        loop.attached.adopt(r);
    }

    @Override
    public void release(EventLoop loop, LoopResource r) {
        loop.attached.release(r);
    }

    @Override
    public void registerShared(EventLoop loop, int fd, Interest interest, IoHandler handler) {
        loop.checkInLoop("registerShared");
        loop.poller.registerShared(fd, interest, handler);
    }

    @Override
    public void afterNextPoll(EventLoop loop, Runnable r) {
        loop.checkInLoop("afterNextPoll");
        loop.thread.afterNextPoll(r);
    }

    @Override
    public void redeliver(EventLoop loop, int fd, Interest which) {
        loop.checkInLoop("redeliver");
        loop.poller.redeliver(fd, which);
    }

    @Override
    public io.ffpoll.multiplexer.backend.Backend backend(EventLoop loop) {
        return loop.poller.unwrap();
    }

    @Override
    public io.ffpoll.multiplexer.internal.LoopCounters counters(EventLoop loop) {
        return loop.counters;
    }

    @Override
    public long polledAt(EventLoop loop) {
        return loop.polledAt;
    }

    @Override
    public boolean isRegistered(EventLoop loop, int fd) {
        return loop.poller.isRegistered(fd);
    }

    @Override
    public <T extends LoopLocal> T local(EventLoop loop, Class<T> type, Function<EventLoop, T> factory) {
        T found = loop.attached.localIfPresent(type);
        if (found != null) {
            return found;
        }
        loop.checkInLoop("local");
        return loop.attached.local(type, factory, loop);
    }

    @Override
    public <T extends LoopLocal> T localIfPresent(EventLoop loop, Class<T> type) {
        return loop.attached.localIfPresent(type);
    }
}
