/// The request line `method SP request-target SP HTTP-version` (RFC 9112 §3), checked: a method
/// is any token, a target is visible ASCII in one of the forms its method allows, a version is
/// `HTTP/` DIGIT `.` DIGIT (another major version: 505).
struct RequestLine {
    var method: String
    /// The target without its fragment (RFC 9112 §3.2 has none; a client's `#...` is not the query's).
    var uri: String
    var minor: Int
    /// The authority of an absolute-form target, as a range of the head.
    var authority: Range<Int>?
    /// Where the path starts in `uri`: after an absolute-form target's authority, else 0.
    var pathStart = 0

    init(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws {
        var index = range.lowerBound
        while index < range.upperBound, HTTPSyntax.isTokenByte(raw[index]) { index += 1 }
        guard index > range.lowerBound, index < range.upperBound, raw[index] == HTTPSyntax.space else {
            throw MalformedRequest.badRequest("the method is not a token followed by a space")
        }
        method = Self.string(raw, range.lowerBound..<index)
        let targetStart = index + 1
        var targetEnd = targetStart, fragment: Int?
        while targetEnd < range.upperBound, raw[targetEnd] != HTTPSyntax.space {
            guard HTTPSyntax.isTargetByte(raw[targetEnd]) else {
                throw MalformedRequest.badRequest("invalid character in the request target")
            }
            if fragment == nil, raw[targetEnd] == UInt8(ascii: "#") { fragment = targetEnd }
            targetEnd += 1
        }
        guard targetEnd > targetStart, targetEnd < range.upperBound else {
            throw MalformedRequest.badRequest("the request line is not `method target HTTP/1.x`")
        }
        minor = try Self.minorVersion(raw, targetEnd + 1..<range.upperBound)
        let target = targetStart..<(fragment ?? targetEnd)
        uri = Self.string(raw, target)
        authority = try Self.checkForm(of: target, in: raw, method: method)
        if let authority { pathStart = authority.upperBound - targetStart }
    }

    /// `HTTP/1.x` gives x; a well-formed version of another major version is a 505.
    private static func minorVersion(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) throws -> Int {
        let at = range.lowerBound
        // Byte by byte: a generic `starts(with:)` over the UTF-8 view cost ~300 instructions a request.
        guard range.count == 8, raw[at] == UInt8(ascii: "H"), raw[at + 1] == UInt8(ascii: "T"),
              raw[at + 2] == UInt8(ascii: "T"), raw[at + 3] == UInt8(ascii: "P"), raw[at + 4] == UInt8(ascii: "/"),
              HTTPSyntax.isDigit(raw[at + 5]), raw[at + 6] == UInt8(ascii: "."), HTTPSyntax.isDigit(raw[at + 7]) else {
            throw MalformedRequest.badRequest("invalid HTTP version")
        }
        guard raw[at + 5] == UInt8(ascii: "1") else { throw MalformedRequest.versionNotSupported }
        return Int(raw[at + 7] - UInt8(ascii: "0"))
    }

    /// Origin-form (`/path?query`), asterisk-form (`*`, OPTIONS only) or absolute-form
    /// (`scheme://authority/path`, whose authority is returned). CONNECT's authority-form is
    /// refused on purpose: luagw is an origin server, not a tunnel (RFC 9110 §9.3.6).
    private static func checkForm(of target: Range<Int>, in raw: UnsafeRawBufferPointer, method: String) throws -> Range<Int>? {
        if method == "CONNECT" {
            throw MalformedRequest.notImplemented("CONNECT is not served: luagw is an origin server, not a tunnel")
        }
        guard let first = target.first else { throw MalformedRequest.badRequest("empty request target") }
        if raw[first] == UInt8(ascii: "/") { return nil }
        if target.count == 1, raw[first] == UInt8(ascii: "*") {
            guard method == "OPTIONS" else { throw MalformedRequest.badRequest("`*` is a target for OPTIONS only") }
            return nil
        }
        // absolute-form: scheme "://" authority [ "/" path ] [ "?" query ]
        var index = first
        while index < target.upperBound, isSchemeByte(raw[index], first: index == first) { index += 1 }
        guard index > first, raw[index...].starts(with: "://".utf8) else {
            throw MalformedRequest.badRequest("the request target is neither a path nor an absolute URI")
        }
        let authorityStart = index + 3
        var authorityEnd = authorityStart
        while authorityEnd < target.upperBound, raw[authorityEnd] != UInt8(ascii: "/"), raw[authorityEnd] != UInt8(ascii: "?") {
            authorityEnd += 1
        }
        let authority = raw[authorityStart..<authorityEnd]
        guard !authority.isEmpty, Authority.isValid(authority) else {
            throw MalformedRequest.badRequest("invalid authority in the request target")
        }
        return authorityStart..<authorityEnd
    }

    private static func isSchemeByte(_ byte: UInt8, first: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."): !first
        default: false
        }
    }

    private static func string(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: raw[range]), as: UTF8.self)
    }
}
