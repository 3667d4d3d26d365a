import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One listening socket a service manager passed luagw (`SocketActivation`): its descriptor,
/// its name (systemd's `FileDescriptorName=`, by default the socket unit's name) and the
/// address it listens on.
struct InheritedSocket: Sendable, CustomStringConvertible {
    let descriptor: Int32
    let name: String
    /// Where it listens; nil when the descriptor is not a listening stream socket.
    let address: SocketAddress?

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
        self.address = Self.listeningAddress(of: descriptor)
    }

    /// Whether it listens where `bind` says: the same Unix socket path, or the same IP address
    /// and port (a host name is resolved).
    func listens(on bind: BindAddress) -> Bool {
        guard let address else { return false }
        if let path = bind.unixPath { return address.pathname == path }
        guard address.pathname == nil else { return false }
        return (try? SocketAddress.makeAddressResolvingHost(bind.host, port: bind.port)) == address
    }

    var description: String {
        let listening = address.map { address in
            address.pathname.map { "unix:\($0)" }
                ?? BindAddress(host: address.ipAddress ?? "?", port: address.port ?? 0).description
        }
        return "\(name) (descriptor \(descriptor)): \(listening ?? "not a listening stream socket")"
    }

    /// The address `descriptor` listens on, when it is a listening stream socket.
    private static func listeningAddress(of descriptor: Int32) -> SocketAddress? {
        guard option(SO_ACCEPTCONN, of: descriptor) == 1, option(SO_TYPE, of: descriptor) == Int32(SOCK_STREAM.rawValue) else {
            return nil
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_UNIX: SocketAddress(raw.load(as: sockaddr_un.self))
            case AF_INET: SocketAddress(raw.load(as: sockaddr_in.self))
            case AF_INET6: SocketAddress(raw.load(as: sockaddr_in6.self))
            default: nil
            }
        }
    }

    /// An integer socket option of `descriptor` (`SOL_SOCKET` level); nil when it cannot be read.
    private static func option(_ name: Int32, of descriptor: Int32) -> Int32? {
        var value: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, name, &value, &size) == 0 ? value : nil
    }
}
