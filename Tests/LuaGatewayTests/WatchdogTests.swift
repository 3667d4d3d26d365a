import Foundation
import XCTest
@testable import LuaGateway

/// The run-time watchdog (CLuaGatewayBridge/watchdog.c) looks at running requests every
/// millisecond, and sleeps while none runs: an idle server costs no wake-ups.
final class WatchdogTests: XCTestCase {
    /// The watchdog thread's voluntary context switches (one per wake-up), or nil if not found.
    static func watchdogSwitches() -> Int? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            let name = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            guard name.hasPrefix("luagw-watchdog"),
                  let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8) else { continue }
            for line in status.split(separator: "\n") where line.hasPrefix("voluntary_ctxt_switches:") {
                return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }

    func testTheWatchdogSleepsWhileNoRequestRuns() throws {
        let server = try TestServer(["a.lua": #"return function(e, sr) sr(200, {}); return "a" end"#])
        XCTAssertEqual(try server.get("/a").text, "a")  // the watchdog has started and watched a request
        XCTAssertNotNil(Self.watchdogSwitches(), "the watchdog thread is named luagw-watchdog")
        // Awake, it wakes every millisecond: 100 switches in a tenth of a second. Asleep, none.
        waitUntil("the watchdog to stay asleep for a tenth of a second") {
            guard let before = Self.watchdogSwitches() else { return false }
            Thread.sleep(forTimeInterval: 0.1)
            return Self.watchdogSwitches() == before
        }
        let asleep = Self.watchdogSwitches() ?? 0
        XCTAssertEqual(try server.get("/a").text, "a", "a request wakes it")
        waitUntil("the watchdog to wake up and look") { (Self.watchdogSwitches() ?? 0) > asleep }
    }
}
