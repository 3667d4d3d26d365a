/// Where luagw answers an llhttp vector otherwise than llhttp parses it, on purpose, with the
/// clause that allows it. Everything else must match llhttp (ConformanceTests); docs/http.md lists
/// the same differences for users.
enum Differences {
    struct Difference {
        let title: String
        let why: String
        let expectation: ConformanceExpectation
    }

    private static func refused(_ code: Int) -> ConformanceExpectation {
        ConformanceExpectation(served: [], then: .refusalWith(code))
    }

    private static let connect = "CONNECT is refused on purpose (501): luagw is an origin server, not a tunnel (RFC 9110 §9.3.6)"
    private static let notHTTP = "RTSP and ICE are other protocols than HTTP/1.x: 400"
    private static let codings = "a transfer coding before chunked is one luagw does not decode: 501 (RFC 9112 §6.1)"

    static let all: [Difference] = [
        Difference(title: "invalid.md: HTTP protocol and ANNOUNCE method",
                   why: "any token is a method (RFC 9110 §9.1): the application decides which it serves",
                   expectation: ConformanceExpectation(served: [announce], then: .end)),
        Difference(title: "method.md: CONNECT request", why: connect, expectation: refused(501)),
        Difference(title: "method.md: CONNECT request with CAPS", why: connect, expectation: refused(501)),
        Difference(title: "method.md: CONNECT with body", why: connect, expectation: refused(501)),
        Difference(title: "uri.md: Underscore in hostname", why: connect, expectation: refused(501)),
        Difference(title: "method.md: M-SEARCH request",
                   why: "the asterisk-form target is for OPTIONS only (RFC 9112 §3.2.4); SSDP is not HTTP over TCP: 400",
                   expectation: refused(400)),
        Difference(title: "method.md: SOURCE request with ICE", why: notHTTP, expectation: refused(400)),
        Difference(title: "method.md: OPTIONS request with RTSP", why: notHTTP, expectation: refused(400)),
        Difference(title: "method.md: ANNOUNCE request with RTSP", why: notHTTP, expectation: refused(400)),
        Difference(title: "sample.md: No HTTP version",
                   why: "an HTTP/0.9 simple request (no version) is not served: 400 (RFC 9112 §3)",
                   expectation: refused(400)),
        Difference(title: "transfer-encoding.md: POST with `chunked` as last transfer-encoding", why: codings,
                   expectation: refused(501)),
        Difference(title: "transfer-encoding.md: POST with `chunked` as last transfer-encoding (multiple headers)",
                   why: codings, expectation: refused(501)),
        Difference(title: "uri.md: `host:port` and basic auth",
                   why: "user information in an http URI is an error (RFC 9110 §4.2.4): 400",
                   expectation: refused(400)),
    ]

    /// `ANNOUNCE /music/sweet/music HTTP/1.0` with its Host, as the application sees it.
    private static let announce: LLHTTPVector.Message = {
        var message = LLHTTPVector.Message()
        message.method = Array("ANNOUNCE".utf8)
        message.url = Array("/music/sweet/music".utf8)
        message.fields = [(Array("Host".utf8), Array("example.com".utf8))]
        message.isHTTP11 = false
        return message
    }()

    static func expectation(for vector: LLHTTPVector) -> ConformanceExpectation {
        if let difference = all.first(where: { vector.name == $0.title }) { return difference.expectation }
        switch vector.ending {
        case .clean: return ConformanceExpectation(served: vector.messages, then: .end)
        case .error(let reason) where reason.hasPrefix("Data after `Connection: close`"):
            // Bytes after a request that closes the connection are not read: nothing answers them.
            return ConformanceExpectation(served: vector.messages, then: .end)
        case .error: return ConformanceExpectation(served: vector.messages, then: .refusal)
        case .pause, .unfinished: return ConformanceExpectation(served: vector.messages, then: .noApplication)
        }
    }
}
