/// The auth daemon's logic without I/O: the saslauthd and Dovecot auth protocols as parsers and
/// state machines, and the daemon's configuration (its own file and the pam.d service files).
/// No SwiftNIO and no sockets here, so every rule is unit-tested and fuzzed without a server;
/// the `pam-mysql-authd` executable wires these to sockets and to the database layer.
public enum AuthDaemonCore {}
