// fuzz-arguments: the input split on NUL is the pam.d argument list. An OptionError is a fine
// answer; a trap or a sanitizer report is a finding.
func fuzzArguments(_ input: [UInt8]) {
    let arguments = fuzzSplit(input[...]).map { SecretBytes($0) }
    var options = ModuleOptions()
    do { try ModuleArgumentParser.apply(arguments, to: &options, log: fuzzLog) } catch { _ = error }
}
