/// Percent-decodes `encoded` into `output` (cleared first). A `%` not followed by two
/// hex digits stays as it is; `%2F` becomes `/`, as in CGI.
func percentDecode<S: Sequence>(_ encoded: S, into output: inout [UInt8]) where S.Element == UInt8 {
    output.removeAll(keepingCapacity: true)
    // Most paths have no escape: their bytes are copied in one step (iterating a string's UTF-8
    // view a byte at a time cost ~400 instructions a request).
    let copied = encoded.withContiguousStorageIfAvailable { bytes -> Bool in
        guard !bytes.contains(UInt8(ascii: "%")) else { return false }
        output.append(contentsOf: bytes)
        return true
    }
    if copied == true { return }
    var pending: (count: Int, high: UInt8, raw: (UInt8, UInt8)) = (0, 0, (0, 0))
    for byte in encoded {
        switch pending.count {
        case 0:
            if byte == UInt8(ascii: "%") { pending = (1, 0, (byte, 0)) } else { output.append(byte) }
        case 1:
            if let high = HTTPSyntax.hexValue(byte) {
                pending = (2, high, (pending.raw.0, byte))
            } else {
                output.append(pending.raw.0)
                pending.count = 0
                if byte == UInt8(ascii: "%") { pending = (1, 0, (byte, 0)) } else { output.append(byte) }
            }
        default:
            if let low = HTTPSyntax.hexValue(byte) {
                output.append(pending.high << 4 | low)
                pending.count = 0
            } else {
                output.append(pending.raw.0)
                output.append(pending.raw.1)
                pending.count = 0
                if byte == UInt8(ascii: "%") { pending = (1, 0, (byte, 0)) } else { output.append(byte) }
            }
        }
    }
    if pending.count >= 1 { output.append(pending.raw.0) }
    if pending.count == 2 { output.append(pending.raw.1) }
}
