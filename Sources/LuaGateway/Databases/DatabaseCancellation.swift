import NIOConcurrencyHelpers

/// How a statement whose request ended is stopped: the operation cancels (on its event loop),
/// the database thread that runs the statement asks whether to start and says what to
/// interrupt. Either order works: a cancel before the start skips it, one during it interrupts.
final class DatabaseCancellation: Sendable {
    private let state = NIOLockedValueBox<(cancelled: Bool, interrupt: (@Sendable () -> Void)?)>((false, nil))

    /// Whether the request ended: its answer is not wanted.
    var isCancelled: Bool { state.withLockedValue { $0.cancelled } }

    /// The request ended: the statement is not started, or `interrupt` is called now.
    func cancel() {
        let interrupt = state.withLockedValue { state -> (@Sendable () -> Void)? in
            state.cancelled = true
            return state.interrupt
        }
        interrupt?()
    }

    /// Whether the statement may start; `interrupt` stops it until `finished` is called.
    func starting(interrupt: @escaping @Sendable () -> Void) -> Bool {
        state.withLockedValue { state in
            guard !state.cancelled else { return false }
            state.interrupt = interrupt
            return true
        }
    }

    func finished() {
        state.withLockedValue { $0.interrupt = nil }
    }
}
