import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// The decoy of each `crypt=` mode: the method and cost of the last stored value verified in
/// this process (never the value itself, see `DecoyHash`). An unknown user's password is then
/// verified against what a known user's costs, whatever the table holds: a fixed SHA-512-crypt
/// decoy would answer an unknown name faster than a wrong password of a yescrypt or bcrypt
/// table. A process that has verified nothing yet (`su`, the first login of a worker) uses
/// `decoy_hash`, else the mode's fixed decoy.
///
/// Process-wide because that is the unit a host's timing is measured over; the module is
/// NODELETE, so it outlives `pam_end()`. A plain pthread mutex guards it (no Foundation, no
/// Swift Concurrency in the module), taken around `fork()` so a child never inherits it held.
enum DecoyMemory {
    nonisolated(unsafe) private static var decoys = [DecoyHash?](repeating: nil, count: CryptMode.allCases.count)

    /// Remembers the method and cost of `stored`, a value of `mode` just verified.
    static func noteVerified(_ stored: SecretBytes, mode: CryptMode, defaultPassScheme: String) {
        guard let decoy = DecoyHash.derived(from: stored, mode: mode, defaultPassScheme: defaultPassScheme) else { return }
        decoyLock()
        defer { decoyUnlock() }
        if let slot = slot(mode), decoys[slot] != decoy { decoys[slot] = decoy }
    }

    /// The last decoy noted for `mode`, if any.
    static func last(for mode: CryptMode) -> DecoyHash? {
        decoyLock()
        defer { decoyUnlock() }
        return slot(mode).flatMap { decoys[$0] }
    }

    private static func slot(_ mode: CryptMode) -> Int? {
        CryptMode.allCases.firstIndex(of: mode)
    }
}

private nonisolated(unsafe) let decoyMutex: UnsafeMutablePointer<pthread_mutex_t> = {
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_atfork(
        { pthread_mutex_lock(decoyMutex) },
        { pthread_mutex_unlock(decoyMutex) },
        { pthread_mutex_unlock(decoyMutex) })
    return mutex
}()

private func decoyLock() { pthread_mutex_lock(decoyMutex) }
private func decoyUnlock() { pthread_mutex_unlock(decoyMutex) }
