import Foundation
import NIOCore

/// The access log of one worker (SPEC 5): a line per request in Common Log Format plus the
/// duration in seconds and the request id. Lines collect in a buffer that is handed whole to the
/// destination's `LogWriter` (which writes it off the event loops) at the end of the event loop's
/// turn that logged them, or sooner when it grows large: one hand-over for all the requests a busy
/// turn answered, and no line waits longer than the turn it was logged in.
final class AccessLog {
    private let channel: LogChannel
    private let eventLoop: EventLoop
    private var buffer: ByteBuffer
    /// Lines in `buffer`.
    private var lines = 0
    /// A flush is queued for the end of this loop turn.
    private var flushQueued = false
    private var clock = UTCSecond()
    private var stamp: [UInt8] = []

    /// Bytes past which the lines go without waiting for the end of the turn.
    private static let handOverSize = 64 * 1024

    /// Logs to `channel` (the server's access log) from `eventLoop`'s thread.
    init(channel: LogChannel, eventLoop: EventLoop) {
        self.channel = channel
        self.eventLoop = eventLoop
        buffer = ByteBufferAllocator().buffer(capacity: 4096)
    }

    /// `127.0.0.1 - - [26/Nov/2026:18:35:14 +0000] "GET /hello HTTP/1.1" 200 14 0.000131 5f2a-0-1`
    func record(remote: String, head: RequestHead?, status: Int, bytes: Int, seconds: Double, requestID: ByteBuffer) {
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
                line.append(head.isHTTP2 ? " HTTP/2.0\" " : head.isHTTP11 ? " HTTP/1.1\" " : " HTTP/1.0\" ")
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
        lines += 1
        if buffer.readableBytes >= Self.handOverSize { flush() }
        if !flushQueued {
            flushQueued = true
            eventLoop.execute { self.flushQueued = false; self.flush() }  // runs after this turn's events
        }
    }

    /// Hands the buffered lines to the writer.
    func flush() {
        channel.submit(&buffer, lines: lines)
        lines = 0
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
