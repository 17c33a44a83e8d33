import Foundation

/// The protocol vectors of Tests/vectors/saslauthd_frames.json and dovecot_auth_transcripts.json,
/// which the fuzz seeds are made from too (Fuzz/make-seeds.py): one file per protocol, so tests
/// and seeds cannot drift apart.
enum ProtocolVectors {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vectors")

    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VectorError("\(name) is not a JSON object")
        }
        return object
    }

    static func entries(_ name: String, _ key: String) throws -> [[String: Any]] {
        guard let list = try load(name)[key] as? [[String: Any]], !list.isEmpty else { throw VectorError("\(name): no \(key)") }
        return list
    }

    /// A byte field given as text (UTF-8) under `key` or as hex under `key_hex`.
    static func bytes(_ entry: [String: Any], _ key: String) -> [UInt8]? {
        if let hex = entry[key + "_hex"] as? String { return self.hex(hex) }
        if let text = entry[key] as? String { return Array(text.utf8) }
        return nil
    }

    static func hex(_ text: String) -> [UInt8] {
        let digits = Array(text.utf8)
        var out: [UInt8] = []
        var index = 0
        while index + 1 < digits.count {
            out.append(UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) ?? 0)
            index += 2
        }
        return out
    }

    struct VectorError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
