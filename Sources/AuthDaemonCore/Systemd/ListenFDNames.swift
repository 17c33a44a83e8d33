import PAMMySQLCore

/// The sockets systemd hands over (sd_listen_fds(3)), read from the three environment values only:
/// no system call here, so every rule is unit-tested. The executable reads the environment,
/// calls `parse`, then checks each descriptor is a listening UNIX stream socket.
///
/// The rules are libsystemd's: the variables are for us only when `LISTEN_PID` is our pid (a
/// child that inherited them must not take its parent's sockets); descriptors start at 3;
/// `LISTEN_FDNAMES` is colon-separated, one name per descriptor, and a descriptor without a name
/// is "unknown". Where libsystemd answers -EINVAL (a count that is not a number, a name list of
/// the wrong length) we refuse with the reason, so a unit typo is one clear line at start.
public enum ListenFDNames {
    /// sd_listen_fds' SD_LISTEN_FDS_START.
    public static let firstDescriptor: Int32 = 3
    /// More would be a broken environment, not a unit: 1024 is the usual soft descriptor limit.
    public static let maximumCount = 1024
    /// The name systemd reports for a descriptor whose socket unit has no FileDescriptorName.
    public static let unnamed = "unknown"

    /// One socket handed over: its descriptor and its `FileDescriptorName`.
    public struct Descriptor: Equatable, Sendable {
        public let fd: Int32
        public let name: String
        public init(fd: Int32, name: String) {
            self.fd = fd
            self.name = name
        }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        case invalidPID(String)
        case invalidCount(String)
        case tooMany(Int)
        case nameCountMismatch(names: Int, descriptors: Int)
        case invalidName(String)

        public var description: String {
            switch self {
            case .invalidPID(let value): return "LISTEN_PID is not a process id: '\(LogText.escaped(value))'"
            case .invalidCount(let value): return "LISTEN_FDS is not a descriptor count: '\(LogText.escaped(value))'"
            case .tooMany(let count): return "LISTEN_FDS is \(count), more than \(ListenFDNames.maximumCount)"
            case .nameCountMismatch(let names, let descriptors):
                return "LISTEN_FDNAMES has \(names) names for \(descriptors) descriptors"
            case .invalidName(let name): return "LISTEN_FDNAMES has an invalid name: '\(LogText.escaped(name))'"
            }
        }
    }

    /// The descriptors meant for the process `ourPID`; empty when none were passed or they were
    /// meant for another process (sd_listen_fds returning 0).
    public static func parse(
        listenPID: String?,
        listenFDs: String?,
        listenFDNames: String?,
        ourPID: Int32
    ) -> Result<[Descriptor], Failure> {
        guard let listenPID, let listenFDs else { return .success([]) }
        guard let pid = Int32(listenPID), pid > 0 else { return .failure(.invalidPID(listenPID)) }
        guard pid == ourPID else { return .success([]) }
        guard let count = Int(listenFDs), count >= 0 else { return .failure(.invalidCount(listenFDs)) }
        guard count <= maximumCount else { return .failure(.tooMany(count)) }
        if count == 0 { return .success([]) }
        let names: [String]
        if let listenFDNames {
            names = listenFDNames.split(separator: ":", omittingEmptySubsequences: false).map { $0.isEmpty ? unnamed : String($0) }
            guard names.count == count else {
                return .failure(.nameCountMismatch(names: names.count, descriptors: count))
            }
            if let bad = names.first(where: { !isValidName($0) }) { return .failure(.invalidName(bad)) }
        } else {
            names = Array(repeating: unnamed, count: count)
        }
        return .success(names.enumerated().map { Descriptor(fd: firstDescriptor + Int32($0.offset), name: $0.element) })
    }

    /// systemd's rule for FileDescriptorName (fdname_is_valid): printable ASCII, no colon, at
    /// most 255 bytes. An empty name (an empty LISTEN_FDNAMES entry) is taken as unnamed.
    static func isValidName(_ name: String) -> Bool {
        name.utf8.count <= 255 && name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
    }
}
