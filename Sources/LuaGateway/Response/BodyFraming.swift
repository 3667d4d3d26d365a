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

/// How a whole body (the application returned it in one piece) goes out (SPEC 1.3): the one
/// place of the rules that HTTP connections and `luagw cgi` share.
struct WholeBody {
    /// The Content-Length the server states: the body's length, unless the application declared
    /// one itself, or the status never has a body (1xx, 204, 304: a 304's length would have to be
    /// the GET representation's, which the server does not know).
    let lengthHeader: Int?
    /// Bytes of the body that go out: none for HEAD and bodiless statuses, else the body up to a
    /// declared Content-Length.
    let bytesToSend: Int
    /// The body is longer than the application's Content-Length (it is cut there).
    let isCut: Bool
    /// The body is shorter than the application's Content-Length (the connection cannot go on).
    let isShort: Bool

    init(code: Int, length: Int, declared: Int?, isHead: Bool) {
        let hasNoBody = !BodyFraming.allowsBody(code: code, isHead: false)
        lengthHeader = declared != nil || hasNoBody ? nil : length
        let sent = BodyFraming.allowsBody(code: code, isHead: isHead)
        let limit = declared ?? length
        bytesToSend = sent ? min(length, limit) : 0
        isCut = sent && length > limit
        isShort = sent && length < limit
    }
}
