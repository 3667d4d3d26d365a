/// Why a request body cannot be completed: the application's read raises with these words
/// (after "wsgi.input: "), and a malformed body is answered 400.
enum InputFailure: CustomStringConvertible {
    case closed
    case tooLarge
    case timedOut
    case malformedChunkSize
    case malformedChunkEnd
    case malformedTrailer

    /// Whether the client's bytes broke the body's framing (the answer is then 400).
    var isMalformed: Bool {
        switch self {
        case .malformedChunkSize, .malformedChunkEnd, .malformedTrailer: true
        case .closed, .tooLarge, .timedOut: false
        }
    }

    /// The words of the error the application's read raises (after "wsgi.input: ").
    var description: String {
        switch self {
        case .closed: "the client closed the connection before sending the whole body"
        case .tooLarge: "the request body is larger than the server accepts"
        case .timedOut: "the client stopped sending the body (timed out)"
        case .malformedChunkSize: "the request body's chunked coding is malformed: invalid chunk size or extension"
        case .malformedChunkEnd: "the request body's chunked coding is malformed: chunk data not followed by CRLF"
        case .malformedTrailer: "the request body's chunked coding is malformed: invalid trailer field"
        }
    }
}
