import Logging
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// `luagw serve`'s error log (SPEC 5): swift-log's `StreamLogHandler` lines, as it writes them to
/// standard error, but handed to standard error's `LogWriter`, so that logging from an event loop
/// never blocks on a stalled or full destination (lines are dropped and counted then). What was
/// logged is written out before the process exits (5 s at most).
public enum ErrorLog {
    private static let channel = NIOLockedValueBox<LogChannel?>(nil)

    /// A handler for `LoggingSystem.bootstrap`, at `level` unless a logger sets another.
    public static func handler(label: String, level: Logger.Level) -> LogHandler {
        var handler = StreamLogHandler(label: label, stream: Stream(channel: shared))
        handler.logLevel = level
        return handler
    }

    /// The error log's channel, made the first time (and with it the wait at exit).
    private static var shared: LogChannel {
        channel.withLockedValue { channel in
            if let channel { return channel }
            let made = LogChannel(name: "error", fd: STDERR_FILENO)
            channel = made
            atexit { LogDestinations.drainAll(within: 5) }
            return made
        }
    }

    /// Counts the error log's losses in `metrics`, if `luagw serve` logs through it.
    static func count(in metrics: GatewayMetrics) {
        channel.withLockedValue { $0 }?.count(in: metrics)
    }

    /// What StreamLogHandler writes to: one entry of whole lines a call.
    private struct Stream: TextOutputStream, Sendable {
        let channel: LogChannel

        mutating func write(_ string: String) {
            var string = string
            string.withUTF8 { channel.append(UnsafeRawBufferPointer($0)) }
        }
    }
}
