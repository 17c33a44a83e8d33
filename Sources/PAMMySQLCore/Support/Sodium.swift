#if canImport(Glibc)
import Glibc
#endif

/// libsodium (Argon2 for Dovecot's ARGON2I/ARGON2ID), opened on first use instead of linked.
///
/// Linked, it was loaded and relocated in every process that loads the module, Argon2 users or
/// not: about 0.25 M instructions at each `dlopen`, which a process that authenticates once
/// (`pamtester`, `su`, a CGI) pays in full. Opened here, only a process that meets an Argon2
/// value pays, once. `CSodium` still supplies the header's constants and sizes.
enum Sodium {
    typealias VerifyFunction = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UInt64) -> Int32
    typealias HashFunction = @convention(c) (UnsafeMutablePointer<CChar>, UnsafePointer<CChar>, UInt64, UInt64, Int, Int32) -> Int32
    private typealias InitFunction = @convention(c) () -> Int32

    /// The two functions we call, resolved and with `sodium_init` done.
    struct Library: Sendable {
        /// `crypto_pwhash_str_verify`
        let verify: VerifyFunction
        /// `crypto_pwhash_str_alg`
        let hash: HashFunction
    }

    /// The soname Debian 12's libsodium23 installs (the package declares the dependency).
    static let soname = "libsodium.so.23"

    /// What an Argon2 check logs when the library cannot be used.
    static let unavailable = "libsodium (\(soname)) cannot be loaded: Argon2 values cannot be checked (install libsodium23)"

    /// Nil when the library or a symbol is missing, or `sodium_init` fails. Computed once per
    /// process (a Swift global: thread-safe lazy initialisation); never closed.
    static let library: Library? = {
        guard let handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let initialise = dlsym(handle, "sodium_init"), let verify = dlsym(handle, "crypto_pwhash_str_verify"),
            let hash = dlsym(handle, "crypto_pwhash_str_alg")
        else { return nil }
        // sodium_init picks the CPU-specific Argon2 code; 1 means "already done".
        guard unsafeBitCast(initialise, to: InitFunction.self)() >= 0 else { return nil }
        return Library(verify: unsafeBitCast(verify, to: VerifyFunction.self), hash: unsafeBitCast(hash, to: HashFunction.self))
    }()
}
