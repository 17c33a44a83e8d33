/// One master.cf service that runs smtpd, with its `-o` overrides: the unit the chain check
/// follows, since `-o smtpd_sasl_type=` or `-o smtpd_sasl_service=` may differ per service.
struct PostfixService {
    /// The service field (`smtp`, `submission`, `127.0.0.1:2525`).
    let name: String
    /// `inet`, `unix`, `pass`.
    let type: String
    /// The chroot column: smtpd then runs inside queue_directory ("-" is Postfix's default, n).
    let chrooted: Bool
    /// `-o name=value` overrides, $variables expanded by postconf.
    let overrides: [String: String]

    var label: String { "\(name)/\(type)" }
}
