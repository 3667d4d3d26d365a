import NIOCore

/// A numeric's binary form (digit count, weight, sign, display scale, then base-10000 digits)
/// as PostgreSQL prints it: `-12.50` for scale 2, `NaN`, `Infinity`, `-Infinity`.
enum PostgresNumericText {
    static func text(_ bytes: inout ByteBuffer) -> String {
        guard let count = bytes.readInteger(as: Int16.self), let weight = bytes.readInteger(as: Int16.self),
              let sign = bytes.readInteger(as: UInt16.self), let scale = bytes.readInteger(as: Int16.self) else {
            return "NaN"
        }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        var digits: [Int] = []
        for _ in 0..<max(0, Int(count)) { digits.append(Int(bytes.readInteger(as: Int16.self) ?? 0)) }
        func digit(_ index: Int) -> Int { index >= 0 && index < digits.count ? digits[index] : 0 }
        var text = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            text += "0"
        } else {
            text += String(digit(0))
            for index in stride(from: 1, through: Int(weight), by: 1) { text += fourDigits(digit(index)) }
        }
        if scale > 0 {
            var fraction = ""
            var index = Int(weight) + 1
            while fraction.count < Int(scale) {
                fraction += fourDigits(digit(index))
                index += 1
            }
            text += "." + fraction.prefix(Int(scale))
        }
        return text
    }

    private static func fourDigits(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
