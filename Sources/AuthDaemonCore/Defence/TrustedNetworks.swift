/// `penalty_trusted_networks`: CIDR prefixes (`127.0.0.1/32 ::1/128 192.0.2.0/24`, blanks or
/// commas between them) whose requests get no penalty and no per-address cap, as Dovecot's
/// `login_trusted_networks`: a webmail on the same host logs everyone in from one address.
/// A bare address means the whole address (/32, /128). An IPv4-mapped IPv6 prefix is refused
/// rather than guessed: write the IPv4 prefix.
public struct TrustedNetworks: Equatable, Sendable {
    public struct Network: Equatable, Sendable {
        public let address: IPAddress
        public let prefix: Int

        public func contains(_ other: IPAddress) -> Bool {
            switch (address, other) {
            case (.v4, .v4), (.v6, .v6): other.masked(toPrefix: prefix) == address
            default: false
            }
        }

        public var text: String { "\(address.text)/\(prefix)" }
    }

    public var networks: [Network]

    public init(_ networks: [Network] = []) { self.networks = networks }

    /// nil when any entry is not `ADDRESS[/BITS]` with BITS within the family's length.
    public init?(parsing text: String) {
        var networks: [Network] = []
        let separators: Set<UInt8> = [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ",")]
        for word in text.utf8.split(whereSeparator: { separators.contains($0) }) {
            let parts = word.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: false)
            let addressText = String(decoding: parts[0], as: UTF8.self)
            guard !addressText.contains(";"), !addressText.contains("%"), let address = IPAddress(parsing: addressText) else {
                return nil
            }
            let isMapped = addressText.contains(":") && address.bytes.count == 4
            let length = address.bytes.count * 8
            var prefix = length
            if parts.count == 2 {
                let digits = parts[1]
                guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                prefix = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            }
            guard !isMapped, (0...length).contains(prefix) else { return nil }
            networks.append(Network(address: address.masked(toPrefix: prefix), prefix: prefix))
        }
        self.networks = networks
    }

    public func contains(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    public var text: String { networks.map(\.text).joined(separator: " ") }
}
