/*
 * pam_loop.c - drive a PAM stack from the command line, machine-readably.
 *
 * Usage:
 *   pam_loop -s SERVICE [-u USER] [-c CONFDIR] [-n COUNT] [-o OPS]
 *            [-a AUTHTOK_FILE] [-A OLDAUTHTOK_FILE]
 *            [-p ANSWER]... [-P ANSWER_FILE]... [-N]... [-E]
 *            [-f FLAG]... [-r RHOST] [-R RUID] [-q]
 *
 *   -s SERVICE   PAM service name.
 *   -u USER      PAM_USER given to pam_start.  Without -u, pam_start gets
 *                NULL, so a module's pam_get_user() prompts ("login:").
 *   -F USER      PAM_USER of the first iteration only (the others use -u), e.g. a
 *                known user before a run of unknown ones, all in one process.
 *   -c CONFDIR   use pam_start_confdir() with this directory instead of
 *                /etc/pam.d (Linux-PAM >= 1.4).
 *   -n COUNT     number of iterations (default 1).  Each iteration is
 *                pam_start ... OPS ... pam_end.
 *   -o OPS       comma-separated list of auth, acct, setcred, open, close,
 *                chauthtok, run in that order each iteration (default auth).
 *   -a FILE      preset PAM_AUTHTOK to the contents of FILE (read in binary,
 *                no newline stripping; as a C string it ends at the first
 *                NUL byte).  Linux-PAM refuses pam_set_item(PAM_AUTHTOK)
 *                from applications (PAM_BAD_ITEM), so this puts the token
 *                into the PAM environment as PAM_TEST_AUTHTOK after
 *                pam_start, and the stack needs the helper module
 *                pam_preset_authtok.so before the module under test to
 *                turn it into the item.
 *   -A FILE      the same for PAM_OLDAUTHTOK (PAM_TEST_OLDAUTHTOK).
 *   -p ANSWER    next conversation answer (for PAM_PROMPT_ECHO_OFF/ON).
 *   -P FILE      next conversation answer, taken from FILE's exact contents
 *                (ends at its first NUL byte, as C strings do).
 *   -N           next conversation answer is a NULL resp.
 *                Answers are consumed in order across all prompts of one
 *                iteration and start again from the first answer in each
 *                iteration.  Once they run out, every further prompt gets
 *                resp=NULL (the conversation itself still returns
 *                PAM_SUCCESS), unless -E is given.
 *   -W MS        wait MS milliseconds before answering each conversation call.
 *   -E           once the answers run out, the conversation function fails
 *                with PAM_CONV_ERR instead of answering NULL.
 *   -f FLAG      disallow_null  -> PAM_DISALLOW_NULL_AUTHTOK for auth and acct
 *                silent         -> PAM_SILENT for every op
 *                change_expired -> PAM_CHANGE_EXPIRED_AUTHTOK for chauthtok
 *                (setcred always gets PAM_ESTABLISH_CRED, plus PAM_SILENT.)
 *   -r RHOST     pam_set_item(PAM_RHOST).
 *   -R RUID      setreuid(RUID, -1) before anything else: real uid RUID with
 *                effective uid still 0, like a set-uid-root passwd(1).
 *   -q           quiet: print only the SUMMARY line (for benchmarks).
 *
 * Output (stdout, one line per event, line-buffered so that the lines before
 * a crash are kept):
 *   PROMPT style=<n> text=<msg>       for every conversation message
 *   RESULT op=<op> code=<n> name=<PAM_XXX> text=<pam_strerror>
 *                                     for pam_start failures (op=start) and
 *                                     for every op
 *   USER <PAM_USER>                   after the ops of each iteration
 *                                     (USER_UNSET if PAM_USER is NULL)
 *   With -q only, at the end:
 *   SUMMARY iterations=<N> first_codes=<comma-separated codes of the ops
 *                                       of the last iteration>
 *           rss_kb_early=<VmRSS after a tenth of the run> rss_kb=<VmRSS at the end>
 * Newlines inside texts are printed as the two characters "\n".
 *
 * Exit status: 0 if every op returned PAM_SUCCESS in every iteration,
 * 1 otherwise, 2 on usage errors.
 *
 * Build: cc -O2 -Wall -Wextra -o build/test-helpers/pam_loop \
 *           Tests/integration/helpers/pam_loop.c -lpam
 */

#define _GNU_SOURCE

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

enum op { OP_AUTH, OP_ACCT, OP_SETCRED, OP_OPEN, OP_CLOSE, OP_CHAUTHTOK };

