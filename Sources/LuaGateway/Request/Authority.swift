/// The `host [":" port]` of a Host field or an absolute-form target (RFC 9110 §7.2, RFC 3986 §3.2):
/// an IP literal in brackets, or a name of unreserved, percent-encoded and sub-delimiter bytes;
/// a port of digits. No user information (`user@host`), no path, no whitespace.
enum Authority {
    /// Whether `bytes` are a valid authority; an empty one is valid (RFC 9112 §3.2).
    static func isValid<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var bytes = bytes[...]
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy(isIPLiteralByte) else { return false }
            bytes = bytes[bytes.index(after: close)...]
            guard bytes.isEmpty || bytes.first == UInt8(ascii: ":") else { return false }
        } else {
            let end = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            guard isRegisteredName(bytes[..<end]) else { return false }
            bytes = bytes[end...]
        }
        guard !bytes.isEmpty else { return true }
        return bytes.dropFirst().allSatisfy(HTTPSyntax.isDigit)  // `host:` (empty port) is allowed
    }

    /// reg-name (which includes IPv4 addresses): unreserved, pct-encoded, sub-delims.
    private static func isRegisteredName<Bytes: Collection>(_ name: Bytes) -> Bool where Bytes.Element == UInt8 {
        var index = name.startIndex
        while index < name.endIndex {
            let byte = name[index]
            if byte == UInt8(ascii: "%") {
                let first = name.index(after: index)
                guard first < name.endIndex, HTTPSyntax.hexValue(name[first]) != nil else { return false }
                let second = name.index(after: first)
                guard second < name.endIndex, HTTPSyntax.hexValue(name[second]) != nil else { return false }
                index = name.index(after: second)
                continue
            }
            guard isNameByte(byte) else { return false }
            index = name.index(after: index)
        }
        return true
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),  // unreserved
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),  // sub-delims
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    private static func isIPLiteralByte(_ byte: UInt8) -> Bool {
        HTTPSyntax.hexValue(byte) != nil || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "v") || byte == UInt8(ascii: "V")
    }
}
