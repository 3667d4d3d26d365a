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
    private var buffer: [UInt8] = []
    /// A flush is queued for the end of this loop turn.
    private var flushQueued = false
    private var clock = UTCSecond()
    private var stamp: [UInt8] = []

    private static let flushSize = 4096

    /// Logs to `fd` (standard output, or a file the server opened) from `eventLoop`'s thread.
    init(fd: Int32, eventLoop: EventLoop) {
        self.fd = fd
        self.eventLoop = eventLoop
        buffer.reserveCapacity(Self.flushSize * 2)
    }

    /// `127.0.0.1 - - [26/Nov/2026:18:35:14 +0000] "GET /hello HTTP/1.1" 200 14 0.000131 5f2a-0-1`
    func record(remote: String, head: RequestHead?, status: Int, bytes: Int, seconds: Double, requestID: ByteBuffer) {
        let start = buffer.count
        buffer.append(contentsOf: remote.isEmpty ? "-".utf8 : remote.utf8)
        buffer.append(contentsOf: " - - [".utf8)
        buffer.append(contentsOf: timestamp())
        buffer.append(contentsOf: "] \"".utf8)
        if let head {
            buffer.append(contentsOf: head.method.utf8)
            buffer.append(UInt8(ascii: " "))
            // The target as received, its quotes and control bytes escaped.
            for byte in head.uri.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte == 0x7F {
                    buffer.append(contentsOf: "\\x".utf8)
                    buffer.append(contentsOf: String(byte, radix: 16).utf8)
                } else {
                    buffer.append(byte)
                }
            }
            buffer.append(contentsOf: (head.isHTTP11 ? " HTTP/1.1" : " HTTP/1.0").utf8)
        } else {
            buffer.append(UInt8(ascii: "-"))
        }
        buffer.append(contentsOf: "\" \(status) \(bytes) ".utf8)
        buffer.append(contentsOf: String(format: "%.6f", seconds).utf8)
        buffer.append(UInt8(ascii: " "))
        if requestID.readableBytes == 0 { buffer.append(UInt8(ascii: "-")) } else { buffer.append(contentsOf: requestID.readableBytesView) }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushSize { flush(keepingFrom: start) }
        if !flushQueued {
            flushQueued = true
            eventLoop.execute { self.flushQueued = false; self.flush() }  // runs after this turn's events
        }
    }

    /// Writes the buffered lines.
    func flush() {
        flush(keepingFrom: buffer.count)
    }

    /// Writes whole lines up to `end` (4 KiB a write at most), keeps the rest.
    private func flush(keepingFrom end: Int) {
        var offset = 0
        while offset < end {
            var stop = min(end, offset + Self.flushSize)
            if stop < end, let newline = buffer[offset..<stop].lastIndex(of: UInt8(ascii: "\n")) { stop = newline + 1 }
            let written = buffer[offset..<stop].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { break }  // a log that cannot be written is dropped, the server goes on
            offset += written
        }
        buffer.removeFirst(min(end, buffer.count))
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
