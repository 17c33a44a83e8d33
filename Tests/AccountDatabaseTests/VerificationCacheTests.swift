import AccountDatabase
import Dispatch
import PAMMySQLCore
import XCTest

/// The verification cache: a password that verified against a stored value is not hashed again
/// while the SELECT returns the same value under the same options, and anything else (another
/// password, another stored value, other options, an old entry) is verified as without it.
final class VerificationCacheTests: XCTestCase {
    final class FakeClock: @unchecked Sendable {
        var milliseconds: Int64 = 1_000_000
    }

    static let helloHash = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
    /// The same password under another salt: a changed stored value that the password still verifies against.
    static let helloOtherSalt = "$6$othersalt$fEr2ai.Ob/V5BFRUSCxDUlmOPya9gWWLLHkUjQWLc4KoMcXoWSRreOM7NFz65WtgNMB5o8CnCGoM73GJ6DcUK0"

    let clock = FakeClock()
    var servers: [FakeServers] = []
    /// The logs outlive their sessions (the sink holds them unowned).
    var logs: [LogLines] = []
    /// What the fake table holds for alice now (the second column is the password).
    var stored: String? = helloHash

    func makeCache(capacity: Int = 16) throws -> VerificationCache {
        let clock = self.clock
        return try XCTUnwrap(VerificationCache(capacity: capacity) { clock.milliseconds })
    }

    func session(crypt: CryptMode = .crypt, log: LogLines, _ extra: (inout ModuleOptions) -> Void = { _ in }) -> DatabaseSession {
        let servers = FakeServers()
        self.servers.append(servers)
        logs.append(log)
        servers.answer = { [unowned self] _ in FakeServers.rows(stored == nil ? 0 : 1, ["0", stored]) }
        var traced = log.log
        traced.verbose = true
        return DatabaseSession(
            options: tableOptions(crypt: crypt) {
                $0.verbose = true
                extra(&$0)
            }, log: traced, pool: ConnectionPool(), failover: FailoverTable(), open: servers.opener)
    }

    static func request(_ password: String?, user: String = "alice") -> LoginRequest {
        LoginRequest(user: Array(user.utf8), password: password.map { SecretBytes(Array($0.utf8)) })
    }

    static func use(_ cache: VerificationCache, service: String = "smtp", ttl: Int64 = 60_000) -> VerificationCacheUse {
        VerificationCacheUse(cache: cache, service: service, ttlMilliseconds: ttl)
    }

    static func hits(_ log: LogLines) -> Int {
        log.messages.filter { $0.hasPrefix("verification cache hit") }.count
    }

