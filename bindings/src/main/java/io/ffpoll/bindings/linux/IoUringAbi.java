package io.ffpoll.bindings.linux;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The structs and constants of {@code <linux/io_uring.h>} that the io_uring engine uses, written
 * by hand: glibc declares no io_uring functions and the project ships no jextract. Every size,
 * offset and constant here is compared with the machine's own header by IoUringLayoutTest,
 * which compiles native/io_uring_probe.c; a field or constant added here must be added there.
 * The ABI is the same on every 64-bit Linux (the structs use fixed-width types only).
 */
public final class IoUringAbi {
    // Syscall numbers: io_uring came after the unification of the syscall tables, so these are
    // the same on x86-64, arm64 and every other architecture but alpha.
    public static final long __NR_io_uring_setup = 425;
    public static final long __NR_io_uring_enter = 426;
    public static final long __NR_io_uring_register = 427;

    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;

    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    public static final int IORING_FEAT_NODROP = 1 << 1;
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    public static final int IORING_FEAT_RSRC_TAGS = 1 << 10;

    public static final long IORING_OFF_SQ_RING = 0L;
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    public static final long IORING_OFF_SQES = 0x10000000L;

    public static final int IORING_ENTER_GETEVENTS = 1;
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;
    public static final int IORING_ENTER_REGISTERED_RING = 1 << 4;

    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;

    public static final int IORING_REGISTER_PROBE = 8;
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    public static final int IORING_REGISTER_RING_FDS = 20;
    public static final int IORING_UNREGISTER_RING_FDS = 21;
    public static final int IORING_REGISTER_PBUF_RING = 22;
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    public static final int IO_URING_OP_SUPPORTED = 1;

    public static final int IORING_OP_NOP = 0;
    public static final int IORING_OP_POLL_ADD = 6;
    public static final int IORING_OP_SENDMSG = 9;
    public static final int IORING_OP_ACCEPT = 13;
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    public static final int IORING_OP_CLOSE = 19;
    public static final int IORING_OP_READ = 22;
    public static final int IORING_OP_WRITE = 23;
    public static final int IORING_OP_SEND = 26;
    public static final int IORING_OP_RECV = 27;
    public static final int IORING_OP_SEND_ZC = 47;
    public static final int IORING_OP_SENDMSG_ZC = 48;

    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    public static final int IORING_RECVSEND_POLL_FIRST = 1;
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    public static final int IORING_RECV_MULTISHOT = 1 << 1;
    public static final int IORING_CQE_F_BUFFER = 1;
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    public static final int IORING_POLL_ADD_MULTI = 1;
    public static final int IORING_CQE_F_MORE = 1 << 1;
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    public static final int IORING_SEND_ZC_REPORT_USAGE = 1 << 3;
    public static final long IORING_NOTIF_USAGE_ZC_COPIED = 1L << 31; // a u32 bit of cqe.res, the sign bit of its int

    // poll(2)'s bits, as IORING_OP_POLL_ADD takes them in poll32_events and returns them in res.
    public static final int POLLIN = 0x1;
    public static final int POLLOUT = 0x4;
    public static final int POLLERR = 0x8;
    public static final int POLLHUP = 0x10;
    public static final int POLLRDHUP = 0x2000;

    // errno values io_uring_enter returns that the generated ErrnoCodes lacks.
    public static final int EBUSY = 16;
    public static final int ETIME = 62;
    public static final int ECANCELED = 125;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_POPULATE = 0x8000;

    public static final StructLayout io_sqring_offsets = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"))
            .withName("io_sqring_offsets");

    public static final StructLayout io_cqring_offsets = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"))
            .withName("io_cqring_offsets");

    public static final StructLayout io_uring_params = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            io_sqring_offsets.withName("sq_off"), io_cqring_offsets.withName("cq_off"))
            .withName("io_uring_params");

    public static final StructLayout io_uring_sqe = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"), JAVA_LONG.withName("off"), JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"), JAVA_INT.withName("poll32_events"), JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_index"), JAVA_SHORT.withName("personality"), JAVA_INT.withName("file_index"),
            JAVA_LONG.withName("addr3"), JAVA_LONG.withName("__pad2"))
            .withName("io_uring_sqe");

    public static final StructLayout io_uring_cqe = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"))
            .withName("io_uring_cqe");

    public static final StructLayout __kernel_timespec = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_LONG.withName("tv_nsec")).withName("__kernel_timespec");

    public static final StructLayout io_uring_getevents_arg = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"), JAVA_INT.withName("sigmask_sz"), JAVA_INT.withName("pad"),
            JAVA_LONG.withName("ts")).withName("io_uring_getevents_arg");

    public static final StructLayout io_uring_probe_op = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"), JAVA_BYTE.withName("resv"), JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2")).withName("io_uring_probe_op");

    // ops[] is a flexible array member: the struct's size is its header's.
    public static final StructLayout io_uring_probe = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"), JAVA_BYTE.withName("ops_len"), JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2"),
            MemoryLayout.sequenceLayout(0, io_uring_probe_op).withName("ops")).withName("io_uring_probe");

    public static final StructLayout io_uring_rsrc_update = MemoryLayout.structLayout(
            JAVA_INT.withName("offset"), JAVA_INT.withName("resv"), JAVA_LONG.withName("data"))
            .withName("io_uring_rsrc_update");

    /** One provided buffer: where it is, how long, and the id its completion names. */
    public static final StructLayout io_uring_buf = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"), JAVA_INT.withName("len"), JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv")).withName("io_uring_buf");

    // In C a union: the ring's tail lies over bufs[0].resv, the one field the kernel never reads.
    public static final StructLayout io_uring_buf_ring = MemoryLayout.structLayout(
            JAVA_LONG.withName("resv1"), JAVA_INT.withName("resv2"), JAVA_SHORT.withName("resv3"),
            JAVA_SHORT.withName("tail")).withName("io_uring_buf_ring");

    public static final StructLayout io_uring_buf_reg = MemoryLayout.structLayout(
            JAVA_LONG.withName("ring_addr"), JAVA_INT.withName("ring_entries"), JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("pad"), MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("resv"))
            .withName("io_uring_buf_reg");

    /** Every struct here by its C name, for the layout test. */
    public static final Map<String, StructLayout> STRUCTS = java.util.stream.Stream.of(
            io_sqring_offsets, io_cqring_offsets, io_uring_params, io_uring_sqe, io_uring_cqe,
            __kernel_timespec, io_uring_getevents_arg, io_uring_probe_op, io_uring_probe,
            io_uring_rsrc_update, io_uring_buf, io_uring_buf_ring, io_uring_buf_reg)
            .collect(java.util.stream.Collectors.toUnmodifiableMap(l -> l.name().orElseThrow(), l -> l));

    static {
        assert ADDRESS.byteSize() == 8 : "io_uring's ABI here is the 64-bit one";
    }

    private IoUringAbi() {}

    /** {@code offsetof(struct, field)} for a field of one of the structs above. */
    public static long offset(StructLayout struct, String field) {
        return struct.byteOffset(groupElement(field));
    }

    /** {@code offsetof(outer, inner.field)}: a field of a nested struct (params.sq_off.head). */
    public static long offset(StructLayout struct, String inner, String field) {
        return struct.byteOffset(groupElement(inner), groupElement(field));
    }
}
