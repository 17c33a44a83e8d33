import PAMMySQLCore

/// What the caller knows besides the options: who, with which password, and whether the
/// application forbids empty passwords (PAM_DISALLOW_NULL_AUTHTOK).
package struct LoginRequest {
    package let user: [UInt8]
    /// nil when there is no token (only `use_first_pass` asks then).
    package let password: SecretBytes?
    package let disallowsEmptyPassword: Bool

    package init(user: [UInt8], password: SecretBytes?, disallowsEmptyPassword: Bool = false) {
        self.user = user
        self.password = password
        self.disallowsEmptyPassword = disallowsEmptyPassword
    }

    var userForLog: String { LogText.userName(user) }
}

/// The database half of a login, and what the hashing half needs from it. The auth daemon
/// runs the halves on different thread pools (a slow database must not hold a hashing
/// thread); the module runs them one after the other (`decideLogin`), so both decide alike.
package enum PasswordLookup {
    /// Decided without a password verification (a database failure, NULL stored password…).
    case decided(LoginDecision)
    /// No row: the password is verified against `decoy` (so the time tells nothing), then refused.
    case unknownUser(decoy: SecretBytes)
    /// The stored value the password must verify against.
    case stored(SecretBytes)
}

extension DatabaseSession {
    /// pam_mysql's `check_passwd`: one SELECT for the user, exactly one row expected, then the
    /// scheme of `crypt=` compares the password with the stored value. With `query` the SELECT
    /// is the administrator's, its Dovecot variables bound as parameters. Logs each refusal and
    /// failure once, with pam_mysql's texts.
    /// With `cache` (the module's `verify_cache`), a password that verified against the same
    /// stored value before is not hashed again (`VerificationCache`).
    package func decideLogin(_ request: LoginRequest, cache: VerificationCacheUse? = nil) -> LoginDecision {
        let lookup = lookupPassword(request)
        switch Self.consultVerificationCache(cache, request: request, lookup: lookup, options: options, log: log) {
        case .hit: return .accepted(.passwordVerified)
        case .miss(let probe): return Self.verifyPassword(request, lookup: lookup, options: options, log: log, remembering: probe)
        case nil: return Self.verifyPassword(request, lookup: lookup, options: options, log: log)
        }
    }

    /// The verification cache's part of a login, between the lookup and the hash (cheap: two
    /// HMACs, no database, so the daemon runs it on the database thread and a hit never waits
    /// for a hashing thread). nil when there is no cache or nothing it may answer for: only a
    /// stored value the SELECT returned, with a password to verify, is ever cached; an unknown
    /// user, an empty or NULL stored value and every refusal take the usual path.
    package static func consultVerificationCache(
        _ use: VerificationCacheUse?, request: LoginRequest, lookup: PasswordLookup, options: ModuleOptions, log: DatabaseLog
    ) -> VerificationCache.Answer? {
        guard let use, use.ttlMilliseconds > 0, case .stored(let stored) = lookup, !stored.isEmpty, let password = request.password,
            let probe = use.cache.probe(service: use.service, request: request, password: password, stored: stored, options: options)
        else { return nil }
        let answer = use.cache.answer(probe, ttlMilliseconds: use.ttlMilliseconds)
        if case .hit = answer {
            log.trace(
                "verification cache hit: the password verified against this stored value before (\(options.crypt.label)), not hashed again")
        } else {
            log.trace("verification cache miss")
        }
        return answer
    }

    /// The database half of `decideLogin`: the row, and every refusal that needs no hashing.
    package func lookupPassword(_ request: LoginRequest) -> PasswordLookup {
        lookupPassword(request, answer: lookupPasswordRow(user: request.user))
    }

    /// The rest of `lookupPassword` from the SELECT's answer, which the auth daemon's result
    /// cache may hand in instead of running the SELECT.
    package func lookupPassword(_ request: LoginRequest, answer: Result<[SecretBytes?], LookupFailure>) -> PasswordLookup {
        let row: [SecretBytes?]
        switch answer {
        case .success(let found): row = found
        case .failure(.userUnknown):
            log(.err, "SELECT returned no result.")
            return .unknownUser(decoy: decoyStoredValue())
        case .failure(let failure): return .decided(decision(for: failure))
        }
        guard let stored = row.first ?? nil else {
            // Debian's fix of pam_mysql: NULL passwords need nullok and no PAM_DISALLOW_NULL_AUTHTOK.
            if options.nullOK && !request.disallowsEmptyPassword {
                log(.notice, "user \"\(request.userForLog)\" has a NULL password, accepted because of nullok")
                return .decided(.accepted(.emptyPasswordAllowed))
            }
            log.trace("stored password is NULL")
            return .decided(.refused(.emptyStoredPassword))
        }
        // An empty stored password is refused like a NULL one unless nullok allows it
        // (pam_mysql let an empty answer in with crypt=0 whatever the flags said).
        guard !stored.isEmpty || Self.emptyStoredPasswordIsAllowed(request, options: options, log: log) else {
            return .decided(.refused(.emptyStoredPassword))
        }
        guard let password = request.password else { return .decided(.refused(.noPassword)) }
        guard password.count <= maximumPasswordLength else {
            log(.notice, "password for user \"\(request.userForLog)\" refused: longer than \(maximumPasswordLength) bytes")
            return .decided(.refused(.passwordTooLong))
        }
        return .stored(stored)
    }

