import Logging

/// The text of one line: the message, then its metadata as `key=value` in key order. Every
/// value that came from a client was escaped before it was put in a message.
enum LogLineText {
    static func message(_ event: LogEvent) -> String {
        guard let metadata = event.metadata, !metadata.isEmpty else { return event.message.description }
        let fields = metadata.keys.sorted().map { "\($0)=\(metadata[$0].map { "\($0)" } ?? "")" }
        return "\(event.message) \(fields.joined(separator: " "))"
    }
}
