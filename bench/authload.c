/*
 * authload: the load client of `make bench`, and the trivial servers that measure its own ceiling.
 *
 *   authload dovecot   SOCKET -u USERFILE [-s SERVICE] [-c CONNS] [-d SECONDS | -n COUNT] [-r RATE] [-w WARMUP]
 *   authload saslauthd SOCKET -u USERFILE [-s SERVICE] [-c CONNS] [-d SECONDS | -n COUNT] [-r RATE] [-w WARMUP]
 *   authload serve-dovecot SOCKET      answer every AUTH with OK at once (until SIGTERM)
 *   authload serve-saslauthd SOCKET    answer every request with OK at once (until SIGTERM)
 *
 * dovecot: CONNS persistent connections, as Postfix's smtpd processes hold theirs: VERSION + CPID,
 * the handshake up to DONE, then `AUTH <id> PLAIN service=... resp=<base64>`, one request in
 * flight per connection. saslauthd: CONNS clients, a new connection per request (libsasl's
 * saslauthd_verify_password): four counted strings, the counted reply, close.
 *
 * USERFILE holds `user TAB password` lines, used in turn, so no password is in argv. -r RATE
 * paces the whole client at RATE requests a second (each connection at RATE/CONNS, on a fixed
 * schedule); latency is then measured from the scheduled send time, so a server that falls
 * behind shows it (no coordinated omission). Requests in the first WARMUP seconds are sent but
 * not counted.
 *
 * Prints one JSON object: requests, ok, fail, temporary, other, errors, seconds, rate and
 * p50/p99/max latency in milliseconds. Exit status 0 when it ran (whatever the answers), 2 on
 * bad usage, 1 when it could not run at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct credential {
    char *user;
    char *password;
    char *plain_b64; /* base64("\0user\0password") for Dovecot's PLAIN */
};

static struct credential *credentials;
static size_t credential_count;

static const char *socket_path;
static const char *service = "smtp";
static int connections = 4;
static double duration = 5.0;
static long total_count;
static double target_rate;
static double warmup;

enum answer { ANSWER_OK, ANSWER_FAIL, ANSWER_TEMP, ANSWER_OTHER, ANSWER_ERROR, ANSWER_KINDS };

struct worker {
    pthread_t thread;
    int index;
    long counts[ANSWER_KINDS];
    long warmup_requests;
    uint32_t *latencies_us;
    size_t latency_count, latency_capacity;
    char failure[200];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double when)
{
    double wait = when - now_seconds();
    if (wait <= 0)
        return;
    struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
    nanosleep(&ts, NULL);
}

static char *base64(const unsigned char *data, size_t length)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(4 * ((length + 2) / 3) + 1), *p = out;
    for (size_t i = 0; i < length; i += 3) {
        unsigned v = (unsigned)data[i] << 16;
        if (i + 1 < length)
            v |= (unsigned)data[i + 1] << 8;
        if (i + 2 < length)
            v |= data[i + 2];
        *p++ = alphabet[(v >> 18) & 63];
        *p++ = alphabet[(v >> 12) & 63];
        *p++ = i + 1 < length ? alphabet[(v >> 6) & 63] : '=';
        *p++ = i + 2 < length ? alphabet[v & 63] : '=';
    }
    *p = 0;
    return out;
}

