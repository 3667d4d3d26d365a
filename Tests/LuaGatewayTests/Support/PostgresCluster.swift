import Foundation
import XCTest

/// A private PostgreSQL cluster from Debian's packages (scripts/test installs postgresql): made
/// with `initdb` in a scratch directory, run by the unprivileged `postgres` user when the tests
/// run as root, on a loopback port of its own with its unix socket in that directory, stopped
/// (fast shutdown) and removed with it. TCP clients log in with a password (`postgres`,
/// `secret`); the test's own `psql` comes in through the socket, trusted. Holds a database `app`.
final class PostgresCluster {
    /// A command of the cluster's that failed, with what it printed.
    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    static let bin = "/usr/lib/postgresql/15/bin"
    static let password = "secret"

    let scratch: ScratchDirectory
    private(set) var port = 0
    private var process: Process?
    private let settings: [String]

    /// `settings`: `-c name=value` pairs for the server (`ssl=on` ...); `prepare` runs on the
    /// data directory before the first start.
    init(settings: [String] = [], prepare: (PostgresCluster) throws -> Void = { _ in }) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.bin + "/initdb") else {
            throw XCTSkip("PostgreSQL 15 is not installed: run scripts/test")
        }
        scratch = try ScratchDirectory("luagw-pg")
        self.settings = settings
        try scratch.write("pwfile", Self.password + "\n")
        try handOver(scratch.path)
        try run(Self.bin + "/initdb", ["-D", data, "-U", "postgres", "--pwfile", scratch.path + "/pwfile",
                                      "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8",
                                      "--locale=C"])
        try prepare(self)
        try start()
        try psql("CREATE DATABASE app", database: "postgres")
    }

    deinit {
        stop()
        scratch.remove()
    }

    var data: String { scratch.path + "/data" }

    /// `postgres://postgres:secret@127.0.0.1:PORT/app` and `extra` (`?pool=5`).
    func url(_ extra: String = "") -> String { "postgres://postgres:\(Self.password)@127.0.0.1:\(port)/app\(extra)" }

    /// Starts the server (on the port it had, after `stop`), returning once it accepts connections.
    func start() throws {
        let arguments = { (port: Int) in
            self.asPostgres(Self.bin + "/postgres", ["-D", self.data, "-p", "\(port)", "-k", self.scratch.path,
                                                     "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                                     "-c", "max_connections=60"] + self.settings)
        }
        if port == 0 {
            let executable = arguments(0)[0]
            let started = try startListening(executable, discardingOutput: true) { Array(arguments($0).dropFirst()) }
            (process, port) = (started.process, started.port)
        } else {
            process = try launch(arguments(port), output: FileHandle.nullDevice)
            waitUntil(seconds: 60, "PostgreSQL to accept connections again") { (try? RawClient(port: port)) != nil }
        }
        waitUntil(seconds: 60, "PostgreSQL to answer") { (try? psql("SELECT 1", database: "postgres")) == "1" }
    }

    /// A fast shutdown (SIGINT): clients are disconnected; returns once the server has exited.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        self.process = nil
    }

    /// Runs `sql` with psql as the superuser through the socket; its output unaligned, trimmed.
    @discardableResult
    func psql(_ sql: String, database: String = "app") throws -> String {
        try run("/usr/bin/psql", ["-h", scratch.path, "-p", "\(port)", "-U", "postgres", "-d", database,
                                  "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], asPostgres: false)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The client connections to `app` other than psql's own.
    func clientConnections(state: String? = nil) throws -> Int {
        let filter = state.map { " AND state = '\($0)'" } ?? ""
        return Int(try psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' "
                            + "AND pid <> pg_backend_pid()\(filter)")) ?? -1
    }

    /// Statements running now whose SQL contains `text`.
    func running(_ text: String) throws -> Int {
        Int(try psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%\(text)%' "
                     + "AND pid <> pg_backend_pid()")) ?? -1
    }

    /// Makes `path` the postgres user's when the tests run as root (PostgreSQL refuses root).
    func handOver(_ path: String) throws {
        guard getuid() == 0 else { return }
        try run("/bin/chown", ["-R", "postgres:postgres", path], asPostgres: false)
    }

    private func asPostgres(_ executable: String, _ arguments: [String]) -> [String] {
        guard getuid() == 0 else { return [executable] + arguments }
        return ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", executable] + arguments
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
        let command = asPostgres ? self.asPostgres(executable, arguments) : [executable] + arguments
        let output = Pipe()
        let process = try launch(command, output: output)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "\(command.joined(separator: " ")): \(text)")
        }
        return text
    }

    private func launch(_ command: [String], output: Any) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }
}
