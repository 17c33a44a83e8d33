/// The parameters of an `AUTH` line after its id and mechanism, as Dovecot's
/// `auth_request_handler_auth_begin` reads them: `name=value` or a bare flag, any order,
/// tab-unescaped, unknown names ignored (Postfix's `nologin` among them), `resp=` last.
struct DovecotAuthParameters: Sendable, Equatable {
    /// `service=`, or `protocol=` (Dovecot 2.4's name; `service` is its backwards-compatible alias).
    var service: [UInt8]?
    var remoteAddress: String?
    var localAddress: String?
    /// `secured` with any value or none (`auth_request_import_auth`).
    var secured = false
    /// `resp=` as sent (base64), nil when absent.
    var initialResponse: [UInt8]?

    enum Failure: Error, Equatable {
        /// Dovecot closes the connection: "sent AUTH parameters after 'resp'".
        case parameterAfterResponse
    }

    static func parse(_ fields: ArraySlice<ArraySlice<UInt8>>) -> Result<DovecotAuthParameters, Failure> {
        var parameters = DovecotAuthParameters()
        var index = fields.startIndex
        while index < fields.endIndex {
            let field = DovecotTabEscape.unescaped(fields[index])
            index += 1
            let name: ArraySlice<UInt8>
            let value: [UInt8]
            if let equals = field.firstIndex(of: UInt8(ascii: "=")) {
                name = field[..<equals]
                value = Array(field[(equals + 1)...])
            } else {
                name = field[...]
                value = []
            }
            switch String(decoding: name, as: UTF8.self) {
            case "service", "protocol": parameters.service = value
            case "rip": parameters.remoteAddress = address(value)
            case "lip": parameters.localAddress = address(value)
            case "secured": parameters.secured = true
            case "resp":
                parameters.initialResponse = value
                guard index == fields.endIndex else { return .failure(.parameterAfterResponse) }
            default: continue
            }
        }
        return .success(parameters)
    }

    /// Dovecot ignores a `rip`/`lip` that `net_addr2ip` cannot read; here: kept only when made of
    /// the characters of an IPv4 or IPv6 address, so it is safe in a log line as it is.
    private static func address(_ value: [UInt8]) -> String? {
        let allowed = { (b: UInt8) in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) || b == UInt8(ascii: ".")
                || b == UInt8(ascii: ":")
        }
        guard !value.isEmpty, value.count <= 45, value.allSatisfy(allowed) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }

    /// A service name is a file name under the pam.d directory: printable ASCII without `/`, at
    /// most 64 bytes (the configuration checks `..` and existence).
    static func serviceName(_ value: [UInt8]) -> String? {
        guard !value.isEmpty, value.count <= 64, value.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "/") }) else {
            return nil
        }
        return String(decoding: value, as: UTF8.self)
    }
}
