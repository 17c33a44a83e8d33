import AuthDaemonCore
import XCTest

/// Addresses as the protocols carry them, and how they are grouped and trusted.
final class ClientAddressKeyTests: XCTestCase {
    /// (text, the key's text with the default /64, or nil: no address).
    static let keys: [(String, String?)] = [
        ("192.0.2.7", "192.0.2.7"),
        ("192.0.2.7;41234", "192.0.2.7"),  // saslauthd's addr;port
        ("::ffff:192.0.2.7", "192.0.2.7"),  // IPv4-mapped: the IPv4 address
        ("::FFFF:c000:0207", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:0:0:0:0"),
        ("2001:db8:1:2::99", "2001:db8:1:2:0:0:0:0"),
        ("[2001:db8::1]", "2001:db8:0:0:0:0:0:0"),
        ("fe80::1%eth0", "fe80:0:0:0:0:0:0:0"),
        ("::1", "0:0:0:0:0:0:0:0"),
        ("::", "0:0:0:0:0:0:0:0"),
        ("1::", "1:0:0:0:0:0:0:0"),
        ("::192.0.2.1", "0:0:0:0:0:0:0:0"),
        ("", nil),
        ("-", nil),
        ("unknown", nil),
        ("192.0.2", nil),
        ("192.0.2.256", nil),
        ("192.0.02.7", nil),  // a leading zero would be octal to inet_aton
        ("192.0.2.7.", nil),
        ("1:2:3:4:5:6:7", nil),
        ("1:2:3:4:5:6:7:8:9", nil),
        ("1::2::3", nil),
        ("1:::2", nil),
        (":1:2:3:4:5:6:7", nil),
        ("1:2:3:4:5:6:7:", nil),
        ("12345::", nil),
        ("g::1", nil),
        ("1.2.3.4::", nil),
        (String(repeating: "1", count: 60), nil),
    ]

    func testAddressesAreParsedStrictlyAndIPv6IsGroupedBy64() {
        for (text, expected) in Self.keys {
            XCTAssertEqual(ClientAddressKey(parsing: text, ipv6Prefix: 64)?.description, expected, text)
        }
        XCTAssertNil(ClientAddressKey(parsing: nil, ipv6Prefix: 64))
    }

    func testTheIPv6PrefixIsAnOption() {
        let vectors: [(Int, String)] = [
            (48, "2001:db8:1:0:0:0:0:0"), (56, "2001:db8:1:200:0:0:0:0"), (128, "2001:db8:1:2ff:0:0:0:9"), (1, "0:0:0:0:0:0:0:0"),
            (63, "2001:db8:1:2fe:0:0:0:0"),
        ]
        for (prefix, expected) in vectors {
            XCTAssertEqual(ClientAddressKey(parsing: "2001:db8:1:2ff::9", ipv6Prefix: prefix)?.description, expected, "/\(prefix)")
        }
        // IPv4 is never grouped.
        XCTAssertEqual(ClientAddressKey(parsing: "198.51.100.9", ipv6Prefix: 1)?.description, "198.51.100.9")
        XCTAssertEqual(
            ClientAddressKey(parsing: "2001:db8:1:2::1", ipv6Prefix: 64), ClientAddressKey(parsing: "2001:db8:1:2:ffff::7", ipv6Prefix: 64))
    }

    /// (the setting, addresses inside, addresses outside; nil setting: refused).
    static let trusted: [(String, [String], [String])] = [
        ("127.0.0.1/32 ::1/128", ["127.0.0.1", "::1", "::ffff:127.0.0.1"], ["127.0.0.2", "::2", "192.0.2.1"]),
        ("192.0.2.0/24, 2001:db8::/32", ["192.0.2.0", "192.0.2.255", "2001:db8:ffff::1"], ["192.0.3.0", "2001:db9::1"]),
        ("198.51.100.7", ["198.51.100.7"], ["198.51.100.8"]),
        ("10.1.2.3/8", ["10.255.0.1"], ["11.0.0.0"]),
        ("0.0.0.0/0", ["203.0.113.9", "1.1.1.1"], ["2001:db8::1"]),
        ("", [], ["127.0.0.1"]),
    ]

    func testTrustedNetworksMatchTheirPrefixesOnly() throws {
        for (setting, inside, outside) in Self.trusted {
            let networks = try XCTUnwrap(TrustedNetworks(parsing: setting), setting)
            for text in inside { XCTAssertTrue(networks.contains(try XCTUnwrap(IPAddress(parsing: text))), "\(text) in \(setting)") }
            for text in outside { XCTAssertFalse(networks.contains(try XCTUnwrap(IPAddress(parsing: text))), "\(text) in \(setting)") }
        }
        XCTAssertEqual(TrustedNetworks(parsing: "10.1.2.3/8 ::1")?.text, "10.0.0.0/8 0:0:0:0:0:0:0:1/128")
    }

    func testAMalformedTrustedNetworkIsRefused() {
        for bad in [
            "127.0.0.1/33", "::1/129", "localhost", "127.0.0.1/", "127.0.0.1/-1", "::ffff:127.0.0.1/104", "192.0.2.1;25", "10.0.0.0/8/8",
        ] {
            XCTAssertNil(TrustedNetworks(parsing: bad), bad)
        }
    }
}
