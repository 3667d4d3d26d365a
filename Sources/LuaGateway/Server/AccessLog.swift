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
    private var stamp = ""

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
        buffer.writeString(remote.isEmpty ? "-" : remote)
        buffer.writeStaticString(" - - [")
        buffer.writeString(timestamp())
        buffer.writeStaticString("] \"")
        if let head {
            buffer.writeString(head.method)
            buffer.writeStaticString(" ")
            // The target as received, its quotes and control bytes escaped.
            for byte in head.uri.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F {
                    buffer.writeStaticString("\\x")
                    buffer.writeDigits(UInt64(byte), radix: 16)
                } else {
                    buffer.writeInteger(byte)
                }
            }
            buffer.writeStaticString(head.isHTTP11 ? " HTTP/1.1" : " HTTP/1.0")
        } else {
            buffer.writeStaticString("-")
        }
        buffer.writeStaticString("\" ")
        buffer.writeDigits(UInt64(max(status, 0)))
        buffer.writeStaticString(" ")
        buffer.writeDigits(UInt64(max(bytes, 0)))
        buffer.writeStaticString(" ")
        let microseconds = UInt64(max(seconds, 0) * 1e6 + 0.5)  // as "%.6f" would, without a formatter
        buffer.writeDigits(microseconds / 1_000_000)
        buffer.writeStaticString(".")
        buffer.writeDigits(microseconds % 1_000_000, width: 6)
        buffer.writeStaticString(" ")
        if requestID.readableBytes == 0 { buffer.writeStaticString("-") } else { buffer.writeImmutableBuffer(requestID) }
        buffer.writeStaticString("\n")
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
    private func timestamp() -> String {
        if let parts = clock.ifChanged() {
            stamp = String(format: "%02d/%@/%04d:%02d:%02d:%02d +0000", parts.tm_mday, UTCSecond.months[Int(parts.tm_mon)],
                           parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec)
        }
        return stamp
    }
}
