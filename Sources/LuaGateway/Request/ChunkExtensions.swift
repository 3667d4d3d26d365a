/// Chunk extensions (RFC 9112 §7.1.1), checked only: luagw gives them no meaning.
enum ChunkExtensions {
    static func areValid(_ raw: UnsafeRawBufferPointer, from start: Int) -> Bool {
        var index = start
        func skipWhitespace() { while index < raw.count, HTTPSyntax.isWhitespace(raw[index]) { index += 1 } }
        func skipToken() -> Bool {
            let first = index
            while index < raw.count, HTTPSyntax.isTokenByte(raw[index]) { index += 1 }
            return index > first
        }
        while index < raw.count {
            skipWhitespace()
            guard index < raw.count, raw[index] == UInt8(ascii: ";") else { return false }
            index += 1
            skipWhitespace()
            guard skipToken() else { return false }
            let afterName = index
            skipWhitespace()
            guard index < raw.count, raw[index] == UInt8(ascii: "=") else {
                index = afterName  // whitespace is allowed only before the next ";"
                continue
            }
            index += 1
            skipWhitespace()
            if index < raw.count, raw[index] == UInt8(ascii: "\"") {
                guard skipQuotedString(raw, &index) else { return false }
            } else if !skipToken() {
                return false
            }
        }
        return true
    }

    /// `DQUOTE *( qdtext / quoted-pair ) DQUOTE` (RFC 9110 §5.6.4), `index` at the opening quote.
    private static func skipQuotedString(_ raw: UnsafeRawBufferPointer, _ index: inout Int) -> Bool {
        index += 1
        while index < raw.count {
            let byte = raw[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return true
            }
            if byte == UInt8(ascii: "\\") {
                index += 1
                guard index < raw.count, HTTPSyntax.isFieldValueByte(raw[index]) else { return false }
            } else if !HTTPSyntax.isFieldValueByte(byte) {
                return false
            }
            index += 1
        }
        return false
    }
}