static int read_credentials(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "authload: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t capacity = 0;
    ssize_t n;
    while ((n = getline(&line, &capacity, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = 0;
        credentials = realloc(credentials, (credential_count + 1) * sizeof *credentials);
        struct credential *c = &credentials[credential_count++];
        c->user = strdup(line);
        c->password = strdup(tab + 1);
        size_t ul = strlen(c->user), pl = strlen(c->password);
        unsigned char *raw = malloc(ul + pl + 2);
        raw[0] = 0;
        memcpy(raw + 1, c->user, ul);
        raw[ul + 1] = 0;
        memcpy(raw + ul + 2, c->password, pl);
        c->plain_b64 = base64(raw, ul + pl + 2);
        memset(raw, 0, ul + pl + 2);
        free(raw);
    }
    free(line);
    fclose(f);
    if (credential_count == 0) {
        fprintf(stderr, "authload: no `user TAB password` line in %s\n", path);
        return -1;
    }
    return 0;
}

static int connect_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *data, size_t length)
{
    const char *p = data;
    while (length > 0) {
        ssize_t n = send(fd, p, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t length)
{
    char *p = data;
    while (length > 0) {
        ssize_t n = read(fd, p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        length -= (size_t)n;
    }
    return 0;
}

/* A line reader over one connection (Dovecot's protocol). */
struct lines {
    int fd;
    char buffer[65536];
    size_t start, end;
};

static char *next_line(struct lines *l)
{
    for (;;) {
        char *nl = memchr(l->buffer + l->start, '\n', l->end - l->start);
        if (nl) {
            *nl = 0;
            char *line = l->buffer + l->start;
            l->start = (size_t)(nl - l->buffer) + 1;
            return line;
        }
        if (l->start > 0) {
            memmove(l->buffer, l->buffer + l->start, l->end - l->start);
            l->end -= l->start;
            l->start = 0;
        }
        if (l->end == sizeof l->buffer)
            return NULL;
        ssize_t n = read(l->fd, l->buffer + l->end, sizeof l->buffer - l->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        l->end += (size_t)n;
    }
}

static void record(struct worker *w, enum answer kind, double started, double measured_from, double begin)
{
    double done = now_seconds();
    if (started < begin + warmup) {
        w->warmup_requests++;
        return;
    }
    w->counts[kind]++;
    if (w->latency_count == w->latency_capacity) {
        w->latency_capacity = w->latency_capacity ? 2 * w->latency_capacity : 4096;
        w->latencies_us = realloc(w->latencies_us, w->latency_capacity * sizeof *w->latencies_us);
    }
    double us = (done - measured_from) * 1e6;
    w->latencies_us[w->latency_count++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

static double run_begin, run_end;
static long per_worker_count;

/* The schedule of one worker: when its next request goes out (0: at once). */
static double scheduled(struct worker *w, long k)
{
    if (target_rate <= 0)
        return 0;
    double interval = (double)connections / target_rate;
    /* Spread the workers over one interval so they do not send in step. */
    return run_begin + interval * ((double)k + (double)w->index / (double)connections);
}

static int more(long k, double t)
{
    if (total_count > 0)
        return k < per_worker_count;
    return t < run_end;
}

static void *dovecot_worker(void *arg)
{
    struct worker *w = arg;
    struct lines *l = calloc(1, sizeof *l);
    l->fd = connect_unix(socket_path);
    if (l->fd < 0) {
        snprintf(w->failure, sizeof w->failure, "connect %s: %s", socket_path, strerror(errno));
        free(l);
        return NULL;
    }
    char hello[64];
    int hl = snprintf(hello, sizeof hello, "VERSION\t1\t0\nCPID\t%d\n", (int)getpid() * 100 + w->index);
    if (write_all(l->fd, hello, (size_t)hl) != 0) {
        snprintf(w->failure, sizeof w->failure, "handshake: write failed");
        goto out;
    }
    for (;;) {
        char *line = next_line(l);
        if (!line) {
            snprintf(w->failure, sizeof w->failure, "handshake: connection closed before DONE");
            goto out;
        }
        if (strcmp(line, "DONE") == 0)
            break;
    }
    size_t request_capacity = 1024;
    char *request = malloc(request_capacity);
    for (long k = 0;; k++) {
        double at = scheduled(w, k);
        if (!more(k, at ? at : now_seconds()))
            break;
        sleep_until(at);
        struct credential *c = &credentials[((size_t)k * (size_t)connections + (size_t)w->index) % credential_count];
        size_t need = strlen(c->plain_b64) + strlen(service) + 128;
        if (need > request_capacity) {
            request_capacity = need;
            request = realloc(request, request_capacity);
        }
        long id = k + 1;
        int rl = snprintf(request, request_capacity,
                          "AUTH\t%ld\tPLAIN\tservice=%s\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tresp=%s\n", id, service,
                          c->plain_b64);
        double started = now_seconds();
        if (write_all(l->fd, request, (size_t)rl) != 0) {
            record(w, ANSWER_ERROR, started, at ? at : started, run_begin);
            snprintf(w->failure, sizeof w->failure, "write failed after %ld requests", k);
            break;
        }
        char *reply;
        char expect[32];
        int el = snprintf(expect, sizeof expect, "\t%ld", id);
        do {
            reply = next_line(l);
            /* Replies to another id (none are pending here) are skipped, as Postfix does. */
        } while (reply && !(strchr(reply, '\t') && strncmp(strchr(reply, '\t'), expect, (size_t)el) == 0 &&
                           (strchr(reply, '\t')[el] == '\t' || strchr(reply, '\t')[el] == 0)));
        if (!reply) {
            record(w, ANSWER_ERROR, started, at ? at : started, run_begin);
            snprintf(w->failure, sizeof w->failure, "connection closed after %ld requests", k);
            break;
        }
        enum answer kind;
        if (strncmp(reply, "OK\t", 3) == 0)
            kind = ANSWER_OK;
        else if (strncmp(reply, "FAIL\t", 5) == 0)
            kind = strstr(reply, "\tcode=temp_fail") || strstr(reply, "\ttemp") ? ANSWER_TEMP : ANSWER_FAIL;
        else
            kind = ANSWER_OTHER;
        record(w, kind, started, at ? at : started, run_begin);
    }
    free(request);
out:
    close(l->fd);
    free(l);
    return NULL;
}

static size_t counted(char *out, const char *field)
{
    size_t n = strlen(field);
    out[0] = (char)(n >> 8);
    out[1] = (char)(n & 0xff);
    memcpy(out + 2, field, n);
    return n + 2;
}

static void *saslauthd_worker(void *arg)
{
    struct worker *w = arg;
    char request[4 * (2 + 256) + 16];
    char reply[1024];
    for (long k = 0;; k++) {
        double at = scheduled(w, k);
        if (!more(k, at ? at : now_seconds()))
            break;
        sleep_until(at);
        struct credential *c = &credentials[((size_t)k * (size_t)connections + (size_t)w->index) % credential_count];
        double started = now_seconds();
        size_t length = 0;
        if (strlen(c->user) > 256 || strlen(c->password) > 256 || strlen(service) > 256) {
            snprintf(w->failure, sizeof w->failure, "a field longer than saslauthd's 256 bytes");
            break;
        }
        length += counted(request + length, c->user);
        length += counted(request + length, c->password);
        length += counted(request + length, service);
        length += counted(request + length, "");
        int fd = connect_unix(socket_path);
        if (fd < 0) {
            record(w, ANSWER_ERROR, started, at ? at : started, run_begin);
            if (!w->failure[0])
                snprintf(w->failure, sizeof w->failure, "connect %s: %s", socket_path, strerror(errno));
            usleep(1000);
            continue;
        }
        unsigned char header[2];
        enum answer kind;
        if (write_all(fd, request, length) != 0 || read_all(fd, header, 2) != 0) {
            kind = ANSWER_ERROR;
        } else {
            size_t n = ((size_t)header[0] << 8) | header[1];
            if (n > sizeof reply || read_all(fd, reply, n) != 0)
                kind = ANSWER_ERROR;
            else if (n == 0)
                kind = ANSWER_TEMP; /* the daemon's temporary failure: libsasl's SASL_FAIL */
            else if (n >= 2 && memcmp(reply, "OK", 2) == 0)
                kind = ANSWER_OK;
            else if (n >= 2 && memcmp(reply, "NO", 2) == 0)
                kind = ANSWER_FAIL;
            else
                kind = ANSWER_OTHER;
        }
        close(fd);
        record(w, kind, started, at ? at : started, run_begin);
    }
    memset(request, 0, sizeof request);
    return NULL;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int run_client(int dovecot)
{
    struct worker *workers = calloc((size_t)connections, sizeof *workers);
    per_worker_count = total_count > 0 ? (total_count + connections - 1) / connections : 0;
    run_begin = now_seconds();
    run_end = run_begin + warmup + duration;
    for (int i = 0; i < connections; i++) {
        workers[i].index = i;
        pthread_create(&workers[i].thread, NULL, dovecot ? dovecot_worker : saslauthd_worker, &workers[i]);
    }
    for (int i = 0; i < connections; i++)
        pthread_join(workers[i].thread, NULL);
    double elapsed = now_seconds() - run_begin - warmup;
    long counts[ANSWER_KINDS] = { 0 };
    long warmup_requests = 0;
    size_t latency_total = 0;
    const char *failure = "";
    for (int i = 0; i < connections; i++) {
        for (int k = 0; k < ANSWER_KINDS; k++)
            counts[k] += workers[i].counts[k];
        latency_total += workers[i].latency_count;
        warmup_requests += workers[i].warmup_requests;
        if (workers[i].failure[0] && !failure[0])
            failure = workers[i].failure;
    }
    uint32_t *all = malloc((latency_total + 1) * sizeof *all);
    size_t at = 0;
    for (int i = 0; i < connections; i++) {
        memcpy(all + at, workers[i].latencies_us, workers[i].latency_count * sizeof *all);
        at += workers[i].latency_count;
    }
    qsort(all, latency_total, sizeof *all, compare_u32);
    double p50 = latency_total ? all[latency_total / 2] / 1000.0 : 0;
    double p99 = latency_total ? all[(latency_total * 99) / 100] / 1000.0 : 0;
    double max = latency_total ? all[latency_total - 1] / 1000.0 : 0;
    long requests = 0;
    for (int k = 0; k < ANSWER_KINDS; k++)
        requests += counts[k];
    if (elapsed <= 0)
        elapsed = 1e-9;
    /* The failure text names no secret: only counts, errno texts and the socket path. */
    printf("{\"protocol\": \"%s\", \"connections\": %d, \"target_rate\": %.1f, \"seconds\": %.3f, \"requests\": %ld, "
           "\"ok\": %ld, \"fail\": %ld, \"temporary\": %ld, \"other\": %ld, \"errors\": %ld, \"rate\": %.1f, "
           "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"warmup_requests\": %ld, \"failure\": \"",
           dovecot ? "dovecot" : "saslauthd", connections, target_rate, elapsed, requests, counts[ANSWER_OK],
           counts[ANSWER_FAIL], counts[ANSWER_TEMP], counts[ANSWER_OTHER], counts[ANSWER_ERROR],
           (double)requests / elapsed, p50, p99, max, warmup_requests);
    for (const char *p = failure; *p; p++)
        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            putchar(*p);
    printf("\"}\n");
    return 0;
}

/* ---- the servers that answer at once (the client's own ceiling) ---- */

static int listen_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 256) != 0) {
        fprintf(stderr, "authload: cannot listen on %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return fd;
}

static void *serve_dovecot_connection(void *arg)
{
    struct lines *l = arg;
    static const char handshake[] = "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t0\nDONE\n";
    if (write_all(l->fd, handshake, sizeof handshake - 1) == 0) {
        char *line;
        while ((line = next_line(l))) {
            if (strncmp(line, "AUTH\t", 5) != 0)
                continue;
            char *id = line + 5, *tab = strchr(id, '\t');
            if (tab)
                *tab = 0;
            char reply[128];
            int n = snprintf(reply, sizeof reply, "OK\t%.40s\tuser=u\n", id);
            if (write_all(l->fd, reply, (size_t)n) != 0)
                break;
        }
    }
    close(l->fd);
    free(l);
    return NULL;
}

static void *serve_saslauthd_loop(void *arg)
{
    int listener = *(int *)arg;
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        unsigned char header[2];
        char field[65536];
        int good = 1;
        for (int i = 0; i < 4 && good; i++) {
            if (read_all(fd, header, 2) != 0)
                good = 0;
            else if (read_all(fd, field, ((size_t)header[0] << 8) | header[1]) != 0)
                good = 0;
        }
        if (good)
            write_all(fd, "\0\2OK", 4);
        close(fd);
    }
    return NULL;
}

static int serve(int dovecot)
{
    signal(SIGPIPE, SIG_IGN);
    int listener = listen_unix(socket_path);
    if (dovecot) {
        for (;;) {
            int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            struct lines *l = calloc(1, sizeof *l);
            l->fd = fd;
            pthread_t t;
            pthread_create(&t, NULL, serve_dovecot_connection, l);
            pthread_detach(t);
        }
    }
    /* saslauthd's model: a few processes (here threads) competing for accept. */
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, serve_saslauthd_loop, &listener);
    pthread_join(threads[0], NULL);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: authload dovecot|saslauthd SOCKET -u USERFILE [-s SERVICE] [-c CONNS] "
                    "[-d SECONDS | -n COUNT] [-r RATE] [-w WARMUP]\n"
                    "       authload serve-dovecot|serve-saslauthd SOCKET\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *mode = argv[1];
    socket_path = argv[2];
    if (strlen(socket_path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
        fprintf(stderr, "authload: socket path too long\n");
        return 2;
    }
    if (strcmp(mode, "serve-dovecot") == 0)
        return serve(1);
    if (strcmp(mode, "serve-saslauthd") == 0)
        return serve(0);
    int dovecot = strcmp(mode, "dovecot") == 0;
    if (!dovecot && strcmp(mode, "saslauthd") != 0)
        return usage();
    const char *user_file = NULL;
    int opt;
    optind = 3;
    while ((opt = getopt(argc, argv, "u:s:c:d:n:r:w:")) != -1) {
        switch (opt) {
        case 'u': user_file = optarg; break;
        case 's': service = optarg; break;
        case 'c': connections = atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'n': total_count = atol(optarg); break;
        case 'r': target_rate = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        default: return usage();
        }
    }
    if (!user_file || connections < 1 || connections > 4096 || duration <= 0 || target_rate < 0 || warmup < 0)
        return usage();
    if (total_count > 0)
        warmup = 0;
    signal(SIGPIPE, SIG_IGN);
    if (read_credentials(user_file) != 0)
        return 1;
    return run_client(dovecot);
}
