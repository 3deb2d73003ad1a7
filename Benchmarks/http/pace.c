/*
 * pace: an open-loop HTTP/1.1 load generator for single-fix POST /v1/evaluate.
 *
 *   pace HOST PORT RATE SECONDS CONNECTIONS BODIES TOKEN [RUN]
 *
 * TOKEN may be "@FILE": one token per line, request k sending line k mod n (a fleet whose
 * vehicles each have their own token, every token used RATE / n times a second).
 *
 * Request k is due at start + k / RATE, whatever happened to the requests before it (open loop,
 * as wrk2 schedules, not wrk's closed loop): it goes out on an idle keep-alive connection at
 * that time, or waits for one. Its latency is counted from the time it was due, so a stall of
 * the server shows as the latency of every request it held back (no coordinated omission).
 * wrk paces with millisecond timers per connection: its connections fire together on the same
 * tick and the server sees bursts that a steady 2,000 requests/s does not have.
 *
 * BODIES holds one fix object per line with "{P}" in its vehicle id; request k sends line
 * k mod n as {"fixes":[...]}, with "{P}" replaced by "<RUN>O<k / n>-", so each pass over the
 * lines drives new vehicles and every vehicle's fixes arrive in time order. Give each run
 * against one server its own RUN (say r1, r2, ...): a second run with the same names would
 * send every vehicle's fixes again, all refused as duplicates (a fix.rejected directive each). The requests are made
 * before the clock starts. Prints the rate achieved, errors, and latency percentiles from the
 * due time and from the send time. Linux only (epoll, timerfd).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    long request; /* -1 when idle */
    size_t used;
    char buffer[65536];
} connection;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void fail(const char *what) {
    perror(what);
    exit(2);
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void percentiles(const char *name, uint64_t *values, long n) {
    qsort(values, (size_t)n, sizeof *values, compare);
    const double ps[] = {50, 90, 99, 99.9};
    for (int i = 0; i < 4; i++) {
        long at = (long)(ps[i] / 100.0 * (double)n + 0.999999) - 1;
        if (at < 0) at = 0;
        if (at >= n) at = n - 1;
        printf("latency%s p%g %.3f ms\n", name, ps[i], n ? (double)values[at] / 1e6 : 0.0);
    }
    printf("latency%s max %.3f ms\n", name, n ? (double)values[n - 1] / 1e6 : 0.0);
}

/* The non-empty lines of a file (line ends stripped); exits when there are none. */
static char **read_lines(const char *path, long *count) {
    FILE *f = fopen(path, "r");
    if (!f) fail(path);
    char **lines = NULL;
    long n = 0, cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            lines = realloc(lines, (size_t)cap * sizeof *lines);
            if (!lines) fail("realloc");
        }
        lines[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "pace: %s has no lines\n", path);
        exit(2);
    }
    *count = n;
    return lines;
}

