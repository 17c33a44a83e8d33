// The application side of libpam, for the pam-mysql tool's `auth` command.
#include <security/pam_appl.h>
