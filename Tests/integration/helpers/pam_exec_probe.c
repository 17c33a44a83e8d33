/*
 * pam_exec_probe.c - a host that logs a user in, then starts another program, the way
 * login(1), su(1) or a CGI server do, and reports which database sockets that program holds.
 *
 * Usage:
 *   pam_exec_probe SERVICE USER PASSWORD PORT MODE
 *   pam_exec_probe count PORT
 *
 *   MODE exec            after pam_authenticate + pam_acct_mgmt, with the handle still open,
 *                        fork and exec "pam_exec_probe count PORT" (the user's shell).
 *   MODE exec-after-end  the same after pam_end (the connection is back in the module's pool).
 *   MODE fork            after pam_end, fork; the child does not exec but counts itself
 *                        (a prefork worker); then the parent logs in again on its pooled
 *                        connection, which must still work.
 *   count PORT           print "SOCKETS <n>": open descriptors that are TCP sockets
 *                        connected to 127.0.0.1:PORT.
 *
 * Output: "AUTH <code>", "ACCT <code>", "CHILD SOCKETS <n>", "AGAIN <code>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *password;

static int converse(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
    (void)data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (!r) return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup(password);
    *resp = r;
    return PAM_SUCCESS;
}

static int count_sockets(int port) {
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) continue;
        if (peer.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&peer)->sin_port) == port) n++;
    }
    return n;
}

static int login(const char *service, const char *user, pam_handle_t **out) {
    struct pam_conv conv = {converse, NULL};
    pam_handle_t *pamh = NULL;
    if (pam_start(service, user, &conv, &pamh) != PAM_SUCCESS) return -1;
    int code = pam_authenticate(pamh, 0);
    printf("AUTH %d\n", code);
    if (code == PAM_SUCCESS) printf("ACCT %d\n", pam_acct_mgmt(pamh, 0));
    fflush(stdout);
    *out = pamh;
    return code;
}

static void run_child(const char *self, const char *port_text, int exec_it, int port) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (exec_it) {
            execl(self, self, "count", port_text, (char *)NULL);
            _exit(127);
        }
        printf("SOCKETS %d\n", count_sockets(port));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "count") == 0) {
        printf("CHILD SOCKETS %d\n", count_sockets(atoi(argv[2])));
        return 0;
    }
    if (argc != 6) {
        fprintf(stderr, "usage: %s SERVICE USER PASSWORD PORT exec|exec-after-end|fork\n", argv[0]);
        return 2;
    }
    const char *service = argv[1], *user = argv[2], *mode = argv[5];
    password = argv[3];
    int port = atoi(argv[4]);
    pam_handle_t *pamh;
    if (login(service, user, &pamh) < 0) return 1;
    if (strcmp(mode, "exec") == 0) {
        run_child(argv[0], argv[4], 1, port);
        pam_end(pamh, PAM_SUCCESS);
    } else if (strcmp(mode, "exec-after-end") == 0) {
        pam_end(pamh, PAM_SUCCESS);
        run_child(argv[0], argv[4], 1, port);
    } else if (strcmp(mode, "fork") == 0) {
        pam_end(pamh, PAM_SUCCESS);
        printf("PARENT SOCKETS %d\n", count_sockets(port));
        printf("CHILD ");
        run_child(argv[0], argv[4], 0, port);
        pam_handle_t *again;
        struct pam_conv conv = {converse, NULL};
        if (pam_start(service, user, &conv, &again) != PAM_SUCCESS) return 1;
        printf("AGAIN %d\n", pam_authenticate(again, 0));
        pam_end(again, PAM_SUCCESS);
    } else {
        return 2;
    }
    return 0;
}
