import Foundation
import Logging
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// One application run once as a CGI/1.1 program (SPEC 6, RFC 3875): environ from the
/// process environment, the body from standard input (never past CONTENT_LENGTH), the
/// response (`Status:` line, headers, body) to standard output, errors to standard error.
/// The same script runs unchanged under `luagw serve`. Its `sslhandshake` and https: calls trust
/// the system's certificate authorities plus those of `caFiles` (`--ca-file`, as `serve`'s).
public struct CGIProgram {
    let script: String
    let caFiles: [String]
    let environment: [String: String]
    let input: Int32
    let output: Int32
    let logger: Logger

    public init(script: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, caFiles: [String] = [], logger: Logger) {
        self.script = script
        self.caFiles = caFiles
        self.environment = environment
        self.input = input
        self.output = output
        self.logger = logger
    }

    /// Runs the application; returns the exit status (0, or 1 when it failed). It runs on
    /// an event loop of its own, so that what waits (`luagw.sleep`, time slices) waits there.
    public func run() -> Int32 {
        WSGIErrorsLog.route(to: logger)
        SharedDictionaries.setUp(capacity: 1 << 20)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let eventLoop = group.next()
        let exitStatus = eventLoop.makePromise(of: Int32.self)
        eventLoop.execute {
            let request = CGIRequest(program: self, eventLoop: eventLoop) { exitStatus.succeed($0) }
            request.start()
        }
        return (try? exitStatus.futureResult.wait()) ?? 1
    }

    /// The request's id: the web server's X-Request-Id when valid, else one of the program's own.
    var requestID: String {
        if let given = environment["HTTP_X_REQUEST_ID"], RequestIDs.isValid(given) { return given }
        return "cgi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }
}

extension EnvironBuilder {
    /// The CGI meta-variables (RFC 3875) and HTTP_* variables of the process environment,
    /// as they are (`SERVER_SOFTWARE` is the web server's, when it sets it); the prelude adds
    /// the Lua objects and constants.
    func fillFromCGI(_ environment: [String: String], requestID: String) {
        reset()
        let names: Set<String> = ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "CONTENT_TYPE",
                                  "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT",
                                  "SERVER_SOFTWARE", "PATH_TRANSLATED", "AUTH_TYPE", "REMOTE_USER", "REMOTE_HOST"]
        for (name, value) in environment where names.contains(name) || name.hasPrefix("HTTP_") {
            setDynamic(name, value)
        }
        for required in ["SCRIPT_NAME", "PATH_INFO", "QUERY_STRING"] where environment[required] == nil {
            setDynamic(required, "")
        }
        if environment["REQUEST_METHOD"] == nil { setDynamic("REQUEST_METHOD", "GET") }
        if environment["HTTPS"].map({ ["on", "1"].contains($0.lowercased()) }) == true { setDynamic("wsgi.url_scheme", "https") }
        setDynamic("luagw.request_id", requestID)
    }
}
