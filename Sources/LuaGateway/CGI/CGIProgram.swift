import Foundation
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One application run once as a CGI/1.1 program (SPEC 6, RFC 3875): environ from the
/// process environment, the body from standard input (never past CONTENT_LENGTH), the
/// response (`Status:` line, headers, body) to standard output, errors to standard error.
/// The same script runs unchanged under `luagw serve`.
public struct CGIProgram {
    let script: String
    let environment: [String: String]
    let input: Int32
    let output: Int32
    let logger: Logger

    public init(script: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, logger: Logger) {
        self.script = script
        self.environment = environment
        self.input = input
        self.output = output
        self.logger = logger
    }

    /// Runs the application; returns the exit status (0, or 1 when it failed).
    public func run() -> Int32 {
        WSGIErrorsLog.route(to: logger)
        let state: LuaState
        do {
            let scripts = try ScriptSet.load(from: script)
            var loadError: String?
            state = try LuaState(scripts: scripts, limits: LuaLimits(timeSlice: 0)) { _, message in loadError = message }
            if let loadError { return fail(loadError, headersSent: false) }
        } catch let error as LuaError {
            return fail(error.message, headersSent: false)
        } catch {
            return fail("\(error)", headersSent: false)
        }
        var call = ApplicationCall(state: state)
        let environ = EnvironBuilder()
        let id = requestID
        environ.fillFromCGI(environment, requestID: id)
        var remaining = environment["CONTENT_LENGTH"].flatMap(Int.init) ?? 0
        let isHead = environment["REQUEST_METHOD"] == "HEAD"
        var headersSent = false
        var step = call.start(index: 0, environ: environ, requestID: ByteBuffer(string: id), runOnce: true)
        defer { call.finish() }
        while true {
            switch step {
            case .needInput:
                guard remaining > 0 else { step = call.resumeAtEndOfInput(); continue }
                var buffer = ByteBuffer()
                let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: min(remaining, 65536)) { raw in
                    max(0, read(input, raw.baseAddress, min(remaining, raw.count)))
                }
                guard n > 0 else { step = call.resume(inputFailure: .closed); continue }
                remaining -= n
                step = call.resume(input: buffer)
            case .send(let hasHead):
                var buffer = ByteBuffer()
                if hasHead { writeHead(of: call, contentLength: nil, into: &buffer); headersSent = true }
                if !isHead { call.writeChunk(into: &buffer) }
                guard write(buffer) else { step = call.resume(.clientGone); continue }
                step = call.resume(isHead ? .stop : .goOn)
            case .sendFile(let path, let size):
                var buffer = ByteBuffer()
                writeHead(of: call, contentLength: call.contentLength == nil ? Int(size) : nil, into: &buffer)
                headersSent = true
                if !isHead, let data = FileManager.default.contents(atPath: path) { buffer.writeBytes(data) }
                step = call.resume(write(buffer) ? .goOn : .clientGone)
            case .timeSliceOver:
                step = call.resumeAfterTimeSlice()
            case .finished(let hasHead, let hasBody):
                guard hasHead else { return 0 }
                var buffer = ByteBuffer()
                let length = hasBody ? call.chunkLength : 0
                let bodiless = !BodyFraming.allowsBody(code: call.statusCode, isHead: false)
                writeHead(of: call, contentLength: call.contentLength == nil && !bodiless ? length : nil, into: &buffer)
                if !isHead && !bodiless { call.writeChunk(into: &buffer, limit: call.contentLength ?? length) }
                return write(buffer) ? 0 : 1
            case .failed(let message):
                return fail(message, headersSent: headersSent)
            }
        }
    }

    private var requestID: String {
        if let given = environment["HTTP_X_REQUEST_ID"], !given.isEmpty, given.utf8.count <= 128 { return given }
        return "cgi-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// `Status: 200 OK`, the application's header lines, the length when the program knows it.
    private func writeHead(of call: ApplicationCall, contentLength: Int?, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("Status: ")
        call.writeStatus(into: &buffer)
        buffer.writeStaticString("\r\n")
        call.writeHeaderLines(into: &buffer)
        if let contentLength {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDigits(UInt64(contentLength))
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// 500 with a short body (when the head is not out yet); the message, with its traceback, to the log.
    private func fail(_ message: String, headersSent: Bool) -> Int32 {
        logger.error("\(script): \(message)")
        if !headersSent {
            _ = write(ByteBuffer(string: "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nInternal Server Error\n"))
        }
        return 1
    }

    /// Writes all of `buffer` to the output; false when the web server went away.
    private func write(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(output, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }
}

extension EnvironBuilder {
    /// The CGI meta-variables (RFC 3875) and HTTP_* variables of the process environment,
    /// as they are; the prelude adds the wsgi.* keys.
    func fillFromCGI(_ environment: [String: String], requestID: String) {
        reset()
        let names: Set<String> = ["REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "CONTENT_TYPE",
                                  "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT",
                                  "SERVER_SOFTWARE", "GATEWAY_INTERFACE", "PATH_TRANSLATED", "AUTH_TYPE", "REMOTE_USER", "REMOTE_HOST"]
        for (name, value) in environment where names.contains(name) || name.hasPrefix("HTTP_") {
            setDynamic(name, value)
        }
        for required in ["SCRIPT_NAME", "PATH_INFO", "QUERY_STRING"] where environment[required] == nil {
            setDynamic(required, "")
        }
        if environment["REQUEST_METHOD"] == nil { setDynamic("REQUEST_METHOD", "GET") }
        setDynamic("wsgi.url_scheme", environment["HTTPS"].map { ["on", "1"].contains($0.lowercased()) } == true ? "https" : "http")
        setDynamic("luagw.request_id", requestID)
    }
}
