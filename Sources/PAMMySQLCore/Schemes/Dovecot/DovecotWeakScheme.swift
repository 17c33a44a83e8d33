/// The log text for a refused weak scheme.
enum DovecotWeakScheme {
    static func refusal(_ name: String) -> String {
        "weak password scheme \(name) refused (set allow_weak_schemes to accept it, as Dovecot's auth_allow_weak_schemes does)"
    }
}
