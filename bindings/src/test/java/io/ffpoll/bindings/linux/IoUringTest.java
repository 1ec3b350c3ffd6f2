package io.ffpoll.bindings.linux;

import io.ffpoll.bindings.internal.Syscalls;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.ffpoll.bindings.linux.IoUringAbi.offset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The raw calls: setup, the mmaps, one NOP through the rings by hand, and their errors. */
class IoUringTest {
    private static final long P_FLAGS = offset(IoUringAbi.io_uring_params, "flags");

    private static int setupOrSkip(MemorySegment params) {
        int fd = IoUring.io_uring_setup(8, params);
        Assumptions.assumeTrue(fd >= 0, "SKIPPED: io_uring_setup fails here with errno " + -fd);
        return fd;
    }

    @Test
    void aNopGoesThroughTheRingsByHand() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringAbi.io_uring_params);
            int fd = setupOrSkip(params);
            try {
                int sqEntries = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "sq_entries"));
                int arrayOff = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "sq_off", "array"));
                int tailOff = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "sq_off", "tail"));
                int cqHeadOff = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "cq_off", "head"));
                int cqTailOff = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "cq_off", "tail"));
                int cqesOff = params.get(ValueLayout.JAVA_INT, offset(IoUringAbi.io_uring_params, "cq_off", "cqes"));
                MemorySegment sq = IoUring.mmap(fd, 4096, IoUringAbi.IORING_OFF_SQ_RING);
                MemorySegment cq = IoUring.mmap(fd, 4096, IoUringAbi.IORING_OFF_CQ_RING);
                MemorySegment sqes = IoUring.mmap(fd, sqEntries * IoUringAbi.io_uring_sqe.byteSize(), IoUringAbi.IORING_OFF_SQES);
                assertNotEquals(0, sq.address());
                assertNotEquals(0, cq.address());
                assertNotEquals(0, sqes.address());
                sqes.set(ValueLayout.JAVA_BYTE, offset(IoUringAbi.io_uring_sqe, "opcode"), (byte) IoUringAbi.IORING_OP_NOP);
                sqes.set(ValueLayout.JAVA_LONG, offset(IoUringAbi.io_uring_sqe, "user_data"), 0xC0FFEEL);
                sq.set(ValueLayout.JAVA_INT, arrayOff, 0);
                sq.set(ValueLayout.JAVA_INT, tailOff, 1);
                long enters = Syscalls.count("io_uring_enter", Thread.currentThread());
                assertEquals(1, IoUring.io_uring_enter(fd, 1, 1, IoUringAbi.IORING_ENTER_GETEVENTS, MemorySegment.NULL));
                if (Syscalls.COUNTING) {
                    assertEquals(enters + 1, Syscalls.count("io_uring_enter", Thread.currentThread()));
                }
                assertEquals(1, cq.get(ValueLayout.JAVA_INT, cqTailOff) - cq.get(ValueLayout.JAVA_INT, cqHeadOff));
                assertEquals(0xC0FFEEL, cq.get(ValueLayout.JAVA_LONG, cqesOff + offset(IoUringAbi.io_uring_cqe, "user_data")));
                assertEquals(0, cq.get(ValueLayout.JAVA_INT, cqesOff + offset(IoUringAbi.io_uring_cqe, "res")));
                assertEquals(0, IoUring.munmap(sqes));
                assertEquals(0, IoUring.munmap(cq));
                assertEquals(0, IoUring.munmap(sq));
            } finally {
                assertEquals(0, Fd.close(fd));
            }
        }
    }

    @Test
    void errorsComeBackAsMinusErrno() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(IoUringAbi.io_uring_params);
            params.set(ValueLayout.JAVA_INT, P_FLAGS, 1 << 30); // no such setup flag
            assertEquals(-ErrnoCodes.EINVAL, IoUring.io_uring_setup(8, params));
            assertEquals(-ErrnoCodes.EBADF, IoUring.io_uring_enter(1_000_000, 0, 0, 0, MemorySegment.NULL));
            assertEquals(-ErrnoCodes.EBADF, IoUring.io_uring_register(1_000_000, IoUringAbi.IORING_REGISTER_PROBE,
                    MemorySegment.NULL, 0));
            assertTrue(IoUring.mmap(1_000_000, 4096, 0).address() == 0);
            assertEquals(ErrnoCodes.EBADF, IoUring.lastMmapErrno());
        }
    }
}
