/*
 * syslog_capture.c - LD_PRELOAD library that captures syslog() output for tests.
 *
 * The test machines have no syslog daemon and no /dev/log, so whatever a PAM
 * module logs is normally lost.  Preloading this library replaces the glibc
 * entry points syslog, vsyslog, __syslog_chk and __vsyslog_chk (the _chk
 * forms are what code built with _FORTIFY_SOURCE calls, e.g. libpam's
 * pam_syslog and the Debian pam_mysql.so) and appends one line per call to
 * the file named by $PAM_MYSQL_TEST_SYSLOG:
 *
 *     <priority> <message>\n
 *
 * <priority> is pri & LOG_PRIMASK (the facility is dropped), <message> is the
 * formatted text with every newline written as the two characters "\n".
 * The whole line goes out in a single write() on an O_APPEND descriptor, so
 * lines from concurrent processes (or threads) never interleave.
 *
 * If PAM_MYSQL_TEST_SYSLOG is unset or empty, the calls do nothing at all.
 * openlog() and closelog() are no-ops so that the host program cannot reach
 * the real syslog machinery either.
 *
 * Build: cc -O2 -Wall -Wextra -shared -fPIC \
 *            -o build/test-helpers/libsyslog_capture.so \
 *            Tests/integration/helpers/syslog_capture.c
 */

/* Our definitions must not be turned into the fortify inline wrappers. */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define MSG_MAX (64 * 1024)

#define EXPORT __attribute__((visibility("default")))

/* glibc does not declare these unless fortification is on. */
void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);

static void capture(int pri, const char *fmt, va_list ap)
{
    /* vsnprintf handles %m (glibc extension), which reads errno: keep the
     * caller's errno intact for it and restore it for the caller afterwards. */
    int saved_errno = errno;
    const char *path = getenv("PAM_MYSQL_TEST_SYSLOG");
    if (path == NULL || *path == '\0' || fmt == NULL)
        return;

    /* Heap, not stack: some hosts (saslauthd workers, Swift threads) run
     * with small thread stacks. */
    char *msg = malloc(MSG_MAX);
    /* Worst case every byte is a newline and becomes two: 2*MSG_MAX, plus
     * the priority, a space and the final newline. */
    char *line = malloc(2 * MSG_MAX + 32);
    if (msg == NULL || line == NULL) {
        free(msg);
        free(line);
        errno = saved_errno;
        return;
    }

    errno = saved_errno;
    int n = vsnprintf(msg, MSG_MAX, fmt, ap);
    if (n < 0)
        msg[0] = '\0';

    size_t len = (size_t)snprintf(line, 32, "%d ", pri & LOG_PRIMASK);
    for (const char *p = msg; *p != '\0'; p++) {
        if (*p == '\n') {
            line[len++] = '\\';
            line[len++] = 'n';
        } else {
            line[len++] = *p;
        }
    }
    line[len++] = '\n';

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        /* One write() per line; O_APPEND makes it atomic w.r.t. other
         * appenders on a local file system. */
        ssize_t w = write(fd, line, len);
        (void)w;
        close(fd);
    }
    free(msg);
    free(line);
    errno = saved_errno;
}

EXPORT void openlog(const char *ident, int option, int facility)
{
    (void)ident;
    (void)option;
    (void)facility;
}

EXPORT void closelog(void)
{
}

EXPORT void vsyslog(int pri, const char *fmt, va_list ap)
{
    capture(pri, fmt, ap);
}

EXPORT void syslog(int pri, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}

EXPORT void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
    (void)flag;
    capture(pri, fmt, ap);
}

EXPORT void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
    va_list ap;
    (void)flag;
    va_start(ap, fmt);
    capture(pri, fmt, ap);
    va_end(ap);
}
