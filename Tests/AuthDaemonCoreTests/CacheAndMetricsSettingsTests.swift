import AuthDaemonCore
import XCTest

/// The caches' and the metrics endpoint's settings: off by default, `--cache-ttl` turns both
/// caches on, the file turns on either alone, and a public metrics address must be asked for.
final class CacheAndMetricsSettingsTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory("authd-cache")
    }

    override func tearDown() {
        directory.remove()
    }

    func load(_ text: String, commandLine: AuthdCommandLine = AuthdCommandLine()) -> Result<AuthdConfiguration, AuthdConfigurationErrors> {
        var commandLine = commandLine
        commandLine.configFile = directory.write("authd.conf", text, mode: 0o640)
        return AuthdConfigurationLoader.load(commandLine)
    }

    func messages(_ text: String, commandLine: AuthdCommandLine = AuthdCommandLine()) -> [String] {
        guard case .failure(let errors) = load(text, commandLine: commandLine) else { return [] }
        return errors.errors.map(\.message)
    }

    func testBothCachesAndTheMetricsEndpointAreOffByDefault() throws {
        let settings = try load("").get().settings
        XCTAssertFalse(settings.cache.verification)
        XCTAssertFalse(settings.cache.result)
        XCTAssertNil(settings.metrics)
    }

    func testCacheTTLOnTheCommandLineTurnsOnBothCaches() throws {
        let settings = try load("", commandLine: AuthdCommandLine(cacheTTL: "120")).get().settings
        XCTAssertTrue(settings.cache.verification)
        XCTAssertTrue(settings.cache.result)
        XCTAssertEqual(settings.cache.ttl, .seconds(120))
    }

    func testTheFileTurnsOnEitherCacheAlone() throws {
        let verification = try load("[daemon]\nverification_cache = yes\n").get().settings.cache
        XCTAssertTrue(verification.verification)
        XCTAssertFalse(verification.result)
        let result = try load(
            """
            [daemon]
            result_cache = yes
            cache_ttl = 30
            cache_negative_ttl = 0
            cache_size = 500
            cache_stale_if_error = yes
            """
        ).get().settings.cache
        XCTAssertFalse(result.verification)
        XCTAssertTrue(result.result)
        XCTAssertEqual(result.ttl, .seconds(30))
        XCTAssertEqual(result.negativeTTL, .zero)
        XCTAssertEqual(result.size, 500)
        XCTAssertTrue(result.staleIfError)
    }

    func testBadCacheValuesNameTheKey() {
        XCTAssertEqual(
            messages("[daemon]\ncache_ttl = 0\ncache_size = many\n").map { $0.replacingPrefix(directory.path) },
            [
                "/authd.conf line 2, key cache_ttl: invalid value: use seconds from 1 to 86400",
                "/authd.conf line 3, key cache_size: invalid value: use a number of entries from 1 to 10000000",
            ])
        XCTAssertEqual(
            messages("", commandLine: AuthdCommandLine(cacheTTL: "0")),
            ["command line, key --cache-ttl: invalid value: use seconds from 1 to 86400"])
    }

    func testMetricsEndpointIsParsedAndMustBeLoopbackUnlessPublic() throws {
        XCTAssertEqual(
            try load("[daemon]\nmetrics = 127.0.0.1:9187\n").get().settings.metrics, MetricsEndpoint(host: "127.0.0.1", port: 9187))
        XCTAssertEqual(
            try load("", commandLine: AuthdCommandLine(metrics: "[::1]:9187")).get().settings.metrics,
            MetricsEndpoint(host: "::1", port: 9187))
        XCTAssertEqual(
            messages("[daemon]\nmetrics = 0.0.0.0:9187\n").map { $0.replacingPrefix(directory.path) },
            [
                "/authd.conf, key metrics: metrics on 0.0.0.0:9187 is not a loopback address; set metrics_public = yes to allow it"
            ])
        XCTAssertEqual(try load("[daemon]\nmetrics = 0.0.0.0:9187\nmetrics_public = yes\n").get().settings.metrics?.port, 9187)
        for bad in ["9187", "host:", ":9187", "127.0.0.1:0", "127.0.0.1:70000", "[::1]9187", "a b:1"] {
            XCTAssertNil(MetricsEndpoint(parsing: bad), bad)
        }
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
