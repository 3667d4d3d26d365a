import NIOCore

/// Checks a request head against RFC 9110/9112 and tells how its body is framed. Whatever it
/// refuses never reaches Lua: a malformed line, field or target is a 400, a transfer coding the
/// server cannot decode a 501, another major version a 505.
enum RequestHeadParser {
    /// How the request's body is delimited (RFC 9112 §6.3).
    enum Body: Equatable {
        case none
        case length(Int)
        case chunked
    }

    struct Parsed {
        var head: RequestHead
        var facts: RequestHeadFacts
        var body: Body
    }

    /// Parses `bytes`: the request line and the field lines, each ending in CRLF (the decoder has
    /// checked that every LF follows a CR), without the empty line that ends the head.
    /// `checkingFields: false` checks each line but not the fields together (a head cut short).
    static func parse(_ bytes: ByteBuffer, checkingFields: Bool = true) throws -> Parsed {
        try bytes.withUnsafeReadableBytes { raw in
            var lines = HeadLines(raw)
            guard let requestLine = lines.next() else { throw MalformedRequest.badRequest("no request line") }
            let line = try RequestLine(raw, requestLine)
            var fields = FieldScan()
            var parsedFields: [RequestHead.Field] = []
            parsedFields.reserveCapacity(16)
            while let range = lines.next() {
                var field = try parseField(raw, range)
                fields.note(&field, in: raw)
                parsedFields.append(field)
            }
            let isHTTP11 = line.minor >= 1
            var facts = checkingFields ? try fields.facts(isHTTP11: isHTTP11, in: raw) : RequestHeadFacts()
            facts.webSocketUpgrade = facts.webSocketUpgrade && line.method == "GET"
            facts.hasBody = fields.body != .none
            let head = RequestHead(method: line.method, uri: line.uri, isHTTP11: isHTTP11,
                                   keepAlive: fields.keepAlive(isHTTP11: isHTTP11) && !facts.mustClose,
                                   bytes: bytes, fields: parsedFields, authority: line.authority ?? fields.host,
                                   pathStart: line.pathStart)
            return Parsed(head: head, facts: facts, body: fields.body)
        }
    }

    /// A field line `name ":" OWS value OWS` (RFC 9112 §5). No whitespace before the colon, no
    /// line folding (RFC 9112 §5.1, §5.2: 400), no control byte in the value.
    static func parseField(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> RequestHead.Field {
        guard let first = range.first, !HTTPSyntax.isWhitespace(raw[first]) else {
            throw MalformedRequest.badRequest("a header line starts with whitespace (obsolete line folding is not accepted)")
        }
        var colon = range.lowerBound, underscore = false
        while colon < range.upperBound, HTTPSyntax.isTokenByte(raw[colon]) {
            if raw[colon] == UInt8(ascii: "_") { underscore = true }
            colon += 1
        }
        guard colon < range.upperBound, raw[colon] == UInt8(ascii: ":"), colon > range.lowerBound else {
            throw MalformedRequest.badRequest("invalid header field name")
        }
        let value = HTTPSyntax.trimmed(raw[(colon + 1)..<range.upperBound])
        guard value.allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw MalformedRequest.badRequest("invalid character in the value of a header field")
        }
        return RequestHead.Field(name: range.lowerBound..<colon, value: value.startIndex..<value.endIndex,
                                 role: underscore ? .hidden : .header)
    }
}
