/*
 * tls-handshakes: bench/compare-tls's client of new TLS connections. C connections in a closed
 * loop, each: connect, a full handshake, one "GET PATH" with "Connection: close", the response
 * read to the server's close, then a new connection. wrk and h2load resume the TLS session when
 * they reconnect (the server then signs nothing); here every connection has its own SSL object
 * and no session is ever offered, so each handshake is a full one, and one resumed is counted.
 *
 * After WARMUP seconds it counts SECONDS seconds, reading the server's CPU time from
 * /proc/PID/stat at both ends, and prints one line of key=value pairs:
 *   handshakes= seconds= per_second= server_cpu_us= client_cpu_pct= errors= resumed= protocol= cipher= group=
 * server_cpu_us is the server's user+system time per completed connection; client_cpu_pct is
 * this process's share of its own core (near 100: the client, not the server, set the rate).
 *
 * Usage: tls-handshakes PORT PATH CONNECTIONS WARMUP SECONDS SERVER_PID   (127.0.0.1 only)
 * Build: cc -O2 -o tls-handshakes tls_handshakes.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, HANDSHAKING, WRITING, READING };

struct slot {
    int fd;
    SSL *ssl;
    enum state state;
    size_t sent;
    char head[64];   /* the first bytes of the response: its status line */
    size_t got;
    double started;
};

static SSL_CTX *ctx;
static int ep;
static struct sockaddr_in to;
static char request[512];
static size_t request_len;
static int measuring;
static long done, errors, resumed;
static char protocol[32] = "-", cipher[64] = "-", group[32] = "-";

static int accept_chain(X509_STORE_CTX *store, void *arg) {
    (void) store;
    (void) arg;
    return 1;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double own_cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

/* utime + stime of the server, in clock ticks (fields 14 and 15 of /proc/PID/stat). */
static long server_ticks(const char *pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); exit(1); }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2) {
        fprintf(stderr, "tls-handshakes: cannot read %s\n", path);
        exit(1);
    }
    return utime + stime;
}

static void watch(struct slot *s, unsigned events, int op) {
    struct epoll_event e = { .events = events, .data.ptr = s };
    if (epoll_ctl(ep, op, s->fd, &e) != 0) { perror("epoll_ctl"); exit(1); }
}

static void open_slot(struct slot *s) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { perror("socket"); exit(1); }
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->state = CONNECTING;
    s->sent = s->got = 0;
    s->started = now();
    s->ssl = SSL_new(ctx);
    SSL_set_fd(s->ssl, s->fd);
    SSL_set_connect_state(s->ssl);
    SSL_set_tlsext_host_name(s->ssl, "localhost");
    if (connect(s->fd, (struct sockaddr *) &to, sizeof to) != 0 && errno != EINPROGRESS) {
        perror("connect");
        exit(1);
    }
    watch(s, EPOLLOUT, EPOLL_CTL_ADD);
}

static void close_slot(struct slot *s, int ok) {
    if (measuring) {
        if (ok) done++; else errors++;
    }
    SSL_free(s->ssl);
    close(s->fd); /* also leaves the epoll set */
    open_slot(s);
}

/* Waits for what OpenSSL asked for; returns 0, or -1 when the connection failed. */
static int wait_for(struct slot *s, int r) {
    switch (SSL_get_error(s->ssl, r)) {
        case SSL_ERROR_WANT_READ: watch(s, EPOLLIN, EPOLL_CTL_MOD); return 0;
        case SSL_ERROR_WANT_WRITE: watch(s, EPOLLOUT, EPOLL_CTL_MOD); return 0;
        default: ERR_clear_error(); return -1;
    }
}

