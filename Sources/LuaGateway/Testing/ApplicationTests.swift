import Foundation
import Logging
import NIOCore
import NIOPosix

/// `luagw test DIR`: the test files of an application directory (`*_test.lua`, plain Lua scripts
/// that raise an error when something is wrong), each run in a fresh Lua state of the directory
/// (`require` finds its modules first, and luagw's) as a request runs, so that what waits
/// (`luagw.sleep`, sockets, databases, `os.execute`) works as under `luagw serve`. A file passes
/// when it runs to its end.
public struct ApplicationTests {
    /// The application directory, absolute.
    public let directory: String
    /// Seconds of running Lua a test file may use (`--run-time`).
    let runTime: Double
    let logger: Logger

    public init(directory: String, runTime: Double, logger: Logger) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.runTime = runTime
        self.logger = logger
    }

    /// Every `*_test.lua` below the directory, relative to it, sorted; names starting with `.`
    /// and the `public/` folder are left out (its files are never run).
    public func files() throws -> [String] {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw ScriptSetError.notFound(directory)
        }
        var found: [String] = []
        for case let url as URL in walker {
            let relative = String(url.standardizedFileURL.path.dropFirst(directory.count + 1))
            if relative == ScriptSet.publicFolder { walker.skipDescendants() }
            if relative.hasSuffix("_test.lua"), (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) != true {
                found.append(relative)
            }
        }
        return found.sorted()
    }

    /// Runs the test file `file` (relative to the directory, which must be the current directory:
    /// the file and luagw.test find what they open from there); nil when it passed, else its error
    /// with the traceback.
    public func run(_ file: String) -> String? {
        WSGIErrorsLog.route(to: logger)
        SharedDictionaries.setUp(capacity: 1 << 20)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let eventLoop = group.next()
        let outcome = eventLoop.makePromise(of: String?.self)
        eventLoop.execute {
            TestFileRun(tests: self, file: file, eventLoop: eventLoop) { outcome.succeed($0) }.start()
        }
        do {
            return try outcome.futureResult.wait()
        } catch {
            return "\(file): the run did not finish: \(error)"
        }
    }

    /// The Lua state a test file runs in: the directory's modules, and the file as its one
    /// application, which luagw.test's `run_file` makes.
    func state(for file: String) throws -> LuaState {
        let scripts = try ScriptSet.load(from: directory)
        let runner = Mount(path: "", file: file, source: Array(#"return require("luagw.test").run_file(...)"#.utf8))
        var loadError: String?
        let state = try LuaState(scripts: ScriptSet(root: scripts.root, mounts: [runner], modules: scripts.modules),
                                 limits: LuaLimits(runTime: runTime, timeSlice: 0)) { _, message in loadError = message }
        if let loadError { throw LuaError.runtime(loadError) }
        return state
    }
}
