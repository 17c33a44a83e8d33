#include <security/pam_modules.h>
#include <security/pam_ext.h>

/* Non-variadic entry points for Swift. Calling pam_prompt/pam_syslog through withVaList
 * costs a dynamic cast per argument, and the first one scans every protocol conformance
 * record of the statically linked Swift runtime (about 0.2 M instructions in a process that
 * authenticates once). The format is fixed to "%s": the text is never a format string. */
static inline int pam_mysql_prompt_text(pam_handle_t *pamh, int style, char **response, const char *text) {
    return pam_prompt(pamh, style, response, "%s", text);
}

static inline void pam_mysql_syslog_text(const pam_handle_t *pamh, int priority, const char *text) {
    pam_syslog(pamh, priority, "%s", text);
}
