/*
 * jextract's input for the Linux bindings. It only pulls in the system headers; the exact
 * functions, structs and constants taken from them are listed in linux.symbols, so the
 * generated package holds what we bind and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/*
 * accept4 is a GNU extension that glibc declares only under _GNU_SOURCE, and _GNU_SOURCE turns
 * every sockaddr parameter into a transparent union, which jextract cannot express. So we stay
 * in the default feature set and declare accept4 with its plain-pointer signature (the same
 * ABI; see accept4(2)).
 */
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
