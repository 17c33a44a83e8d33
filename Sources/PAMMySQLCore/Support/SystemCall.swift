#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed, with its `errno` (swift-nio's `IOError`, reduced to the code).
public struct SystemCallError: Error, Equatable, Sendable {
    public let errno: Int32

    public init(errno: Int32) { self.errno = errno }
}

/// The one retry loop around an interruptible system call (swift-nio's `syscall(blocking:_:)`):
/// runs `call` again while it fails with EINTR (a signal arrived: PAM runs inside daemons that
/// take them) and turns any other failure into a thrown `SystemCallError`. `call` is a plain
/// libc call that returns a negative value and sets `errno` on failure (`read`, `getrandom`,
/// `poll`); the result is what it returned otherwise.
///
/// Not for `close`: on Linux the descriptor is gone even when it reports EINTR, and a retry
/// could close a descriptor another thread has just opened.
@inline(__always)
public func retryingOnInterrupt<Result: SignedInteger>(_ call: () -> Result) throws(SystemCallError) -> Result {
    while true {
        let result = call()
        guard result < 0 else { return result }
        let code = errno
        guard code == EINTR else { throw SystemCallError(errno: code) }
    }
}
