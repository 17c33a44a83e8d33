/// What a socket handed over by systemd is for, by its `FileDescriptorName=` (the units in
/// packaging/systemd/ name theirs `saslauthd`, `dovecot` and `control`). A name the daemon does
/// not know is refused at start rather than guessed: serving saslauthd's protocol on Postfix's
/// Dovecot socket would fail every login.
public enum ActivatedSocketRole: String, CaseIterable, Equatable, Sendable {
    case saslauthd
    case dovecot
    case control

    /// The role for a `FileDescriptorName`, or nil (the error names the known ones).
    public init?(fileDescriptorName: String) {
        self.init(rawValue: fileDescriptorName)
    }

    /// "saslauthd, dovecot, control": for the error line when a name is unknown.
    public static var knownNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
