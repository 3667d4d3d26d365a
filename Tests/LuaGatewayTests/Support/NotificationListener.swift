import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The test playing systemd's notification socket (`NOTIFY_SOCKET`, sd_notify(3)): a Unix
/// datagram socket at a path of the test's, from which it reads what a service says (`READY=1`).
final class NotificationListener {
    let path: String
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: 60, tv_usec: 0)  // generous: the machine may be busy
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard try SocketAddress(unixDomainSocketPath: path).withSockAddr({ bind(descriptor, $0, socklen_t($1)) }) == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
    }

    deinit { close(descriptor) }

    /// The next message; nil when none came within a minute.
    func next() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}
