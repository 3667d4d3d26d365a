import Logging
import NIOCore

/// The host of a run with no client (SPEC 7): a timer's, or a light thread's. No body to read
/// and nothing to send; a failure goes to the log, tagged with `requestID` (`timer-ID`, or the
/// request that spawned the thread).
final class ClientlessHost: RequestHost {
    /// What runs: "timer" or "light thread", for the log.
    private let kind: String
    private let requestID: String
    let runLabel: RunLabel
    private let logger: Logger
    private let ended: () -> Void
    /// The runner, held while it runs (the host is the runner's only owner then).
    var runner: RequestRunner?

    init(kind: String, requestID: String, logger: Logger, ended: @escaping () -> Void) {
        self.kind = kind
        self.requestID = requestID
        self.runLabel = .clientless(kind: kind, id: requestID)
        self.logger = logger
        self.ended = ended
    }

    func nextInput() -> RequestInput? { .end }

    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict? { .stop }

    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict? { .stop }

    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool) {}

    func fail(_ message: String, stopped: Bool) {
        logger.error("\(kind) \(stopped ? "stopped" : "failed"): \(message)", metadata: ["request_id": "\(requestID)"])
    }

    func flush() {}

    func requestEnded() {
        runner = nil
        ended()
    }
}
