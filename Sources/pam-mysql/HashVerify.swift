import ArgumentParser
import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// `pam-mysql hash --verify`: a password against a stored value, with the module's verifier
/// (PasswordSchemes.verify), so the answer is the module's. The stored value is a secret too:
/// it is read like a password, never taken from the command line, and never printed.
extension Hash {
    /// The mode and context the verification uses, from --scheme or --crypt.
    struct Verifier {
        let mode: CryptMode
        let context: VerificationContext
    }

    func verifier() -> Verifier? {
        let user = Array((user ?? "").utf8)
        if let crypt {
            guard let mode = CryptMode(optionValue: crypt) else { return nil }
            return Verifier(mode: mode, context: VerificationContext(userName: user, allowWeakSchemes: allowWeakSchemes))
        }
        switch scheme.flatMap(Self.recipe) {
        case .module(let mode, _, let legacy):
            return Verifier(mode: mode, context: VerificationContext(useMySQL323: legacy, userName: user))
        case .dovecot(let name):
            // A value without a {SCHEME} prefix is read as NAME (default_pass_scheme).
            return Verifier(
                mode: .dovecot, context: VerificationContext(userName: user, defaultPassScheme: name, allowWeakSchemes: allowWeakSchemes))
        case nil:
            return nil
        }
    }

    func validateVerify() throws {
        switch (scheme, crypt) {
        case (nil, nil):
            throw ValidationError(
                "--verify needs --scheme S or --crypt N: the same value can mean different things (32 hex digits are crypt=3 or a plain password)"
            )
        case (.some, .some): throw ValidationError("give --scheme or --crypt, not both")
        default: break
        }
        if storedFile != nil && storedStdin { throw ValidationError("give --stored-file or --stored-stdin, not both") }
        if verifier() == nil {
            if let crypt { throw ValidationError("unknown crypt mode \"\(crypt)\"; crypt= takes 0-9, a mode name or dovecot") }
            let suggestion = closest(to: scheme ?? "", among: Self.schemes).map { " (did you mean \($0)?)" } ?? ""
            throw ValidationError("unknown scheme \"\(scheme ?? "")\"\(suggestion)")
        }
    }

    func runVerify() throws {
        guard let verifier = verifier() else { throw ExitCode(usageExitCode) }
        let password: SecretBytes
        let stored: SecretBytes
        do {
            password = try Secrets.read(prompt: "Password: ", fromStdin: passwordOptions.passwordStdin)
            if let storedFile {
                stored = try Secrets.readFirstLine(path: storedFile)
            } else {
                stored = try Secrets.read(prompt: "Stored value: ", fromStdin: storedStdin)
            }
        } catch {
            printError("pam-mysql: \(error.message)")
            throw ExitCode(usageExitCode)
        }
        let label = verifier.mode.label
        guard password.count <= maximumPasswordLength else {
            print("does not verify: the password is longer than \(maximumPasswordLength) bytes (the module refuses it before hashing)")
            throw ExitCode(1)
        }
        let shape = StoredValueShape.guess(stored)?.hint(configured: verifier.mode).map { "; the stored value \($0)" } ?? ""
        switch PasswordSchemes.verify(mode: verifier.mode, password: password, stored: stored, context: verifier.context) {
        case .match:
            print("verified (\(label))")
        case .mismatch:
            print("does not verify (\(label))\(shape)")
            throw ExitCode(1)
        case .storedSecretIsEmpty:
            print("does not verify: the stored value is empty (\(label); the module refuses it unless nullok)")
            throw ExitCode(1)
        case .malformed(let reason):
            print("does not verify: not a valid \(label) value: \(reason)\(shape)")
            throw ExitCode(1)
        }
    }
}
