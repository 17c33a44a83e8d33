/// Why a new stored value could not be made: PAM_AUTHTOK_ERR, nothing written.
public struct NewPasswordHashError: Error, Equatable, Sendable {
    public let reason: String

    static let noRandomBytes = NewPasswordHashError(reason: "the kernel gave no random bytes for the salt")
    static let libcryptoFailed = NewPasswordHashError(reason: "libcrypto failed")
    static let containsNUL = NewPasswordHashError(reason: "the new password contains a NUL byte")
}
