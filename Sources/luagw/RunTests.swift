import ArgumentParser
import Foundation
import LuaGateway
import Logging

/// `luagw test DIR`: runs the application's test files and says which failed.
struct RunTests: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run every *_test.lua file of an application directory (with luagw.test and luagw's modules), each in a fresh Lua state; exits 1 when one fails.",
        discussion: "A test file is a Lua script that raises an error when something is wrong. It runs from DIR (the current directory then), as a request does: luagw.sleep, sockets and databases work. Keep test files in a folder whose name starts with _ (_tests/), which luagw serve never mounts."
    )

    @Argument(help: "The application directory.")
    var directory: String = "."

    @Option(name: .customLong("run-time"), help: "Seconds of running Lua one test file may use.")
    var runTime: Double = 300

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory")
        }
        guard runTime > 0 else { throw ValidationError("--run-time must be positive") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let tests = ApplicationTests(directory: directory, runTime: runTime, logger: Logger(label: "luagw-test"))
        let files = try tests.files()
        guard !files.isEmpty else {
            print("no *_test.lua file in \(directory)")
            throw ExitCode(1)
        }
        guard FileManager.default.changeCurrentDirectoryPath(tests.directory) else {
            print("cannot enter \(tests.directory)")
            throw ExitCode(1)
        }
        var failed: [String] = []
        for file in files {
            if let failure = tests.run(file) {
                failed.append(file)
                print("FAIL  \(file)")
                print(failure.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n"))
            } else {
                print("ok    \(file)")
            }
            fflush(stdout)
        }
        print("\(files.count) test file\(files.count == 1 ? "" : "s"): \(files.count - failed.count) passed, \(failed.count) failed")
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
