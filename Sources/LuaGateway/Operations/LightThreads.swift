import NIOCore

/// The light threads of one request (SPEC 7's `luagw.thread`, OpenResty's `ngx.thread`): each
/// runs on a coroutine of the request's state with a runner of its own (`ClientlessHost`: no
/// client), so that several calls of one request wait at once. The request waits for the first
/// of some threads to finish (`wait`), or kills one; those still running when the request ends
/// are killed. A thread's sockets are its own: they are closed when it ends.
final class LightThreads {
    private unowned let context: OperationContext
    private var running: [Int: RequestRunner] = [:]
    /// The request's wait, if it waits: the threads it waits for, and what it resumes with.
    private var waiter: (ids: Set<Int>, completion: Operations.Completion)?

    init(context: OperationContext) {
        self.context = context
    }

    /// Starts thread `id` of `state` (its function is in thread.lua's table) and runs it until
    /// it waits or finishes.
    func spawn(id: Int, on state: LuaState, requestID: String) {
        let host = ClientlessHost(kind: "light thread", requestID: requestID, logger: context.logger) { [weak self] in
            self?.ended(id)
        }
        let runner = RequestRunner(host: host, eventLoop: context.eventLoop, sockets: context.sockets,
                                   timers: context.timers, logger: context.logger, webSockets: context.webSockets) { _ in }
        host.runner = runner
        running[id] = runner
        runner.startThread(on: state, id: id)
    }

    /// Completes with the id of the first of `ids` to finish (at once when one of them has).
    func wait(for ids: Set<Int>, completion: @escaping Operations.Completion) -> Operation {
        if let done = ids.first(where: { running[$0] == nil }) {
            completion([.integer(done)])
            return FinishedOperation.shared
        }
        waiter = (ids, completion)
        return ThreadWaiting(threads: self)
    }

    /// Kills thread `id` if it still runs; whether it did.
    func kill(_ id: Int) -> Bool {
        guard let runner = running.removeValue(forKey: id) else { return false }
        runner.stop()
        return true
    }

    /// The request ended: every thread still running is killed.
    func killAll() {
        waiter = nil
        for id in Array(running.keys) { _ = kill(id) }
    }

    fileprivate func stopWaiting() {
        waiter = nil
    }

    private func ended(_ id: Int) {
        running[id] = nil
        guard let waiting = waiter, waiting.ids.contains(id) else { return }
        waiter = nil
        waiting.completion([.integer(id)])
    }
}

/// The request's wait for its threads, cancelled when the request ends first.
private final class ThreadWaiting: Operation {
    private weak var threads: LightThreads?

    init(threads: LightThreads) {
        self.threads = threads
    }

    func cancel() {
        threads?.stopWaiting()
    }
}
