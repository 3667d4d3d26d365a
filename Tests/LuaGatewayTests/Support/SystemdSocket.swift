import Foundation
import NIOCore
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The test playing systemd for docs/deploy/luagw.socket: it makes the listening Unix socket
/// (the unit's `SocketMode=` and `SocketGroup=`, at a path of the test's instead of its
/// `ListenStream=`), holds it for as long as it lives, and starts luagw processes on it.
final class SystemdSocket {
    let path: String
    let descriptor: Int32

    /// The socket of luagw.socket as written, at `path`.
    init(path: String) throws {
        XCTAssertEqual(try DocumentedUnits.setting("ListenStream", of: "luagw.socket"), DocumentedNginx.documentedSocket)
        let mode = try XCTUnwrap(DocumentedUnits.setting("SocketMode", of: "luagw.socket").flatMap { mode_t($0, radix: 8) })
        let group = try XCTUnwrap(DocumentedUnits.setting("SocketGroup", of: "luagw.socket").flatMap { getgrnam($0)?.pointee.gr_gid })
        self.path = path
        // Close-on-exec, as systemd's own: only the luagw processes given it as descriptor 3 get it.
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let bound = try SocketAddress(unixDomainSocketPath: path).withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        guard bound == 0, chown(path, uid_t.max, group) == 0, chmod(path, mode) == 0, listen(descriptor, Int32(SOMAXCONN)) == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// `luagw ARGUMENTS` started the way systemd starts a service of the socket, its standard
    /// error written to `errorLog`, its notifications sent to `notifying`; `also`: more listening
    /// sockets the unit passes after this one (a second `ListenStream=`).
    func start(_ arguments: [String], errorLog: String, notifying: NotificationListener? = nil,
               also: [Int32] = []) throws -> SocketActivatedLuagw {
        try SocketActivatedLuagw(sockets: [descriptor] + also, arguments: arguments, errorLog: errorLog, notifying: notifying)
    }
}
