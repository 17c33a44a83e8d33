#if canImport(Glibc)
import Glibc
#endif

/// pam_mysql's account check: the `statcolumn` value as bits.
///
/// Bit 0 (1): the account has expired. Bit 1 (2): the password must be changed. Bit 2 (4) is
/// ignored in the column and set when the stored password is NULL.
public enum AccountStatus {
    public static let expiredBit = 1
    public static let passwordChangeBit = 2
    public static let nullPasswordBit = 4

    /// The status word: a NULL status is "expired"; text is read like C's `strtol` (leading
    /// blanks and sign, digits up to the first other character, no digits = 0, clamped to
    /// the `long` range, so a negative number sets every bit).
    public static func bits(statusValue: SecretBytes?, passwordIsNull: Bool) -> Int {
        var status: Int
        if let statusValue {
            status = statusValue.withCString { strtol($0, nil, 10) } & ~nullPasswordBit
        } else {
            status = expiredBit
        }
        if passwordIsNull { status |= nullPasswordBit }
        return status
    }

    /// What a status word means for the account.
    public enum Verdict: Equatable, Sendable {
        case allowed
        /// Bit 0.
        case expired
        /// Bit 1 with a NULL password: a password must be set.
        case newPasswordRequired
        /// Bit 1 with a stored password: it must be changed.
        case passwordExpired
    }

    /// pam_mysql 0.8.2's reading of a status word: expiry first, then the change bit. (Bit 1
    /// with a non-NULL password is PAM_AUTHTOK_EXPIRED in the module, as in the C module,
    /// whose README promised PAM_NEW_AUTHTOK_REQD.)
    public static func verdict(bits: Int) -> Verdict {
        if bits & expiredBit != 0 { return .expired }
        if bits & passwordChangeBit != 0 {
            return bits & nullPasswordBit != 0 ? .newPasswordRequired : .passwordExpired
        }
        return .allowed
    }
}
