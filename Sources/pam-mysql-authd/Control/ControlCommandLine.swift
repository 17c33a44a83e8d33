import ArgumentParser

/// `pam-mysql-authd ctl [--control PATH] COMMAND [ARG...]`: one command to a running daemon's
/// control socket (root only), its reply printed as it comes. The words are joined with single
/// spaces into the one line the control protocol takes; the daemon parses and checks them, so
/// the client stays ignorant of the commands and never disagrees with the server about them.
struct ControlCommandLine: ParsableCommand {
    /// Where the unit's `RuntimeDirectory=` puts the socket.
    static let defaultControlSocket = "/run/pam-mysql-authd/control"

    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Send one command to a running daemon's control socket and print the reply.",
        usage: "pam-mysql-authd ctl [--control <PATH>] <COMMAND> [<ARG> ...]",
        discussion: """
            Commands: status, reload, flush [SERVICE [USER]], unlock USER.
            Exit status: 0 when the reply ends with OK, 1 with ERROR, 69 when the daemon cannot be reached, 64 on a usage error.
            """)

    @Option(help: ArgumentHelp("The control socket.", valueName: "PATH"))
    var control: String = Self.defaultControlSocket

    @Argument(help: ArgumentHelp("The command and its arguments.", valueName: "COMMAND"))
    var words: [String] = []

    func validate() throws {
        guard !words.isEmpty else { throw ValidationError("a command is needed: status, reload, flush or unlock") }
    }

    func run() throws {
        let status = runControlClient(path: control, command: words.joined(separator: " "))
        guard status == ControlClientStatus.ok else { throw ExitCode(status) }
    }
}
