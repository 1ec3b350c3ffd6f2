/*
 * Prints the sizes, field offsets and constant values that the Java bindings rely on, read
 * from this machine's own system headers. LayoutProbeTest compiles this file with cc and
 * compares every line with the Java layouts and constants; regen saves its output per
 * platform beside it. Output format, one per line:
 *   sizeof <struct|type> <bytes>
 *   offsetof <struct>.<field> <bytes>
 *   const <NAME> <value>
 * _GNU_SOURCE makes glibc declare its own struct mmsghdr and struct ucred, so those layouts
 * are checked against glibc's definitions, not against the copies in ffpoll_linux.h.
 */
#define _GNU_SOURCE
#include "ffpoll_linux.h"
#include <stddef.h>
#include <stdio.h>

#define SIZE(t)        printf("sizeof %s %zu\n", #t, sizeof(struct t))
#define SIZE_UNION(t)  printf("sizeof %s %zu\n", #t, sizeof(union t))
#define TYPE(t)        printf("sizeof %s %zu\n", #t, sizeof(t))
#define OFF(t, f)      printf("offsetof %s.%s %zu\n", #t, #f, offsetof(struct t, f))
#define OFF_UNION(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(union t, f))
#define CONST(c)       printf("const %s %lld\n", #c, (long long) (c))

