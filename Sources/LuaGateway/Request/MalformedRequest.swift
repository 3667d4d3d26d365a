/// Why bytes from a client do not make an acceptable request, and the status that says so
/// (SPEC 5: malformed requests get 400, or 414, 431, 501, 505 where those fit, and never reach Lua).
struct MalformedRequest: Error, Equatable {
    /// The status line's code and reason, `"400 Bad Request"`.
    let status: String
    /// What was wrong, in words a client's developer can act on.
    let reason: String

    static func badRequest(_ reason: String) -> MalformedRequest {
        MalformedRequest(status: "400 Bad Request", reason: reason)
    }

    static func notImplemented(_ reason: String) -> MalformedRequest {
        MalformedRequest(status: "501 Not Implemented", reason: reason)
    }

    static let versionNotSupported = MalformedRequest(status: "505 HTTP Version Not Supported",
                                                      reason: "only HTTP/1.x is served")
    static let headTooLarge = MalformedRequest(status: "431 Request Header Fields Too Large",
                                               reason: "the request head is larger than the server accepts")
    static let targetTooLong = MalformedRequest(status: "414 URI Too Long",
                                                reason: "the request line is longer than the server accepts")
}
