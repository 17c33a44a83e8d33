// One libFuzzer binary holds every target (one compile of PAMMySQLCore, with the auth daemon's
// protocol parsers, instead of one per target); the
// name it is run under picks the target: build/fuzz/fuzz-config is a link to it, and so on.
// Each target lives in its own file as `func <name>(_ input: [UInt8])`.
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var fuzzTarget: ([UInt8]) -> Void = fuzzArguments

let fuzzTargets: [String: ([UInt8]) -> Void] = [
    "fuzz-arguments": fuzzArguments,
    "fuzz-config": fuzzConfig,
    "fuzz-schemes": fuzzSchemes,
    "fuzz-dovecot": fuzzDovecot,
    "fuzz-saslauthd": fuzzSaslauthd,
    "fuzz-dovecot-auth": fuzzDovecotAuth,
]

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    var name = "fuzz-arguments"
    if let override = getenv("PAM_MYSQL_FUZZ_TARGET") {
        name = String(cString: override)
    } else if let argv0 = argv.pointee?.pointee {
        name = String(String(cString: argv0).split(separator: "/").last ?? "")
    }
    guard let target = fuzzTargets[name] else {
        fputs("unknown fuzz target \(name); one of \(fuzzTargets.keys.sorted())\n", stderr)
        exit(2)
    }
    fuzzTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzTarget(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// Splits on NUL; empty pieces are kept (an empty argument is a real case).
func fuzzSplit(_ bytes: ArraySlice<UInt8>, maxSplits: Int = Int.max) -> [[UInt8]] {
    bytes.split(separator: 0, maxSplits: maxSplits, omittingEmptySubsequences: false).map { Array($0) }
}

/// A log sink that builds every message (that code is under test too) and drops it.
let fuzzLog: LogSink = { _, message in _ = message.utf8.count }
