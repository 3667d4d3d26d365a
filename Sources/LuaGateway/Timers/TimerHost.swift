import Logging
import NIOCore

/// The host of a timer's run (SPEC 7): no client, so no body to read and nothing to send;
/// a failure goes to the log, tagged `timer-ID`.
final class TimerHost: RequestHost {
    private let id: Int
    private let logger: Logger
    private let ended: () -> Void
    /// The runner, held while the timer runs (the host is the runner's only owner then).
    var runner: RequestRunner?

    init(id: Int, logger: Logger, ended: @escaping () -> Void) {
        self.id = id
        self.logger = logger
        self.ended = ended
    }

    func nextInput() -> RequestInput? { .end }

    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? { .stop }

    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? { .stop }

    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {}

    func fail(_ message: String, stopped: Bool) {
        logger.error("\(stopped ? "timer stopped" : "timer failed"): \(message)", metadata: ["request_id": "timer-\(id)"])
    }

    func flush() {}

    func requestEnded() {
        runner = nil
        ended()
    }
}