static const char *const op_names[] = {
    [OP_AUTH] = "auth",       [OP_ACCT] = "acct",   [OP_SETCRED] = "setcred",
    [OP_OPEN] = "open",       [OP_CLOSE] = "close", [OP_CHAUTHTOK] = "chauthtok",
};

/* Symbolic names of the Linux-PAM 1.5.2 return codes (_pam_types.h). */
static const char *const code_names[] = {
    "PAM_SUCCESS",          "PAM_OPEN_ERR",          "PAM_SYMBOL_ERR",
    "PAM_SERVICE_ERR",      "PAM_SYSTEM_ERR",        "PAM_BUF_ERR",
    "PAM_PERM_DENIED",      "PAM_AUTH_ERR",          "PAM_CRED_INSUFFICIENT",
    "PAM_AUTHINFO_UNAVAIL", "PAM_USER_UNKNOWN",      "PAM_MAXTRIES",
    "PAM_NEW_AUTHTOK_REQD", "PAM_ACCT_EXPIRED",      "PAM_SESSION_ERR",
    "PAM_CRED_UNAVAIL",     "PAM_CRED_EXPIRED",      "PAM_CRED_ERR",
    "PAM_NO_MODULE_DATA",   "PAM_CONV_ERR",          "PAM_AUTHTOK_ERR",
    "PAM_AUTHTOK_RECOVERY_ERR", "PAM_AUTHTOK_LOCK_BUSY",
    "PAM_AUTHTOK_DISABLE_AGING", "PAM_TRY_AGAIN",    "PAM_IGNORE",
    "PAM_ABORT",            "PAM_AUTHTOK_EXPIRED",   "PAM_MODULE_UNKNOWN",
    "PAM_BAD_ITEM",         "PAM_CONV_AGAIN",        "PAM_INCOMPLETE",
};

#define MAX_OPS 64
#define MAX_ANSWERS 256

struct answers {
    const char *v[MAX_ANSWERS]; /* NULL entry = answer with resp=NULL */
    int count;
    int next;                   /* reset to 0 at the start of each iteration */
    int fail_when_exhausted;    /* -E */
    int answer_delay_ms;        /* -W: a user who takes this long to type each answer */
};

static int quiet;

static const char *code_name(int code)
{
    if (code >= 0 && (size_t)code < sizeof code_names / sizeof code_names[0])
        return code_names[code];
    return "PAM_UNKNOWN_CODE";
}

/* Print a string with newlines shown as "\n" so each event stays one line. */
static void put_escaped(const char *s)
{
    if (s == NULL) {
        fputs("(null)", stdout);
        return;
    }
    for (; *s; s++) {
        if (*s == '\n')
            fputs("\\n", stdout);
        else
            putchar(*s);
    }
}

static int converse(int num_msg, const struct pam_message **msg,
                    struct pam_response **resp, void *appdata)
{
    struct answers *ans = appdata;

    if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    if (ans->answer_delay_ms > 0) {
        struct timespec pause = {ans->answer_delay_ms / 1000, (long)(ans->answer_delay_ms % 1000) * 1000000L};
        while (nanosleep(&pause, &pause) != 0) {}
    }
    struct pam_response *r = calloc((size_t)num_msg, sizeof *r);
    if (r == NULL)
        return PAM_BUF_ERR;

    for (int i = 0; i < num_msg; i++) {
        /* Linux-PAM passes msg as an array of pointers (not a pointer to an
         * array, as Solaris does); msg[i] is right here. */
        int style = msg[i]->msg_style;
        if (!quiet) {
            printf("PROMPT style=%d text=", style);
            put_escaped(msg[i]->msg);
            putchar('\n');
        }
        if (style != PAM_PROMPT_ECHO_OFF && style != PAM_PROMPT_ECHO_ON)
            continue; /* info/error messages: resp stays NULL */

        if (ans->next < ans->count) {
            const char *a = ans->v[ans->next++];
            if (a != NULL && (r[i].resp = strdup(a)) == NULL)
                goto fail_buf;
        } else if (ans->fail_when_exhausted) {
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_CONV_ERR;
        }
        /* else: answers exhausted, resp stays NULL by design */
    }
    *resp = r;
    return PAM_SUCCESS;

fail_buf:
    for (int j = 0; j < num_msg; j++)
        free(r[j].resp);
    free(r);
    return PAM_BUF_ERR;
}

