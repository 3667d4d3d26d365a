import NIOCore
import NIOHTTP1

/// One request and its response on a connection: what has arrived of the body, what
/// the application waits for, and how the response is framed. A connection has one,
/// reset for each request it serves.
final class Exchange {
    /// What the request's application waits for, if anything.
    enum Waiting {
        case nothing
        case state
        case input
        case writable
        case fileWritten
        case timeSlice
    }

    var isActive = false
    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
    var isHead = false
    var isHTTP11 = true
    var requestID = ByteBuffer()

    // The request body, as it arrives.
    var body = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    var bufferedBytes = 0
    /// Body bytes received so far (for the body size limit).
    var receivedBytes = 0
    /// Why the rest of the body will not come, once that is known.
    var inputFailure: ApplicationCall.InputFailure?
    var bodyEnded = false
    var expectsContinue = false
    var continueSent = false

    // The application.
    var call: ApplicationCall?
    /// The generation of scripts the request was routed on.
    var generation = 0
    var mountIndex = 0
    var scriptNameLength = 0
    var waiting = Waiting.nothing
    /// Set when the application has finished and only the rest of the body is awaited.
    var isDraining = false

    // The response.
    var keepAlive = true
    var headersSent = false
    var framing = BodyFraming.none
    /// The response can't be followed by another on this connection.
    var mustClose = false

    /// Starts the exchange of a new request.
    func reset(head: HTTPRequestHead) {
        isActive = true
        self.head = head
        isHead = head.method == .HEAD
        isHTTP11 = head.version == .http1_1
        requestID.clear()
        body.removeAll(keepingCapacity: true)
        bufferedBytes = 0
        receivedBytes = 0
        inputFailure = nil
        bodyEnded = false
        expectsContinue = false
        continueSent = false
        call = nil
        waiting = .nothing
        isDraining = false
        keepAlive = head.isKeepAlive
        headersSent = false
        framing = .none
        mustClose = false
    }

    var requestIDString: String { String(buffer: requestID) }
}
