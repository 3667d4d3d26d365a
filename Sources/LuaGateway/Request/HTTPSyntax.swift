/// The character classes of RFC 9110 §5.6 and RFC 3986 that a request is checked against.
enum HTTPSyntax {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    /// `tchar`: the bytes of a token (methods, field names, transfer codings): letters, digits and
    /// ``!#$%&'*+-.^_`|~``, as a bit per byte value.
    @inline(__always)
    static func isTokenByte(_ byte: UInt8) -> Bool {
        let word: UInt64 = byte < 64 ? 0x03FF_6CFA_0000_0000 : byte < 128 ? 0x57FF_FFFF_C7FF_FFFE : 0
        return (word >> UInt64(byte & 63)) & 1 == 1
    }

    /// SP or HTAB: optional whitespace (OWS, BWS).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// A byte a field value may hold: VCHAR, obs-text, SP, HTAB (no other control byte, RFC 9110 §5.5).
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte >= 0x20 ? byte != 0x7F : byte == tab
    }

    /// A byte of a request target: visible ASCII (RFC 9112 §3.2; bytes past 0x7F must be percent-encoded).
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Whether `bytes` equal `lowercase` (ASCII, lower case) ignoring ASCII case.
    static func equalsIgnoringCase<Bytes: Collection>(_ bytes: Bytes, _ lowercase: StaticString) -> Bool
    where Bytes.Element == UInt8 {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        var other = lowercase.utf8Start
        for byte in bytes {
            let folded = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            if folded != other.pointee { return false }
            other += 1
        }
        return true
    }

    /// `bytes` without SP and HTAB at either end.
    static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> Bytes.SubSequence where Bytes.Element == UInt8 {
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, isWhitespace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isWhitespace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return bytes[start..<end]
    }

    /// Calls `body` with each element of a comma-separated list (RFC 9110 §5.6.1), trimmed, empty
    /// ones left out; allocates nothing.
    static func forEachListElement(_ bytes: UnsafeRawBufferPointer.SubSequence, _ body: (UnsafeRawBufferPointer.SubSequence) throws -> Void) rethrows {
        var start = bytes.startIndex
        while start <= bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.endIndex
            let element = trimmed(bytes[start..<end])
            if !element.isEmpty { try body(element) }
            start = end + 1
        }
    }
}
