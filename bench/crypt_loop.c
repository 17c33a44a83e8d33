/*
 * The machine's crypt limit, a reference row of `make bench`: crypt_r() of one password
 * against one stored SHA-512-crypt value, on THREADS threads for SECONDS, no database.
 * Usage: crypt_loop THREADS SECONDS   (the password and the setting come from standard input,
 *        two lines, so neither is in argv)
 * Prints: {"threads": T, "seconds": S, "hashes": N, "rate": R, "matched": true|false}
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char password[512], setting[512];
static double end_time;

struct worker {
    pthread_t thread;
    long hashes;
    int matched;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct crypt_data *data = calloc(1, sizeof *data);
    w->matched = 1;
    while (now_seconds() < end_time) {
        const char *out = crypt_r(password, setting, data);
        if (!out || strcmp(out, setting) != 0)
            w->matched = 0;
        w->hashes++;
    }
    free(data);
    return NULL;
}

static void chomp(char *s)
{
    s[strcspn(s, "\r\n")] = 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crypt_loop THREADS SECONDS < password-and-setting\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    double seconds = atof(argv[2]);
    if (threads < 1 || threads > 256 || seconds <= 0 || !fgets(password, sizeof password, stdin) ||
        !fgets(setting, sizeof setting, stdin)) {
        fprintf(stderr, "crypt_loop: bad arguments or input\n");
        return 2;
    }
    chomp(password);
    chomp(setting);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    double start = now_seconds();
    end_time = start + seconds;
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i].thread, NULL, work, &workers[i]);
    long hashes = 0;
    int matched = 1;
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        hashes += workers[i].hashes;
        matched &= workers[i].matched;
    }
    double elapsed = now_seconds() - start;
    memset(password, 0, sizeof password);
    printf("{\"threads\": %d, \"seconds\": %.3f, \"hashes\": %ld, \"rate\": %.1f, \"matched\": %s}\n", threads, elapsed,
           hashes, (double)hashes / elapsed, matched ? "true" : "false");
    return 0;
}
