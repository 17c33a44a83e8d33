/// JSON text without Foundation (which would add megabytes to the tool): strings escaped for
/// any consumer, objects with their keys in the given order.
enum JSONText {
    /// `text` as a JSON string, in ASCII only: `"` and `\` escaped, control characters and
    /// everything outside ASCII as `\uXXXX` (UTF-16, so U+2028 and bytes that were not UTF-8,
    /// which Swift already turned into U+FFFD, reach every parser intact).
    static func string(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default: out += "\\u" + hex4(unit)
            }
        }
        return out + "\""
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { "\(string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func array(_ values: [String]) -> String {
        "[" + values.joined(separator: ", ") + "]"
    }

    private static func hex4(_ value: UInt16) -> String {
        let digits = Array("0123456789abcdef".unicodeScalars)
        var text = ""
        for shift in stride(from: 12, through: 0, by: -4) {
            text.unicodeScalars.append(digits[Int((value >> UInt16(shift)) & 0xF)])
        }
        return text
    }
}
