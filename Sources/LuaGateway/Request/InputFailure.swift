/// Why a request body cannot be completed: the application's read raises with these words
/// (after "wsgi.input: "); uncaught, it answers what the client caused (`status`).
enum InputFailure: CustomStringConvertible {
    case closed
    case tooLarge
    case timedOut
    case malformedChunkSize
    case malformedChunkEnd
    case malformedTrailer

    /// The response when the application does not catch the error its read raised: what
    /// the client caused, never a 500.
    var status: String {
        switch self {
        case .tooLarge: "413 Content Too Large"
        case .timedOut: "408 Request Timeout"
        case .closed, .malformedChunkSize, .malformedChunkEnd, .malformedTrailer: "400 Bad Request"
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
