import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Decodes a connection's bytes into requests (RFC 9112): each head found and checked by
/// `RequestHeadParser`, its body framed by Content-Length or the chunked coding. Body bytes are
/// handed on as they arrive, as slices of what was read (no copy). After bytes that do not make
/// a request it decodes nothing more: the connection answers and closes. After a head that asks
/// for a WebSocket it decodes nothing either: what follows may be frames, kept until the
/// application accepts (they go on raw to the frame decoder) or not (the connection closes).
struct RequestDecoder {
    private enum State {
        case head
        case body(remaining: Int)
        case chunked(ChunkedBody)
        /// The request's end is the next part (its head had no body, or its body is all here).
        case end
        /// After a WebSocket handshake: bytes wait for the application's verdict.
        case upgradeCandidate
        case failed
    }

    private var state = State.head
    /// How far the head being received has been scanned for its end, and where its last line starts.
    private var scanned = 0
    private var lineStart = 0
    private var sawLineEnd = false
    /// Bytes of a head (request line and fields) past which it is refused (431; 414 on the request line).
    let maxHeadBytes: Int
    let maxRequestLineBytes: Int
    let maxBodyBytes: Int

    init(limits: RequestLimits) {
        maxBodyBytes = limits.maxBodyBytes
        maxRequestLineBytes = limits.maxTargetBytes + 64
        maxHeadBytes = limits.maxHeaderBytes + maxRequestLineBytes + 4 * limits.maxHeaderCount
    }

    /// Decodes what `buffer` holds, handing each part to `emit` in order (the connection handler
    /// calls this itself, without NIO's `ByteToMessageHandler`: no `NIOAny` per part). What is
    /// left in `buffer` is the start of a part still to come, or the bytes after a WebSocket
    /// handshake (`waitsForUpgrade`).
    mutating func decode(_ buffer: inout ByteBuffer, emit: (RequestPart) -> Void) {
        while let part = next(&buffer) { emit(part) }
    }

    /// The next part `buffer` holds, or nil when more bytes are needed (or the bytes after a
    /// WebSocket handshake wait, or nothing more is decoded). The connection handler pulls the
    /// parts one at a time, so that it can handle each as it comes (no queue unless one waits).
    mutating func next(_ buffer: inout ByteBuffer) -> RequestPart? {
        while true {
            switch step(&buffer) {
            case .part(let part): return part
            case .skipped: continue
            case .needMoreData: return nil
            }
        }
    }

    /// The client sends no more: decodes what `buffer` holds, then answers a head it left
    /// unfinished with 400, naming what is wrong with its complete lines if anything is (as a
    /// streaming parser would have found it).
    mutating func decodeAtEnd(_ buffer: inout ByteBuffer, emit: (RequestPart) -> Void) {
        decode(&buffer, emit: emit)
        guard case .head = state, buffer.readableBytes > 0 else { return }
        let complete = buffer.getSlice(at: buffer.readerIndex, length: lineStart)!
        var reason = MalformedRequest.badRequest("the connection ended inside a request head")
        if complete.readableBytes > 0 {
            do { _ = try RequestHeadParser.parse(complete, checkingFields: false) } catch { reason = error as? MalformedRequest ?? reason }
        }
        emit(fail(reason, buffer: &buffer))
    }

    /// Whether the bytes left after decoding are a WebSocket's (its handshake was the last head).
    var waitsForUpgrade: Bool {
        if case .upgradeCandidate = state { return true }
        return false
    }

    /// What one step of decoding gives.
    private enum Step {
        case part(RequestPart)
        /// Bytes consumed without a part (an empty line before a request line).
        case skipped
        case needMoreData
    }

