/// How a scheme's bytes are written when no `.b64`/`.hex` suffix says otherwise (Dovecot's
/// `enum password_encoding`).
public enum DovecotEncoding: Sendable {
    case none, base64, hex
}