static void step(struct slot *s) {
    for (;;) {
        int r;
        switch (s->state) {
            case CONNECTING: {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { close_slot(s, 0); return; }
                s->state = HANDSHAKING;
                break;
            }
            case HANDSHAKING:
                r = SSL_do_handshake(s->ssl);
                if (r != 1) { if (wait_for(s, r)) close_slot(s, 0); return; }
                if (SSL_session_reused(s->ssl) && measuring) resumed++;
                if (protocol[0] == '-') {
                    snprintf(protocol, sizeof protocol, "%s", SSL_get_version(s->ssl));
                    snprintf(cipher, sizeof cipher, "%s", SSL_get_cipher_name(s->ssl));
                    const char *g = SSL_group_to_name(s->ssl, SSL_get_negotiated_group(s->ssl));
                    snprintf(group, sizeof group, "%s", g ? g : "?");
                }
                s->state = WRITING;
                break;
            case WRITING:
                r = SSL_write(s->ssl, request + s->sent, (int) (request_len - s->sent));
                if (r <= 0) { if (wait_for(s, r)) close_slot(s, 0); return; }
                s->sent += (size_t) r;
                if (s->sent == request_len) s->state = READING;
                break;
            case READING: {
                char scratch[4096];
                char *into = s->got < sizeof s->head - 1 ? s->head + s->got : scratch;
                int room = s->got < sizeof s->head - 1 ? (int) (sizeof s->head - 1 - s->got) : (int) sizeof scratch;
                r = SSL_read(s->ssl, into, room);
                if (r > 0) {
                    if (into != scratch) s->got += (size_t) r;
                    break;
                }
                int e = SSL_get_error(s->ssl, r);
                if (e == SSL_ERROR_ZERO_RETURN) {
                    s->head[s->got] = 0;
                    close_slot(s, strncmp(s->head, "HTTP/1.1 200", 12) == 0);
                    return;
                }
                if (wait_for(s, r)) close_slot(s, 0);
                return;
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: tls-handshakes PORT PATH CONNECTIONS WARMUP SECONDS SERVER_PID\n");
        return 2;
    }
    int conns = atoi(argv[3]);
    double warmup = atof(argv[4]), seconds = atof(argv[5]);
    const char *pid = argv[6];
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short) atoi(argv[1]));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    request_len = (size_t) snprintf(request, sizeof request,
            "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", argv[2]);

    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* No session is kept, so none can be offered: every handshake is a full one. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* A self-signed test certificate on loopback: its chain is not checked at all (with
     * SSL_VERIFY_NONE alone OpenSSL still verifies the chain's signature, a cost on the client's
     * core that tells nothing about the server). The handshake's own signature is still checked. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, accept_chain, NULL);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn - 1);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct slot *slots = calloc((size_t) conns, sizeof *slots);
    for (int i = 0; i < conns; i++) open_slot(&slots[i]);

    double start = now(), measure_from = start + warmup, end = measure_from + seconds;
    long ticks0 = 0;
    double cpu0 = 0;
    struct epoll_event events[256];
    for (;;) {
        double t = now();
        if (!measuring && t >= measure_from) {
            measuring = 1;
            ticks0 = server_ticks(pid);
            cpu0 = own_cpu();
        }
        if (t >= end) break;
        int n = epoll_wait(ep, events, 256, 50);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) step(events[i].data.ptr);
        for (int i = 0; i < conns; i++) {
            if (t - slots[i].started > 10) close_slot(&slots[i], 0); /* a stuck connection */
        }
    }
    long ticks = server_ticks(pid) - ticks0;
    double cpu = own_cpu() - cpu0;
    double hz = (double) sysconf(_SC_CLK_TCK);
    printf("handshakes=%ld seconds=%.2f per_second=%.1f server_cpu_us=%.1f client_cpu_pct=%.0f errors=%ld resumed=%ld"
           " protocol=%s cipher=%s group=%s\n",
           done, seconds, done / seconds, done ? ticks / hz * 1e6 / done : 0.0, cpu / seconds * 100, errors, resumed,
           protocol, cipher, group);
    return done > 0 ? 0 : 1;
}
