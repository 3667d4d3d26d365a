import Logging
import NIOCore

/// Writes one connection's responses (SPEC 1.3, 5): heads, framed body chunks, files,
/// the server's own short answers and 100 Continue; keeps the exchange's framing, bytes
/// sent and whether the connection may stay open; flushes streamed chunks in batches.
final class ResponseWriter {
    private let exchange: Exchange
    private let worker: Worker
    /// Where bytes go; nil once nothing more may be written (the connection closes).
    var context: ChannelHandlerContext?
    /// Buffers for responses (the channel's allocator is NIO's default one, this).
    private let allocator = ByteBufferAllocator()
    /// Bytes of streamed chunks written but not flushed yet.
    private var unflushedBytes = 0

    /// Streamed bytes past which a flush goes out even while the application keeps producing.
    static let flushThreshold = 64 * 1024

    init(exchange: Exchange, worker: Worker) {
        self.exchange = exchange
        self.worker = worker
    }

    var canWrite: Bool { context != nil }
    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ buffer: ByteBuffer, flush: Bool = true) {
        guard let context else { return }
        if flush {
            context.writeAndFlush(NIOAny(buffer), promise: nil)  // one walk of the pipeline
            unflushedBytes = 0
        } else {
            context.write(NIOAny(buffer), promise: nil)
        }
    }

    /// Flushes streamed chunks written without a flush.
    func flushStreamed() {
        guard unflushedBytes > 0, let context else { return }
        unflushedBytes = 0
        context.flush()
    }

    /// 100 Continue, when the client asked for it and may still be waiting for it.
    func sendContinueIfExpected() {
        // Never after the final head (RFC 9110 §15.2): the client then sends the body anyway.
        guard exchange.expectsContinue, !exchange.continueSent, !exchange.headersSent, exchange.bufferedBytes == 0 else { return }
        exchange.continueSent = true
        var buffer = allocator.buffer(capacity: 32)
        buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
        write(buffer)
    }

    /// Writes a streamed chunk (with the head the first time); returns what the
    /// application is told next.
    func sendChunk(of call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict {
        guard canWrite else { return .clientGone }
        var buffer = allocator.buffer(capacity: call.chunkLength + (hasHead ? 512 : 16))
        if hasHead { startStream(call: call, into: &buffer) }
        let sent = ResponseEncoder.writeChunk(of: call, exchange: exchange, into: &buffer)
        exchange.bodyBytesSent += sent
        unflushedBytes += buffer.readableBytes
        write(buffer, flush: false)
        if unflushedBytes >= Self.flushThreshold { flushStreamed() }
        switch exchange.framing {
        case .none:
            return .stop
        case .length(let remaining):
            if sent < call.chunkLength { logCut() }
            return remaining == 0 ? .stop : .goOn
        case .chunked, .untilClose:
            return .goOn
        }
    }

    private func startStream(call: ApplicationCall, into buffer: inout ByteBuffer) {
        exchange.headWritten(status: call.statusCode)
        exchange.framing = BodyFraming.forStream(code: call.statusCode, declared: call.contentLength,
                                                 isHead: exchange.isHead, isHTTP11: exchange.isHTTP11)
        if exchange.framing == .untilClose { exchange.keepAlive = false }
        ResponseEncoder.writeHead(of: call, exchange: exchange, contentLength: nil, dates: &worker.dates, into: &buffer)
    }

    /// Sends `size` bytes of the file from `offset` as the body, with sendfile. Returns true
    /// when `written` will be called once the file is out (false: done already, or nothing to send).
    func sendFile(of call: ApplicationCall, path: String, offset: Int64, size: Int64,
                  written: @escaping (Result<Void, Error>) -> Void) -> Bool {
        guard let context else { return false }
        var buffer = allocator.buffer(capacity: 512)
        exchange.headWritten(status: call.statusCode)
        let allowsBody = BodyFraming.allowsBody(code: call.statusCode, isHead: exchange.isHead)
        let declared = call.contentLength
        let length = Int(size)
        exchange.framing = .none  // the file region is the whole body
        if let declared, declared != length { exchange.keepAlive = false }
        ResponseEncoder.writeHead(of: call, exchange: exchange, contentLength: declared == nil ? length : nil,
                                  dates: &worker.dates, into: &buffer)
        guard allowsBody, length > 0 else {
            write(buffer)
            return false
        }
        do {
            let file = try NIOFileHandle(_deprecatedPath: path)
            let start = Int(offset)
            let region = FileRegion(fileHandle: file, readerIndex: start, endIndex: start + min(length, declared ?? length))
            exchange.bodyBytesSent = region.readableBytes
            context.write(NIOAny(buffer), promise: nil)
            context.writeAndFlush(NIOAny(IOData.fileRegion(region))).whenComplete { result in
                try? file.close()
                written(result)
            }
            return true
        } catch {
            worker.logger.error("cannot open \(path) for wsgi.file_wrapper: \(error)",
                                metadata: ["request_id": "\(exchange.requestIDString)"])
            exchange.keepAlive = false
            write(buffer)
            return false
        }
    }

    /// The application returned: a whole body to send with its head, or the end of a stream.
    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {
        guard hasHead else { return endStream() }
        exchange.headWritten(status: call.statusCode)
        let length = hasBody ? call.chunkLength : 0
        let body = WholeBody(code: call.statusCode, length: length, declared: call.contentLength, isHead: exchange.isHead)
        var buffer = allocator.buffer(capacity: length + 512)
        ResponseEncoder.writeHead(of: call, exchange: exchange, contentLength: body.lengthHeader,
                                  dates: &worker.dates, into: &buffer)
        if body.isCut { logCut() }
        if body.isShort { exchange.keepAlive = false }
        call.writeChunk(into: &buffer, limit: body.bytesToSend)
        exchange.bodyBytesSent = body.bytesToSend
        write(buffer)
    }

    private func endStream() {
        switch exchange.framing {
        case .chunked:
            var buffer = allocator.buffer(capacity: 8)
            buffer.writeStaticString("0\r\n\r\n")
            write(buffer)
        case .length(let remaining) where remaining > 0:
            worker.logger.warning("response shorter than its Content-Length: closing the connection",
                                  metadata: ["request_id": "\(exchange.requestIDString)"])
            exchange.keepAlive = false
        case .untilClose:
            exchange.keepAlive = false
        default:
            break
        }
    }

    private func logCut() {
        worker.logger.warning("response longer than its Content-Length: cut",
                              metadata: ["request_id": "\(exchange.requestIDString)"])
    }

    /// A response of the server's own (400, 404, 500, 503, ...) with a short text body.
    func respond(_ status: String, body: String) {
        exchange.headWritten(status: Int(status.prefix(3)) ?? 0)
        if !exchange.isHead { exchange.bodyBytesSent = body.utf8.count }
        var buffer = allocator.buffer(capacity: 256 + body.utf8.count)
        ResponseEncoder.writeSimpleResponse(status: status, body: body, exchange: exchange,
                                            dates: &worker.dates, into: &buffer)
        write(buffer)
    }

    /// The 101 that accepts a WebSocket (SPEC 12); the last bytes this writer writes.
    func switchProtocols(accept: String, protocol chosen: String) {
        exchange.headWritten(status: 101)
        exchange.keepAlive = false
        var buffer = allocator.buffer(capacity: 256)
        ResponseEncoder.writeSwitchingProtocols(accept: accept, protocol: chosen, exchange: exchange,
                                                dates: &worker.dates, into: &buffer)
        write(buffer)
    }

    /// An empty write whose completion says that everything before it has gone out.
    func writesDone() -> EventLoopFuture<Void>? {
        context?.writeAndFlush(NIOAny(allocator.buffer(capacity: 0)))
    }
}