    func testSecondLoginWithTheSamePasswordAndRowIsAHit() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 0)
        XCTAssertEqual(log.messages.filter { $0 == "verification cache miss" }.count, 1)
        XCTAssertEqual(cache.count, 1)
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 1)
        // A hit still runs the SELECT: the row decides every login.
        XCTAssertEqual(servers[0].opened.reduce(0) { $0 + $1.statements.count }, 2)
    }

    func testAHitIsFasterThanTheHash() throws {
        // SHA-512-crypt at 5,000 rounds costs milliseconds; a hit costs two HMACs.
        let cache = try makeCache()
        let login = session(log: LogLines())
        let request = Self.request("Hello world!")
        _ = login.decideLogin(request, cache: Self.use(cache))
        func elapsed(_ body: () -> Void) -> UInt64 {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<20 { body() }
            return DispatchTime.now().uptimeNanoseconds - start
        }
        let cached = elapsed { _ = login.decideLogin(request, cache: Self.use(cache)) }
        let uncached = elapsed { _ = login.decideLogin(request) }
        XCTAssertLessThan(cached * 3, uncached, "cached \(cached) ns, uncached \(uncached) ns")
    }

    func testAChangedPasswordInTheTableIsRefusedAtTheNextLogin() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        stored = Self.otherPasswordHash  // the administrator set a new password
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .refused(.wrongPassword))
        XCTAssertEqual(Self.hits(log), 0)
        // The entry of the old stored value is gone, not just skipped.
        XCTAssertEqual(cache.count, 0)
    }

    /// "other" under SHA-512-crypt (openssl passwd -6 -salt saltstring other).
    static let otherPasswordHash = "$6$saltstring$bsk0qM9lGiGeAN7lmN4EcpFScR9lojvFMVx3AwAPhdDMFU8gm8BmOoLDxGXIGhxNXlxIe5Bl7U6ANL3uqIAjU/"

    func testAChangedHashOfTheSamePasswordIsVerifiedAgain() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        stored = Self.helloOtherSalt
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 0, "a new stored value must be verified, not answered from the old one's entry")
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 1)
    }

    func testAnotherPasswordIsHashedAndTheEntryStays() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        XCTAssertEqual(login.decideLogin(Self.request("Hello world?"), cache: Self.use(cache)), .refused(.wrongPassword))
        XCTAssertEqual(login.decideLogin(Self.request(""), cache: Self.use(cache)), .refused(.wrongPassword))
        XCTAssertEqual(Self.hits(log), 0)
        // A wrong guess does not drop the right password's entry.
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 1)
    }

    func testChangedVerificationOptionsMiss() throws {
        let variants: [(String, CryptMode, (inout ModuleOptions) -> Void)] = [
            ("crypt", .dovecot, { _ in }),
            ("default_pass_scheme", .crypt, { $0.defaultPassScheme = "SHA512-CRYPT" }),
            ("allow_weak_schemes", .crypt, { $0.allowWeakSchemes = true }),
            ("use_323_passwd", .crypt, { $0.use323Passwd = true }),
            ("nullok", .crypt, { $0.nullOK = true }),
        ]
        for (name, crypt, change) in variants {
            let cache = try makeCache()
            let before = LogLines()
            _ = session(log: before).decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
            let after = LogLines()
            XCTAssertEqual(
                session(crypt: crypt, log: after, change).decideLogin(Self.request("Hello world!"), cache: Self.use(cache)),
                .accepted(.passwordVerified), name)
            XCTAssertEqual(Self.hits(after), 0, "changing \(name) must miss")
        }
    }

    func testEntriesArePerServiceAndExactUser() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, service: "smtp"))
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, service: "imap"))
        _ = login.decideLogin(Self.request("Hello world!", user: "ALICE"), cache: Self.use(cache, service: "smtp"))
        XCTAssertEqual(Self.hits(log), 0)
        XCTAssertEqual(cache.count, 3)
    }

    func testEntriesExpireAfterTheTTL() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 10_000))
        clock.milliseconds += 9_999
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 10_000))
        XCTAssertEqual(Self.hits(log), 1)
        // A hit does not renew the entry: its age counts from the verification.
        clock.milliseconds += 1
        XCTAssertEqual(login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 10_000)), .accepted(.passwordVerified))
        XCTAssertEqual(Self.hits(log), 1)
        // Verified again, so cached again.
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 10_000))
        XCTAssertEqual(Self.hits(log), 2)
        // A clock that went back does not make an entry young.
        clock.milliseconds -= 100_000
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 10_000))
        XCTAssertEqual(Self.hits(log), 2)
    }

    func testNothingButAVerifiedStoredValueIsCached() throws {
        let cache = try makeCache()
        let log = LogLines()
        stored = nil  // unknown user: the decoy is verified, never cached
        _ = session(log: log).decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        _ = session(log: log).decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        stored = ""  // empty stored password with nullok
        _ = session(crypt: .plain, log: log) { $0.nullOK = true }.decideLogin(Self.request(""), cache: Self.use(cache))
        stored = "{PLAIN}"
        _ = session(crypt: .dovecot, log: log) { $0.nullOK = true }.decideLogin(Self.request(""), cache: Self.use(cache))
        XCTAssertEqual(cache.count, 0)
        // A TTL of 0 is off.
        stored = Self.helloHash
        _ = session(log: log).decideLogin(Self.request("Hello world!"), cache: Self.use(cache, ttl: 0))
        XCTAssertEqual(cache.count, 0)
        XCTAssertEqual(Self.hits(log), 0)
    }

    func testEvictionDropsTheLeastRecentlyUsedAndWipesIt() throws {
        let cache = try makeCache(capacity: 2)
        let log = LogLines()
        stored = "pw"
        let login = session(crypt: .plain, log: log)
        for user in ["a", "b"] { _ = login.decideLogin(Self.request("pw", user: user), cache: Self.use(cache)) }
        let aDigests = cache.entryDigestsForTesting(service: "smtp", user: Array("a".utf8))
        let bDigests = cache.entryDigestsForTesting(service: "smtp", user: Array("b".utf8))
        XCTAssertEqual(aDigests.count, 2)
        XCTAssertFalse(aDigests.contains { $0.isZeroed })
        // a is used again, so b is the least recently used when c comes.
        _ = login.decideLogin(Self.request("pw", user: "a"), cache: Self.use(cache))
        XCTAssertEqual(Self.hits(log), 1)
        _ = login.decideLogin(Self.request("pw", user: "c"), cache: Self.use(cache))
        XCTAssertEqual(cache.count, 2)
        XCTAssertTrue(cache.entryDigestsForTesting(service: "smtp", user: Array("b".utf8)).isEmpty)
        XCTAssertTrue(bDigests.allSatisfy { $0.isZeroed }, "an evicted entry must be zeroed at once")
        XCTAssertFalse(aDigests.contains { $0.isZeroed })
        _ = login.decideLogin(Self.request("pw", user: "a"), cache: Self.use(cache))
        XCTAssertEqual(Self.hits(log), 2)
    }

    func testFlushAndRemoveAllWipe() throws {
        let cache = try makeCache()
        stored = "pw"
        let login = session(crypt: .plain, log: LogLines())
        for service in ["smtp", "imap"] {
            for user in ["a", "b"] { _ = login.decideLogin(Self.request("pw", user: user), cache: Self.use(cache, service: service)) }
        }
        let smtpA = cache.entryDigestsForTesting(service: "smtp", user: Array("a".utf8))
        XCTAssertEqual(cache.flush(service: "smtp", user: Array("a".utf8)), 1)
        XCTAssertTrue(smtpA.allSatisfy { $0.isZeroed })
        XCTAssertEqual(cache.flush(service: nil, user: Array("b".utf8)), 2)
        XCTAssertEqual(cache.count, 1)
        let imapA = cache.entryDigestsForTesting(service: "imap", user: Array("a".utf8))
        XCTAssertEqual(cache.removeAll(), 1)
        XCTAssertTrue(imapA.allSatisfy { $0.isZeroed })
        XCTAssertEqual(cache.count, 0)
        // Usable after removeAll.
        _ = login.decideLogin(Self.request("pw", user: "a"), cache: Self.use(cache))
        XCTAssertEqual(cache.count, 1)
    }

    func testAReplacedEntryIsWiped() throws {
        let cache = try makeCache()
        let login = session(log: LogLines())
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        let old = cache.entryDigestsForTesting(service: "smtp", user: Array("alice".utf8))
        stored = Self.helloOtherSalt
        _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache))
        XCTAssertTrue(old.allSatisfy { $0.isZeroed })
        XCTAssertEqual(cache.entryDigestsForTesting(service: "smtp", user: Array("alice".utf8)).count, 2)
    }

    func testTwoCachesNeverShareAKey() throws {
        let first = try makeCache()
        let second = try makeCache()
        stored = "pw"
        let login = session(crypt: .plain, log: LogLines())
        _ = login.decideLogin(Self.request("pw"), cache: Self.use(first))
        _ = login.decideLogin(Self.request("pw"), cache: Self.use(second))
        let a = first.entryDigestsForTesting(service: "smtp", user: Array("alice".utf8))
        let b = second.entryDigestsForTesting(service: "smtp", user: Array("alice".utf8))
        XCTAssertEqual(a.count, 2)
        XCTAssertEqual(b.count, 2)
        // Same inputs, different keys: no digest in common.
        for x in a { for y in b { XCTAssertFalse(x.constantTimeEquals(y)) } }
        XCTAssertFalse(a[0].constantTimeEquals(a[1]))
    }

    func testThreadsShareOneCacheSafely() throws {
        let cache = try makeCache(capacity: 8)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            // Each thread its own values: only the cache is shared.
            let stored = SecretBytes(Array("pw".utf8))
            let options = tableOptions(crypt: .plain)
            for round in 0..<500 {
                let user = Array("user\((round + thread) % 12)".utf8)
                let login = LoginRequest(user: user, password: SecretBytes(Array("pw".utf8)))
                guard
                    let probe = cache.probe(
                        service: "smtp", request: login, password: SecretBytes(Array("pw".utf8)), stored: stored, options: options)
                else { continue }
                if case .miss(let missed) = cache.answer(probe, ttlMilliseconds: 60_000) { missed.rememberVerified() }
                if round % 97 == 0 { cache.flush(service: nil, user: user) }
            }
        }
        XCTAssertLessThanOrEqual(cache.count, 8)
        XCTAssertGreaterThan(cache.count, 0)
    }

    func testLogLinesOfTheCacheNeverHoldTheSecrets() throws {
        let cache = try makeCache()
        let log = LogLines()
        let login = session(log: log)
        for _ in 0..<2 { _ = login.decideLogin(Self.request("Hello world!"), cache: Self.use(cache)) }
        XCTAssertEqual(Self.hits(log), 1)
        for message in log.messages {
            XCTAssertFalse(message.contains("Hello world"), message)
            XCTAssertFalse(message.contains("saltstring"), message)
        }
    }
}
