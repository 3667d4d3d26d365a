#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) for systemd's `Type=notify`: luagw tells the service manager `READY=1` once it
/// accepts connections (so `systemctl start` returns only then) and `STOPPING=1` when it begins
/// a graceful shutdown, in datagrams to the Unix socket `NOTIFY_SOCKET` names (a path, or `@` and
/// an abstract name). The variable is read once, when the server is made, and removed from the
/// environment, as sd_notify does; without it, nothing is sent.
enum ServiceNotification {
    /// `NOTIFY_SOCKET`'s address, read (and removed) once per process.
    static let socketName: String? = {
        let name = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        unsetenv("NOTIFY_SOCKET")
        return name
    }()

    /// Sends `state` (`READY=1`, `STOPPING=1`) to the service manager, when there is one to tell.
    static func send(_ state: String) {
        guard let name = socketName, !name.isEmpty else { return }
        var path = Array(name.utf8)
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }  // an abstract socket's name starts with a zero byte
        var address = sockaddr_un()
        guard path.count <= MemoryLayout.size(ofValue: address.sun_path) else { return }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)  // exact: an abstract name has no terminator
        _ = Array(state.utf8).withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
    }
}
