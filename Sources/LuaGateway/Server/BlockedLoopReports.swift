internal import CLuaGatewayBridge
import CoreMetrics
import Foundation
import Logging

/// What a worker says when one of its runs holds its event loop (the watchdog's reports,
/// watchdog.c): a request whose resume has not returned for a second sits in a C call that
/// blocks (LuaSocket's, LuaSQL's) or computes where it cannot yield, and the worker serves
/// nothing else meanwhile. A warning when the watchdog finds it (with the blocking call, where
/// the application made it and what to use instead, when the call is a known one), one every
/// few seconds while it lasts, and a last when the loop turns again; each episode counted in
/// `luagw_event_loop_blocked_total`, its seconds in `luagw_event_loop_blocked_seconds_total`.
/// Reports come on the watchdog's thread (the last on the loop's): logging never blocks.
final class BlockedLoopReports: Sendable {
    private let worker: Int
    private let logger: Logger
    private let counters: (episodes: CoreMetrics.Counter, seconds: CoreMetrics.FloatingPointCounter)?

    init(worker: Int, logger: Logger, metrics: GatewayMetrics?) {
        self.worker = worker
        self.logger = logger
        self.counters = metrics.map { ($0.eventLoopBlocked, $0.eventLoopBlockedSeconds) }
    }

    /// Has the watchdog report to this the runs of the calling thread (a worker's loop).
    func watchThisThread() {
        luagw_watchdog_set_labeller(RequestRunner.labeller)
        Self.release(luagw_watchdog_register(Self.reporter, Unmanaged.passRetained(self).toOpaque()))
    }

    /// The calling thread runs no more Lua.
    static func stopWatchingThisThread() {
        release(luagw_watchdog_unregister())
    }

    private static func release(_ context: UnsafeMutableRawPointer?) {
        if let context { Unmanaged<BlockedLoopReports>.fromOpaque(context).release() }
    }

    private static let reporter: luagw_blocked_reporter = { context, report in
        guard let context, let report else { return }
        Unmanaged<BlockedLoopReports>.fromOpaque(context).takeUnretainedValue().tell(report.pointee)
    }

    private func tell(_ report: luagw_blocked_report) {
        if report.first != 0 { counters?.episodes.increment() }
        if report.ended != 0 { counters?.seconds.increment(by: report.seconds) }
        logger.warning("\(message(report))", metadata: ["request_id": "\(String(cString: report.id))"])
    }

    private func message(_ report: luagw_blocked_report) -> String {
        let call = report.call.pointee
        let name = Self.text(call.name), advice = Self.text(call.advice), whereItIs = Self.text(call.where)
        let seconds = String(format: "%.1f", report.seconds)
        let what = String(cString: report.what)
        var message = report.ended != 0
            ? "worker \(worker)'s event loop turns again after \(seconds) s blocked by \(what)"
            : "worker \(worker)'s event loop has been blocked for \(seconds) s by \(what)"
        if !name.isEmpty {
            message += (whereItIs.isEmpty ? "" : " in \(whereItIs)") + " (\(name): \(advice))"
        } else if !whereItIs.isEmpty {
            message += ": its Lua code went on at \(whereItIs) (a C function called just before blocked, or Lua computed there without yielding)"
        } else {
            message += ": its Lua code is in a C function that has not returned (a library that blocks), or computes where it cannot yield; where is logged when it returns"
        }
        if report.new_traceback != 0 { message += "\n" + Self.text(call.traceback) }
        return message
    }

    /// The NUL-terminated text of a C char array.
    private static func text<Chars>(_ chars: Chars) -> String {
        withUnsafeBytes(of: chars) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
