import NIOCore

/// Writes `value` in `radix` (10 or 16) as ASCII digits at `out`, zero-padded to `width`;
/// returns how many bytes it wrote (at most `max(20, width)`, which `out` must have room for).
func writeASCIIDigits(_ value: UInt64, radix: UInt64 = 10, width: Int = 1, to out: UnsafeMutableRawPointer) -> Int {
    var count = 1
    var n = value / radix
    while n > 0 {
        count += 1
        n /= radix
    }
    count = max(count, width)
    n = value
    for offset in stride(from: count - 1, through: 0, by: -1) {
        let digit = UInt8(truncatingIfNeeded: n % radix)
        out.storeBytes(of: digit < 10 ? 0x30 + digit : 0x57 + digit, toByteOffset: offset, as: UInt8.self)
        n /= radix
    }
    return count
}

extension ByteBuffer {
    /// Writes `value` in `radix` (10 or 16) as ASCII digits, zero-padded to `width`; allocates
    /// nothing (beyond the buffer's own growth).
    mutating func writeDigits(_ value: UInt64, radix: UInt64 = 10, width: Int = 1) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: max(20, width)) { free in
            writeASCIIDigits(value, radix: radix, width: width, to: free.baseAddress!)
        }
    }
}
