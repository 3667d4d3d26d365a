import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The luagw binary that scripts/test built (LUAGW_BINARY, else .build/release or
/// .build/debug), run as a process of its own serving a fresh directory on a loopback port.
final class LuagwProcess {
    let process: Process
    let port: Int
    let directory: URL
    private let scratch: ScratchDirectory

    static func binary() throws -> String {
        let candidates = [ProcessInfo.processInfo.environment["LUAGW_BINARY"], ".build/release/luagw", ".build/debug/luagw"]
        guard let found = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no luagw binary: run scripts/test")
        }
        return found
    }

    /// Runs the binary with `arguments` to its end; its exit status, standard output and
    /// standard error (`mergingErrors`: both in `out`). For short outputs.
    static func run(_ arguments: [String], environment: [String: String]? = nil,
                    mergingErrors: Bool = false) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        let output = Pipe(), errors = mergingErrors ? output : Pipe()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = mergingErrors ? "" : String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    /// Writes `scripts` to a new directory and serves it with `luagw serve DIR --bind ... arguments`;
    /// returns once the port accepts connections (another port is tried if the one picked is taken).
    /// Its standard output and error are the test's, or `outputs` (a `Pipe` or a `FileHandle` each);
    /// `capturingErrors`: its standard error goes to a file (`errors`) instead. `descriptors`: run
    /// under `prlimit` with these soft and hard `RLIMIT_NOFILE` limits. `environment` is added to the test's own.
    init(_ scripts: [String: String], arguments: [String] = [], outputs: (standardOutput: Any, standardError: Any)? = nil,
         descriptors: (soft: Int, hard: Int)? = nil, capturingErrors: Bool = false, environment: [String: String] = [:]) throws {
        scratch = try ScratchDirectory("luagw-process")
        self.directory = scratch.url
        for (path, source) in scripts { try scratch.write(path, source) }
        let directory = scratch.url
        errorFile = capturingErrors ? directory.appendingPathComponent("stderr.log") : nil
        var outputs = outputs
        if let errorFile {
            try Data().write(to: errorFile)
            outputs = (FileHandle.standardOutput, try FileHandle(forWritingTo: errorFile))
        }
        let binary = try Self.binary()
        let launcher = descriptors.map { ["/usr/bin/prlimit", "--nofile=\($0.soft):\($0.hard)", "--", binary] } ?? [binary]
        (process, port) = try startListening(launcher[0], outputs: outputs, environment: environment) { port in
            launcher.dropFirst() + ["serve", directory.path, "--bind", "127.0.0.1:\(port)", "--workers", "1", "--log-level", "error",
                                    "--access-log", "off"] + arguments
        }
    }

    private let errorFile: URL?

    /// What it wrote to standard error so far (when started `capturingErrors`).
    var errors: String {
        errorFile.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        scratch.remove()
    }

    func write(_ path: String, _ source: String) throws {
        try scratch.write(path, source)
    }

    func client() throws -> RawClient { try RawClient(port: port, timeout: 60) }

    /// A line of /proc/PID/status, in KiB: `VmRSS` (resident now) or `VmHWM` (the peak).
    func memoryKiB(_ field: String) -> Int {
        procStatusKiB(field, pid: process.processIdentifier)
    }

    /// Sends a signal and waits up to `seconds` for the process to end; whether it ended.
    func signal(_ number: Int32, waitingUpTo seconds: Double) -> Bool {
        kill(process.processIdentifier, number)
        return waitForExit(within: seconds)
    }

    /// Waits up to `seconds` for the process to end; whether it ended.
    func waitForExit(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return !process.isRunning
    }
}
