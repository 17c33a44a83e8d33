#if canImport(Glibc)
import Glibc
#endif

/// Standard error, for diagnostics.
func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
