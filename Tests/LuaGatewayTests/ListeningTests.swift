import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 12's deployment defects: a taken TCP address and a Unix socket another process serves
/// are refused in plain words with a non-zero exit; a stale socket is taken over; `--reuse-port`
/// on a Unix socket, which cannot share it, is refused.
final class ListeningTests: XCTestCase {
    /// `luagw serve DIRECTORY --bind unix:PATH` with `extra` arguments, running (its output discarded).
    func serveOnSocket(_ directory: URL, _ path: String, _ extra: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LuagwProcess.binary())
        process.arguments = ["serve", directory.path, "--bind", "unix:\(path)", "--workers", "1", "--log-level", "error"] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testATakenAddressIsSaidPlainly() throws {
        let first = try LuagwProcess(["a.lua": #"return function(e, sr) sr(200, {}); return "first" end"#])
        let second = try LuagwProcess.run(["serve", first.directory.path, "--bind", "127.0.0.1:\(first.port)"],
                                          mergingErrors: true)
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.out.contains("cannot listen on 127.0.0.1:\(first.port): the address is in use"), second.out)
        XCTAssertFalse(second.out.contains("errno"), second.out)
    }

    func testALiveUnixSocketIsRefusedAndAStaleOneTakenOver() throws {
        let scratch = try ScratchDirectory("luagw-unix")
        defer { scratch.remove() }
        try scratch.write("a.lua", #"return function(e, sr) sr(200, {}); return "first" end"#)
        let path = scratch.url.appendingPathComponent("luagw.sock").path
        let first = try serveOnSocket(scratch.url, path)
        defer { if first.isRunning { first.terminate(); first.waitUntilExit() } }
        waitUntil("the first server listens") { FileManager.default.fileExists(atPath: path) }

        let second = try LuagwProcess.run(["serve", scratch.url.path, "--bind", "unix:\(path)"], mergingErrors: true)
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.out.contains("another process is serving that socket"), second.out)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "the first server's socket is left alone")
        XCTAssertTrue(first.isRunning)

        first.terminate()  // SIGTERM; a socket file left behind is stale
        first.waitUntilExit()
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        if !FileManager.default.fileExists(atPath: path) {  // make one: bound, never listened on, closed
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8) + [0]) }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        close(stale)
        let third = try serveOnSocket(scratch.url, path)
        defer { if third.isRunning { third.terminate(); third.waitUntilExit() } }
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "--retry", "20", "--retry-connrefused", "--retry-delay", "1", "--unix-socket", path, "http://luagw/a"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        XCTAssertEqual(answer, "first", "a stale socket is taken over")
    }

    func testReusePortWithAUnixSocketIsRefused() throws {
        let scratch = try ScratchDirectory("luagw-unix")
        defer { scratch.remove() }
        try scratch.write("a.lua", #"return function(e, sr) sr(200, {}); return "ok" end"#)
        let path = scratch.url.appendingPathComponent("luagw.sock").path
        let refused = try LuagwProcess.run(["serve", scratch.url.path, "--bind", "unix:\(path)", "--reuse-port"], mergingErrors: true)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.out.contains("cannot listen on unix:\(path) with --reuse-port: SO_REUSEPORT shares TCP ports, not Unix sockets"),
                      refused.out)
        XCTAssertTrue(refused.out.contains("let systemd hold the socket"), refused.out)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing bound")
    }

    func testASocketGetsTheModeAndGroupAskedFor() throws {
        let scratch = try ScratchDirectory("luagw-unix")
        defer { scratch.remove() }
        try scratch.write("a.lua", #"return function(e, sr) sr(200, {}); return "ok" end"#)
        let path = scratch.url.appendingPathComponent("luagw.sock").path
        let server = try serveOnSocket(scratch.url, path, ["--socket-mode", "660", "--socket-group", "nogroup"])
        defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
        var info = stat()
        waitUntil("the socket with its mode") { stat(path, &info) == 0 && info.st_mode & 0o777 == 0o660 }
        XCTAssertEqual(info.st_gid, getgrnam("nogroup")?.pointee.gr_gid)
        let bad = try LuagwProcess.run(["serve", scratch.url.path, "--bind", "unix:\(path).2", "--socket-mode", "rw"],
                                       mergingErrors: true)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.out.contains("--socket-mode must be octal permissions"), bad.out)
    }

    func testWorkersHelpSaysTheCoreCount() throws {
        let help = try LuagwProcess.run(["serve", "--help"], mergingErrors: true)
        let workers = help.out.components(separatedBy: "\n").drop { !$0.contains("--workers") }.prefix(3).joined()
        XCTAssertTrue(workers.contains("the core count"), workers)
        XCTAssertFalse(workers.contains("(default: \(System.coreCountForTests))"), workers)
    }
}

private enum System {
    static var coreCountForTests: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
