/// Which user names may appear in `user=`. Postfix does not unescape: it splits its reply on TAB
/// and copies `user=` verbatim into `sasl_username` (`xsasl_dovecot_parse_reply_args`), so a
/// name with TAB, CR, LF, NUL or the escape byte `\x01` is refused rather than escaped.
enum DovecotUserName {
    static func isAcceptable<C: Collection>(_ name: C) -> Bool where C.Element == UInt8 {
        !name.isEmpty && !name.contains { $0 == 0x00 || $0 == 0x01 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d }
    }
}
