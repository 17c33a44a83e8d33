#ifndef PAM_MYSQL_SHIM_H
#define PAM_MYSQL_SHIM_H

/* The PAM functions a line can name, in the order the Swift core's `PAMCall` enum uses. */
enum pam_mysql_call {
    PAM_MYSQL_CALL_AUTHENTICATE = 0,
    PAM_MYSQL_CALL_SETCRED = 1,
    PAM_MYSQL_CALL_ACCT_MGMT = 2,
    PAM_MYSQL_CALL_OPEN_SESSION = 3,
    PAM_MYSQL_CALL_CLOSE_SESSION = 4,
    PAM_MYSQL_CALL_CHAUTHTOK = 5,
};

#endif
