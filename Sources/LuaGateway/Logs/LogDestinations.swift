import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// The process's log writers, one per destination: descriptors of one file, pipe or terminal
/// (standard output and standard error on one terminal, or `2>&1`) share a writer, so that
/// nothing the process writes there interleaves.
enum LogDestinations {
    private struct Key: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private static let writers = NIOLockedValueBox<[Key: LogWriter]>([:])

    /// The writer of `fd`'s destination, made (with its thread) the first time.
    static func writer(for fd: Int32) -> LogWriter {
        var status = stat()
        let key = fstat(fd, &status) == 0 ? Key(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
                                          : Key(device: .max, inode: UInt64(fd))
        return writers.withLockedValue { writers in
            if let writer = writers[key] { return writer }
            let writer = LogWriter(fd: fd)
            writers[key] = writer
            return writer
        }
    }

    /// Waits until every writer has written what was queued, `seconds` at most in all.
    static func drainAll(within seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        for writer in writers.withLockedValue({ Array($0.values) }) {
            writer.drain(within: max(0, deadline.timeIntervalSinceNow))
        }
    }

    /// What a message calls `fd`: standard output, standard error, or its path.
    static func describe(_ fd: Int32) -> String {
        switch fd {
        case STDOUT_FILENO: return "standard output"
        case STDERR_FILENO: return "standard error"
        default: return (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "descriptor \(fd)"
        }
    }
}