int main(void) {
    TYPE(int);
    TYPE(long);
    TYPE(size_t);
    TYPE(ssize_t);
    TYPE(socklen_t);
    TYPE(eventfd_t);

    SIZE(epoll_event);
    OFF(epoll_event, events);
    OFF(epoll_event, data);
    SIZE_UNION(epoll_data);
    OFF_UNION(epoll_data, ptr);
    OFF_UNION(epoll_data, fd);
    OFF_UNION(epoll_data, u32);
    OFF_UNION(epoll_data, u64);

    SIZE(sockaddr);
    OFF(sockaddr, sa_family);
    OFF(sockaddr, sa_data);
    SIZE(sockaddr_in);
    OFF(sockaddr_in, sin_family);
    OFF(sockaddr_in, sin_port);
    OFF(sockaddr_in, sin_addr);
    OFF(sockaddr_in, sin_zero);
    SIZE(sockaddr_in6);
    OFF(sockaddr_in6, sin6_family);
    OFF(sockaddr_in6, sin6_port);
    OFF(sockaddr_in6, sin6_flowinfo);
    OFF(sockaddr_in6, sin6_addr);
    OFF(sockaddr_in6, sin6_scope_id);
    SIZE(sockaddr_storage);
    OFF(sockaddr_storage, ss_family);
    OFF(sockaddr_storage, __ss_padding);
    OFF(sockaddr_storage, __ss_align);
    SIZE(in_addr);
    OFF(in_addr, s_addr);
    SIZE(in6_addr);
    OFF(in6_addr, __in6_u);
    SIZE(iovec);
    OFF(iovec, iov_base);
    OFF(iovec, iov_len);
    SIZE(msghdr);
    OFF(msghdr, msg_name);
    OFF(msghdr, msg_namelen);
    OFF(msghdr, msg_iov);
    OFF(msghdr, msg_iovlen);
    OFF(msghdr, msg_control);
    OFF(msghdr, msg_controllen);
    OFF(msghdr, msg_flags);
    SIZE(linger);
    OFF(linger, l_onoff);
    OFF(linger, l_linger);
    SIZE(timespec);
    OFF(timespec, tv_sec);
    OFF(timespec, tv_nsec);
    SIZE(rlimit);
    OFF(rlimit, rlim_cur);
    OFF(rlimit, rlim_max);
    SIZE(sockaddr_un);
    OFF(sockaddr_un, sun_family);
    OFF(sockaddr_un, sun_path);
    SIZE(mmsghdr);
    OFF(mmsghdr, msg_hdr);
    OFF(mmsghdr, msg_len);
    SIZE(cmsghdr);
    OFF(cmsghdr, cmsg_len);
    OFF(cmsghdr, cmsg_level);
    OFF(cmsghdr, cmsg_type);
    OFF(cmsghdr, __cmsg_data);
    SIZE(ucred);
    OFF(ucred, pid);
    OFF(ucred, uid);
    OFF(ucred, gid);
    SIZE(tcp_info);
    OFF(tcp_info, tcpi_state);
    OFF(tcp_info, tcpi_ca_state);
    OFF(tcp_info, tcpi_retransmits);
    OFF(tcp_info, tcpi_probes);
    OFF(tcp_info, tcpi_backoff);
    OFF(tcp_info, tcpi_options);
    OFF(tcp_info, tcpi_rto);
    OFF(tcp_info, tcpi_ato);
    OFF(tcp_info, tcpi_snd_mss);
    OFF(tcp_info, tcpi_rcv_mss);
    OFF(tcp_info, tcpi_unacked);
    OFF(tcp_info, tcpi_sacked);
    OFF(tcp_info, tcpi_lost);
    OFF(tcp_info, tcpi_retrans);
    OFF(tcp_info, tcpi_fackets);
    OFF(tcp_info, tcpi_last_data_sent);
    OFF(tcp_info, tcpi_last_ack_sent);
    OFF(tcp_info, tcpi_last_data_recv);
    OFF(tcp_info, tcpi_last_ack_recv);
    OFF(tcp_info, tcpi_pmtu);
    OFF(tcp_info, tcpi_rcv_ssthresh);
    OFF(tcp_info, tcpi_rtt);
    OFF(tcp_info, tcpi_rttvar);
    OFF(tcp_info, tcpi_snd_ssthresh);
    OFF(tcp_info, tcpi_snd_cwnd);
    OFF(tcp_info, tcpi_advmss);
    OFF(tcp_info, tcpi_reordering);
    OFF(tcp_info, tcpi_rcv_rtt);
    OFF(tcp_info, tcpi_rcv_space);
    OFF(tcp_info, tcpi_total_retrans);
    SIZE(ip_mreqn);
    OFF(ip_mreqn, imr_multiaddr);
    OFF(ip_mreqn, imr_address);
    OFF(ip_mreqn, imr_ifindex);
    SIZE(ipv6_mreq);
    OFF(ipv6_mreq, ipv6mr_multiaddr);
    OFF(ipv6_mreq, ipv6mr_interface);
    SIZE(itimerspec);
    OFF(itimerspec, it_interval);
    OFF(itimerspec, it_value);

    CONST(EPOLLIN); CONST(EPOLLOUT); CONST(EPOLLERR); CONST(EPOLLHUP); CONST(EPOLLRDHUP);
    CONST(EPOLLET); CONST(EPOLLEXCLUSIVE);
    CONST(RLIMIT_NOFILE);
    CONST(EPOLL_CTL_ADD); CONST(EPOLL_CTL_MOD); CONST(EPOLL_CTL_DEL); CONST(EPOLL_CLOEXEC);
    CONST(EFD_CLOEXEC); CONST(EFD_NONBLOCK);
    CONST(AF_INET); CONST(AF_INET6);
    CONST(SOCK_STREAM); CONST(SOCK_NONBLOCK); CONST(SOCK_CLOEXEC);
    CONST(SOL_SOCKET); CONST(SO_REUSEADDR); CONST(SO_REUSEPORT); CONST(SO_ERROR);
    CONST(SO_SNDBUF); CONST(SO_RCVBUF); CONST(SO_KEEPALIVE); CONST(SO_LINGER);
    CONST(IPPROTO_TCP); CONST(IPPROTO_IPV6); CONST(IPV6_V6ONLY); CONST(TCP_NODELAY);
    CONST(SHUT_RD); CONST(SHUT_WR); CONST(SHUT_RDWR);
    CONST(MSG_NOSIGNAL); CONST(MSG_DONTWAIT);
    CONST(F_GETFD); CONST(F_SETFD); CONST(F_GETFL); CONST(F_SETFL); CONST(F_DUPFD_CLOEXEC);
    CONST(FD_CLOEXEC);
    CONST(O_NONBLOCK);
    CONST(EAGAIN); CONST(EWOULDBLOCK); CONST(EINTR); CONST(EBADF); CONST(EINVAL);
    CONST(EEXIST); CONST(ENOENT); CONST(EINPROGRESS); CONST(EALREADY); CONST(EISCONN);
    CONST(ENOTCONN); CONST(ECONNREFUSED); CONST(ECONNRESET); CONST(ECONNABORTED);
    CONST(EPIPE); CONST(EMFILE); CONST(ENFILE); CONST(ENOBUFS); CONST(ENOMEM);
    CONST(EADDRINUSE); CONST(EADDRNOTAVAIL); CONST(ETIMEDOUT); CONST(EHOSTUNREACH);
    CONST(ENETUNREACH); CONST(EPERM); CONST(EPROTO); CONST(ENOSYS); CONST(ENOTSOCK);
    CONST(AF_UNIX); CONST(SOCK_DGRAM); CONST(SOCK_SEQPACKET); CONST(SO_TYPE); CONST(SO_PEERCRED); CONST(SO_BROADCAST); CONST(SO_BUSY_POLL);
    CONST(IPPROTO_IP); CONST(IPPROTO_UDP); CONST(UDP_SEGMENT); CONST(UDP_GRO);
    CONST(TCP_KEEPIDLE); CONST(TCP_KEEPINTVL); CONST(TCP_KEEPCNT); CONST(TCP_USER_TIMEOUT); CONST(TCP_FASTOPEN); CONST(TCP_FASTOPEN_CONNECT); CONST(TCP_DEFER_ACCEPT); CONST(TCP_CORK); CONST(TCP_INFO);
    CONST(IP_TOS); CONST(IPV6_TCLASS); CONST(IP_ADD_MEMBERSHIP); CONST(IP_DROP_MEMBERSHIP); CONST(IP_MULTICAST_IF); CONST(IP_MULTICAST_LOOP); CONST(IP_MULTICAST_TTL);
    CONST(IPV6_JOIN_GROUP); CONST(IPV6_LEAVE_GROUP); CONST(IPV6_MULTICAST_IF); CONST(IPV6_MULTICAST_LOOP); CONST(IPV6_MULTICAST_HOPS);
    CONST(MSG_TRUNC); CONST(MSG_CTRUNC); CONST(MSG_CMSG_CLOEXEC); CONST(MSG_WAITFORONE); CONST(SCM_RIGHTS);
    CONST(TFD_NONBLOCK); CONST(TFD_CLOEXEC); CONST(CLOCK_MONOTONIC); CONST(O_CLOEXEC);
    CONST(EMSGSIZE); CONST(EAFNOSUPPORT); CONST(ENOPROTOOPT); CONST(EOPNOTSUPP); CONST(ENAMETOOLONG); CONST(EACCES);
    return 0;
}
