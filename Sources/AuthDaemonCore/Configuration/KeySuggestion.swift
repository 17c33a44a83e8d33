/// "did you mean": the known key within two edits of `key`, the closest one first.
enum KeySuggestion {
    static func closest(to key: String, among known: [String]) -> String? {
        let typed = Array(key.utf8)
        guard typed.count <= 64 else { return nil }
        var best: (String, Int)?
        for candidate in known {
            let distance = editDistance(typed, Array(candidate.utf8))
            if distance <= 2, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
        }
        return best?.0
    }

    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
