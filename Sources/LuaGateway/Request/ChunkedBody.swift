import NIOCore

/// The chunked transfer coding of a request body (RFC 9112 §7.1), decoded as the bytes arrive:
/// `chunk-size [chunk-ext] CRLF data CRLF` ... `0 [chunk-ext] CRLF` trailer fields `CRLF`.
/// Extensions are checked and ignored, trailer fields checked and dropped.
struct ChunkedBody {
    /// What the next bytes gave.
    enum Step {
        case needMoreData
        case data(ByteBuffer)
        case end
        case malformed(InputFailure)
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer(bytes: Int)
    }

    private var state = State.size
    /// Bytes of trailer fields past which the body is refused (the head's own limit).
    let maxTrailerBytes: Int
    /// Bytes of data past which the body is refused (`--max-body`): as soon as a chunk's
    /// size announces them, as a Content-Length would.
    let maxBodyBytes: Int
    /// Bytes of data the chunk sizes so far announced.
    private var announced = 0

    /// A chunk-size line longer than this is refused (extensions included).
    static let maxSizeLineBytes = 4096

    init(maxTrailerBytes: Int, maxBodyBytes: Int) {
        self.maxTrailerBytes = maxTrailerBytes
        self.maxBodyBytes = maxBodyBytes
    }

    mutating func next(_ buffer: inout ByteBuffer) -> Step {
        while true {
            switch state {
            case .size:
                let line = Self.readLine(&buffer, limit: Self.maxSizeLineBytes)
                guard case .complete(let line) = line else { return line == .incomplete ? .needMoreData : .malformed(.malformedChunkSize) }
                guard let size = Self.chunkSize(line) else { return .malformed(.malformedChunkSize) }
                guard size <= maxBodyBytes - announced else { return .malformed(.tooLarge) }
                announced += size
                state = size == 0 ? .trailer(bytes: 0) : .data(remaining: size)
            case .data(let remaining):
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let count = min(remaining, buffer.readableBytes)
                state = count == remaining ? .dataEnd : .data(remaining: remaining - count)
                return .data(buffer.readSlice(length: count)!)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return .needMoreData }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { return .malformed(.malformedChunkEnd) }
                state = .size
            case .trailer(let bytes):
                let line = Self.readLine(&buffer, limit: maxTrailerBytes - bytes)
                guard case .complete(let line) = line else { return line == .incomplete ? .needMoreData : .malformed(.malformedTrailer) }
                if line.readableBytes == 0 { return .end }
                let valid = line.withUnsafeReadableBytes { raw in
                    (try? RequestHeadParser.parseField(raw, 0..<raw.count)) != nil
                }
                guard valid else { return .malformed(.malformedTrailer) }
                state = .trailer(bytes: bytes + line.readableBytes)
            }
        }
    }

    private enum Line: Equatable {
        case incomplete
        case complete(ByteBuffer)
        /// A bare LF, or a line past its limit.
        case malformed
    }

    /// A line ending in CRLF, taken from `buffer` without its CRLF.
    private static func readLine(_ buffer: inout ByteBuffer, limit: Int) -> Line {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: HTTPSyntax.lf) else { return view.count > limit ? .malformed : .incomplete }
        let length = lf - view.startIndex
        guard length >= 1, view[lf - 1] == HTTPSyntax.cr, length - 1 <= limit else { return .malformed }
        let line = buffer.readSlice(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        return .complete(line)
    }

    /// `1*HEXDIG *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`; nil when the
    /// line is not that or the size does not fit 63 bits.
    static func chunkSize(_ line: ByteBuffer) -> Int? {
        line.withUnsafeReadableBytes { raw in
            var index = 0, size = 0
            while index < raw.count, let digit = HTTPSyntax.hexValue(raw[index]) {
                guard size <= Int.max >> 4 else { return nil }
                size = size << 4 | Int(digit)
                index += 1
            }
            guard index > 0, ChunkExtensions.areValid(raw, from: index) else { return nil }
            return size
        }
    }
}
