package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Syscalls;
import io.ffpoll.bindings.platform.FdPassing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * socketpair and recvmsg against the real kernel: the -errno convention, the bounds checks,
 * the flags of the pair, and a descriptor through {@link LinuxFdPassing} whose control message
 * the kernel itself wrote (so the arithmetic reads what Linux writes, not only what we write).
 */
class UnixMessagesTest {
    private final Arena arena = Arena.ofConfined();
    private final List<Integer> fds = new ArrayList<>();

    @AfterEach
    void closeAll() {
        fds.forEach(Fd::close);
        arena.close();
    }

    private int[] pair(boolean seqpacket) {
        MemorySegment two = arena.allocate(ValueLayout.JAVA_INT, 2);
        assertEquals(0, LinuxFdPassing.INSTANCE.socketpair(seqpacket, two));
        int[] ends = {two.get(ValueLayout.JAVA_INT, 0), two.get(ValueLayout.JAVA_INT, 4)};
        fds.add(ends[0]);
        fds.add(ends[1]);
        return ends;
    }

    @Test
    void theEndsOfAPairAreNonBlockingAndCloseOnExec() {
        for (boolean seqpacket : new boolean[] {false, true}) {
            for (int fd : pair(seqpacket)) {
                assertTrue((Fd.fcntl(fd, Fd.F_GETFL, 0) & Fd.O_NONBLOCK) != 0);
                assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(fd, Fd.F_GETFD, 0) & Fd.FD_CLOEXEC);
            }
        }
    }

    @Test
    void errnosComeBackNegatedAndBadSegmentsNeverReachTheKernel() {
        int[] ends = pair(false);
        MemorySegment msg = arena.allocate(UnixMessages.MSGHDR_SIZE, 8);
        assertEquals(-ErrnoCodes.EAGAIN, UnixMessages.recvmsg(ends[0], msg, Sockets.MSG_DONTWAIT));
        assertEquals(-ErrnoCodes.EBADF, UnixMessages.recvmsg(-1, msg, Sockets.MSG_DONTWAIT));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> UnixMessages.recvmsg(ends[0], arena.allocate(8), 0));
        assertTrue(e.getMessage().contains("recvmsg"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> UnixMessages.socketpair(UnixMessages.AF_UNIX, Sockets.SOCK_STREAM, 0, arena.allocate(4)));
        assertTrue(e.getMessage().contains("socketpair"), e.getMessage());
        assertEquals(-ErrnoCodes.EINVAL, UnixMessages.socketpair(UnixMessages.AF_UNIX, 12345, 0,
                arena.allocate(ValueLayout.JAVA_INT, 2)));
    }

    @Test
    void aDescriptorTheKernelDeliveredIsFoundByTheWalkAndCounted() {
        int[] ends = pair(true);
        FdPassing.Buffers out = LinuxFdPassing.INSTANCE.allocate(arena, 2);
        FdPassing.Buffers in = LinuxFdPassing.INSTANCE.allocate(arena, 2);
        MemorySegment data = arena.allocate(1);
        long sends = Syscalls.count("sendmsg", Thread.currentThread());
        long receives = Syscalls.count("recvmsg", Thread.currentThread());
        assertEquals(1, LinuxFdPassing.INSTANCE.send(ends[0], out, data, new int[] {ends[0], ends[1]}, 2));
        int[] got = new int[in.fdRoom()];
        assertEquals(1, LinuxFdPassing.INSTANCE.receive(ends[1], in, data, got));
        assertEquals(2, in.receivedFds());
        fds.add(got[0]);
        fds.add(got[1]);
        assertEquals(Fd.FD_CLOEXEC, Fd.fcntl(got[0], Fd.F_GETFD, 0) & Fd.FD_CLOEXEC, "MSG_CMSG_CLOEXEC");
        assertTrue(!LinuxFdPassing.INSTANCE.isControlTruncated(in) && !LinuxFdPassing.INSTANCE.isDataTruncated(in));
        if (Syscalls.COUNTING) {
            assertEquals(1, Syscalls.count("sendmsg", Thread.currentThread()) - sends);
            assertEquals(1, Syscalls.count("recvmsg", Thread.currentThread()) - receives);
        }
    }
}
