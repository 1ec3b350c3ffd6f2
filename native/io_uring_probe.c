/*
 * Prints the io_uring layouts and constants that bindings/linux/IoUring.java copies by hand
 * (glibc has no io_uring wrappers, and the project ships no jextract), read from this
 * machine's <linux/io_uring.h>. IoUringLayoutTest compiles it and compares every line with the
 * Java side, both ways. Same output format as layout_probe.c.
 */
#define _GNU_SOURCE /* POLLRDHUP */
#include <linux/io_uring.h>
#include <linux/time_types.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define SIZE(t)    printf("sizeof %s %zu\n", #t, sizeof(struct t))
#define OFF(t, f)  printf("offsetof %s.%s %zu\n", #t, #f, offsetof(struct t, f))
#define CONST(c)   printf("const %s %lld\n", #c, (long long) (c))

int main(void) {
    SIZE(io_uring_params);
    OFF(io_uring_params, sq_entries); OFF(io_uring_params, cq_entries); OFF(io_uring_params, flags);
    OFF(io_uring_params, features); OFF(io_uring_params, sq_off); OFF(io_uring_params, cq_off);
    SIZE(io_sqring_offsets);
    OFF(io_sqring_offsets, head); OFF(io_sqring_offsets, tail); OFF(io_sqring_offsets, ring_mask);
    OFF(io_sqring_offsets, ring_entries); OFF(io_sqring_offsets, flags); OFF(io_sqring_offsets, dropped);
    OFF(io_sqring_offsets, array);
    SIZE(io_cqring_offsets);
    OFF(io_cqring_offsets, head); OFF(io_cqring_offsets, tail); OFF(io_cqring_offsets, ring_mask);
    OFF(io_cqring_offsets, ring_entries); OFF(io_cqring_offsets, overflow); OFF(io_cqring_offsets, cqes);
    OFF(io_cqring_offsets, flags);
    SIZE(io_uring_sqe);
    OFF(io_uring_sqe, opcode); OFF(io_uring_sqe, flags); OFF(io_uring_sqe, ioprio); OFF(io_uring_sqe, fd);
    OFF(io_uring_sqe, off); OFF(io_uring_sqe, addr); OFF(io_uring_sqe, len); OFF(io_uring_sqe, poll32_events);
    OFF(io_uring_sqe, user_data); OFF(io_uring_sqe, buf_index); OFF(io_uring_sqe, personality);
    OFF(io_uring_sqe, file_index); OFF(io_uring_sqe, addr3);
    SIZE(io_uring_cqe);
    OFF(io_uring_cqe, user_data); OFF(io_uring_cqe, res); OFF(io_uring_cqe, flags);
    SIZE(io_uring_getevents_arg);
    OFF(io_uring_getevents_arg, sigmask); OFF(io_uring_getevents_arg, sigmask_sz); OFF(io_uring_getevents_arg, ts);
    SIZE(__kernel_timespec);
    OFF(__kernel_timespec, tv_sec); OFF(__kernel_timespec, tv_nsec);
    SIZE(io_uring_probe);
    OFF(io_uring_probe, last_op); OFF(io_uring_probe, ops_len); OFF(io_uring_probe, ops);
    SIZE(io_uring_probe_op);
    OFF(io_uring_probe_op, op); OFF(io_uring_probe_op, flags);
    SIZE(io_uring_rsrc_update);
    OFF(io_uring_rsrc_update, offset); OFF(io_uring_rsrc_update, data);
    SIZE(io_uring_buf);
    OFF(io_uring_buf, addr); OFF(io_uring_buf, len); OFF(io_uring_buf, bid);
    SIZE(io_uring_buf_ring);
    OFF(io_uring_buf_ring, tail);
    SIZE(io_uring_buf_reg);
    OFF(io_uring_buf_reg, ring_addr); OFF(io_uring_buf_reg, ring_entries); OFF(io_uring_buf_reg, bgid);

    CONST(__NR_io_uring_setup); CONST(__NR_io_uring_enter); CONST(__NR_io_uring_register);
    CONST(IORING_SETUP_CQSIZE); CONST(IORING_SETUP_CLAMP); CONST(IORING_SETUP_R_DISABLED); CONST(IORING_SETUP_SUBMIT_ALL);
    CONST(IORING_SETUP_COOP_TASKRUN); CONST(IORING_SETUP_SINGLE_ISSUER); CONST(IORING_SETUP_DEFER_TASKRUN);
    CONST(IORING_FEAT_SINGLE_MMAP); CONST(IORING_FEAT_NODROP); CONST(IORING_FEAT_EXT_ARG); CONST(IORING_FEAT_RSRC_TAGS);
    CONST(IORING_OFF_SQ_RING); CONST(IORING_OFF_CQ_RING); CONST(IORING_OFF_SQES);
    CONST(IORING_ENTER_GETEVENTS); CONST(IORING_ENTER_EXT_ARG); CONST(IORING_ENTER_REGISTERED_RING);
    CONST(IORING_SQ_CQ_OVERFLOW);
    CONST(IORING_REGISTER_PROBE); CONST(IORING_REGISTER_ENABLE_RINGS); CONST(IORING_REGISTER_RING_FDS); CONST(IORING_UNREGISTER_RING_FDS);
    CONST(IORING_REGISTER_PBUF_RING); CONST(IORING_UNREGISTER_PBUF_RING);
    CONST(IO_URING_OP_SUPPORTED);
    CONST(IORING_OP_NOP); CONST(IORING_OP_POLL_ADD);
    CONST(IORING_OP_SENDMSG); CONST(IORING_OP_ACCEPT); CONST(IORING_OP_ASYNC_CANCEL); CONST(IORING_OP_CLOSE);
    CONST(IORING_OP_READ); CONST(IORING_OP_WRITE); CONST(IORING_OP_SEND); CONST(IORING_OP_RECV);
    CONST(IOSQE_BUFFER_SELECT); CONST(IORING_RECVSEND_POLL_FIRST); CONST(IORING_ACCEPT_MULTISHOT); CONST(IORING_RECV_MULTISHOT); CONST(IORING_CQE_F_BUFFER); CONST(IORING_CQE_BUFFER_SHIFT);
    CONST(IORING_POLL_ADD_MULTI);
    CONST(IORING_CQE_F_MORE);
    CONST(IORING_OP_SEND_ZC); CONST(IORING_OP_SENDMSG_ZC); CONST(IORING_CQE_F_NOTIF);
    CONST(IORING_SEND_ZC_REPORT_USAGE); CONST(IORING_NOTIF_USAGE_ZC_COPIED);
    CONST(POLLIN); CONST(POLLOUT); CONST(POLLERR); CONST(POLLHUP); CONST(POLLRDHUP);
    CONST(EBUSY); CONST(ETIME); CONST(ECANCELED);
    CONST(PROT_READ); CONST(PROT_WRITE); CONST(MAP_SHARED); CONST(MAP_POPULATE);
    return 0;
}
