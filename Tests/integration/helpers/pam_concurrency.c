/*
 * pam_concurrency: drives full PAM transactions (pam_start, authenticate, acct_mgmt, pam_end)
 * the way long-lived hosts do, to test the module's process-wide connection pool.
 *
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m threads -t THREADS -n ITERATIONS
 *       THREADS threads run ITERATIONS transactions each, at the same time.
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m fork -n ITERATIONS
 *       the parent runs ITERATIONS transactions, forks; the child runs ITERATIONS and exits;
 *       the parent waits for it and runs ITERATIONS more (on its pooled connection).
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m prefork -t CHILDREN -n ITERATIONS
 *       a prefork server: the parent runs ITERATIONS transactions, then forks CHILDREN
 *       children at once, each running ITERATIONS (they all inherit the parent's pooled
 *       connection); the parent waits for all and runs ITERATIONS more. Phase "children"
 *       prints one "child" line per child, then "children ok=all" (or "no") once all
 *       exited 0; exit 1 if any child did not.
 *   pam_concurrency -s SERVICE -u USER -p PASSWORD -m sleep -n ITERATIONS -S SECONDS
 *       ITERATIONS transactions with SECONDS of sleep before each (server-side timeouts).
 *
 * Mixed answers (any mode): -w WRONG [-v USER2 -V PASSWORD2] makes transaction i of each
 * thread or process take turn i % 4 (shifted by the thread number): 0 USER with PASSWORD
 * (right), 1 USER with WRONG (wrong), 2 USER2 with PASSWORD2 (right; USER again without -v),
 * 3 the unknown user "no-such-user-mix" with PASSWORD (wrong). Then success counts only
 * as it should: a right login must succeed, a wrong one must not.
 *
 * Prints one line per phase: PHASE name=<phase> ok=<n> codes=<distinct codes, comma-separated>
 *   and with -w also: right_ok=<n> right_fail=<n> wrong_ok=<n> wrong_fail=<n>
 * Exit status: 0 if every transaction succeeded (with -w: every answer was right), 1
 * otherwise, 2 on usage errors.
 */
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *service, *user, *password, *wrong, *user2, *password2;

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const char *answer = data;
    struct pam_response *r = calloc((size_t)n, sizeof *r);
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(answer);
    *resp = r;
    return PAM_SUCCESS;
}

/* One transaction; returns the first failing code, or PAM_SUCCESS. */
static int transaction(const char *who, const char *answer)
{
    struct pam_conv conv = {converse, (void *)answer};
    pam_handle_t *pamh = NULL;
    int rc = pam_start(service, who, &conv, &pamh);
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
    long shift;
    long right_ok, right_fail, wrong_ok, wrong_fail;
};

static void run(struct phase *p, long iterations, unsigned sleep_seconds)
{
    for (long i = 0; i < iterations; i++) {
        if (sleep_seconds)
            sleep(sleep_seconds);
        const char *who = user, *answer = password;
        int right = 1;
        if (wrong) {
            switch ((i + p->shift) % 4) {
            case 1: answer = wrong; right = 0; break;
            case 2: if (user2) { who = user2; answer = password2; } break;
            case 3: who = "no-such-user-mix"; right = 0; break;
            }
        }
        int rc = transaction(who, answer);
        if (rc == PAM_SUCCESS)
            p->ok++;
        if (right)
            rc == PAM_SUCCESS ? p->right_ok++ : p->right_fail++;
        else
            rc == PAM_SUCCESS ? p->wrong_ok++ : p->wrong_fail++;
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
    if (wrong)
        printf(" right_ok=%ld right_fail=%ld wrong_ok=%ld wrong_fail=%ld",
               p->right_ok, p->right_fail, p->wrong_ok, p->wrong_fail);
    putchar('\n');
    fflush(stdout);
}

static long iterations = 1;

/* Success as it should be: everything with -w, every transaction without. */
static int all_good(const struct phase *p, long n)
{
    return wrong ? p->right_fail == 0 && p->wrong_ok == 0 : p->ok == n;
}

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
    while ((opt = getopt(argc, argv, "s:u:p:m:t:n:S:w:v:V:")) != -1) {
        switch (opt) {
        case 's': service = optarg; break;
        case 'u': user = optarg; break;
        case 'p': password = optarg; break;
        case 'm': mode = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'n': iterations = strtol(optarg, NULL, 10); break;
        case 'w': wrong = optarg; break;
        case 'v': user2 = optarg; break;
        case 'V': password2 = optarg; break;
        case 'S': sleep_seconds = (unsigned)strtoul(optarg, NULL, 10); break;
        default: return 2;
        }
    }
    if (!service || !user || !password || iterations < 1 || threads < 1 || threads > 64)
        return 2;
    if (!user2 != !password2)
        return 2;

    if (strcmp(mode, "threads") == 0) {
        pthread_t ids[64];
        struct phase phases[64];
        memset(phases, 0, sizeof phases);
        for (long t = 0; t < threads; t++)
            phases[t].shift = t;
        for (long t = 0; t < threads; t++)
            pthread_create(&ids[t], NULL, thread_main, &phases[t]);
        struct phase total;
        memset(&total, 0, sizeof total);
        for (long t = 0; t < threads; t++) {
            pthread_join(ids[t], NULL);
            total.ok += phases[t].ok;
            total.right_ok += phases[t].right_ok;
            total.right_fail += phases[t].right_fail;
            total.wrong_ok += phases[t].wrong_ok;
            total.wrong_fail += phases[t].wrong_fail;
            for (int c = 0; c < 64; c++)
                total.seen[c] |= phases[t].seen[c];
        }
        report("threads", &total);
        return all_good(&total, threads * iterations) ? 0 : 1;
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
            _exit(all_good(&mine, iterations) ? 0 : 1);
        }
        int status = 0;
        waitpid(child, &status, 0);
        run(&after, iterations, 0);
        report("parent-after", &after);
        int child_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        return all_good(&before, iterations) && all_good(&after, iterations) && child_ok ? 0 : 1;
    }
    if (strcmp(mode, "prefork") == 0) {
        struct phase before, after;
        memset(&before, 0, sizeof before);
        memset(&after, 0, sizeof after);
        run(&before, iterations, 0);
        report("parent-before", &before);
        pid_t kids[64];
        for (long t = 0; t < threads; t++) {
            kids[t] = fork();
            if (kids[t] == 0) {
                struct phase mine;
                memset(&mine, 0, sizeof mine);
                mine.shift = t + 1;
                run(&mine, iterations, 0);
                report("child", &mine);
                _exit(all_good(&mine, iterations) ? 0 : 1);
            }
        }
        int children_ok = 1;
        for (long t = 0; t < threads; t++) {
            int status = 0;
            if (kids[t] < 0 || waitpid(kids[t], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                children_ok = 0;
        }
        printf("PHASE name=children ok=%s\n", children_ok ? "all" : "no");
        run(&after, iterations, 0);
        report("parent-after", &after);
        return all_good(&before, iterations) && all_good(&after, iterations) && children_ok ? 0 : 1;
    }
    if (strcmp(mode, "sleep") == 0) {
        struct phase p;
        memset(&p, 0, sizeof p);
        run(&p, iterations, sleep_seconds);
        report("sleep", &p);
        return all_good(&p, iterations) ? 0 : 1;
    }
    return 2;
}