    /// The hashing half of `decideLogin`: no database, no session state, so it may run on any
    /// thread with the options the lookup used.
    /// `remembering`: the verification cache's probe of this login, told when the password matched.
    package static func verifyPassword(
        _ request: LoginRequest, lookup: PasswordLookup, options: ModuleOptions, log: DatabaseLog,
        remembering probe: VerificationCache.Probe? = nil
    ) -> LoginDecision {
        let context = VerificationContext(
            useMySQL323: options.use323Passwd, userName: request.user, defaultPassScheme: options.defaultPassScheme,
            allowWeakSchemes: options.allowWeakSchemes)
        let stored: SecretBytes
        switch lookup {
        case .decided(let decision): return decision
        case .unknownUser(let decoy):
            if let password = request.password, password.count <= maximumPasswordLength {
                _ = PasswordSchemes.verify(mode: options.crypt, password: password, stored: decoy, context: context)
            }
            return .refused(.unknownUser)
        case .stored(let value): stored = value
        }
        guard let password = request.password else { return .refused(.noPassword) }
        let verification = PasswordSchemes.verify(mode: options.crypt, password: password, stored: stored, context: context)
        if verification == .match || verification == .mismatch {
            DecoyMemory.noteVerified(stored, mode: options.crypt, defaultPassScheme: options.defaultPassScheme)
        }
        switch verification {
        case .match:
            log.trace("password verified with \(options.crypt.label)")
            probe?.rememberVerified()
            return .accepted(.passwordVerified)
        case .mismatch:
            return .refused(.wrongPassword)
        case .storedSecretIsEmpty:
            // `{PLAIN}` with nothing after it: the same rule as an empty column.
            guard emptyStoredPasswordIsAllowed(request, options: options, log: log) else { return .refused(.emptyStoredPassword) }
            return password.isEmpty ? .accepted(.emptyPasswordAllowed) : .refused(.wrongPassword)
        case .malformed(let reason):
            log(.err, "stored password of user \"\(request.userForLog)\" is not a valid \(options.crypt.label) value: \(reason)")
            // pam_mysql's modes count it as a wrong password; crypt=dovecot, as Dovecot does, as
            // an internal failure: the user did nothing wrong, the row needs an administrator.
            return options.crypt == .dovecot
                ? .configurationError(.malformedStoredValue(reason: reason)) : .refused(.malformedStoredValue(reason: reason))
        }
    }

    /// Logs a lookup failure once, with pam_mysql's texts, and says what it means.
    package func decision(for failure: LookupFailure) -> LoginDecision {
        switch failure {
        case .userUnknown:
            log(.err, "SELECT returned no result.")
            return .refused(.unknownUser)
        case .multipleRows(let count):
            log(.err, "SELECT returned an indetermined result. (\(count) rows: the user column must be unique)")
            return .configurationError(.multipleRows(count))
        case .database(let error):
            return decision(for: error)
        }
    }

    /// Logs a database failure once and says what it means.
    package func decision(for error: DatabaseError) -> LoginDecision {
        log(.err, "MySQL error (\(LogText.escaped(error.message, limit: 256)))")
        return error.kind == .unavailable ? .temporaryFailure(error) : .configurationError(.database(error))
    }

    /// What an unknown user's password is verified against: `decoy_hash` when set (and of
    /// this mode's kind), else the method and cost of the last value verified in this process,
    /// else the mode's fixed decoy (SHA-512-crypt for crypt=1 and crypt=dovecot).
    private func decoyStoredValue() -> SecretBytes {
        let mode = options.crypt
        return options.decoyHash?.storedValue(for: mode) ?? DecoyMemory.last(for: mode)?.storedValue(for: mode)
            ?? PasswordSchemes.decoyStoredValue(for: mode)
    }

    /// Debian's rule for NULL passwords, applied to empty ones too: only with `nullok`, and only
    /// when the application did not pass PAM_DISALLOW_NULL_AUTHTOK. Logs the refusal.
    private static func emptyStoredPasswordIsAllowed(_ request: LoginRequest, options: ModuleOptions, log: DatabaseLog) -> Bool {
        if options.nullOK && !request.disallowsEmptyPassword { return true }
        let why = options.nullOK ? "the application passed PAM_DISALLOW_NULL_AUTHTOK" : "nullok is not set"
        log(.notice, "user \"\(request.userForLog)\" has an empty stored password: refused (\(why))")
        return false
    }
}
