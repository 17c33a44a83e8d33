import PAMMySQLCore

extension ModuleCall {
    /// `pam_sm_open_session` / `pam_sm_close_session`: a log row with `sqllog`, nothing else.
    ///
    /// Decision (differs from pam_mysql): a session line never fails because the database is
    /// down. pam_mysql opened a connection even with `sqllog` off and failed the login with
    /// PAM_AUTHINFO_UNAVAIL; here the database is touched only to write the log row, and a
    /// failed write is logged to syslog but, as in pam_mysql, does not change the result.
    func runSession(opening: Bool) -> Outcome {
        sqlLog(opening ? .openSession : .closeSession)
        return .success
    }
}
