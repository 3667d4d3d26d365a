import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC 1.1 and 2.1: a 1 GiB upload and a 1 GiB download through a real luagw process
/// (the release build that scripts/test makes) grow its peak RSS by a few MiB only.
final class MemoryTests: XCTestCase {
    static let gib = 1 << 30

    func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["LUAGW_BINARY"] { return path }
        let candidates = [".build/release/luagw", ".build/debug/luagw"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no luagw binary: run scripts/test")
        }
        return found
    }

    func peakKiB(of pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
    }

    func testGigabyteUploadAndDownloadInBoundedMemory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-mem-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Fixtures.countingUpload.write(to: directory.appendingPathComponent("upload.lua"), atomically: true, encoding: .utf8)
        try #"""
            local block = string.rep("x", 65536)
            return function(e, sr)
              local n = tonumber(e.QUERY_STRING)
              sr("200 OK", {{"Content-Length", tostring(n * #block)}})
              local i = 0
              return function() i = i + 1; if i <= n then return block end end
            end
            """#.write(to: directory.appendingPathComponent("download.lua"), atomically: true, encoding: .utf8)

        let port = 20000 + Int(getpid() % 20000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = ["serve", directory.path, "--bind", "127.0.0.1:\(port)", "--workers", "1", "--log-level", "error"]
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        var client: RawClient?
        for _ in 0..<100 where client == nil {
            client = try? RawClient(port: port, timeout: 60)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        guard let client else { return XCTFail("luagw did not start") }
        XCTAssertEqual(try client.request("GET /download?1 HTTP/1.1\r\nHost: t\r\n\r\n").body.count, 65536)
        let baseline = peakKiB(of: process.processIdentifier)

        try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(Self.gib)\r\n\r\n")
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for _ in 0..<(Self.gib >> 20) { try client.send(block) }
        XCTAssertEqual(try client.readResponse().text, String(Self.gib))

        try client.send("GET /download?\(Self.gib / 65536) HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try client.read(through: "\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"), true)
        var received = client.takeBuffered().count
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while received < Self.gib {
            let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += n
        }
        XCTAssertEqual(received, Self.gib)

        let peak = peakKiB(of: process.processIdentifier)
        let growthMiB = Double(peak - baseline) / 1024
        print("memory: baseline peak \(baseline) KiB, after 1 GiB up and 1 GiB down \(peak) KiB (+\(String(format: "%.1f", growthMiB)) MiB)")
        XCTAssertLessThan(growthMiB, 16, "peak RSS grew by \(growthMiB) MiB")
    }

    func testManyShortConnectionsLeaveNothingBehind() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-conn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"return function(e, sr) sr("200 OK", {}); return "hi" end"#
            .write(to: directory.appendingPathComponent("hi.lua"), atomically: true, encoding: .utf8)
        let port = 20000 + Int((getpid() + 3) % 20000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = ["serve", directory.path, "--bind", "127.0.0.1:\(port)", "--workers", "1", "--log-level", "error",
                             "--access-log", "off", "--reload", "off"]
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        func oneConnection() throws {
            let client = try RawClient(port: port)
            XCTAssertEqual(try client.request("GET /hi HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").text, "hi")
        }
        for _ in 0..<100 where (try? oneConnection()) == nil { Thread.sleep(forTimeInterval: 0.05) }
        func residentKiB() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) ?? 0
        }
        for _ in 0..<2000 { try oneConnection() }
        let warm = residentKiB()
        for _ in 0..<10000 { try oneConnection() }
        let growth = Double(residentKiB() - warm) / 1024
        print("connections: RSS after 2000 connections \(warm) KiB, after 10000 more +\(String(format: "%.2f", growth)) MiB")
        XCTAssertLessThan(growth, 2, "each connection's handler is released")
    }
}
