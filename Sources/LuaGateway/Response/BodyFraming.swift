/// How a response body is delimited on the wire (SPEC 1.3).
enum BodyFraming: Equatable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    /// Exactly this many bytes remain to be sent.
    case length(remaining: Int)
    /// Chunked transfer coding (HTTP/1.1).
    case chunked
    /// The body ends when the connection closes (HTTP/1.0).
    case untilClose

    /// Whether a response with `code` to a `method` request may have a body.
    static func allowsBody(code: Int, isHead: Bool) -> Bool {
        !(isHead || (100..<200).contains(code) || code == 204 || code == 304)
    }

    /// The framing of a streamed body whose total is `declared` (the application's
    /// Content-Length) or unknown.
    static func forStream(code: Int, declared: Int?, isHead: Bool, isHTTP11: Bool) -> BodyFraming {
        guard allowsBody(code: code, isHead: isHead) else { return .none }
        if let declared { return .length(remaining: declared) }
        return isHTTP11 ? .chunked : .untilClose
    }
}
