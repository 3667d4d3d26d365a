/// What a client may send and how long it may take (SPEC 5); each is a flag of `luagw serve`.
public struct RequestLimits: Sendable {
    /// Bytes of the request target; longer gets 414.
    public var maxTargetBytes: Int
    /// Bytes of all header names and values together; more gets 431.
    public var maxHeaderBytes: Int
    /// Header fields; more gets 431.
    public var maxHeaderCount: Int
    /// Bytes of request body; more gets 413 (at once when Content-Length says so).
    public var maxBodyBytes: Int
    /// Seconds a kept-alive connection may wait for its next request.
    public var keepAliveTimeout: Double
    /// Seconds from a request's first byte (or the connection's start) to its whole header block.
    public var headerTimeout: Double
    /// Seconds an application may wait for body bytes that do not come.
    public var bodyTimeout: Double
    /// Connections served at once by the whole server; more are answered 503 and closed.
    public var maxConnections: Int
    /// Streams an HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS: SPEC 11).
    public var maxStreams = 100

    public init(maxTargetBytes: Int = 8 * 1024, maxHeaderBytes: Int = 64 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1 << 30, keepAliveTimeout: Double = 5, headerTimeout: Double = 10,
                bodyTimeout: Double = 30, maxConnections: Int = 10_000) {
        self.maxTargetBytes = maxTargetBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.keepAliveTimeout = keepAliveTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
    }
}

extension RequestLimits {
    /// Why a request is answered before any application sees it (SPEC 5), if it is: the
    /// status line of the refusal, and which limit (and the flag that sets it) was passed.
    func refusal(of head: RequestHead, facts: RequestHeadFacts) -> (status: String, detail: String)? {
        let target = head.uri.utf8.count
        if target > maxTargetBytes {
            return ("414 URI Too Long", "the target is \(target) bytes, more than --max-target (\(maxTargetBytes))")
        }
        if head.fields.count > maxHeaderCount {
            return ("431 Request Header Fields Too Large",
                    "\(head.fields.count) header fields, more than --max-headers (\(maxHeaderCount))")
        }
        if facts.headerBytes > maxHeaderBytes {
            return ("431 Request Header Fields Too Large",
                    "the header fields are \(facts.headerBytes) bytes, more than --max-header-bytes (\(maxHeaderBytes))")
        }
        if let length = facts.contentLength, length > maxBodyBytes {
            return ("413 Content Too Large", "the body is \(length) bytes, more than --max-body (\(maxBodyBytes))")
        }
        return nil
    }
}
