import AuthDaemonCore

/// The sockets systemd passed, sorted by what they are for (their FileDescriptorName). Taken
/// once at start, before any thread is started (it edits the environment): a socket whose name
/// the daemon does not know, or that is not a listening UNIX stream socket, is an error that
/// stops the start, since serving it with a guessed protocol would fail every login on it.
struct ActivatedSockets: Sendable {
    var saslauthd: [Int32] = []
    var dovecot: [Int32] = []
    /// At most one: a second control socket is refused.
    var control: Int32?

    var isEmpty: Bool { saslauthd.isEmpty && dovecot.isEmpty && control == nil }

    static func take() -> Result<ActivatedSockets, ListenFDs.Failure> {
        switch ListenFDs.take() {
        case .failure(let failure):
            return .failure(failure)
        case .success(let descriptors):
            var sockets = ActivatedSockets()
            for descriptor in descriptors {
                switch ActivatedSocketRole(fileDescriptorName: descriptor.name) {
                case .saslauthd: sockets.saslauthd.append(descriptor.fd)
                case .dovecot: sockets.dovecot.append(descriptor.fd)
                case .control:
                    guard sockets.control == nil else {
                        return .failure(.init(description: "socket activation: two sockets named control (fd \(descriptor.fd))"))
                    }
                    sockets.control = descriptor.fd
                case nil:
                    return .failure(
                        .init(
                            description:
                                "socket activation: descriptor \(descriptor.fd) is named '\(descriptor.name)' (FileDescriptorName=); "
                                + "known names: \(ActivatedSocketRole.knownNames)"))
                }
            }
            return .success(sockets)
        }
    }
}
