/*
 * pam_concurrency: drives full PAM transactions (pam_start, authenticate, acct_mgmt, pam_end)
 * the way long-lived hosts do, to test the module's process-wide connection pool.
 *
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m threads -t THREADS -n ITERATIONS
 *       THREADS threads run ITERATIONS transactions each, at the same time.
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m fork -n ITERATIONS
 *       the parent runs ITERATIONS transactions, forks; the child runs ITERATIONS and exits;
 *       the parent waits for it and runs ITERATIONS more (on its pooled connection).
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m sleep -n ITERATIONS -S SECONDS
 *       ITERATIONS transactions with SECONDS of sleep before each (server-side timeouts).
 *
 * Prints one line per phase: PHASE name=<phase> ok=<n> codes=<distinct codes, comma-separated>
 * Exit status: 0 if every transaction succeeded, 1 otherwise, 2 on usage errors.
 */
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *service, *user, *password;

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    (void)data;
    struct pam_response *r = calloc((size_t)n, sizeof *r);
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(password);
    *resp = r;
    return PAM_SUCCESS;
}

/* One transaction; returns the first failing code, or PAM_SUCCESS. */
static int transaction(void)
{
    struct pam_conv conv = {converse, NULL};
    pam_handle_t *pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(pamh, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(pamh, 0);
    if (pamh)
        pam_end(pamh, rc);
    return rc;
}

struct phase {
    long ok;
    int seen[64];
};

static void run(struct phase *p, long iterations, unsigned sleep_seconds)
{
    for (long i = 0; i < iterations; i++) {
        if (sleep_seconds)
            sleep(sleep_seconds);
        int rc = transaction();
        if (rc == PAM_SUCCESS)
            p->ok++;
        if (rc >= 0 && rc < 64)
            p->seen[rc] = 1;
    }
}

static void report(const char *name, const struct phase *p)
{
    printf("PHASE name=%s ok=%ld codes=", name, p->ok);
    int first = 1;
    for (int c = 0; c < 64; c++)
        if (p->seen[c]) {
            printf(first ? "%d" : ",%d", c);
            first = 0;
        }
    putchar('\n');
    fflush(stdout);
}

static long iterations = 1;

static void *thread_main(void *arg)
{
    run(arg, iterations, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = "threads";
    long threads = 4;
    unsigned sleep_seconds = 0;
    int opt;
    while ((opt = getopt(argc, argv, "s:u:p:m:t:n:S:")) != -1) {
        switch (opt) {
        case 's': service = optarg; break;
        case 'u': user = optarg; break;
        case 'p': password = optarg; break;
        case 'm': mode = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'n': iterations = strtol(optarg, NULL, 10); break;
        case 'S': sleep_seconds = (unsigned)strtoul(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (!service || !user || !password || iterations < 1 || threads < 1 || threads > 64)
        return 2;

    if (strcmp(mode, "threads") == 0) {
        pthread_t ids[64];
        struct phase phases[64];
        memset(phases, 0, sizeof phases);
        for (long t = 0; t < threads; t++)
            pthread_create(&ids[t], NULL, thread_main, &phases[t]);
        struct phase total;
        memset(&total, 0, sizeof total);
        for (long t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            total.ok += phases[t].ok;
            for (int c = 0; c < 64; c++)
                total.seen[c] |= phases[t].seen[c];
        }
        report("threads", &total);
        return total.ok == threads * iterations ? 0 : 1;
    }
    if (strcmp(mode, "fork") == 0) {
        struct phase before, after;
        memset(&before, 0, sizeof before);
        memset(&after, 0, sizeof after);
        run(&before, iterations, 0);
        report("parent-before", &before);
        pid_t child = fork();
        if (child == 0) {
            struct phase mine;
            memset(&mine, 0, sizeof mine);
            run(&mine, iterations, 0);
            report("child", &mine);
            _exit(mine.ok == iterations ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        run(&after, iterations, 0);
        report("parent-after", &after);
        int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        return before.ok == iterations && after.ok == iterations && child_ok ? 0 : 1;
    }
    if (strcmp(mode, "sleep") == 0) {
        struct phase p;
        memset(&p, 0, sizeof p);
        run(&p, iterations, sleep_seconds);
        report("sleep", &p);
        return p.ok == iterations ? 0 : 1;
    }
    return 2;
}
