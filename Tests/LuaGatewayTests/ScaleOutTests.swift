import Foundation
import XCTest

/// SPEC 10's scale-out (docs/deployment.md): two luagw processes behind nginx (the documented
/// configuration, its upstream with keep-alive) stand for two machines; one of them is restarted
/// the rolling way (a new process with `--reuse-port` on the same port, then SIGTERM to the old)
/// under load, and no request fails.
final class ScaleOutTests: XCTestCase {
    /// Answers which release of which machine served the request.
    static func app(_ name: String) -> String {
        #"return function(e, sr) sr(200, { { "Content-Type", "text/plain" } }); return "\#(name)" end"#
    }

    /// `luagw serve DIRECTORY --bind 127.0.0.1:PORT --reuse-port`, returned once its start-up line
    /// says it serves (the port may already accept: the other process with the same port).
    func serve(_ directory: String, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LuagwProcess.binary())
        process.arguments = ["serve", directory, "--bind", "127.0.0.1:\(port)", "--reuse-port", "--workers", "1",
                             "--access-log", "off", "--grace-time", "10"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let reader = errors.fileHandleForReading
        while !seen.contains(" serving ") {
            let data = reader.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains(" serving "), "luagw started: \(seen)")
        DispatchQueue.global().async { _ = reader.readDataToEndOfFile() }  // keeps its log pipe from filling
        return process
    }

    func testARollingRestartBehindNginxFailsNoRequest() throws {
        let scratch = try ScratchDirectory("luagw-scale-out")
        defer { scratch.remove() }
        try scratch.write("a1/who.lua", Self.app("a1"))
        try scratch.write("a2/who.lua", Self.app("a2"))
        try scratch.write("b1/who.lua", Self.app("b1"))
        // Two "machines": their ports taken from processes that listened on them first.
        let (probeA, portA) = try startListening(try LuagwProcess.binary(), discardingOutput: true) { port in
            ["serve", scratch.url.appendingPathComponent("a1").path, "--bind", "127.0.0.1:\(port)", "--reuse-port",
             "--workers", "1", "--access-log", "off", "--grace-time", "10"]
        }
        var machineA = probeA
        let machineB = try LuagwProcess(["who.lua": Self.app("b1")])
        defer {
            for process in [machineA] where process.isRunning { process.terminate(); process.waitUntilExit() }
        }
        let nginx = try DocumentedNginx.start(servers: ["127.0.0.1:\(portA)", "127.0.0.1:\(machineB.port)"], in: scratch)
        defer { nginx.process.terminate(); nginx.process.waitUntilExit() }

        // Load: four keep-alive clients through nginx, counting what answered and what failed.
        let load = NginxLoad(port: nginx.port, path: "/who")
        defer { load.stop() }
        waitUntil("both machines to serve") { load.served("a1") > 20 && load.served("b1") > 20 }

        // The rolling restart of machine A: the new release starts on the same port, then the old one stops.
        let newA = try serve(scratch.url.appendingPathComponent("a2").path, port: portA)
        machineA.terminate()  // SIGTERM: stop accepting, finish what runs, exit
        let oldExited = waitUntil("the old process to exit") { !machineA.isRunning }
        XCTAssertTrue(oldExited)
        XCTAssertEqual(machineA.terminationStatus, 0, "a graceful exit")
        machineA = newA
        let a2Before = load.served("a2")
        waitUntil("the new release to serve after the old one left") { load.served("a2") > a2Before + 50 }
        let (counts, failed) = load.stop()
        print("rolling restart under load: served \(counts), failed \(failed.count)")
        XCTAssertEqual(failed, [], "no request failed through the restart")
        XCTAssertGreaterThan(counts["b1"] ?? 0, 0)
        withExtendedLifetime(machineB) {}
    }
}
