import AuthDaemonCore
import Dispatch
import PAMMySQLCore
import Synchronization
import XCTest

/// The result cache's rules with a fake clock: TTLs, the negative TTL, the last login's rule,
/// stale entries, LRU eviction, flushes and the wipe of a dropped entry's secret.
final class ResultCacheTests: XCTestCase {
    private final class FakeClock: Sendable {
        private let now = Mutex(Duration.seconds(1000))
        func advance(_ by: Duration) { now.withLock { $0 += by } }
        func read() -> Duration { now.withLock { $0 } }
    }

    private struct Row: Sendable, Equatable { let name: String }

    private let clock = FakeClock()

    private func cache(
        ttl: Duration = .seconds(60), negativeTTL: Duration = .seconds(10), size: Int = 100, staleIfError: Bool = false
    ) -> ResultCache<Row> {
        var settings = CacheSettings()
        settings.result = true
        settings.ttl = ttl
        settings.negativeTTL = negativeTTL
        settings.size = size
        settings.staleIfError = staleIfError
        let clock = clock
        return ResultCache(settings: settings, clock: { clock.read() })
    }

    private func key(_ user: String, service: String = "smtp", step: Int = 0) -> ResultCacheKey {
        ResultCacheKey(service: service, step: step, user: Array(user.utf8))
    }

    private func found(_ lookup: ResultCacheLookup<Row>) -> Row? {
        if case .fresh(.found(let row), _) = lookup { return row }
        return nil
    }

    func testAStoredRowAnswersWithinTheTTLAndNotAfter() {
        let cache = cache()
        cache.store(key("alice"), Row(name: "a"))
        clock.advance(.seconds(59))
        XCTAssertEqual(found(cache.lookup(key("alice"))), Row(name: "a"))
        clock.advance(.seconds(2))
        guard case .miss = cache.lookup(key("alice")) else { return XCTFail("expired entry answered") }
        XCTAssertEqual(cache.count, 0, "without stale-if-error an expired entry is dropped")
    }

    func testUnknownUserIsKeptForTheNegativeTTLOnly() {
        let cache = cache()
        cache.store(key("ghost"), nil)
        clock.advance(.seconds(9))
        guard case .fresh(.unknownUser, _) = cache.lookup(key("ghost")) else { return XCTFail("negative entry missing") }
        clock.advance(.seconds(2))
        guard case .miss = cache.lookup(key("ghost")) else { return XCTFail("negative entry outlived its TTL") }
    }

    func testNegativeTTLZeroStoresNoUnknownUser() {
        let cache = cache(negativeTTL: .zero)
        cache.store(key("ghost"), nil)
        XCTAssertEqual(cache.count, 0)
    }

    func testARowWhoseLastLoginFailedLivesForTheNegativeTTL() {
        let cache = cache()
        cache.store(key("alice"), Row(name: "a"))
        cache.recordLogin(key("alice"), succeeded: false)
        clock.advance(.seconds(11))
        guard case .miss = cache.lookup(key("alice")) else { return XCTFail("a failed entry kept for the full TTL") }
    }

    func testTheLastLoginsOutcomeIsReported() {
        let cache = cache()
        cache.store(key("alice"), Row(name: "a"))
        guard case .fresh(_, nil) = cache.lookup(key("alice")) else { return XCTFail("new entry has an outcome") }
        cache.recordLogin(key("alice"), succeeded: true)
        guard case .fresh(_, true) = cache.lookup(key("alice")) else { return XCTFail("success not recorded") }
    }

    func testStaleIfErrorKeepsAnExpiredEntry() {
        let cache = cache(staleIfError: true)
        cache.store(key("alice"), Row(name: "a"))
        clock.advance(.seconds(3600))
        guard case .stale(.found(let row)) = cache.lookup(key("alice")) else { return XCTFail("expired entry not kept") }
        XCTAssertEqual(row, Row(name: "a"))
        cache.store(key("alice"), Row(name: "b"))
        XCTAssertEqual(found(cache.lookup(key("alice"))), Row(name: "b"), "a new answer replaces the stale one")
    }

