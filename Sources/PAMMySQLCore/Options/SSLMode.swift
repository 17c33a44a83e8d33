/// `ssl_mode` values. pam_mysql 1.0-beta's `enforce` is accepted as `require`.
public enum SSLMode: String, Sendable, Equatable {
    /// No TLS, even when other `ssl_*` options are set.
    case disable
    /// TLS when the server offers it, plain otherwise; the certificate is not checked.
    case preferred
    /// TLS or no connection. The certificate chain is checked when ssl_ca/ssl_capath is given
    /// (Connector/C does so whenever a CA is set); the host name is not.
    case require
    /// TLS, certificate chain checked against ssl_ca/ssl_capath (one of them required).
    case verifyCA = "verify_ca"
    /// As verify_ca, and the certificate must name the server (`host` entry, CN or SAN).
    case verifyIdentity = "verify_identity"

    public init?(optionValue: String) {
        let value = asciiLowercased(optionValue)
        if value == "enforce" || value == "required" {
            self = .require
        } else if value == "prefer" {
            self = .preferred
        } else if let mode = SSLMode(rawValue: value) {
            self = mode
        } else {
            return nil
        }
    }

    public var optionValue: String { rawValue }
}
