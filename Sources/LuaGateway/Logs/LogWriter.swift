import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One log destination (a file, a pipe, a terminal), written by a thread of its own with plain
/// blocking `write(2)`, so that a destination that is slow, stalled or full never blocks an event
/// loop (SPEC 5). Loggers hand over blocks of whole lines, at most once per loop turn; the blocks
/// wait in a queue of at most `capacity` bytes, and what does not fit is dropped and counted by
/// its `LogChannel`. The one thread per destination is the only writer of it within the process,
/// so lines never interleave; on a pipe a write is at most `PIPE_BUF` bytes of whole lines, which
/// the kernel keeps together even against other processes.
final class LogWriter: @unchecked Sendable {
    private let fd: Int32
    /// Bytes in one write at most (but a longer line goes out whole, in one write of its own).
    private let pieceSize: Int
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var queue = CircularBuffer<(block: ByteBuffer, channel: LogChannel)>(initialCapacity: 16)
    private var queuedBytes = 0
    private var spareBlocks: [ByteBuffer] = []
    private var isWriting = false
    /// Channels that lost lines since the queue was last written out whole (they say so when it is).
    private var losingChannels: [ObjectIdentifier: LogChannel] = [:]
    // The writer thread's own:
    /// A failed write left a line unfinished: a newline goes first, so that its rest never joins the next line.
    private var lineUnfinished = false

    /// Bytes queued at most; a block that does not fit is dropped.
    static let capacity = 4 << 20
    /// Blocks kept for reuse at most, and the capacity past which a block is not kept.
    private static let spareCount = 4, spareCapacity = 256 * 1024

    /// Starts the thread that writes to `fd`.
    init(fd: Int32) {
        self.fd = fd
        var status = stat()
        let isRegularFile = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        pieceSize = isRegularFile ? 1 << 20 : Int(PIPE_BUF)
        let thread = Thread { self.run() }  // for the process's lifetime
        thread.name = "luagw log writer (fd \(fd))"
        thread.start()
    }

    /// Queues `block` (whole lines, `lines` of them, from `channel`) and gives back an empty block
    /// to log into; a block that does not fit is dropped and counted, and `block` is emptied for
    /// reuse. Never blocks on the destination: a lock taken once per block.
    func submit(_ block: inout ByteBuffer, lines: Int, from channel: LogChannel) {
        guard block.readableBytes > 0 else { return }
        condition.lock()
        guard fits(block.readableBytes) else {
            condition.unlock()
            block.clear()
            channel.lost(lines: lines, because: .queueFull)
            return
        }
        enqueue(block, from: channel)
        block = spareBlocks.popLast() ?? ByteBufferAllocator().buffer(capacity: block.capacity)
        condition.unlock()
    }

    /// Queues a copy of `entry` (one log entry of whole lines from `channel`), joining it to the
    /// last block queued when that one is `channel`'s too.
    func append(_ entry: UnsafeRawBufferPointer, from channel: LogChannel) {
        condition.lock()
        guard fits(entry.count) else {
            condition.unlock()
            channel.lost(lines: 1, because: .queueFull)
            return
        }
        if queue.last?.channel === channel, queue.last!.block.readableBytes < Self.spareCapacity {
            var (block, _) = queue.removeLast()  // out of the queue, so that it is written in place
            block.writeBytes(entry)
            queue.append((block, channel))
            queuedBytes += entry.count
        } else {
            var block = spareBlocks.popLast() ?? ByteBufferAllocator().buffer(capacity: max(entry.count, 4096))
            block.writeBytes(entry)
            enqueue(block, from: channel)
        }
        condition.unlock()
    }

    /// Whether `count` more bytes fit (a block always fits an empty queue). Under the lock.
    private func fits(_ count: Int) -> Bool {
        queuedBytes == 0 || queuedBytes + count <= Self.capacity
    }

    /// Under the lock.
    private func enqueue(_ block: ByteBuffer, from channel: LogChannel) {
        queue.append((block, channel))
        queuedBytes += block.readableBytes
        condition.signal()
    }

    /// `channel` lost lines: it is told when everything queued has been written after that.
    func noteLoss(by channel: LogChannel) {
        condition.lock()
        losingChannels[ObjectIdentifier(channel)] = channel
        condition.signal()
        condition.unlock()
    }

    /// Waits until everything queued is written, or `seconds` have passed; whether it was.
    @discardableResult
    func drain(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            condition.lock()
            let idle = queue.isEmpty && !isWriting
            condition.unlock()
            if idle { return true }
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    /// The thread: writes the oldest block, or, once everything queued is written (the last
    /// write did not fail), tells the channels that lost lines meanwhile.
    private func run() {
        var lastWriteFailed = false
        condition.lock()
        while true {
            while queue.isEmpty && (lastWriteFailed || losingChannels.isEmpty) { condition.wait() }
            isWriting = true
            if queue.isEmpty {
                let caughtUp = losingChannels.values
                losingChannels = [:]
                condition.unlock()
                for channel in caughtUp { channel.caughtUp() }  // logs, which may queue a block: outside the lock
                condition.lock()
                isWriting = false
                continue
            }
            var (block, channel) = queue.removeFirst()
            queuedBytes -= block.readableBytes
            condition.unlock()
            lastWriteFailed = !write(&block, from: channel)
            condition.lock()
            isWriting = false
            if block.capacity <= Self.spareCapacity && spareBlocks.count < Self.spareCount {
                block.clear()
                spareBlocks.append(block)
            }
        }
    }

    /// Writes `block` in pieces of whole lines; on a failure the rest is dropped (counted by
    /// `channel`). Whether it was all written.
    private func write(_ block: inout ByteBuffer, from channel: LogChannel) -> Bool {
        if lineUnfinished {
            var newline = UInt8(ascii: "\n")
            guard Glibc.write(fd, &newline, 1) == 1 else {
                return failed(block.readableBytesView, errno: errno, from: channel)
            }
            lineUnfinished = false
        }
        while block.readableBytes > 0 {
            let piece = Self.piece(of: block.readableBytesView, upTo: pieceSize)
            var start = piece.startIndex
            while start < piece.endIndex {
                let written = piece[start...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written > 0 {
                    start += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {  // a descriptor left non-blocking
                    var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, -1)
                } else {
                    let error = written < 0 ? errno : EIO
                    lineUnfinished = start > piece.startIndex
                    return failed(block.readableBytesView[start...], errno: error, from: channel)
                }
            }
            block.moveReaderIndex(forwardBy: piece.count)
        }
        return true
    }

    /// A write failed with `errno`: `unwritten` is dropped; the lines it held (a partly written
    /// one included) are counted as lost.
    private func failed(_ unwritten: ByteBufferView.SubSequence, errno error: Int32, from channel: LogChannel) -> Bool {
        let lines = unwritten.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        channel.lost(lines: max(lines, 1), because: .writeFailed(errno: error))
        return false
    }

    /// The first bytes of `bytes` to write at once: whole lines up to `size` bytes, or the first
    /// line whole when it is longer.
    static func piece(of bytes: ByteBufferView, upTo size: Int) -> ByteBufferView.SubSequence {
        if bytes.count <= size { return bytes[...] }
        let start = bytes.startIndex
        if let newline = bytes[start..<(start + size)].lastIndex(of: UInt8(ascii: "\n")) {
            return bytes[start...newline]
        }
        let end = bytes[(start + size)...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.endIndex
        return bytes[start..<end]
    }
}