/* Read a whole file as a NUL-terminated buffer (binary, no stripping). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "pam_loop: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    while (buf != NULL) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (nb == NULL)
            free(buf);
        buf = nb;
    }
    if (buf == NULL || ferror(f)) {
        fprintf(stderr, "pam_loop: %s: read error\n", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* "NAME=<contents of FILE>" for pam_putenv(). */
static char *env_entry(const char *prefix, const char *path)
{
    char *value = read_file(path);
    if (value == NULL)
        return NULL;
    char *entry = malloc(strlen(prefix) + strlen(value) + 1);
    if (entry != NULL) {
        strcpy(entry, prefix);
        strcat(entry, value);
    }
    free(value);
    return entry;
}

static int parse_ops(char *spec, enum op *ops, int *nops)
{
    *nops = 0;
    for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
        size_t k;
        for (k = 0; k < sizeof op_names / sizeof op_names[0]; k++)
            if (strcmp(tok, op_names[k]) == 0)
                break;
        if (k == sizeof op_names / sizeof op_names[0]) {
            fprintf(stderr, "pam_loop: unknown op '%s'\n", tok);
            return -1;
        }
        if (*nops == MAX_OPS) {
            fprintf(stderr, "pam_loop: too many ops\n");
            return -1;
        }
        ops[(*nops)++] = (enum op)k;
    }
    return *nops > 0 ? 0 : -1;
}

static void usage(void)
{
    fputs("usage: pam_loop -s SERVICE [-u USER] [-c CONFDIR] [-n COUNT] "
          "[-o OPS] [-a AUTHTOK_FILE] [-A OLDAUTHTOK_FILE] [-p ANSWER]... "
          "[-P ANSWER_FILE]... [-N]... [-E] [-f FLAG]... [-r RHOST] "
          "[-R RUID] [-q]\n",
          stderr);
    exit(2);
}

static void print_result(pam_handle_t *pamh, const char *op, int code)
{
    if (quiet)
        return;
    printf("RESULT op=%s code=%d name=%s text=", op, code, code_name(code));
    put_escaped(pam_strerror(pamh, code));
    putchar('\n');
}

