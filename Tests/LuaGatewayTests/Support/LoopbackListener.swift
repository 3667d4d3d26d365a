import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback listener run by a test, on a port the kernel picks: `serve` gets each accepted
/// descriptor, on a thread of its own (one for all). Closed when released.
final class LoopbackListener {
    let port: Int
    /// The listening socket.
    let fd: Int32

    init(serve: ((Int32) -> Void)? = nil) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        if let serve {
            let listening = fd
            Thread.detachNewThread {
                while true {
                    let client = accept(listening, nil, nil)
                    if client < 0 { return }
                    serve(client)
                }
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
