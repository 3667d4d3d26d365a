import NIOCore

extension TimeAmount {
    /// A duration given in seconds (a flag, a Lua argument), fractions kept, clamped to
    /// 0 through a billion seconds so that it always fits.
    static func seconds(from seconds: Double) -> TimeAmount {
        .nanoseconds(Int64(min(max(seconds, 0), 1e9) * 1e9))
    }

    /// The shortest delay that lets the event loop turn: NIO runs the tasks that are due
    /// (and those given with `execute`) until none is left before it polls its sockets again;
    /// a task due this much later lets the loop serve its sockets first.
    static let oneLoopTurn = TimeAmount.microseconds(50)
}
