import NIOCore
import NIOHPACK

/// A response head as `ResponseWriter` encodes it for HTTP/1.x, made HPACK fields for a
/// HEADERS frame (SPEC 11): `:status` from the status line, names in lower case, and the
/// hop-by-hop fields that HTTP/2 forbids (RFC 9113 §8.2.2) left out. It reads the bytes in
/// place (one pass, no search through generic collection algorithms: this runs once a stream).
enum HTTP2ResponseHead {
    /// Fields that are about one HTTP/1.1 connection, never sent on HTTP/2.
    private static let hopByHop: [[UInt8]] = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]
        .map { Array($0.utf8) }

    private static let contentLength = Array("content-length".utf8)

    /// A head read: its fields, its status and its `Content-Length` (nil when it has none).
    struct Head {
        var headers: HPACKHeaders
        var status: Int
        var contentLength: Int?
    }

    /// Reads a head (status line to the empty line) from `bytes`; nil when `bytes` does not
    /// start with a whole one. The body's bytes that follow stay in `bytes`.
    static func read(from bytes: inout ByteBuffer) -> Head? {
        let parsed = bytes.withUnsafeReadableBytes { raw -> (Head, Int)? in
            guard let end = headEnd(in: raw) else { return nil }
            var lines = LineCursor(raw: raw, end: end)
            guard let statusLine = lines.next() else { return nil }
            let status = statusCode(raw[statusLine])
            var head = Head(headers: HPACKHeaders(), status: status)
            head.headers.reserveCapacity(8)
            head.headers.add(name: ":status", value: String(status))
            while let line = lines.next() {
                guard let colon = raw[line].firstIndex(of: UInt8(ascii: ":")) else { continue }
                let name = lowercased(raw[line.lowerBound..<colon])
                if hopByHop.contains(name) { continue }
                var valueStart = colon + 1
                while valueStart < line.upperBound, raw[valueStart] == UInt8(ascii: " ") || raw[valueStart] == UInt8(ascii: "\t") {
                    valueStart += 1
                }
                let value = raw[valueStart..<line.upperBound]
                if name == contentLength { head.contentLength = digits(value) }
                head.headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
            }
            return (head, end + 4)
        }
        guard let (head, length) = parsed else { return nil }
        bytes.moveReaderIndex(forwardBy: length)
        return head
    }

    /// A field value of decimal digits as a number; nil when it is anything else.
    private static func digits(_ value: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var number = 0
        for byte in value {
            guard (48...57).contains(byte) else { return nil }
            number = number * 10 + Int(byte - 48)
        }
        return number
    }

    /// Where the empty line that ends the head starts (the index of its `\r\n\r\n`).
    private static func headEnd(in raw: UnsafeRawBufferPointer) -> Int? {
        guard raw.count >= 4 else { return nil }
        var index = 0
        while index <= raw.count - 4 {
            if raw[index] == 13, raw[index + 1] == 10, raw[index + 2] == 13, raw[index + 3] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// The three digits after the status line's first space; 500 when they are not there.
    private static func statusCode(_ line: Slice<UnsafeRawBufferPointer>) -> Int {
        guard let space = line.firstIndex(of: UInt8(ascii: " ")) else { return 500 }
        var code = 0
        var index = space + 1
        while index < line.endIndex, index < space + 4 {
            let digit = Int(line[index]) - 48
            guard (0...9).contains(digit) else { return 500 }
            code = code * 10 + digit
            index += 1
        }
        return index == space + 4 ? code : 500
    }

    private static func lowercased(_ name: Slice<UnsafeRawBufferPointer>) -> [UInt8] {
        name.map { (65...90).contains($0) ? $0 | 0x20 : $0 }
    }

    /// The head's lines (without their `\r\n`), up to the empty line.
    private struct LineCursor {
        let raw: UnsafeRawBufferPointer
        let end: Int
        var position = 0

        init(raw: UnsafeRawBufferPointer, end: Int) {
            self.raw = raw
            self.end = end
        }

        mutating func next() -> Range<Int>? {
            guard position < end else { return nil }
            var index = position
            while index < end, !(raw[index] == 13 && raw[index + 1] == 10) { index += 1 }
            defer { position = index + 2 }
            return position..<index
        }
    }
}
