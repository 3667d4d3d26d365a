import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A luagw process started the way systemd starts a socket-activated service: the listening
/// sockets of one unit as descriptors 3 onwards, `LISTEN_FDS` their count, `LISTEN_FDNAMES` the
/// unit's name for each (`luagw.socket`), and `LISTEN_PID` its
/// own pid (a shell sets it to `$$` and execs luagw, which keeps the pid), and `NOTIFY_SOCKET` when
/// the test listens for its notifications (`Type=notify`). Spawned with
/// posix_spawn: Foundation's `Process` closes every descriptor past standard error in the child.
final class SocketActivatedLuagw {
    let pid: pid_t
    private let errorLog: String
    /// The exit status, once it exited (`isRunning` reaps it).
    private(set) var exitStatus: Int32?

    init(sockets: [Int32], arguments: [String], errorLog: String, notifying: NotificationListener? = nil) throws {
        self.errorLog = errorLog
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (index, socket) in sockets.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, socket, 3 + Int32(index))  // dup2 clears close-on-exec
        }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, errorLog, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ["/bin/sh", "-c", #"export LISTEN_PID=$$; exec "$0" "$@""#, try LuagwProcess.binary()] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LISTEN_FDS"] = "\(sockets.count)"
        environment["LISTEN_FDNAMES"] = Array(repeating: "luagw.socket", count: sockets.count).joined(separator: ":")
        environment["NOTIFY_SOCKET"] = notifying?.path
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        self.pid = pid
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// What it wrote to standard error so far.
    var errors: String { (try? String(contentsOfFile: errorLog, encoding: .utf8)) ?? "" }

    /// Waits for its start-up line (` serving `); false when it exited first or did not start in time.
    func waitForStartUp() -> Bool {
        waitUntil(seconds: 60, "luagw \(pid) to start") { errors.contains(" serving ") || !isRunning } && isRunning
    }

    /// Whether it still runs; reaps it (and keeps its exit status) once it ended.
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return false
    }

    /// SIGTERM, as `systemctl stop` sends.
    func terminate() { kill(pid, SIGTERM) }
}
