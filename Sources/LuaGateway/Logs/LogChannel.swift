import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One of luagw's logs (`access` or `error`) on its destination's `LogWriter`, and what it lost:
/// lines dropped because the writer's queue was full (the destination is stalled or slower than
/// the traffic) or because a write failed (a full disk). Losses are counted (metrics
/// `luagw_log_lines_dropped_total` and `luagw_log_write_errors_total`, label `log`) and said once
/// per episode on the error log: a warning at the first line lost, and another with the count
/// when the writer has written everything queued again.
final class LogChannel: Sendable {
    /// `access` or `error`: the `log` label of the metrics.
    let name: String
    let writer: LogWriter
    /// What the messages call the destination: standard output, standard error or a path.
    private let destination: String
    private let state = NIOLockedValueBox(State())

    private struct State {
        var linesLost = 0
        var writeErrors = 0
        /// Lines lost since the episode began; 0: no episode.
        var lostInEpisode = 0
        var counters: (dropped: CoreMetrics.Counter, writeErrors: CoreMetrics.Counter)?
    }

    /// Why lines were lost.
    enum Loss {
        case queueFull
        case writeFailed(errno: Int32)
    }

    /// The `name` log, written to `fd` by the process's writer for that destination.
    init(name: String, fd: Int32) {
        self.name = name
        writer = LogDestinations.writer(for: fd)
        destination = LogDestinations.describe(fd)
    }

    /// Lines lost so far, and failed writes (for tests).
    var losses: (lines: Int, writeErrors: Int) {
        state.withLockedValue { ($0.linesLost, $0.writeErrors) }
    }

    /// Counts the losses from now on in `metrics`' counters too.
    func count(in metrics: GatewayMetrics) {
        let counters = (metrics.logLinesDropped(log: name), metrics.logWriteErrors(log: name))
        state.withLockedValue { $0.counters = counters }
    }

    /// `lines` lines were dropped; the first of an episode is said on the error log.
    func lost(lines: Int, because loss: Loss) {
        let (counters, first) = state.withLockedValue { state in
            state.linesLost += lines
            if case .writeFailed = loss { state.writeErrors += 1 }
            let first = state.lostInEpisode == 0
            state.lostInEpisode += lines
            return (state.counters, first)
        }
        counters?.dropped.increment(by: Int64(lines))
        if case .writeFailed = loss { counters?.writeErrors.increment() }
        guard first else { return }
        writer.noteLoss(by: self)
        let counted = "counted in luagw_log_lines_dropped_total{log=\"\(name)\"}"
        switch loss {
        case .queueFull:
            Self.logger.warning("\(name) log: dropping lines: \(destination) takes them slower than they come, or not at all; \(counted) until it catches up")
        case .writeFailed(let error):
            Self.logger.error("\(name) log: cannot write to \(destination) (\(String(cString: strerror(error)))): dropping lines, \(counted) and luagw_log_write_errors_total{log=\"\(name)\"}, until a write succeeds")
        }
    }

    /// The writer has written everything queued: an episode of losses, if any, is over.
    func caughtUp() {
        let lost = state.withLockedValue { state in
            defer { state.lostInEpisode = 0 }
            return state.lostInEpisode
        }
        if lost > 0 { Self.logger.warning("\(name) log: writing to \(destination) again; \(lost) lines were dropped") }
    }

    /// Hands over `block` (`lines` whole lines) to be written; gives back an empty block to log into.
    func submit(_ block: inout ByteBuffer, lines: Int) {
        writer.submit(&block, lines: lines, from: self)
    }

    /// Hands over a copy of one entry of whole lines.
    func append(_ entry: UnsafeRawBufferPointer) {
        writer.append(entry, from: self)
    }

    /// The error log, as swift-log's system makes it (with `--log-level`'s level under `luagw serve`).
    private static var logger: Logger { Logger(label: "luagw") }
}