    /// One step: a part, or more bytes needed.
    private mutating func step(_ buffer: inout ByteBuffer) -> Step {
        switch state {
        case .head:
            return decodeHead(&buffer)
        case .end:
            state = .head
            return .part(.end)
        case .body(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let count = min(remaining, buffer.readableBytes)
            state = count == remaining ? .end : .body(remaining: remaining - count)
            return .part(.body(buffer.readSlice(length: count)!))
        case .chunked(var body):
            let step = body.next(&buffer)
            state = .chunked(body)
            switch step {
            case .needMoreData:
                return .needMoreData
            case .data(let bytes):
                return .part(.body(bytes))
            case .end:
                state = .head
                return .part(.end)
            case .malformed(let failure):
                return .part(fail(.badRequest(failure.description), failure: failure, buffer: &buffer))
            }
        case .upgradeCandidate:
            // A client sends no frame before the 101 (RFC 6455 §4.1): a little is kept, no more.
            if buffer.readableBytes > maxHeadBytes {
                state = .failed
                buffer.moveReaderIndex(to: buffer.writerIndex)
            }
            return .needMoreData
        case .failed:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
    }

    /// What the bytes of a head being received show so far.
    private enum HeadScan {
        case incomplete
        /// The head ends with the byte before this offset.
        case complete(end: Int)
        /// An empty line before the request line, ending before this offset.
        case emptyLine(end: Int)
        case bareLF
    }

    /// Finds the end of the head (an empty line); every LF must follow a CR (RFC 9112 §2.2: a bare
    /// LF or CR is refused rather than guessed at, since another parser could guess otherwise).
    /// Resumes where the last call stopped, so a head arriving byte by byte is scanned once.
    private mutating func scanHead(_ raw: UnsafeRawBufferPointer) -> HeadScan {
        guard let base = raw.baseAddress else { return .incomplete }
        var index = scanned
        while index < raw.count, let lf = memchr(base + index, Int32(HTTPSyntax.lf), raw.count - index) {
            let offset = base.distance(to: UnsafeRawPointer(lf))
            guard offset > 0, raw[offset - 1] == HTTPSyntax.cr else { return .bareLF }
            if offset - 1 == lineStart {
                return lineStart == 0 ? .emptyLine(end: offset + 1) : .complete(end: offset + 1)
            }
            sawLineEnd = true
            lineStart = offset + 1
            index = offset + 1
        }
        scanned = raw.count
        return .incomplete
    }

    private mutating func decodeHead(_ buffer: inout ByteBuffer) -> Step {
        let end: Int?
        switch buffer.withUnsafeReadableBytes({ scanHead($0) }) {
        case .bareLF:
            return .part(fail(.badRequest("a line of the head ends in a bare LF"), buffer: &buffer))
        case .emptyLine(let end):
            // An empty line before the request line is ignored (RFC 9112 §2.2).
            buffer.moveReaderIndex(forwardBy: end)
            scanned = 0
            return .skipped
        case .complete(let found):
            end = found
        case .incomplete:
            end = nil
        }
        guard let end else {
            if !sawLineEnd && scanned > maxRequestLineBytes {
                return .part(fail(.targetTooLong, buffer: &buffer))
            }
            if scanned > maxHeadBytes {
                return .part(fail(.headTooLarge, buffer: &buffer))
            }
            return .needMoreData
        }
        let head = buffer.readSlice(length: lineStart)!
        buffer.moveReaderIndex(forwardBy: end - lineStart)
        scanned = 0
        lineStart = 0
        sawLineEnd = false
        let parsed: RequestHeadParser.Parsed
        do {
            parsed = try RequestHeadParser.parse(head)
        } catch {
            return .part(fail(error as? MalformedRequest ?? .badRequest("\(error)"), buffer: &buffer))
        }
        // The state is set before the head goes on: after a WebSocket handshake's head, its application
        // may accept before the next part is asked for, and then nothing but bytes may follow it (the
        // head has no body: its end is the connection's to note).
        switch parsed.body {
        case _ where parsed.facts.webSocketUpgrade:
            state = .upgradeCandidate
        case .none:
            state = .end
        case .length(let length):
            state = .body(remaining: length)
        case .chunked:
            state = .chunked(ChunkedBody(maxTrailerBytes: maxHeadBytes, maxBodyBytes: maxBodyBytes))
        }
        return .part(.head(parsed.head, parsed.facts))
    }

    /// The bytes stopped making a request: nothing more is decoded; the part that says so.
    private mutating func fail(_ malformed: MalformedRequest, failure: InputFailure? = nil,
                               buffer: inout ByteBuffer) -> RequestPart {
        state = .failed
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .malformed(malformed, body: failure)
    }
}

/// The decoder as a pipeline handler of its own (`ByteToMessageHandler`): how its tests drive it.
/// The server does not: its connection handler calls `decode` itself.
extension RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = RequestPart

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        decode(&buffer) { context.fireChannelRead(NIOAny($0)) }
        return .needMoreData
    }

    /// Removed after a WebSocket was accepted (`seenEOF` false): the bytes after the head are handed
    /// on raw to the frame decoder that follows.
    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if waitsForUpgrade {
            if !seenEOF, buffer.readableBytes > 0 {
                // NIOAny on purpose (as NIOHTTP1's .forwardBytes does): the next handler reads bytes, not RequestParts.
                context.fireChannelRead(NIOAny(buffer.readSlice(length: buffer.readableBytes)!))
                context.fireChannelReadComplete()
            }
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        decodeAtEnd(&buffer) { context.fireChannelRead(NIOAny($0)) }
        return .needMoreData
    }
}
