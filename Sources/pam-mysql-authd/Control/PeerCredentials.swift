/// struct ucred of <sys/socket.h> (SO_PEERCRED), which Glibc's Swift module does not show
/// (it needs _GNU_SOURCE): pid, uid, gid, in this order.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
