/*
 * The module's exported entry points. Each one only forwards to the Swift core: the C compiler
 * checks these signatures against <security/pam_modules.h>, which Swift's @_cdecl would not.
 */
#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#define PAM_SM_SESSION
#define PAM_SM_PASSWORD
#include <security/pam_modules.h>

#include "pam_mysql_shim.h"

/* Defined in Swift (Sources/PAMMySQL/EntryPoints.swift) with @_cdecl; local to the module. */
extern int pam_mysql_dispatch(int call, pam_handle_t *pamh, int flags, int argc, const char **argv);

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_AUTHENTICATE, pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_SETCRED, pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_ACCT_MGMT, pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_OPEN_SESSION, pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_CLOSE_SESSION, pamh, flags, argc, argv);
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    return pam_mysql_dispatch(PAM_MYSQL_CALL_CHAUTHTOK, pamh, flags, argc, argv);
}