/* VmRSS of this process in kB, from /proc/self/status (0 if unreadable). */
static long resident_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    const char *service = NULL, *user = NULL, *first_user = NULL, *confdir = NULL, *rhost = NULL;
    const char *authtok_file = NULL, *oldauthtok_file = NULL;
    char *authtok = NULL, *oldauthtok = NULL;
    char *ops_spec = NULL;
    long count = 1;
    long ruid = -1;
    int disallow_null = 0, silent = 0, change_expired = 0;
    struct answers ans = {0};
    enum op ops[MAX_OPS];
    int nops = 0;
    int opt;

    while ((opt = getopt(argc, argv, "s:u:F:c:n:o:a:A:p:P:NEW:f:r:R:q")) != -1) {
        switch (opt) {
        case 's': service = optarg; break;
        case 'u': user = optarg; break;
        case 'F': first_user = optarg; break;
        case 'c': confdir = optarg; break;
        case 'n': {
            char *end;
            count = strtol(optarg, &end, 10);
            if (*end != '\0' || count < 1)
                usage();
            break;
        }
        case 'o': ops_spec = optarg; break;
        case 'a': authtok_file = optarg; break;
        case 'A': oldauthtok_file = optarg; break;
        case 'p':
        case 'P':
        case 'N':
            if (ans.count == MAX_ANSWERS) {
                fprintf(stderr, "pam_loop: too many answers\n");
                return 2;
            }
            if (opt == 'p') {
                ans.v[ans.count++] = optarg;
            } else if (opt == 'P') {
                char *a = read_file(optarg);
                if (a == NULL)
                    return 2;
                ans.v[ans.count++] = a;
            } else {
                ans.v[ans.count++] = NULL;
            }
            break;
        case 'E': ans.fail_when_exhausted = 1; break;
        case 'W': ans.answer_delay_ms = atoi(optarg); break;
        case 'f':
            if (strcmp(optarg, "disallow_null") == 0)
                disallow_null = 1;
            else if (strcmp(optarg, "silent") == 0)
                silent = 1;
            else if (strcmp(optarg, "change_expired") == 0)
                change_expired = 1;
            else {
                fprintf(stderr, "pam_loop: unknown flag '%s'\n", optarg);
                usage();
            }
            break;
        case 'r': rhost = optarg; break;
        case 'R': {
            char *end;
            ruid = strtol(optarg, &end, 10);
            if (*end != '\0' || ruid < 0)
                usage();
            break;
        }
        case 'q': quiet = 1; break;
        default: usage();
        }
    }
    if (service == NULL || optind != argc)
        usage();
    if (parse_ops(ops_spec ? ops_spec : (char[]){"auth"}, ops, &nops) != 0)
        usage();
    if (authtok_file &&
        (authtok = env_entry("PAM_TEST_AUTHTOK=", authtok_file)) == NULL)
        return 2;
    if (oldauthtok_file &&
        (oldauthtok = env_entry("PAM_TEST_OLDAUTHTOK=", oldauthtok_file)) == NULL)
        return 2;
    if (ruid >= 0 && setreuid((uid_t)ruid, (uid_t)-1) != 0) {
        fprintf(stderr, "pam_loop: setreuid(%ld): %s\n", ruid, strerror(errno));
        return 2;
    }

    /* Keep every line even if the module under test crashes the process. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    int base = silent ? PAM_SILENT : 0;
    int all_ok = 1;
    int last_codes[MAX_OPS];
    int last_n = 0;

    long rss_early = 0;
    for (long it = 0; it < count; it++) {
        if (it == count / 10)
            rss_early = resident_kb();
        struct pam_conv conv = {converse, &ans};
        pam_handle_t *pamh = NULL;
        int rc;

        ans.next = 0;
        last_n = 0;
        const char *this_user = (it == 0 && first_user) ? first_user : user;
        if (confdir)
            rc = pam_start_confdir(service, this_user, &conv, confdir, &pamh);
        else
            rc = pam_start(service, this_user, &conv, &pamh);
        if (rc != PAM_SUCCESS) {
            print_result(pamh, "start", rc);
            last_codes[last_n++] = rc;
            all_ok = 0;
            if (pamh)
                pam_end(pamh, rc);
            continue;
        }

        if (rhost && (rc = pam_set_item(pamh, PAM_RHOST, rhost)) != PAM_SUCCESS)
            fprintf(stderr, "pam_loop: pam_set_item(PAM_RHOST): %d\n", rc);
        if (authtok && (rc = pam_putenv(pamh, authtok)) != PAM_SUCCESS)
            fprintf(stderr, "pam_loop: pam_putenv(PAM_TEST_AUTHTOK): %d\n", rc);
        if (oldauthtok && (rc = pam_putenv(pamh, oldauthtok)) != PAM_SUCCESS)
            fprintf(stderr, "pam_loop: pam_putenv(PAM_TEST_OLDAUTHTOK): %d\n", rc);

        int last = PAM_SUCCESS;
        for (int i = 0; i < nops; i++) {
            switch (ops[i]) {
            case OP_AUTH:
                rc = pam_authenticate(
                    pamh, base | (disallow_null ? PAM_DISALLOW_NULL_AUTHTOK : 0));
                break;
            case OP_ACCT:
                rc = pam_acct_mgmt(
                    pamh, base | (disallow_null ? PAM_DISALLOW_NULL_AUTHTOK : 0));
                break;
            case OP_SETCRED:
                rc = pam_setcred(pamh, base | PAM_ESTABLISH_CRED);
                break;
            case OP_OPEN:
                rc = pam_open_session(pamh, base);
                break;
            case OP_CLOSE:
                rc = pam_close_session(pamh, base);
                break;
            case OP_CHAUTHTOK:
                rc = pam_chauthtok(
                    pamh, base | (change_expired ? PAM_CHANGE_EXPIRED_AUTHTOK : 0));
                break;
            }
            print_result(pamh, op_names[ops[i]], rc);
            last_codes[last_n++] = rc;
            if (rc != PAM_SUCCESS) {
                all_ok = 0;
                last = rc;
            }
        }

        if (!quiet) {
            const void *item = NULL;
            if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item) {
                fputs("USER ", stdout);
                put_escaped(item);
                putchar('\n');
            } else {
                puts("USER_UNSET");
            }
        }
        pam_end(pamh, last);
    }

    if (quiet) {
        printf("SUMMARY iterations=%ld first_codes=", count);
        for (int i = 0; i < last_n; i++)
            printf(i ? ",%d" : "%d", last_codes[i]);
        /* Resident memory after the first tenth of the run and at the end, for leak checks. */
        printf(" rss_kb_early=%ld rss_kb=%ld", rss_early, resident_kb());
        putchar('\n');
    }
    return all_ok ? 0 : 1;
}
