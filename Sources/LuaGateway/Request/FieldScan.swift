/// What the header fields of one head say about the request as a whole, collected field by field,
/// then checked together: Host (RFC 9112 §3.2), the body's framing (RFC 9112 §6), the connection
/// (RFC 9112 §9.3), `Expect`, `X-Request-Id`, `X-Forwarded-*`; and what each field is to environ.
/// The one place the fields' names are compared.
struct FieldScan {
    private var hosts = 0
    private(set) var host: Range<Int>?
    private var contentLengths: [Range<Int>] = []
    private var transferEncodings: [Range<Int>] = []
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var connectionUpgrade = false
    private var upgradeWebSocket = false
    private var expectsContinue = false
    private var requestID: Range<Int>?
    private var headerBytes = 0
    private(set) var body = RequestHeadParser.Body.none

    /// Notes what `field` says, and sets its role.
    mutating func note(_ field: inout RequestHead.Field, in raw: UnsafeRawBufferPointer) {
        let name = raw[field.name], value = raw[field.value]
        headerBytes += name.count + value.count
        guard field.role != .hidden else { return }
        switch name.count {
        case 4 where HTTPSyntax.equalsIgnoringCase(name, "host"):
            hosts += 1
            host = field.value
        case 6 where HTTPSyntax.equalsIgnoringCase(name, "expect"):
            expectsContinue = HTTPSyntax.equalsIgnoringCase(value, "100-continue")
        case 10 where HTTPSyntax.equalsIgnoringCase(name, "connection"):
            HTTPSyntax.forEachListElement(value) { token in
                if HTTPSyntax.equalsIgnoringCase(token, "close") { connectionClose = true }
                if HTTPSyntax.equalsIgnoringCase(token, "keep-alive") { connectionKeepAlive = true }
                if HTTPSyntax.equalsIgnoringCase(token, "upgrade") { connectionUpgrade = true }
            }
        case 7 where HTTPSyntax.equalsIgnoringCase(name, "upgrade"):
            HTTPSyntax.forEachListElement(value) { token in
                if HTTPSyntax.equalsIgnoringCase(token, "websocket") { upgradeWebSocket = true }
            }
        case 6 where HTTPSyntax.equalsIgnoringCase(name, "cookie"):
            field.role = .cookie
        case 12 where HTTPSyntax.equalsIgnoringCase(name, "x-request-id"):
            requestID = field.value
        case 12 where HTTPSyntax.equalsIgnoringCase(name, "content-type"):
            field.role = .contentType
        case 14 where HTTPSyntax.equalsIgnoringCase(name, "content-length"):
            contentLengths.append(field.value)
            field.role = .contentLength
        case 15 where HTTPSyntax.equalsIgnoringCase(name, "x-forwarded-for"):
            field.role = .forwardedFor
        case 17 where HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding"):
            transferEncodings.append(field.value)
        case 17 where HTTPSyntax.equalsIgnoringCase(name, "x-forwarded-proto"):
            field.role = .forwardedProto
        default:
            break
        }
    }

    func keepAlive(isHTTP11: Bool) -> Bool {
        isHTTP11 ? !connectionClose : connectionKeepAlive && !connectionClose
    }

    /// Checks the fields together and decides the body's framing.
    mutating func facts(isHTTP11: Bool, in raw: UnsafeRawBufferPointer) throws -> RequestHeadFacts {
        if isHTTP11 && hosts == 0 { throw MalformedRequest.badRequest("an HTTP/1.1 request must have a Host header") }
        if hosts > 1 { throw MalformedRequest.badRequest("more than one Host header") }
        if let host, !Authority.isValid(raw[host]) { throw MalformedRequest.badRequest("invalid Host header") }
        var facts = RequestHeadFacts()
        facts.headerBytes = headerBytes
        facts.expectsContinue = expectsContinue && isHTTP11
        facts.requestID = requestID.map { String(decoding: UnsafeRawBufferPointer(rebasing: raw[$0]), as: UTF8.self) }
        if !transferEncodings.isEmpty {
            if !contentLengths.isEmpty {
                throw MalformedRequest.badRequest("both Transfer-Encoding and Content-Length")
            }
            try checkTransferCodings(in: raw)
            body = .chunked
            // HTTP/1.0 has no transfer codings: the framing can't be trusted to end where a
            // 1.0 peer thinks it does, so the connection closes after it (RFC 9112 §6.1).
            facts.mustClose = !isHTTP11
        } else if let only = contentLengths.first {
            guard contentLengths.count == 1 else { throw MalformedRequest.badRequest("more than one Content-Length") }
            let digits = raw[only]
            guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(HTTPSyntax.isDigit) else {
                throw MalformedRequest.badRequest("invalid Content-Length")
            }
            let length = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            facts.contentLength = length
            body = length > 0 ? .length(length) : .none
        }
        if case .none = body { facts.webSocketUpgrade = isHTTP11 && upgradeWebSocket && connectionUpgrade }
        return facts
    }

    /// `chunked` must be the final coding and appear once (else 400); any coding before it is
    /// one the server does not decode (501). RFC 9112 §6.1, §7.
    private func checkTransferCodings(in raw: UnsafeRawBufferPointer) throws {
        var codings: [UnsafeRawBufferPointer.SubSequence] = []
        for range in transferEncodings {
            try HTTPSyntax.forEachListElement(raw[range]) { element in
                let name = HTTPSyntax.trimmed(element.prefix { $0 != UInt8(ascii: ";") })
                guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenByte) else {
                    throw MalformedRequest.badRequest("invalid Transfer-Encoding")
                }
                codings.append(name)
            }
        }
        guard let last = codings.last else { throw MalformedRequest.badRequest("empty Transfer-Encoding") }
        guard HTTPSyntax.equalsIgnoringCase(last, "chunked") else {
            throw MalformedRequest.badRequest("chunked is not the final transfer coding: the body's length can't be known")
        }
        for coding in codings.dropLast() {
            if HTTPSyntax.equalsIgnoringCase(coding, "chunked") {
                throw MalformedRequest.badRequest("chunked applied more than once")
            }
            throw MalformedRequest.notImplemented(
                "transfer coding \(String(decoding: UnsafeRawBufferPointer(rebasing: coding), as: UTF8.self)) is not supported")
        }
    }
}
