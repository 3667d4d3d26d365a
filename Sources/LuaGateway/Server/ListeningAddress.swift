import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Why luagw cannot listen where it was asked to (issue 12), in plain words: the CLI prints
/// the description and exits non-zero.
public enum ListeningError: Error, CustomStringConvertible {
    case addressInUse(String)
    case socketServed(String)
    case notASocket(String)
    case permissions(String, String)
    case reusePortOnUnixSocket(String)
    case notPassed(String, [String])

    public var description: String {
        switch self {
        case .addressInUse(let address):
            "cannot listen on \(address): the address is in use (another luagw, or another server, listens there)"
        case .socketServed(let path):
            "cannot listen on unix:\(path): another process is serving that socket (stop it first, or choose another path)"
        case .notASocket(let path):
            "cannot listen on unix:\(path): a file that is not a socket is there"
        case .permissions(let path, let why):
            "cannot set the permissions of unix:\(path): \(why)"
        case .reusePortOnUnixSocket(let path):
            "cannot listen on unix:\(path) with --reuse-port: SO_REUSEPORT shares TCP ports, not Unix sockets. "
                + "For a restart without refused connections over a Unix socket, let systemd hold the socket and pass it "
                + "to each luagw (luagw.socket, docs/deployment.md); or listen on TCP with --reuse-port"
        case .notPassed(let address, let passed):
            "cannot listen on \(address): the service manager passed sockets (LISTEN_FDS), none of them for \(address): "
                + passed.joined(separator: "; ")
        }
    }
}

/// Getting a listening address ready: the socket systemd passed for it, else one bound here (a
/// Unix socket's path is taken only when nobody serves it).
enum ListeningAddress {
    /// The server channel of `configuration.bind`, made with `bootstrap`: on the socket the service
    /// manager passed for that address (`SocketActivation`), else on a socket bound here.
    static func listen(_ bootstrap: ServerBootstrap, configuration: GatewayConfiguration, logger: Logger) throws -> Channel {
        let bind = configuration.bind
        if let path = bind.unixPath, configuration.reusePort { throw ListeningError.reusePortOnUnixSocket(path) }
        if let socket = try SocketActivation.claim(bind) {
            let channel = try SocketActivation.adopt(socket, with: bootstrap)
            logger.info("listening on \(bind) through the socket the service manager passed: \(socket.name) (descriptor \(socket.descriptor))")
            if configuration.socketMode != nil || configuration.socketGroup != nil {
                logger.warning("--socket-mode and --socket-group left aside: the service manager made the socket (systemd's SocketMode= and SocketGroup=)")
            }
            return channel
        }
        guard let path = bind.unixPath else { return try bootstrap.bind(host: bind.host, port: bind.port).wait() }
        try clearStaleSocket(at: path)
        let channel = try bootstrap.bind(unixDomainSocketPath: path).wait()
        try setPermissions(of: path, mode: configuration.socketMode, group: configuration.socketGroup)
        return channel
    }

    /// Removes a stale socket at `path` (nobody accepts on it); throws when a process still
    /// serves it or when the file there is not a socket. Nothing there is fine.
    static func clearStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw ListeningError.notASocket(path) }
        if isServed(path) { throw ListeningError.socketServed(path) }
        unlink(path)
    }

    /// Whether a process accepts connections on the Unix socket `path`.
    private static func isServed(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return connected == 0
    }

    /// Gives the socket at `path` the mode and group asked for, so that a proxy running as
    /// another user can connect (nginx's worker runs as www-data or nobody).
    static func setPermissions(of path: String, mode: UInt32?, group: String?) throws {
        if let group {
            guard let entry = getgrnam(group) else { throw ListeningError.permissions(path, "no group named \(group)") }
            guard chown(path, uid_t.max, entry.pointee.gr_gid) == 0 else {
                throw ListeningError.permissions(path, String(cString: strerror(errno)))
            }
        }
        if let mode, chmod(path, mode_t(mode)) != 0 {
            throw ListeningError.permissions(path, String(cString: strerror(errno)))
        }
    }

    /// The error to report for a failed bind: plain words for an address in use.
    static func explain(_ error: Error, address: String) -> Error {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE { return ListeningError.addressInUse(address) }
        return error
    }
}
