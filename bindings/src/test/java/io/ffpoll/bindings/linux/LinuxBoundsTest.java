package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.platform.Platform;
import io.ffpoll.bindings.internal.Errno;
import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.testing.Guarded;
import io.ffpoll.bindings.testing.TcpPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static io.ffpoll.bindings.testing.Guarded.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Linux facades' own calls that take memory and a length or a count of structs (those
 * Platform does not reach are here; PlatformBoundsTest has the rest): each checks it against
 * the segment before the call, as {@link Guarded} describes.
 */
class LinuxBoundsTest {
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fds.forEach(Fd::close);
        arena.close();
    }

    private int track(int fd) {
        assertEquals(true, fd >= 0, "expected an fd, got -errno " + fd);
        fds.add(fd);
        return fd;
    }

    private int readableEventFd() {
        int efd = track(EventFd.eventfd(1, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        return efd;
    }

    @Test
    void readvAndWritevUseNoIovecPastTheArray() {
        int efd = readableEventFd();
        MemorySegment a = arena.allocate(8);
        Guarded iov = new Guarded(arena, Fd.IOVEC_SIZE);
        Fd.setIovec(iov.segment(), 0, a);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "readv",
                () -> Fd.readv(efd, iov.segment(), 2), iov);
        assertEquals("readv: iovcnt 2 (32 bytes) out of bounds for iov of 16 bytes", e.getMessage());
        e = rejects(IndexOutOfBoundsException.class, "writev", () -> Fd.writev(efd, iov.segment(), 2), iov);
        assertEquals("writev: iovcnt 2 (32 bytes) out of bounds for iov of 16 bytes", e.getMessage());
        rejects(IndexOutOfBoundsException.class, "readv", () -> Fd.readv(efd, iov.segment(), -1), iov);
        assertEquals(8, Fd.readv(efd, iov.segment(), 1));
    }

    @Test
    void sendmsgReadsNoMsghdrOrIovecPastItsSegments() {
        try (TcpPair pair = new TcpPair(arena)) {
            MemorySegment data = arena.allocate(8);
            Guarded iov = new Guarded(arena, Fd.IOVEC_SIZE);
            Fd.setIovec(iov.segment(), 0, data);
            MemorySegment msg = Sockets.allocateMsghdr(arena);
            IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "setMsgIov", () -> {
                Sockets.setMsgIov(msg, iov.segment(), 2);
                return null;
            }, iov);
            assertEquals("setMsgIov: iovcnt 2 (32 bytes) out of bounds for iov of 16 bytes", e.getMessage());

            Guarded shortMsg = new Guarded(arena, 8);
            e = rejects(IndexOutOfBoundsException.class, "sendmsg",
                    () -> Sockets.sendmsg(pair.client, shortMsg.segment(), Sockets.MSG_NOSIGNAL), shortMsg);
            assertEquals("sendmsg: struct msghdr (" + msg.byteSize() + " bytes) out of bounds for msg of 8 bytes",
                    e.getMessage());
            Sockets.setMsgIov(msg, iov.segment(), 1);
            assertEquals(8, Sockets.sendmsg(pair.client, msg, Sockets.MSG_NOSIGNAL));
        }
    }

    @Test
    void epollWaitWritesNoEventPastTheArray() {
        int ep = track(Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC));
        MemorySegment ctl = Epoll.allocateEvents(arena, 1);
        for (int i = 0; i < 4; i++) {
            int efd = readableEventFd();
            Epoll.set(ctl, 0, Epoll.EPOLLIN, efd);
            assertEquals(0, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_ADD, efd, ctl));
        }
        long size = Epoll.EVENT_SIZE;
        Guarded events = new Guarded(arena, size);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "epoll_wait",
                () -> Epoll.epoll_wait(ep, events.segment(), 4, 0), events);
        assertEquals("epoll_wait: maxevents 4 (" + 4 * size + " bytes) out of bounds for events of " + size + " bytes",
                e.getMessage());
        rejects(IndexOutOfBoundsException.class, "epoll_wait", () -> Epoll.epoll_wait(ep, events.segment(), -1, 0), events);

        MemorySegment ts = Epoll.allocateTimespec(arena);
        e = rejects(IndexOutOfBoundsException.class, "epoll_pwait2",
                () -> Epoll.epoll_pwait2(ep, events.segment(), 4, ts), events);
        assertEquals("epoll_pwait2: maxevents 4 (" + 4 * size + " bytes) out of bounds for events of " + size + " bytes",
                e.getMessage());
        Guarded shortTs = new Guarded(arena, 8);
        e = rejects(IndexOutOfBoundsException.class, "epoll_pwait2",
                () -> Epoll.epoll_pwait2(ep, events.segment(), 1, shortTs.segment()), events, shortTs);
        assertEquals("epoll_pwait2: struct timespec (16 bytes) out of bounds for timeout of 8 bytes", e.getMessage());

        assertEquals(1, Epoll.epoll_wait(ep, events.segment(), 1, 0));
    }

    @Test
    void epollCtlReadsNoEventFromPastTheSegment() {
        int ep = track(Epoll.epoll_create1(Epoll.EPOLL_CLOEXEC));
        int efd = readableEventFd();
        Guarded event = new Guarded(arena, 4);
        event.segment().set(ValueLayout.JAVA_INT, 0, Epoll.EPOLLIN);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "epoll_ctl",
                () -> Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_ADD, efd, event.segment()), event);
        assertEquals("epoll_ctl: struct epoll_event (" + Epoll.EVENT_SIZE + " bytes) out of bounds for event of 4 bytes",
                e.getMessage());
        MemorySegment ctl = Epoll.allocateEvents(arena, 1);
        assertEquals(0, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_ADD, efd, ctl));
        // DEL ignores the event: NULL is fine there.
        assertEquals(0, Epoll.epoll_ctl(ep, Epoll.EPOLL_CTL_DEL, efd, MemorySegment.NULL));
    }

    @Test
    void eventfdWriteTakesNoCounterBytesFromPastTheSegment() {
        int efd = track(EventFd.eventfd(0, EventFd.EFD_NONBLOCK | EventFd.EFD_CLOEXEC));
        MemorySegment state = Errno.allocateState(arena);
        Guarded value = new Guarded(arena, 4);
        value.segment().set(ValueLayout.JAVA_INT, 0, 1);
        long writes = Syscalls.count("write");
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "eventfd_write",
                () -> EventFd.eventfd_write(efd, value.segment(), state), value);
        assertEquals("eventfd_write: uint64_t (8 bytes) out of bounds for value of 4 bytes", e.getMessage());
        e = rejects(IndexOutOfBoundsException.class, "write", () -> Fd.write(efd, value.segment(), 8, state), value);
        assertEquals("write: count 8 out of bounds for buf of 4 bytes", e.getMessage());
        assertEquals(writes, Syscalls.count("write"));
        assertEquals(-ErrnoCodes.EAGAIN, EventFd.eventfd_read(efd));
    }

    @Test
    void getrlimitWritesNoLimitPastTheSegment() {
        Guarded rlim = new Guarded(arena, 8);
        IndexOutOfBoundsException e = rejects(IndexOutOfBoundsException.class, "getrlimit",
                () -> Resource.getrlimit(Resource.RLIMIT_NOFILE, rlim.segment()), rlim);
        assertEquals("getrlimit: struct rlimit (16 bytes) out of bounds for rlim of 8 bytes", e.getMessage());
        MemorySegment ok = Resource.allocateRlimit(arena);
        assertEquals(0, Resource.getrlimit(Resource.RLIMIT_NOFILE, ok));
    }
}