    func testTheLeastRecentlyUsedEntryIsEvictedFirst() {
        let cache = cache(size: 3)
        for user in ["a", "b", "c"] { cache.store(key(user), Row(name: user)) }
        XCTAssertNotNil(found(cache.lookup(key("a"))))  // a is now the most recent; b the least
        cache.store(key("d"), Row(name: "d"))
        XCTAssertEqual(cache.count, 3)
        XCTAssertNil(found(cache.lookup(key("b"))))
        for user in ["a", "c", "d"] { XCTAssertNotNil(found(cache.lookup(key(user))), user) }
    }

    func testEvictionAndReuseOverManyEntriesStayConsistent() {
        let cache = cache(size: 50)
        for round in 0..<1000 {
            cache.store(key("u\(round % 120)"), Row(name: "\(round)"))
            if round % 7 == 0 { cache.remove(key("u\((round * 3) % 120)")) }
            XCTAssertLessThanOrEqual(cache.count, 50)
        }
        XCTAssertEqual(found(cache.lookup(key("u\(999 % 120)"))), Row(name: "999"))
    }

    func testConcurrentLookupsStoresAndFlushesKeepTheBound() {
        let cache = cache(size: 64)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<2000 {
                let user = ResultCacheKey(service: "smtp", step: 0, user: Array("u\((round * 7 + thread) % 200)".utf8))
                switch round % 5 {
                case 0: cache.store(user, Row(name: "\(round)"))
                case 1: cache.recordLogin(user, succeeded: round % 2 == 0)
                case 2: cache.remove(user)
                case 3 where round % 500 == 3: cache.flush(service: "smtp", user: user.user)
                default: _ = cache.lookup(user)
                }
            }
        }
        XCTAssertLessThanOrEqual(cache.count, 64)
        cache.store(key("last"), Row(name: "x"))
        XCTAssertEqual(found(cache.lookup(key("last"))), Row(name: "x"))
    }

    func testFlushDropsOneUserAServiceOrEverything() {
        let cache = cache()
        cache.store(key("alice"), Row(name: "a"))
        cache.store(key("bob"), Row(name: "b"))
        cache.store(key("alice", service: "imap"), Row(name: "a2"))
        cache.store(key("alice", step: 1), Row(name: "a3"))
        XCTAssertEqual(cache.flush(service: "smtp", user: Array("alice".utf8)), 2, "both steps of alice in smtp")
        XCTAssertNotNil(found(cache.lookup(key("bob"))))
        XCTAssertEqual(cache.flush(service: "imap"), 1)
        XCTAssertEqual(cache.flush(service: "nothing"), 0)
        XCTAssertEqual(cache.flush(), 1)
        XCTAssertEqual(cache.count, 0)
    }

    func testResetFlushesAndAppliesTheNewSettings() {
        let cache = cache(size: 10)
        cache.store(key("alice"), Row(name: "a"))
        var settings = cache.settings
        settings.size = 1
        XCTAssertEqual(cache.reset(settings: settings), 1)
        cache.store(key("a"), Row(name: "a"))
        cache.store(key("b"), Row(name: "b"))
        XCTAssertEqual(cache.count, 1)
    }

    func testADroppedEntryLetsItsSecretGo() {
        var settings = CacheSettings()
        settings.size = 2
        let cache = ResultCache<Secret>(settings: settings)
        weak var kept: SecretBytes?
        do {
            let secret = SecretBytes(Array("$6$stored".utf8))
            kept = secret
            cache.store(key("alice"), Secret(value: secret))
        }
        XCTAssertNotNil(kept, "the cache holds the stored value")
        cache.store(key("b"), Secret(value: SecretBytes([1])))
        cache.store(key("c"), Secret(value: SecretBytes([2])))
        XCTAssertNil(kept, "evicted: the last reference went, so SecretBytes wiped and freed it")
    }

    private struct Secret: @unchecked Sendable { let value: SecretBytes }
}
