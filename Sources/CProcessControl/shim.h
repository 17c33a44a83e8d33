#ifndef PAM_MYSQL_PROCESS_CONTROL_H
#define PAM_MYSQL_PROCESS_CONTROL_H

#include <sys/prctl.h>

/* prctl(2) is variadic, which Swift does not import: the one call the daemon makes. */
static inline int pam_mysql_authd_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

#endif
