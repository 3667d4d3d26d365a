import NIOCore

/// One wait of a request on its child process (SPEC 5): unlike other waits, its time counts
/// towards the request's run time. It is bounded by what is left of that time; past it, the
/// child's process group is killed and the request resumes with `over` true (process.lua then
/// stops it as the run-time limit does: 504); otherwise with `over` false and the results.
final class ChildWait: Operation {
    private var completion: Operations.Completion?
    private let call: ApplicationCall
    private let child: ChildProcess
    private let started = NIODeadline.now()
    private var deadline: Scheduled<Void>?
    /// Stops what the wait waits for when the request ends first.
    var onCancel: (() -> Void)?

    init(call: ApplicationCall, child: ChildProcess, completion: @escaping Operations.Completion) {
        self.call = call
        self.child = child
        self.completion = completion
    }

    /// Seconds of run time the request has left, for waits that take a timeout of their own.
    var timeLeft: TimeAmount { .seconds(from: max(0, call.runTimeLeft)) }

    /// Starts the run-time bound, unless the wait is over already (it completed at once).
    func arm() -> Operation {
        guard completion != nil else { return FinishedOperation.shared }
        deadline = child.eventLoop.scheduleTask(in: timeLeft) { [self] in overrun() }
        return self
    }

    /// The wait is over in time: the request resumes with `false, results...`.
    func finish(_ results: [OperationValue]) {
        takeCompletion()?([.boolean(false)] + results)
    }

    /// The request's run time ran out: the child is killed, the request resumes with `true`.
    func overrun() {
        guard let done = takeCompletion() else { return }
        child.kill()
        done([.boolean(true)])
    }

    func cancel() {
        completion = nil
        deadline?.cancel()
        onCancel?()
        onCancel = nil
    }

    private func takeCompletion() -> Operations.Completion? {
        guard let done = completion else { return nil }
        completion = nil
        deadline?.cancel()
        onCancel = nil
        call.charge(seconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9)
        return done
    }
}
