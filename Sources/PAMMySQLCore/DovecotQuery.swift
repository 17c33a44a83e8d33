/// A whole password SELECT written the Dovecot way (option `query`), turned into a prepared
/// statement: every variable becomes a bound `?`, never text, so no user name can change the
/// SQL. The password is the first column of the one row it must return.
///
/// Variables, as in Dovecot 2.3's `password_query`: `%u` / `%{user}` the whole user name, `%n` /
/// `%{username}` the part before the first `@`, `%d` / `%{domain}` the part after it (empty
/// without `@`), and `%%` a literal `%`. Dovecot configurations quote variables
/// (`WHERE username = '%u'`): a quoted string that is exactly one variable becomes a bare `?`,
/// and one that mixes text and variables becomes `CONCAT('text', ?, …)`. Anything else after
/// a `%` is an error, as is a `?` outside quotes (it would be an unbound parameter) and a
/// variable inside a backquoted identifier (names cannot be bound).
public struct DovecotQuery: Equatable, Sendable {
    public enum Variable: Equatable, Sendable {
        case user, localPart, domain
    }

    public struct ParseError: Error, Equatable {
        public let reason: String
    }

    /// The SQL with `?` for each variable, in order.
    public let sql: String
    public let variables: [Variable]

    /// The bound values for `user` (exact PAM_USER bytes), one per `?`.
    public func parameters(for user: [UInt8]) -> [SecretBytes] {
        let at = user.firstIndex(of: UInt8(ascii: "@"))
        return variables.map { variable in
            switch variable {
            case .user: SecretBytes(user)
            case .localPart: SecretBytes(at.map { Array(user[..<$0]) } ?? user)
            case .domain: SecretBytes(at.map { Array(user[($0 + 1)...]) } ?? [])
            }
        }
    }

    public static func parse(_ text: String) -> Result<DovecotQuery, ParseError> {
        var parser = DovecotQueryParser(Array(text.utf8))
        return parser.run()
    }
}

/// The scanner behind `DovecotQuery.parse`: SQL text, quoted strings, backquoted names and
/// comments, with Dovecot's variables replaced.
struct DovecotQueryParser {
    private let input: [UInt8]
    private var index = 0
    private var output: [UInt8] = []
    private var variables: [DovecotQuery.Variable] = []

    init(_ input: [UInt8]) { self.input = input }

    private func failure(_ reason: String) -> Result<DovecotQuery, DovecotQuery.ParseError> {
        .failure(DovecotQuery.ParseError(reason: reason))
    }

