/// Makes the value `pam_sm_chauthtok` stores for a new password, for each crypt mode.
///
/// Unlike pam_mysql 0.8.2: salts come from the kernel's random source (pam_mysql used a salt
/// derived from the password for crypt=1 and `srandom(time())` for Joomla), and crypt=5 and 7
/// write a valid hash of their own kind (pam_mysql wrote an empty password).
public enum NewPasswordHash {
    /// Each mode's generator lives beside its verifier (`PasswordScheme.generate`); this applies
    /// the length limit every mode shares first.
    public static func make(
        mode: CryptMode, password: SecretBytes, cryptMethod: CryptMethod?, md5: Bool, useMySQL323: Bool
    ) -> Result<SecretBytes, NewPasswordHashError> {
        guard password.count <= maximumPasswordLength else {
            return .failure(NewPasswordHashError(reason: "the new password is longer than \(maximumPasswordLength) bytes"))
        }
        let context = NewValueContext(cryptMethod: cryptMethod, md5: md5, useMySQL323: useMySQL323)
        return PasswordSchemes.scheme(for: mode).generate(password: password, context: context)
    }
}
