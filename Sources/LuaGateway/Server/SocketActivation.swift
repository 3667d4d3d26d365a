import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// systemd's socket activation, as sd_listen_fds(3) defines it: the listening sockets a service
/// manager opened for luagw, passed as descriptors 3 onwards and announced by `LISTEN_PID`
/// (luagw's own pid), `LISTEN_FDS` (how many) and `LISTEN_FDNAMES` (their names, separated by
/// colons). The listener whose address is one of theirs takes that socket instead of binding
/// one: several luagw processes given the same socket accept from one queue, so one can start
/// while another finishes its requests and no connection is refused in between.
///
/// The variables are read once per process, then removed from the environment (programs the
/// applications start must not take the sockets for theirs), and the descriptors are made
/// close-on-exec for the same reason.
enum SocketActivation {
    /// Every socket passed to this process (none when it was not socket-activated).
    static let passed: [InheritedSocket] = takeFromEnvironment()

    /// The descriptors a listener took.
    private static let claimed = NIOLockedValueBox<Set<Int32>>([])

    /// The socket passed for `bind`, taken by the caller; nil when no socket was passed at all
    /// (the caller binds one). Throws when sockets were passed but none listens on `bind`, or
    /// when another listener took it already: for the main listener, which must not miss them.
    static func claim(_ bind: BindAddress) throws -> InheritedSocket? {
        guard !passed.isEmpty else { return nil }
        guard let socket = take(bind) else { throw ListeningError.notPassed("\(bind)", passed.map(\.description)) }
        return socket
    }

    /// The socket passed for `bind`, taken by the caller; nil when none was (the caller binds
    /// one): for `--admin`, which may have a socket of its own in the unit or not.
    static func take(_ bind: BindAddress) -> InheritedSocket? {
        guard let socket = passed.first(where: { $0.listens(on: bind) }),
              claimed.withLockedValue({ $0.insert(socket.descriptor).inserted }) else { return nil }
        return socket
    }

    /// The sockets passed that no listener took (they queue connections nobody accepts).
    static var unclaimed: [InheritedSocket] {
        claimed.withLockedValue { taken in passed.filter { !taken.contains($0.descriptor) } }
    }

    /// A server channel accepting on `socket`, with `bootstrap`'s options and handlers.
    ///
    /// Every process given the socket is woken for each connection and one of them takes it, so
    /// an accept may find nothing (EAGAIN): SwiftNIO's release build reads on, its debug build
    /// asserts that a readable server socket gave a connection (a debug luagw sharing its socket
    /// with another process may stop there).
    static func adopt(_ socket: InheritedSocket, with bootstrap: ServerBootstrap) throws -> Channel {
        let channel = try bootstrap.withBoundSocket(socket.descriptor).wait()
        // SwiftNIO listens again on an adopted socket, with a backlog of 128; the queue is
        // shared with the other processes given the socket and holds what arrives while none
        // accepts, so it gets systemd's default back (SOMAXCONN, capped by net.core.somaxconn).
        _ = Glibc.listen(socket.descriptor, Int32(SOMAXCONN))
        return channel
    }

    /// Reads and removes `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` (removed whatever they
    /// say, as sd_listen_fds does); the sockets they announce when `LISTEN_PID` is this process.
    private static func takeFromEnvironment() -> [InheritedSocket] {
        let variables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]
        let values = variables.map { getenv($0).map { String(cString: $0) } }
        variables.forEach { unsetenv($0) }
        guard let pid = values[0].flatMap({ Int32($0) }), pid == getpid(),
              let count = values[1].flatMap({ Int32($0) }), count > 0 else { return [] }
        let names = values[2]?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        return (0..<count).map { index in
            let descriptor = 3 + index  // SD_LISTEN_FDS_START
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            return InheritedSocket(descriptor: descriptor, name: Int(index) < names.count ? names[Int(index)] : "unknown")
        }
    }
}
