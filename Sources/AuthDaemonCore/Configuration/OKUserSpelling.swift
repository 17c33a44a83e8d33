/// What Dovecot's `OK user=` carries (`ok_user =`).
public enum OKUserSpelling: String, Sendable, Equatable, CaseIterable {
    case client
    case database
}
