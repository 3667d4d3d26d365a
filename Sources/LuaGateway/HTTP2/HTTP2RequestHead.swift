import NIOCore
import NIOHPACK

/// A stream's request head (SPEC 11) as the HTTP/1.1 parser checks it: the pseudo-headers
/// make the request line, `:authority` the Host field, every other field a field line. So an
/// HTTP/2 request meets the same checks and limits and fills environ the same way; the head
/// says HTTP/1.0 so that its response is framed by the end of the stream (no chunked coding,
/// no keep-alive), and is marked `isHTTP2` for environ and the access log.
enum HTTP2RequestHead {
    /// The head and its facts, or why the fields make no request.
    static func parse(_ headers: HPACKHeaders) -> RequestPart {
        guard let method = headers.first(name: ":method"), let path = headers.first(name: ":path") else {
            return .malformed(.badRequest("a request without :method or :path"), body: nil)
        }
        let authority = headers.first(name: ":authority")
        var bytes = ByteBuffer()
        bytes.writeString(method)
        bytes.writeStaticString(" ")
        bytes.writeString(path)
        bytes.writeStaticString(" HTTP/1.0\r\n")
        if let authority { writeLine(name: "host", value: authority, into: &bytes) }
        for (name, value, _) in headers where !name.hasPrefix(":") && !(authority != nil && name == "host") {
            writeLine(name: name, value: value, into: &bytes)
        }
        do {
            var parsed = try RequestHeadParser.parse(bytes)
            parsed.head.isHTTP2 = true
            return .head(parsed.head, parsed.facts)
        } catch {
            return .malformed(error as? MalformedRequest ?? .badRequest("\(error)"), body: nil)
        }
    }

    private static func writeLine(name: String, value: String, into bytes: inout ByteBuffer) {
        bytes.writeString(name)
        bytes.writeStaticString(": ")
        bytes.writeString(value)
        bytes.writeStaticString("\r\n")
    }
}
