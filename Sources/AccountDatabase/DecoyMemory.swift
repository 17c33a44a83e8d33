import PAMMySQLCore

/// The decoy of each `crypt=` mode: the method and cost of the last stored value verified in
/// this process (never the value itself, see `DecoyHash`). An unknown user's password is then
/// verified against what a known user's costs, whatever the table holds: a fixed SHA-512-crypt
/// decoy would answer an unknown name faster than a wrong password of a yescrypt or bcrypt
/// table. A process that has verified nothing yet (`su`, the first login of a worker) uses
/// `decoy_hash`, else the mode's fixed decoy.
///
/// Process-wide because that is the unit a host's timing is measured over; the module is
/// NODELETE, so it outlives `pam_end()`. `ProcessLock` guards it, as the pool's state.
enum DecoyMemory {
    nonisolated(unsafe) private static var decoys = [DecoyHash?](repeating: nil, count: CryptMode.allCases.count)

    /// Remembers the method and cost of `stored`, a value of `mode` just verified.
    static func noteVerified(_ stored: SecretBytes, mode: CryptMode, defaultPassScheme: String) {
        guard let decoy = DecoyHash.derived(from: stored, mode: mode, defaultPassScheme: defaultPassScheme) else { return }
        ProcessLock.withLock {
            if let slot = slot(mode), decoys[slot] != decoy { decoys[slot] = decoy }
        }
    }

    /// The last decoy noted for `mode`, if any.
    static func last(for mode: CryptMode) -> DecoyHash? {
        ProcessLock.withLock { slot(mode).flatMap { decoys[$0] } }
    }

    private static func slot(_ mode: CryptMode) -> Int? {
        CryptMode.allCases.firstIndex(of: mode)
    }
}
