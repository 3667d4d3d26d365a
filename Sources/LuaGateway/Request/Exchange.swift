import NIOCore

/// One request and its response on a connection: what has arrived of the body, where
/// the request was routed, and how the response is framed. A connection has one, reset
/// for each request it serves.
final class Exchange {
    var head = RequestHead.none
    /// False for an answer to bytes that never made a request (400, 408, 431, 503 at connect).
    var hasRequest = true
    /// When the request's head arrived, its response's status and body bytes (the access log).
    var startTime = NIODeadline.distantPast
    /// Whether `--slow-request` has reported this request already.
    var slowReported = false
    var status = 0
    var bodyBytesSent = 0
    /// The client's address as a trusted proxy forwarded it (X-Forwarded-For), if any.
    var forwardedClient: String?
    var isHead = false
    /// A GET or HEAD: the request may be answered from `DIR/public/`.
    var isRead = false
    var isHTTP11 = true
    var requestID = ByteBuffer()

    // The request body, as it arrives.
    var body = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    var bufferedBytes = 0
    /// Body bytes received so far (for the body size limit).
    var receivedBytes = 0
    /// Body bytes dropped after the response (the application did not read them).
    var discardedBytes = 0
    /// The body's `Content-Length`, if it has one.
    var declaredBodyLength: Int?
    /// Why the rest of the body will not come, once that is known.
    var inputFailure: InputFailure?
    var bodyEnded = false
    var expectsContinue = false
    var continueSent = false

    // The application.
    /// The request waits in the pool's queue for a state.
    var waitsForState = false
    /// The generation of scripts the request was routed on.
    var generation = 0
    var mountIndex = 0
    /// Whether the request was routed to a mount (`mountIndex` is its).
    var isRouted = false
    /// The router's template below the mount that answered, when metrics are kept.
    var routeTemplate: String?
    var scriptNameLength = 0

    // The response.
    /// Whether the response may be followed by another on this connection: set before
    /// the head, the head says `Connection: close`; after it, the connection just closes.
    var keepAlive = true
    var headersSent = false
    var framing = BodyFraming.none

    // WebSocket (SPEC 12).
    /// The head asks for a WebSocket (and has no body): the decoder waits for the application's verdict.
    var mayUpgrade = false
    /// The application accepted it: the connection carries frames.
    var isWebSocket = false

    /// Starts the exchange of a new request.
    func reset(head: RequestHead) {
        self.head = head
        hasRequest = true
        slowReported = false
        isRouted = false
        routeTemplate = nil
        status = 0
        bodyBytesSent = 0
        forwardedClient = nil
        isHead = head.isHead
        isRead = isHead || head.method == "GET"
        isHTTP11 = head.isHTTP11
        requestID.clear()
        body.removeAll(keepingCapacity: true)
        bufferedBytes = 0
        receivedBytes = 0
        discardedBytes = 0
        declaredBodyLength = nil
        inputFailure = nil
        bodyEnded = false
        expectsContinue = false
        continueSent = false
        waitsForState = false
        keepAlive = head.keepAlive
        headersSent = false
        framing = .none
        mayUpgrade = false
        isWebSocket = false
    }

    /// The response head is on its way, with `status`.
    func headWritten(status: Int) {
        headersSent = true
        self.status = status
    }

    /// Starts an exchange for bytes that never made a request.
    func resetWithoutRequest() {
        reset(head: .none)
        hasRequest = false
        keepAlive = false
    }

    var requestIDString: String { String(buffer: requestID) }
}
