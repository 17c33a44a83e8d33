/*
 * pam_preset_authtok.c - test-only PAM module that presets PAM_AUTHTOK and
 * PAM_OLDAUTHTOK, standing in for an earlier module of a stack (the way
 * pam_unix would leave the typed password for a following
 * "use_first_pass" module).
 *
 * Why a module: Linux-PAM lets only modules set PAM_AUTHTOK/PAM_OLDAUTHTOK;
 * pam_set_item() from the application returns PAM_BAD_ITEM.  So the test
 * driver puts the wanted tokens into the PAM environment (pam_loop -a/-A,
 * pamtester -E), and this module, placed before the module under test,
 * copies them into the items:
 *
 *   PAM env PAM_TEST_AUTHTOK     -> PAM_AUTHTOK
 *   PAM env PAM_TEST_OLDAUTHTOK  -> PAM_OLDAUTHTOK
 *
 * Module arguments authtok=VALUE / oldauthtok=VALUE do the same statically
 * (the environment wins).  Every entry point returns PAM_IGNORE, so the line
 * can be "required" or "optional" in any group without changing the stack's
 * result.  For chauthtok both the PRELIM_CHECK and the UPDATE_AUTHTOK pass
 * set the items.
 *
 * Build: cc -O2 -Wall -Wextra -shared -fPIC \
 *           -o build/test-helpers/pam_preset_authtok.so \
 *           Tests/integration/helpers/pam_preset_authtok.c -lpam
 */

#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

static void preset(pam_handle_t *pamh, int argc, const char **argv)
{
    const char *tok = NULL, *oldtok = NULL;

    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "authtok=", 8) == 0)
            tok = argv[i] + 8;
        else if (strncmp(argv[i], "oldauthtok=", 11) == 0)
            oldtok = argv[i] + 11;
    }
    const char *e;
    if ((e = pam_getenv(pamh, "PAM_TEST_AUTHTOK")) != NULL)
        tok = e;
    if ((e = pam_getenv(pamh, "PAM_TEST_OLDAUTHTOK")) != NULL)
        oldtok = e;

    if (tok != NULL && pam_set_item(pamh, PAM_AUTHTOK, tok) != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "pam_preset_authtok: cannot set PAM_AUTHTOK");
    if (oldtok != NULL && pam_set_item(pamh, PAM_OLDAUTHTOK, oldtok) != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "pam_preset_authtok: cannot set PAM_OLDAUTHTOK");
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                   const char **argv)
{
    (void)flags;
    preset(pamh, argc, argv);
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
                                const char **argv)
{
    (void)flags;
    preset(pamh, argc, argv);
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                              const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
                                const char **argv)
{
    (void)flags;
    preset(pamh, argc, argv);
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
                                   const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                                    const char **argv)
{
    (void)pamh, (void)flags, (void)argc, (void)argv;
    return PAM_IGNORE;
}
