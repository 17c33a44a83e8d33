import PAMMySQLCore

#if canImport(Glibc)
import Glibc
#endif

/// A program run by the chain check (`postconf`, `dpkg -S`, `openssl s_client`), with pipes
/// to its standard input and output; standard error is discarded or captured with stdout.
/// Arguments never carry a secret: a password only ever goes through `write(_:)`.
final class ChildProcess {
    private(set) var pid: pid_t = -1
    private var input: Int32 = -1
    private var output: Int32 = -1
    private var buffered: [UInt8] = []
    /// Whether the child closed its output (false after a timeout).
    private(set) var reachedEnd = false

    /// Starts `argv` (looked up in PATH); nil when it cannot be started.
    init?(_ argv: [String], mergeStandardError: Bool = false) {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        guard makePipe(&toChild) else { return nil }
        guard makePipe(&fromChild) else {
            close(toChild[0])
            close(toChild[1])
            return nil
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        if mergeStandardError {
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        let status = posix_spawnp(&child, argv[0], &actions, nil, cArguments, environ)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            return nil
        }
        pid = child
        input = toChild[1]
        output = fromChild[0]
    }

    deinit {
        closeInput()
        if output >= 0 { close(output) }
        if pid > 0 {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
    }

    /// Writes all of `bytes` to the child's standard input; false if it went away.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        guard input >= 0 else { return false }
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                (try? retryingOnInterrupt { Glibc.write(input, raw.baseAddress! + sent, raw.count - sent) }) ?? -1
            }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    func closeInput() {
        if input >= 0 {
            close(input)
            input = -1
        }
    }

    /// One line of output without its line end, waiting at most `timeout` seconds; nil at
    /// end of output or on timeout.
    func readLine(timeout: Double) -> String? {
        let deadline = Self.now() + timeout
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffered[..<newline])
                buffered.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard fill(until: deadline) else {
                if buffered.isEmpty { return nil }
                let rest = buffered
                buffered.removeAll()
                return String(decoding: rest, as: UTF8.self)
            }
        }
    }

    /// Everything the child writes until it closes its output (or `timeout` passes).
    func readAll(timeout: Double) -> String {
        let deadline = Self.now() + timeout
        while fill(until: deadline) {}
        defer { buffered.removeAll() }
        return String(decoding: buffered, as: UTF8.self)
    }

    /// Reads what is available before `deadline`; false at end of output or on timeout.
    private func fill(until deadline: Double) -> Bool {
        guard output >= 0 else { return false }
        let left = deadline - Self.now()
        guard left > 0 else { return false }
        var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(left * 1000))
        if ready < 0 && errno == EINTR { return true }
        guard ready > 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = read(output, &chunk, chunk.count)
        if n < 0 && errno == EINTR { return true }
        guard n > 0 else {
            reachedEnd = true
            return false
        }
        buffered += chunk[0..<n]
        return true
    }

    /// Waits for the child; its exit status, or -1 if it was killed by a signal.
    func waitForExit() -> Int32 {
        guard pid > 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = -1
        // WIFEXITED / WEXITSTATUS, spelt out: the macros are not imported.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Runs `argv` to completion: (exit status, standard output), nil if it could not start.
    static func run(_ argv: [String], timeout: Double = 30, mergeStandardError: Bool = false) -> (status: Int32, output: String)? {
        guard let child = ChildProcess(argv, mergeStandardError: mergeStandardError) else { return nil }
        child.closeInput()
        let text = child.readAll(timeout: timeout)
        if !child.reachedEnd { kill(child.pid, SIGKILL) }
        let status = child.waitForExit()
        return (status, text)
    }
}

/// pipe(2) with both ends close-on-exec (pipe2 is not imported without _GNU_SOURCE).
func makePipe(_ ends: inout [Int32]) -> Bool {
    guard pipe(&ends) == 0 else { return false }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return true
}
