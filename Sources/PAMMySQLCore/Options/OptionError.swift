/// Why a set of options cannot be used. Each maps to PAM_SERVICE_ERR, logged as `message`, one
/// LOG_ERR line, before any database work.
///
/// No message ever contains a value: an option value may be the database password (or be
/// mistaken for one, `passwd secret`), and a config-file line may hold it. Messages name the
/// option, the argument or file line it came from, and what would be accepted.
public enum OptionError: Error, Equatable, Sendable {
    /// `crypt=` got a value pam_mysql does not accept (`origin` names the argument or file line).
    case invalidCrypt(origin: String)
    /// `crypt_method=` names no method we can generate.
    case invalidCryptMethod(origin: String)
    /// A timeout that is not a whole number of seconds between 1 and 3600.
    case invalidTimeout(option: String, origin: String)
    /// `verify_cache=` is not a whole number of seconds from 0 to a day.
    case invalidCacheSeconds(option: String, origin: String)
    /// `default_pass_scheme=` names no Dovecot scheme we know.
    case invalidDefaultPassScheme(origin: String)
    /// `query=` cannot be turned into a prepared statement (`reason` says why).
    case invalidQuery(reason: String, origin: String)
    /// `ssl_mode=` got a value we do not know.
    case invalidSSLMode(origin: String)
    /// `ssl_auth_plugins=` names a plugin we do not know.
    case invalidAuthPlugins(origin: String)
    /// `decoy_hash=` names no method we make decoys of, or a cost out of its range.
    case invalidDecoyHash(origin: String)
    /// A value-taking option written without `=` (`passwd secret`: libpam splits it into two
    /// arguments, and the second word is most likely the password, so it is never named).
    case missingValue(option: String)
    /// An unknown name this close to an option whose loss removes a restriction (`wehre=`,
    /// `users.status_colum`): ignoring it, as pam_mysql did, would silently admit more.
    /// `name` is already made safe to log (`LogText.optionName`); `origin` reads "on the module
    /// line" or "on line <n> of <path>".
    case misspeltRestriction(name: String, closeTo: String, origin: String)
    /// The file `config_file` names cannot be used in full: it is not there, not a regular file,
    /// not absolute, or others could have written it.
    case unusableConfigFile(path: String, problem: ConfigFileReader.Failure)
    /// A syntax error in the config file; none of its entries is used.
    case configFileSyntax(path: String, error: ConfigFile.SyntaxError)

    public var message: String {
        switch self {
        case .invalidCrypt(let origin):
            "invalid crypt value (\(origin)): use 0-9 or plain, Y, mysql, md5, sha1, drupal7, joomla15, ssha, sha512, sha256, dovecot"
        case .invalidCryptMethod(let origin):
            "invalid crypt_method value (\(origin)): use yescrypt, sha512, sha256, bcrypt, md5 or des"
        case .invalidTimeout(let option, let origin):
            "invalid \(option) value (\(origin)): use a whole number of seconds from 1 to 3600"
        case .invalidCacheSeconds(let option, let origin):
            "invalid \(option) value (\(origin)): use a whole number of seconds from 0 (off) to \(ModuleOptions.maximumVerifyCacheSeconds)"
        case .invalidDefaultPassScheme(let origin):
            "invalid default_pass_scheme value (\(origin)): use a Dovecot scheme name such as CRYPT, SHA512-CRYPT or PLAIN"
        case .invalidQuery(let reason, let origin):
            "invalid query value (\(origin)): \(reason)"
        case .invalidSSLMode(let origin):
            "invalid ssl_mode value (\(origin)): use disable, preferred, require (or enforce), verify_ca or verify_identity"
        case .invalidAuthPlugins(let origin):
            "invalid ssl_auth_plugins value (\(origin)): use a comma-separated list of \(AuthenticationPlugin.allCases.map { $0.rawValue }.joined(separator: ", "))"
        case .invalidDecoyHash(let origin):
            "invalid decoy_hash value (\(origin)): use yescrypt[,1-7], bcrypt[,4-16], sha512[,1000-1000000] or sha256[,1000-1000000]"
        case .missingValue(let option):
            "option \(option) needs a value (\(option)=...)"
        case .misspeltRestriction(let name, let closeTo, let origin):
            "unknown option \(name) \(origin): too close to \(closeTo) to ignore (a misspelt restriction fails closed)"
        case .unusableConfigFile(let path, let problem):
            "config file \(LogText.escaped(path)) \(problem.message)"
        case .configFileSyntax(let path, let error):
            "syntax error on line \(error.line) of \(LogText.escaped(path)): \(error.message); none of the file is used"
        }
    }
}
