import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A UDP peer on a loopback port the kernel picks, or a Unix datagram peer at a path, run by a
/// test: `answer` gets each datagram that arrives and returns the datagrams sent back to its
/// sender (none: the peer keeps quiet), on a thread of its own. Without `answer` nothing reads:
/// a peer that never answers. Closed when released.
final class DatagramPeer {
    /// The UDP port (0 for a Unix peer).
    let port: Int
    let fd: Int32

    /// A UDP peer on 127.0.0.1.
    convenience init(answer: (([UInt8]) -> [[UInt8]])? = nil) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        try self.init(family: AF_INET, address: &address, answer: answer)
    }

    /// A Unix datagram peer bound to `path`.
    convenience init(path: String, answer: @escaping ([UInt8]) -> [[UInt8]]) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
        try self.init(family: AF_UNIX, address: &address, answer: answer)
    }

    private init<Address>(family: Int32, address: inout Address, answer: (([UInt8]) -> [[UInt8]])?) throws {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var length = socklen_t(MemoryLayout<Address>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var local = sockaddr_in()
        withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        port = family == AF_INET ? Int(UInt16(bigEndian: local.sin_port)) : 0
        guard let answer else { return }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            var sender = sockaddr_storage()
            while true {
                var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &senderLength) }
                }
                if count <= 0 { return }  // shut down
                for reply in answer(Array(buffer[0..<count])) {
                    _ = withUnsafePointer(to: &sender) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, senderLength) }
                    }
                }
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}
