/// Finds the restriction an unknown option name was probably meant to be.
///
/// pam_mysql ignores unknown names, so `wehre=active=1` drops the `where` clause and
/// `users.password_cyrpt = 1` leaves crypt at plain text (the stored hash becomes the password).
/// An unknown name within an edit distance of 2 (insertions, deletions, substitutions and
/// swaps of neighbours) of such an option fails closed instead; other unknown names (`port=`,
/// `verbos`) are still only logged. The names compared are, for each option whose table entry
/// says `isRestriction`, its argument name, its config-file key and that key without `users.`,
/// in both places (`crypt = 1` in the file and `users.where_clause=` on the line are the same
/// mistake); an unknown `users.x` is also compared without its prefix (`users.crypt`).
public enum MisspeltRestriction {
    public static let maximumDistance = 2

    /// Every name an unknown one is compared with.
    public static let names: [String] = OptionTable.all.filter { $0.isRestriction }.flatMap { spec in
        [spec.argumentName, spec.configKey, spec.configKey.map(withoutUsersPrefix)].compactMap { $0 }
    }

    /// The restriction `name` is a near miss of, or nil. Only called for names not in the table.
    public static func closeMatch<Name: Collection>(to name: Name) -> String? where Name.Element == UInt8 {
        // A name far longer than every candidate cannot be close; skip the work.
        guard name.count <= 64 else { return nil }
        let name = Array(name)
        let prefix = Array("users.".utf8)
        // `users.crypt` is the argument name behind the file's prefix.
        let forms = name.starts(with: prefix) ? [name, Array(name.dropFirst(prefix.count))] : [name]
        var best: (name: String, distance: Int)?
        for form in forms {
            for candidate in names {
                let distance = editDistance(form, Array(candidate.utf8))
                if distance <= maximumDistance, distance < (best?.distance ?? .max) { best = (candidate, distance) }
            }
        }
        return best?.name
    }

    private static func withoutUsersPrefix(_ key: String) -> String {
        key.hasPrefix("users.") ? String(key.dropFirst(6)) : key
    }

    /// Optimal string alignment distance: Levenshtein plus the swap of two neighbours
    /// (`wehre` is 1 from `where`, not 2).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, beforePrevious[j - 2] + 1)
                }
                current[j] = value
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
