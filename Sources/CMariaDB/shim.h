#include <mariadb/mysql.h>
#include <sys/auxv.h>

/* AT_SECURE: the kernel's word that this process runs with more privilege than its caller
 * (set-uid, set-gid, file capabilities), whose environment Connector/C would then obey.
 * <sys/auxv.h> is not part of Swift's Glibc module. */
static inline int pam_mysql_secure_execution(void) {
    return getauxval(AT_SECURE) != 0;
}
