import Foundation
import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The one request of a CGI program, as its runner's host: the body comes from standard
/// input (never past CONTENT_LENGTH), the response (`Status:` line, headers, body) goes to
/// standard output, failures to the log. Reads and writes block: the program serves no one else.
final class CGIRequest: RequestHost {
    private let program: CGIProgram
    private let eventLoop: EventLoop
    private let done: (Int32) -> Void
    private var runner: RequestRunner?
    private var state: LuaState?
    private var remaining = 0
    private var isHead = false
    private var headersSent = false
    private var exitStatus: Int32 = 0
    /// In the log's lines and in the answer to a failure, as under `luagw serve`.
    private let requestID: String

    init(program: CGIProgram, eventLoop: EventLoop, done: @escaping (Int32) -> Void) {
        self.program = program
        self.eventLoop = eventLoop
        self.done = done
        requestID = program.requestID
    }

    /// Loads the script and starts its application; `done` gets the exit status. A bad
    /// `--ca-file` fails it as a script that does not load does.
    func start() {
        let state: LuaState
        let tls: TLSClientContexts
        do {
            tls = try TLSClientContexts.trusting(program.caFiles)
            let scripts = try ScriptSet.load(from: program.script)
            var loadError: String?
            var limits = LuaLimits(timeSlice: 0)
            limits.isCGI = true
            state = try LuaState(scripts: scripts, limits: limits) { _, message in loadError = message }
            if let loadError { return fail(loadError, then: done) }
        } catch let error as LuaError {
            return fail(error.message, then: done)
        } catch {
            return fail("\(error)", then: done)
        }
        let environment = program.environment
        let environ = EnvironBuilder()
        environ.fillFromCGI(environment, requestID: requestID)
        remaining = environment["CONTENT_LENGTH"].flatMap(Int.init) ?? 0
        isHead = environment["REQUEST_METHOD"] == "HEAD"
        self.state = state
        let runner = RequestRunner(host: self, eventLoop: eventLoop, sockets: SocketTable(tls: tls), timers: nil) { _ in }
        self.runner = runner
        runner.start(on: state, index: 0, environ: environ, requestID: ByteBuffer(string: requestID), runOnce: true)
    }

    func nextInput() -> RequestInput? {
        guard remaining > 0 else { return .end }
        var buffer = ByteBuffer()
        let n = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: min(remaining, 65536)) { raw in
            max(0, read(program.input, raw.baseAddress, min(remaining, raw.count)))
        }
        guard n > 0 else { return .failure(.closed) }
        remaining -= n
        return .bytes(buffer)
    }

    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? {
        var buffer = ByteBuffer()
        if hasHead { writeHead(of: call, contentLength: nil, into: &buffer) }
        if !isHead { call.writeChunk(into: &buffer) }
        guard write(buffer) else { return .clientGone }
        return isHead ? .stop : .goOn
    }

    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? {
        var buffer = ByteBuffer()
        writeHead(of: call, contentLength: call.contentLength == nil ? Int(size) : nil, into: &buffer)
        guard write(buffer) else { return .clientGone }
        guard !isHead, let file = FileHandle(forReadingAtPath: path) else { return .goOn }
        defer { try? file.close() }
        // In pieces: the file may be larger than memory.
        try? file.seek(toOffset: UInt64(offset))
        var left = Int(size)
        while left > 0, let piece = try? file.read(upToCount: min(left, 1 << 16)), !piece.isEmpty {
            left -= piece.count
            guard write(ByteBuffer(bytes: piece)) else { return .clientGone }
        }
        return .goOn
    }

    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {
        guard hasHead else { return }
        var buffer = ByteBuffer()
        let body = WholeBody(code: call.statusCode, length: hasBody ? call.chunkLength : 0, declared: call.contentLength,
                             isHead: isHead)
        writeHead(of: call, contentLength: body.lengthHeader, into: &buffer)
        call.writeChunk(into: &buffer, limit: body.bytesToSend)
        if !write(buffer) { exitStatus = 1 }
    }

    func fail(_ message: String, stopped: Bool) {
        fail(message) { self.exitStatus = $0 }
    }

    func flush() {}

    func requestEnded() {
        runner = nil
        state = nil
        done(exitStatus)
    }

    /// `Status: 200 OK`, the application's header lines, the length when the program knows it.
    private func writeHead(of call: ApplicationCall, contentLength: Int?, into buffer: inout ByteBuffer) {
        headersSent = true
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

    /// 500 with a short body naming the request id (when the head is not out yet); the message,
    /// with its traceback and the request id, to the log (standard error: where the web server sends it).
    private func fail(_ message: String, then exit: (Int32) -> Void) {
        program.logger.error("\(program.script): \(message)", metadata: ["request_id": "\(requestID)"])
        if !headersSent {
            _ = write(ByteBuffer(string: "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                                 + "X-Request-Id: \(requestID)\r\n\r\n"
                                 + "Internal Server Error (request id \(requestID): the log says more)\n"))
        }
        exit(1)
    }

    /// Writes all of `buffer` to the output; false when the web server went away.
    private func write(_ buffer: ByteBuffer) -> Bool {
        buffer.withUnsafeReadableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(program.output, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }
}
