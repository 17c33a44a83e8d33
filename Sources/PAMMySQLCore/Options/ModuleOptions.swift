/// Every option of pam_mysql 0.8.2 (with Debian's `nullok`) plus our connection timeouts, with
/// pam_mysql's defaults. One value lives per PAM handle and is updated by each line's
/// arguments, so options set on one line stay in force for the next (pam_mysql's "sticky"
/// context, which configurations rely on).
public struct ModuleOptions {
    public var host: String?
    public var user: String?
    public var passwd: SecretBytes?
    public var db: String?
    public var table: String?
    /// Parsed but, as in pam_mysql (every version), never used: updates target `table`.
    public var updateTable: String?
    public var userColumn: String?
    public var passwdColumn: String?
    public var statColumn: String? = "0"
    public var crypt: CryptMode = .plain
    /// Only chooses the salt of new crypt=1 passwords (MD5-crypt). pam_mysql leaves it "unset",
    /// which counts as true.
    public var md5: Bool = true
    /// New: the crypt(3) method for new crypt=1 passwords; nil keeps pam_mysql's `md5` rule.
    public var cryptMethod: CryptMethod?
    public var use323Passwd = false
    public var whereClause: String?
    public var sqlLog = false
    public var logTable: String?
    public var logMessageColumn: String?
    public var logUserColumn: String?
    public var logPIDColumn: String?
    public var logHostColumn: String?
    public var logRHostColumn: String?
    public var logTimeColumn: String?
    public var configFile: String?
    public var useFirstPass = false
    public var tryFirstPass = true
    public var disconnectEveryOperation = false
    public var verbose = false
    public var nullOK = false
    /// New: seconds allowed to establish the connection (TCP, TLS, SQL login).
    public var connectTimeout: UInt32 = 5
    /// New: seconds to wait for each answer of the server.
    public var readTimeout: UInt32 = 5
    /// New: seconds to wait for each write to the server.
    public var writeTimeout: UInt32 = 5

    public init() {}
}

/// Why a set of options cannot be used. Each maps to PAM_SERVICE_ERR.
public enum OptionError: Error, Equatable, Sendable {
    /// `crypt=` got a value pam_mysql does not accept (`origin` names the argument or file line).
    case invalidCrypt(origin: String)
    /// `crypt_method=` names no method we can generate.
    case invalidCryptMethod(origin: String)
    /// A timeout that is not a whole number of seconds between 1 and 3600.
    case invalidTimeout(option: String, origin: String)

    public var message: String {
        switch self {
        case .invalidCrypt(let origin):
            "invalid crypt value (\(origin)): use 0-9 or plain, Y, mysql, md5, sha1, drupal7, joomla15, ssha, sha512, sha256"
        case .invalidCryptMethod(let origin):
            "invalid crypt_method value (\(origin)): use yescrypt, sha512, sha256, bcrypt, md5 or des"
        case .invalidTimeout(let option, let origin):
            "invalid \(option) value (\(origin)): use a whole number of seconds from 1 to 3600"
        }
    }
}
