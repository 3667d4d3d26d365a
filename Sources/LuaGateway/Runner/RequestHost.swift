import NIOCore

/// Where a request came from, as its runner sees it: an HTTP connection, a CGI program
/// (and, with SPEC 7's timers, no client at all). The runner carries the application
/// forward; the host supplies body bytes and takes the response.
protocol RequestHost: AnyObject {
    /// What the application reads next: body bytes, the end of the body, why the rest will
    /// not come, or `nil` when nothing is here yet (the host then calls the runner's
    /// `inputArrived` when something is).
    func nextInput() -> RequestInput?

    /// The body's declared length (`Content-Length`), if any: what a read of the whole body
    /// reserves room for.
    var declaredBodyLength: Int? { get }

    /// Sends a chunk of the response body (with the head when `hasHead`); the verdict
    /// for the application, or `nil` when it is to wait until the host calls the runner's
    /// `resume(_:)` (the client is slow to read).
    func send(_ call: ApplicationCall, hasHead: Bool) -> ApplicationCall.Verdict?

    /// Sends a file as the body, with the head; like `send`.
    func sendFile(_ call: ApplicationCall, path: String, offset: Int64, size: Int64) -> ApplicationCall.Verdict?

    /// The application returned: the head and a whole body, or the end of a streamed body.
    func finish(_ call: ApplicationCall, hasHead: Bool, hasBody: Bool)

    /// The application failed (`stopped`: by its run-time limit); the message has its traceback.
    func fail(_ message: String, stopped: Bool)

    /// The application waits now: what it sent meanwhile goes out.
    func flush()

    /// The request is over and its state is back in the pool.
    func requestEnded()

    /// What the run is called should it block its event loop.
    var runLabel: RunLabel { get }
}

extension RequestHost {
    var declaredBodyLength: Int? { nil }

    /// Runs whose threads the watchdog does not watch (`luagw cgi`'s) are never reported.
    var runLabel: RunLabel { RunLabel(id: ByteBuffer(), method: "", target: "a request") }
}

/// What a host gives a reading application.
enum RequestInput {
    case bytes(ByteBuffer)
    case end
    case failure(InputFailure)
}
