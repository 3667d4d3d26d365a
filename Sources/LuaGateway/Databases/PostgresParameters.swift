import NIOCore
import PostgresNIO

/// database.lua's parameters (a u32 count, then each tagged: 0 null, 1 int64, 2 double,
/// 3 u32-length string, 4 boolean byte) bound for PostgreSQL's extended protocol, never spliced
/// into the SQL: integers as int8, floats as float8, booleans as bool, strings untyped in text
/// form, except those that cannot be text (a NUL byte, or not UTF-8), bound as bytea.
enum PostgresParameters {
    static func bindings(_ encoded: ByteBuffer) throws(DatabaseFailure) -> PostgresBindings {
        var encoded = encoded
        guard let count = encoded.readInteger(endianness: .little, as: UInt32.self) else { throw malformed }
        var bindings = PostgresBindings(capacity: Int(count))
        for _ in 0..<count {
            switch encoded.readInteger(as: UInt8.self) {
            case 0:
                bindings.appendNull()
            case 1:
                guard let value = encoded.readInteger(endianness: .little, as: Int64.self) else { throw malformed }
                bindings.append(value)
            case 2:
                guard let bits = encoded.readInteger(endianness: .little, as: UInt64.self) else { throw malformed }
                bindings.append(Double(bitPattern: bits))
            case 3:
                guard let length = encoded.readInteger(endianness: .little, as: UInt32.self),
                      let bytes = encoded.readSlice(length: Int(length)) else { throw malformed }
                if isText(bytes) {
                    bindings.append(PostgresUntypedText(bytes: bytes))
                } else {
                    bindings.append(PostgresData(type: .bytea, value: bytes))
                }
            case 4:
                guard let value = encoded.readInteger(as: UInt8.self) else { throw malformed }
                bindings.append(value != 0)
            default:
                throw malformed
            }
        }
        return bindings
    }

    private static var malformed: DatabaseFailure { DatabaseFailure("luagw: malformed parameters") }

    private static func isText(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { raw in
            !raw.contains(0) && String(validating: raw, as: UTF8.self) != nil
        }
    }
}
