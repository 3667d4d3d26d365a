import NIOCore

extension ByteBuffer {
    /// Writes `value` in `radix` (10 or 16) as ASCII digits, zero-padded to `width` (at most
    /// 20); allocates nothing.
    mutating func writeDigits(_ value: UInt64, radix: UInt64 = 10, width: Int = 1) {
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var n = value
        withUnsafeMutableBytes(of: &digits) { raw in
            let out = raw.bindMemory(to: UInt8.self)
            repeat {
                let d = UInt8(n % radix)
                out[out.count - 1 - count] = d < 10 ? 0x30 + d : 0x57 + d
                n /= radix
                count += 1
            } while n > 0 || count < min(width, out.count)
            writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[(out.count - count)...]))
        }
    }
}
