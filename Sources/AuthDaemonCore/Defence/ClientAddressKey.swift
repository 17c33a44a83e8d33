/// Whose failures count together: an IPv4 address as it is, an IPv6 address by its prefix
/// (`penalty_ipv6_prefix`, default /64: one customer's LAN or one VPS gets a /64, and an
/// attacker who holds a /64 can pick a new address for every attempt). Dovecot masks to /48.
public struct ClientAddressKey: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress

    public init(_ address: IPAddress, ipv6Prefix: Int) {
        switch address {
        case .v4: network = address
        case .v6: network = address.masked(toPrefix: max(1, min(128, ipv6Prefix)))
        }
    }

    /// From the protocol's text; nil when there is none or it is not an IP address.
    public init?(parsing text: String?, ipv6Prefix: Int) {
        guard let text, let address = IPAddress(parsing: text) else { return nil }
        self.init(address, ipv6Prefix: ipv6Prefix)
    }

    public var description: String { network.text }
}
