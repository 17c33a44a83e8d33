/// Why the daemon cannot start (a socket in use, a file it cannot open): printed once, exit 1.
struct DaemonStartError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