    mutating func run() -> Result<DovecotQuery, DovecotQuery.ParseError> {
        let firstWord = input.drop(while: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d }).prefix(7)
        guard firstWord.count >= 6, asciiLowercased(String(decoding: firstWord.prefix(6), as: UTF8.self)) == "select",
            firstWord.count == 6 || !isWordByte(firstWord.last!)
        else { return failure("the query must be a SELECT") }
        while index < input.count {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                if case .failure(let error) = quotedString(byte) { return .failure(error) }
            case UInt8(ascii: "`"):
                guard let end = input[(index + 1)...].firstIndex(of: byte) else { return failure("unterminated `name`") }
                if input[index..<end].contains(UInt8(ascii: "%")) { return failure("a variable cannot name a table or column") }
                output += input[index...end]
                index = end + 1
            case UInt8(ascii: "#"):
                copyComment(until: [0x0a])
            case UInt8(ascii: "-") where next(1) == UInt8(ascii: "-") && (next(2).map { $0 <= 0x20 } ?? true):
                copyComment(until: [0x0a])
            case UInt8(ascii: "/") where next(1) == UInt8(ascii: "*"):
                copyComment(until: Array("*/".utf8))
            case UInt8(ascii: "?"):
                return failure("a ? outside quotes would be an unbound parameter; write %u, %n or %d")
            case UInt8(ascii: "%"):
                switch variable() {
                case .failure(let error): return .failure(error)
                case .success(nil): output.append(UInt8(ascii: "%"))
                case .success(let found?):
                    variables.append(found)
                    output.append(UInt8(ascii: "?"))
                }
            default:
                output.append(byte)
                index += 1
            }
        }
        return .success(DovecotQuery(sql: String(decoding: output, as: UTF8.self), variables: variables))
    }

    private func next(_ offset: Int) -> UInt8? {
        index + offset < input.count ? input[index + offset] : nil
    }

    private func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 95
    }

    /// Copies a comment verbatim (variables in it are not expanded: they would leave a `?`
    /// the server never sees).
    private mutating func copyComment(until terminator: [UInt8]) {
        var end = index + 1
        while end < input.count, !input[end...].starts(with: terminator) { end += 1 }
        end = min(end + terminator.count, input.count)
        output += input[index..<end]
        index = end
    }

    /// At a `%`: the variable, nil for `%%`, or an error. Advances past it. An unknown variable
    /// is named by its position, never its text: no error quotes the option's value.
    private mutating func variable() -> Result<DovecotQuery.Variable?, DovecotQuery.ParseError> {
        guard let name = next(1) else { return .failure(.init(reason: "the query ends with a lone %")) }
        switch name {
        case UInt8(ascii: "%"):
            index += 2
            return .success(nil)
        case UInt8(ascii: "u"), UInt8(ascii: "n"), UInt8(ascii: "d"):
            index += 2
            return .success(name == UInt8(ascii: "u") ? .user : name == UInt8(ascii: "n") ? .localPart : .domain)
        case UInt8(ascii: "{"):
            guard let close = input[index...].firstIndex(of: UInt8(ascii: "}")) else {
                return .failure(.init(reason: "unterminated %{…} variable"))
            }
            let long = String(decoding: input[(index + 2)..<close], as: UTF8.self)
            let known: [String: DovecotQuery.Variable] = ["user": .user, "username": .localPart, "domain": .domain]
            guard let found = known[long] else {
                return .failure(.init(reason: "unknown variable at character \(index + 1): use %{user}, %{username} or %{domain}"))
            }
            index = close + 1
            return .success(found)
        default:
            return .failure(.init(reason: "unknown variable at character \(index + 1): use %u, %n, %d or %%"))
        }
    }

    /// A quoted string starting at `index`. Without variables it is copied (with `%%` as `%`);
    /// with them it becomes `?` or `CONCAT(…)` of its quoted text parts and `?`s.
    private mutating func quotedString(_ quote: UInt8) -> Result<Void, DovecotQuery.ParseError> {
        var pieces: [[UInt8]?] = []  // nil: a variable
        var text: [UInt8] = []
        index += 1
        while true {
            guard index < input.count else { return .failure(.init(reason: "unterminated quoted string")) }
            let byte = input[index]
            if byte == UInt8(ascii: "\\"), index + 1 < input.count {
                text += input[index...(index + 1)]
                index += 2
            } else if byte == quote, next(1) == quote {
                text += [quote, quote]
                index += 2
            } else if byte == quote {
                index += 1
                break
            } else if byte == UInt8(ascii: "%") {
                switch variable() {
                case .failure(let error): return .failure(error)
                case .success(nil): text.append(UInt8(ascii: "%"))
                case .success(let found?):
                    if !text.isEmpty { pieces.append(text) }
                    text = []
                    pieces.append(nil)
                    variables.append(found)
                }
            } else {
                text.append(byte)
                index += 1
            }
        }
        if !text.isEmpty || pieces.isEmpty { pieces.append(text) }
        let rendered = pieces.map { piece in piece.map { [quote] + $0 + [quote] } ?? [UInt8(ascii: "?")] }
        if rendered.count == 1 {
            output += rendered[0]
        } else {
            output += Array("CONCAT(".utf8) + Array(rendered.joined(separator: Array(", ".utf8))) + [UInt8(ascii: ")")]
        }
        return .success(())
    }
}
