import NIOHTTP1

/// What the server itself needs from a request's headers, found in one pass over them.
struct RequestHeadFacts {
    /// The incoming X-Request-Id, if any (checked for validity by the caller).
    var requestID: String?
    /// `Expect: 100-continue`.
    var expectsContinue = false
    /// The declared body length, when Content-Length is a number.
    var contentLength: Int?
    /// Bytes of all header names and values.
    var headerBytes = 0

    init(_ headers: HTTPHeaders) {
        for (name, value) in headers {
            headerBytes += name.utf8.count + value.utf8.count
            if name.isASCIICaseInsensitiveEqual(to: "content-length") {
                contentLength = Int(value)
            } else if name.isASCIICaseInsensitiveEqual(to: "x-request-id") {
                requestID = value
            } else if name.isASCIICaseInsensitiveEqual(to: "expect") {
                expectsContinue = value.isASCIICaseInsensitiveEqual(to: "100-continue")
            }
        }
    }
}