int main(int argc, char **argv) {
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: pace HOST PORT RATE SECONDS CONNECTIONS BODIES TOKEN|@FILE [RUN]\n");
        return 2;
    }
    const char *run = argc == 9 ? argv[8] : "";
    const char *host = argv[1];
    int port = atoi(argv[2]);
    double rate = atof(argv[3]);
    double seconds = atof(argv[4]);
    int nconn = atoi(argv[5]);
    if (rate <= 0 || seconds <= 0 || nconn <= 0 || port <= 0) {
        fprintf(stderr, "pace: RATE, SECONDS, CONNECTIONS and PORT must be positive\n");
        return 2;
    }

    /* The templates. */
    long nlines = 0;
    char **lines = read_lines(argv[6], &nlines);

    /* The tokens: TOKEN, or with "@FILE" one per line of FILE, request k using line k mod n
       (a fleet whose vehicles have their own tokens). */
    char **tokens = &argv[7];
    long ntokens = 1;
    if (argv[7][0] == '@') tokens = read_lines(argv[7] + 1, &ntokens);

    /* Every request, made up front. */
    long total = (long)(rate * seconds);
    char **requests = malloc((size_t)total * sizeof *requests);
    size_t *lengths = malloc((size_t)total * sizeof *lengths);
    uint64_t *due = malloc((size_t)total * sizeof *due);
    uint64_t *sent = malloc((size_t)total * sizeof *sent);
    uint64_t *from_due = malloc((size_t)total * sizeof *from_due);
    uint64_t *from_send = malloc((size_t)total * sizeof *from_send);
    if (!requests || !lengths || !due || !sent || !from_due || !from_send) fail("malloc");
    for (long k = 0; k < total; k++) {
        const char *t = lines[k % nlines];
        char prefix[32], body[8192];
        snprintf(prefix, sizeof prefix, "%.16sO%ld-", run, k / nlines);
        size_t b = (size_t)snprintf(body, sizeof body, "{\"fixes\":[");
        for (const char *p = t; *p && b < sizeof body - 64;) {
            if (strncmp(p, "{P}", 3) == 0) {
                b += (size_t)snprintf(body + b, sizeof body - b, "%s", prefix);
                p += 3;
            } else {
                body[b++] = *p++;
            }
        }
        b += (size_t)snprintf(body + b, sizeof body - b, "]}");
        char *r = malloc(b + 512);
        if (!r) fail("malloc");
        int h = snprintf(r, 512,
                         "POST /v1/evaluate HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                         host, port, tokens[k % ntokens], b);
        memcpy(r + h, body, b);
        requests[k] = r;
        lengths[k] = (size_t)h + b;
    }

    /* The connections. */
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
        fprintf(stderr, "pace: HOST must be an IPv4 address\n");
        return 2;
    }
    int ep = epoll_create1(0);
    if (ep < 0) fail("epoll_create1");
    connection *conns = calloc((size_t)nconn, sizeof *conns);
    if (!conns) fail("calloc");
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) fail("socket");
        if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conns[i].fd = fd;
        conns[i].request = -1;
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) fail("epoll_ctl");
    }
    int timer = timerfd_create(CLOCK_MONOTONIC, 0);
    if (timer < 0) fail("timerfd_create");
    struct epoll_event te = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, timer, &te) < 0) fail("epoll_ctl");

    uint64_t start = now_ns() + 50000000u; /* 50 ms to settle */
    for (long k = 0; k < total; k++) due[k] = start + (uint64_t)((double)k * 1e9 / rate);
    long next = 0, done = 0, errors = 0;
    long *idle = malloc((size_t)nconn * sizeof *idle);
    if (!idle) fail("malloc");
    int nidle = nconn;
    for (int i = 0; i < nconn; i++) idle[i] = nconn - 1 - i;
    uint64_t deadline = start + (uint64_t)((seconds + 10) * 1e9), last = start;

    while (done < total) {
        uint64_t now = now_ns();
        if (now > deadline) {
            fprintf(stderr, "pace: gave up waiting for %ld responses\n", total - done);
            break;
        }
        /* Send what is due while a connection is free. */
        while (next < total && due[next] <= now && nidle > 0) {
            connection *c = &conns[idle[--nidle]];
            const char *p = requests[next];
            size_t left = lengths[next];
            sent[next] = now_ns();
            while (left > 0) {
                ssize_t w = write(c->fd, p, left);
                if (w < 0) {
                    if (errno == EINTR || errno == EAGAIN) continue;
                    fail("write");
                }
                p += w;
                left -= (size_t)w;
            }
            c->request = next++;
            c->used = 0;
        }
        /* Sleep until the next request is due, or a response arrives. */
        if (next < total && nidle > 0) {
            struct itimerspec at = {.it_value = {.tv_sec = (time_t)(due[next] / 1000000000u),
                                                 .tv_nsec = (long)(due[next] % 1000000000u)}};
            timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
        }
        struct epoll_event events[64];
        int n = epoll_wait(ep, events, 64, 100);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int e = 0; e < n; e++) {
            uint32_t id = events[e].data.u32;
            if (id == UINT32_MAX) {
                uint64_t expirations;
                if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) fail("read timerfd");
                continue;
            }
            connection *c = &conns[id];
            ssize_t r = read(c->fd, c->buffer + c->used, sizeof c->buffer - c->used - 1);
            if (r <= 0) {
                fprintf(stderr, "pace: connection %u closed by the server\n", id);
                return 1;
            }
            c->used += (size_t)r;
            c->buffer[c->used] = 0;
            char *end = strstr(c->buffer, "\r\n\r\n");
            if (!end || c->request < 0) continue;
            size_t length = 0;
            for (char *h = strstr(c->buffer, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
                if (strncasecmp(h + 2, "content-length:", 15) == 0) length = strtoul(h + 17, NULL, 10);
            if (c->used < (size_t)(end + 4 - c->buffer) + length) continue;
            uint64_t t = now_ns();
            long k = c->request;
            if (strncmp(c->buffer, "HTTP/1.1 200", 12) != 0) errors++;
            from_due[done] = t - due[k];
            from_send[done] = t - sent[k];
            done++;
            last = t;
            c->request = -1;
            c->used = 0;
            idle[nidle++] = id;
        }
    }
    double elapsed = (double)(last - start) / 1e9;
    printf("requests %ld, errors %ld, connections %d, offered %.0f requests/s for %.1f s\n", done, errors,
           nconn, rate, seconds);
    printf("rate %.1f requests/s\n", elapsed > 0 ? (double)done / elapsed : 0.0);
    percentiles("", from_due, done);
    percentiles(" from send", from_send, done);
    return errors > 0 || done < total;
}
