// fuzz-config: the input is a config file; parsed, then applied to default options.
func fuzzConfig(_ input: [UInt8]) {
    let file = ConfigFile(parsing: SecretBytes(input))
    var options = ModuleOptions()
    do { try ModuleConfiguration.apply(file, to: &options, path: "/etc/pam-mysql.conf", log: fuzzLog) } catch { _ = error }
}
