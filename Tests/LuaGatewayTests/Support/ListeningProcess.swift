import Foundation
import XCTest

/// Starts a server program (luagw itself, redis-server, memcached) on a random loopback port
/// below the kernel's ephemeral range (where no test server or outgoing connection takes it),
/// and returns once the port accepts connections; another port is tried when the program
/// could not listen on the one picked. Its output goes to the test's own, to the null device
/// (`discardingOutput`), or where `outputs` say (a `Pipe` or a `FileHandle` each). `environment`
/// is added to the test's own.
func startListening(_ executable: String, discardingOutput: Bool = false, outputs: (standardOutput: Any, standardError: Any)? = nil,
                    environment: [String: String] = [:], arguments: (Int) -> [String]) throws -> (process: Process, port: Int) {
    for _ in 0..<5 {
        let port = Int.random(in: 12000..<20000)
        // A port another process already serves would answer for the one started here.
        if (try? RawClient(port: port)) != nil { continue }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(port)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if discardingOutput {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        if let outputs {
            process.standardOutput = outputs.standardOutput
            process.standardError = outputs.standardError
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline {
            if (try? RawClient(port: port)) != nil { return (process, port) }
            Thread.sleep(forTimeInterval: 0.025)
        }
        if process.isRunning {
            process.terminate()
            break
        }
    }
    XCTFail("\(executable) did not start listening")
    throw POSIXError(.EADDRINUSE)
}
