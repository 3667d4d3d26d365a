import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The access log of one worker (SPEC 5): a line per request in Common Log Format plus the
/// duration in seconds and the request id. Lines collect in a buffer that goes out in
/// whole lines, at most 4 KiB per write (atomic on a pipe), when it fills and at the end of
/// the event loop's turn that logged them: one write for all the requests a busy turn
/// answered, and no line waits longer than the turn it was logged in.
final class AccessLog {
    private let fd: Int32
    private let eventLoop: EventLoop
    private var buffer: ByteBuffer
    /// A flush is queued for the end of this loop turn.
    private var flushQueued = false
    private var clock = UTCSecond()
    private var stamp: [UInt8] = []

    private static let flushSize = 4096

    /// Logs to `fd` (standard output, or a file the server opened) from `eventLoop`'s thread.
    init(fd: Int32, eventLoop: EventLoop) {
        self.fd = fd
        self.eventLoop = eventLoop
        buffer = ByteBufferAllocator().buffer(capacity: Self.flushSize * 2)
    }

    /// `127.0.0.1 - - [26/Nov/2026:18:35:14 +0000] "GET /hello HTTP/1.1" 200 14 0.000131 5f2a-0-1`
    func record(remote: String, head: RequestHead?, status: Int, bytes: Int, seconds: Double, requestID: ByteBuffer) {
        let start = buffer.writerIndex
        let stamp = timestamp()
        // At most: every byte of the target escaped (4 bytes), five numbers of 20 digits, the rest as is.
        let bound = remote.utf8.count + stamp.count + (head.map { $0.method.utf8.count + 4 * $0.uri.utf8.count } ?? 0)
            + requestID.readableBytes + 5 * 20 + 48
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { free in
            var line = LineWriter(at: free.baseAddress!)
            if remote.isEmpty { line.append("-") } else { line.append(remote) }
            line.append(" - - [")
            stamp.withUnsafeBytes { line.append($0) }
            line.append("] \"")
            if let head {
                line.append(head.method)
                line.append(" ")
                line.appendEscaped(head.uri)
                line.append(head.isHTTP11 ? " HTTP/1.1\" " : " HTTP/1.0\" ")
            } else {
                line.append("-\" ")
            }
            line.appendDigits(UInt64(max(status, 0)))
            line.append(" ")
            line.appendDigits(UInt64(max(bytes, 0)))
            line.append(" ")
            let microseconds = UInt64(max(seconds, 0) * 1e6 + 0.5)  // as "%.6f" would, without a formatter
            line.appendDigits(microseconds / 1_000_000)
            line.append(".")
            line.appendDigits(microseconds % 1_000_000, width: 6)
            line.append(" ")
            if requestID.readableBytes == 0 {
                line.append("-")
            } else {
                requestID.withUnsafeReadableBytes { line.append($0) }
            }
            line.append("\n")
            return line.count
        }
        if buffer.readableBytes >= Self.flushSize { flush(keepingFrom: start) }
        if !flushQueued {
            flushQueued = true
            eventLoop.execute { self.flushQueued = false; self.flush() }  // runs after this turn's events
        }
    }

    /// Writes the buffered lines.
    func flush() {
        flush(keepingFrom: buffer.writerIndex)
    }

    /// Writes whole lines up to writer index `end` (4 KiB a write at most), keeps the rest.
    private func flush(keepingFrom end: Int) {
        while buffer.readerIndex < end {
            let view = buffer.readableBytesView.prefix(end - buffer.readerIndex)
            var piece = view.prefix(Self.flushSize)
            if piece.count < view.count, let newline = piece.lastIndex(of: UInt8(ascii: "\n")) {
                piece = view[..<(newline + 1)]
            }
            let written = piece.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 {  // a log that cannot be written is dropped, the server goes on
                buffer.moveReaderIndex(to: end)
                break
            }
            buffer.moveReaderIndex(forwardBy: written)
        }
        buffer.discardReadBytes()
    }

    /// `26/Nov/2026:18:35:14 +0000`, formatted once per second.
    private func timestamp() -> [UInt8] {
        if let parts = clock.ifChanged() {
            stamp = Array(String(format: "%02d/%@/%04d:%02d:%02d:%02d +0000", parts.tm_mday, UTCSecond.months[Int(parts.tm_mon)],
                                 parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec).utf8)
        }
        return stamp
    }
}

/// An access line written straight into free bytes the caller reserved: no capacity check or
/// copy per field.
private struct LineWriter {
    private let base: UnsafeMutableRawPointer
    private(set) var count = 0

    init(at base: UnsafeMutableRawPointer) {
        self.base = base
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress else { return }
        (base + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// The target as received, its quotes, backslashes and control bytes escaped as `\xHH`.
    mutating func appendEscaped(_ text: String) {
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F {
                append("\\x")
                appendDigits(UInt64(byte), radix: 16, width: 2)
            } else {
                base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
                count += 1
            }
        }
    }

    mutating func appendDigits(_ value: UInt64, radix: UInt64 = 10, width: Int = 1) {
        count += writeASCIIDigits(value, radix: radix, width: width, to: base + count)
    }
}
