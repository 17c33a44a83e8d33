import PAMMySQLCore
import XCTest

/// The decoy an unknown user's password is verified against takes the method and cost of a
/// verified stored value, with a fixed salt, and never any part of the user's salt or hash.
final class DecoyHashTests: XCTestCase {
    func text(_ bytes: SecretBytes) -> String { bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    /// (stored value, the decoy setting made from it). Salts and hashes are "USERSALT…"/"HASH…"
    /// so a leak would show.
    static let cryptVectors: [(stored: String, decoy: String)] = [
        ("$y$j9T$USERSALTUSERSALT$HASHHASHHASH", "$y$j9T$decoysaltdecoysa$"),
        ("$y$jBT/.$USERSALTUSERSALT$HASHHASHHASH", "$y$jBT/.$decoysaltdecoysa$"),
        ("$gy$j9T$USERSALTUSERSALT$HASHHASHHASH", "$gy$j9T$decoysaltdecoysa$"),
        ("$7$CU..../....USERSALT$HASHHASHHASH", "$7$CU..../....decoysaltdecoysa$"),
        (
            "$2b$12$USERSALTUSERSALTUSERSAHASHHASHHASHHASHHASHHASHHASHHAS",
            "$2b$12$decoysaltdecoysaltdecodecoyhashdecoyhashdecoyhashdeco"
        ),
        (
            "$2y$05$USERSALTUSERSALTUSERSAHASHHASHHASHHASHHASHHASHHASHHAS",
            "$2y$05$decoysaltdecoysaltdecodecoyhashdecoyhashdecoyhashdeco"
        ),
        ("$6$USERSALT$HASHHASHHASH", "$6$decoysaltdecoysa$"),
        ("$6$rounds=20000$USERSALT$HASHHASHHASH", "$6$rounds=20000$decoysaltdecoysa$"),
        ("$5$rounds=1000$USERSALT$HASHHASHHASH", "$5$rounds=1000$decoysaltdecoysa$"),
        ("$sha1$262144$USERSALT$HASHHASHHASH", "$sha1$262144$decoysaltdecoysa$"),
        ("$md5,rounds=5000$USERSALT$$HASHHASHHASH", "$md5,rounds=5000$decoysal$"),
        ("$md5$USERSALT$$HASHHASHHASH", "$md5$decoysal$"),
        ("$1$USERSALT$HASHHASHHASH", "$1$decoysal$"),
        ("$3$$HASHHASHHASH", "$3$"),
        ("_J9..USERHASHHASHHASH", "_J9..deco"),
        ("USERSALTHASH1", "dedecoysaltde"),
    ]

    func testCryptDecoysKeepMethodAndCostOnly() {
        for (stored, decoy) in Self.cryptVectors {
            let made = DecoyHash.derived(from: SecretBytes(Array(stored.utf8)), mode: .crypt, defaultPassScheme: "CRYPT")
            XCTAssertEqual(made?.storedValue(for: .crypt).map(text), decoy, stored)
            XCTAssertEqual(made?.storedValue(for: .dovecot).map(text), "{CRYPT}" + decoy, stored)
            XCTAssertFalse(decoy.contains("USER") || decoy.contains("HASH"), decoy)
            // libxcrypt accepts every decoy: it costs a real hash of that method and cost.
            XCTAssertNotNil(CryptFunction.hash(password: SecretBytes(Array("x".utf8)), setting: SecretBytes(Array(decoy.utf8))), decoy)
        }
    }

    func testDovecotCryptSchemesAndDrupalGetDecoysOtherSchemesDoNot() {
        func derived(_ stored: String, _ mode: CryptMode) -> String? {
            DecoyHash.derived(from: SecretBytes(Array(stored.utf8)), mode: mode, defaultPassScheme: "CRYPT")?
                .storedValue(for: mode)?.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
        let bcrypt = "$2y$10$USERSALTUSERSALTUSERSAHASHHASHHASHHASHHASHHASHHASHHAS"
        let bcryptDecoy = "{CRYPT}$2y$10$decoysaltdecoysaltdecodecoyhashdecoyhashdecoyhashdeco"
        XCTAssertEqual(derived("{BLF-CRYPT}" + bcrypt, .dovecot), bcryptDecoy)
        XCTAssertEqual(derived(bcrypt, .dovecot), bcryptDecoy)  // unprefixed: CRYPT
        XCTAssertEqual(derived("{SHA512-CRYPT}$6$rounds=9000$USERSALT$HASH", .dovecot), "{CRYPT}$6$rounds=9000$decoysaltdecoysa$")
        let base64 = Base64.encode(SecretBytes(Array("$y$j9T$USERSALTUSERSALT$HASH".utf8))).withUnsafeBytes {
            String(decoding: $0, as: UTF8.self)
        }
        XCTAssertEqual(derived("{CRYPT.b64}" + base64, .dovecot), "{CRYPT}$y$j9T$decoysaltdecoysa$")
        XCTAssertEqual(
            derived("$S$DUSERSALTHASHHASHHASHHASHHASHHASHHASHHASHHASHHASHHASH", .drupal7),
            "$S$Ddecoysal" + String(repeating: "0", count: 43))
        XCTAssertEqual(derived("U$P$BUSERSALTHASHHASHHASHHASHHASHH", .drupal7), "U$P$Bdecoysal" + String(repeating: "0", count: 22))
        for (stored, mode) in [
            ("{PLAIN}secret", CryptMode.dovecot), ("{SSHA}AAAA", .dovecot), ("5ebe2294ecd0e0f08eab7690d2a6ee69", .md5),
            ("secret", .plain), ("$6$USERSALT$HASH", .sha512),
        ] {
            XCTAssertNil(derived(stored, mode), stored)
        }
        // A crypt decoy is not a Drupal value, nor the other way round.
        XCTAssertNil(
            DecoyHash.derived(from: SecretBytes(Array(bcrypt.utf8)), mode: .crypt, defaultPassScheme: "CRYPT")?.storedValue(for: .drupal7))
    }

    /// `decoy_hash=METHOD[,COST]`: the setting libxcrypt writes for that cost, from fixed bytes.
    func testDecoyHashOptionValues() {
        let valid: [(String, String)] = [
            ("yescrypt", "$y$j9T$"), ("yescrypt,7", "$y$jBT$"), ("YESCRYPT,1", "$y$j75$"), ("bcrypt", "$2b$10$"), ("bcrypt,13", "$2b$13$"),
            ("sha512", "$6$"), ("sha512,100000", "$6$rounds=100000$"), ("sha256,1000000", "$5$rounds=1000000$"),
        ]
        for (value, prefix) in valid {
            guard let decoy = DecoyHash.configured(value), let stored = decoy.storedValue(for: .crypt) else { return XCTFail(value) }
            XCTAssertTrue(stored.hasPrefix(prefix), value)
            XCTAssertNil(CryptCostLimit.excess(in: stored), value)
            XCTAssertNotNil(CryptFunction.hash(password: SecretBytes(Array("x".utf8)), setting: stored), value)
            XCTAssertNil(decoy.storedValue(for: .md5), value)  // the option is for crypt=1 and crypt=dovecot
        }
        for value in [
            "", "md5", "des", "argon2id", "yescrypt,8", "yescrypt,0", "bcrypt,17", "bcrypt,3", "sha512,999", "sha512,1000001",
            "bcrypt,", "bcrypt,1x", "bcrypt,-5", "bcrypt, 10", "sha512,99999999999999999999",
        ] {
            XCTAssertNil(DecoyHash.configured(value), value)
        }
    }

    func testDecoyHashOptionIsParsedFromTheLine() throws {
        var options = ModuleOptions()
        try OptionTable.argument(named: "decoy_hash")?.apply(SecretBytes(Array("bcrypt,12".utf8)), to: &options, origin: "argument")
        XCTAssertEqual(options.decoyHash, DecoyHash.configured("bcrypt,12"))
        XCTAssertThrowsError(
            try OptionTable.argument(named: "decoy_hash")?.apply(
                SecretBytes(Array("bcrypt,31".utf8)), to: &options, origin: "argument decoy_hash")
        ) { error in
            XCTAssertEqual(
                (error as? OptionError)?.message,
                "invalid decoy_hash value (argument decoy_hash): use yescrypt[,1-7], bcrypt[,4-16], sha512[,1000-1000000] or sha256[,1000-1000000]"
            )
        }
    }
}
