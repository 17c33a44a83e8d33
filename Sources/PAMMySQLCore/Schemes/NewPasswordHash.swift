/// Makes the value `pam_sm_chauthtok` stores for a new password, for each crypt mode.
///
/// Unlike pam_mysql 0.8.2: salts come from the kernel's random source (pam_mysql used a salt
/// derived from the password for crypt=1 and `srandom(time())` for Joomla), and crypt=5 and 7
/// write a valid hash of their own kind (pam_mysql wrote an empty password).
public enum NewPasswordHash {
    private static let alphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    public static func make(
        mode: CryptMode, password: SecretBytes, cryptMethod: CryptMethod?, md5: Bool, useMySQL323: Bool
    ) -> Result<SecretBytes, NewPasswordHashError> {
        guard password.count <= maximumPasswordLength else {
            return .failure(NewPasswordHashError(reason: "the new password is longer than \(maximumPasswordLength) bytes"))
        }
        func digest(_ algorithm: DigestAlgorithm) -> Result<SecretBytes, NewPasswordHashError> {
            guard let value = algorithm.digest(password) else { return .failure(.libcryptoFailed) }
            return .success(Hex.encode(value, case: .lower))
        }
        switch mode {
        case .plain:
            return .success(password.slice(0..<password.count))
        case .crypt:
            let method = cryptMethod ?? (md5 ? .md5 : .des)
            return cryptHash(password: password, prefix: method.gensalt.prefix, cost: method.gensalt.count)
        case .mysql:
            if useMySQL323 { return .success(MySQLPasswordScheme.legacyMySQL323(password)) }
            guard let inner = DigestAlgorithm.sha1.digest(password), let outer = DigestAlgorithm.sha1.digest(inner) else {
                return .failure(.libcryptoFailed)
            }
            return .success(SecretBytes(Array("*".utf8)).appending(Hex.encode(outer, case: .upper)))
        case .md5: return digest(.md5)
        case .sha1: return digest(.sha1)
        case .sha256: return digest(.sha256)
        case .sha512: return digest(.sha512)
        case .drupal7:
            // Drupal 7's own default: SHA-512, 2^15 iterations ('D'), 8 salt characters.
            guard let salt = SecureRandom.string(8, alphabet: CryptAlphabet.itoa64) else { return .failure(.noRandomBytes) }
            return DrupalScheme.hash(password: password, setting: SecretBytes(Array("$S$D".utf8) + salt))
                .map { .success($0) } ?? .failure(.libcryptoFailed)
        case .joomla15:
            // 32 alphanumeric characters: no `:`, quote or backslash in the salt.
            guard let salt = SecureRandom.string(32, alphabet: alphanumeric) else { return .failure(.noRandomBytes) }
            let saltBytes = SecretBytes(salt)
            guard let hash = DigestAlgorithm.md5.digest(password, saltBytes) else { return .failure(.libcryptoFailed) }
            return .success(Hex.encode(hash, case: .lower).appending(SecretBytes(Array(":".utf8))).appending(saltBytes))
        case .dovecot:
            return dovecotHash(password: password, cryptMethod: cryptMethod ?? .sha512)
        case .ssha:
            // 8 bytes of salt: pam_mysql 0.8.2 itself overflowed on salts over 10 bytes, so a
            // site that goes back to it can still read these.
            guard let salt = SecureRandom.bytes(8) else { return .failure(.noRandomBytes) }
            let saltBytes = SecretBytes(salt)
            guard let hash = DigestAlgorithm.sha1.digest(password, saltBytes) else { return .failure(.libcryptoFailed) }
            return .success(Base64.encode(hash.appending(saltBytes)))
        }
    }

    /// crypt(3) with a fresh libxcrypt salt for `prefix` ("" is DES) at `cost` (0: libxcrypt's).
    static func cryptHash(password: SecretBytes, prefix: String, cost: UInt) -> Result<SecretBytes, NewPasswordHashError> {
        guard !password.containsNUL else { return .failure(.containsNUL) }
        guard let salt = CryptFunction.generateSalt(prefix: prefix, count: cost),
            let hash = CryptFunction.hash(password: password, setting: SecretBytes(Array(salt.utf8)))
        else { return .failure(.init(reason: "libxcrypt could not make a \(prefix.isEmpty ? "DES" : prefix) hash")) }
        return .success(hash)
    }

    /// crypt=dovecot stores crypt(3) under the prefix Dovecot reads it with, SHA512-CRYPT unless
    /// `crypt_method` says otherwise. The weak methods (md5, des) are refused: the value would be
    /// refused again at the next login unless `allow_weak_schemes` is set.
    static func dovecotHash(password: SecretBytes, cryptMethod: CryptMethod) -> Result<SecretBytes, NewPasswordHashError> {
        let scheme: String
        switch cryptMethod {
        case .yescrypt: scheme = "CRYPT"
        case .sha512: scheme = "SHA512-CRYPT"
        case .sha256: scheme = "SHA256-CRYPT"
        case .bcrypt: scheme = "BLF-CRYPT"
        case .md5, .des:
            return .failure(.init(reason: "crypt_method \(cryptMethod.rawValue) is a weak Dovecot scheme; choose yescrypt, sha512, sha256 or bcrypt"))
        }
        return DovecotNewValue.make(scheme: scheme, password: password, userName: [])
    }
}
