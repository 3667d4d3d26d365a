import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 23.3: the inherited descriptor limit is no cliff. luagw raises its soft limit to the
/// hard one, keeps `--max-connections` below it (503 past it), and when `accept` fails for
/// want of descriptors it pauses accepting, logs and counts, and serves again once some are
/// free, without spinning. Each test lowers the limit of the server it starts (`prlimit`).
final class DescriptorLimitTests: XCTestCase {
    static let ok = #"return function(e, sr) sr("200 OK", {}); return "ok" end"#

    func testTheSoftLimitIsRaisedAndMaxConnectionsSizedFromIt() throws {
        let server = try LuagwProcess(["ok.lua": Self.ok], arguments: ["--log-level", "warning"],
                                      descriptors: (soft: 64, hard: 256), capturingErrors: true)
        let limits = try String(contentsOfFile: "/proc/\(server.process.processIdentifier)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        XCTAssertEqual(openFiles.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2), ["256", "256"],
                       "the soft limit was raised to the hard one: \(openFiles)")
        XCTAssertTrue(server.errors.contains("--max-connections 10000 lowered to 192"), server.errors)

        var held: [RawClient] = []
        for _ in 0..<192 {
            let client = try server.client()
            XCTAssertEqual(try client.request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
            held.append(client)
        }
        XCTAssertEqual(try server.client().readResponse().code, 503, "past --max-connections: 503, not silence")
        held.removeAll()
        waitUntil("a connection is served again") {
            (try? server.client().request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text) == "ok"
        }
    }

    func testOutOfDescriptorsAcceptingPausesWithoutSpinning() throws {
        let server = try LuagwProcess([
            "ok.lua": Self.ok,
            "hold.lua": #"""
                local held = package.loaded.held or {}  -- shared with free.lua
                package.loaded.held = held
                return function(e, sr)
                  while true do
                    local f = io.open("/dev/null")
                    if not f then break end
                    held[#held + 1] = f
                  end
                  sr("200 OK", {})
                  return tostring(#held)
                end
                """#,
            "free.lua": #"""
                return function(e, sr)
                  local held = package.loaded.held
                  for i = #held, 1, -1 do held[i]:close(); held[i] = nil end
                  sr("200 OK", {})
                  return "freed"
                end
                """#,
        ], arguments: ["--log-level", "error"], descriptors: (soft: 64, hard: 64), capturingErrors: true)
        let keeper = try server.client()
        XCTAssertGreaterThan(Int(try keeper.request("GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").text) ?? 0, 0)

        // The kernel completes the handshake; luagw cannot accept it.
        let waiting = try server.client()
        try waiting.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        waitUntil("the failure is logged") { server.errors.contains("cannot accept connections (EMFILE") }
        let before = Self.cpuTicks(of: server.process.processIdentifier)
        Thread.sleep(forTimeInterval: 2)  // a measuring window, not a wait for an event
        let used = Double(Self.cpuTicks(of: server.process.processIdentifier) - before) / Double(sysconf(Int32(_SC_CLK_TCK)))
        print("descriptors: out of descriptors, luagw used \(String(format: "%.2f", used)) s of CPU in 2 s")
        XCTAssertLessThan(used, 0.5, "accepting pauses instead of spinning")

        XCTAssertEqual(try keeper.request("GET /free HTTP/1.1\r\nHost: t\r\n\r\n").text, "freed")
        XCTAssertEqual(try waiting.readResponse().text, "ok", "the waiting client is served once descriptors are free")
        XCTAssertEqual(try server.client().request("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").text, "ok")
    }

    /// User and system time of a process so far, in clock ticks.
    static func cpuTicks(of pid: Int32) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return 0 }
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}
