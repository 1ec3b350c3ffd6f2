/*
 * jextract's input for the Linux bindings. It only pulls in the system headers; the exact
 * functions, structs and constants taken from them are listed in linux.symbols, so the
 * generated package holds what we bind and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/*
 * accept4, pipe2, recvmmsg and sendmmsg (with struct mmsghdr) and struct ucred are GNU
 * extensions that glibc declares only under _GNU_SOURCE, and _GNU_SOURCE turns every sockaddr
 * parameter into a transparent union, which jextract cannot express. So jextract reads them
 * from the declarations below, written as glibc and the kernel define them (accept4(2),
 * pipe2(2), recvmmsg(2), sendmmsg(2), unix(7)); layout_probe.c defines _GNU_SOURCE, skips
 * these and checks the generated layouts against glibc's own definitions.
 */
#ifndef _GNU_SOURCE
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int pipe2(int pipefd[2], int flags);

struct mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout);
extern int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned int vlen, int flags);

struct ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};
#endif
