import NIOCore
import PostgresNIO

/// One cell of a PostgreSQL row (binary form, as postgres-nio asks for) written as database.lua
/// decodes it (SPEC 13's types): a tag, then 1 int64 (int2/4/8, oid), 2 double (float4/8),
/// 4 boolean byte, 0 NULL, or 3 a u32-length string: bytea and text as they are, timestamps as
/// ISO 8601 in UTC, date, numeric and uuid as PostgreSQL prints them, jsonb as its text, and
/// any other type as the bytes of its binary form (the text itself for enums, json, xml).
enum PostgresCells {
    static func write(_ cell: PostgresCell, to out: inout ByteBuffer) {
        guard var bytes = cell.bytes else {
            out.writeInteger(UInt8(0))
            return
        }
        switch cell.dataType.rawValue {
        case 21: integer(bytes.readInteger(as: Int16.self).map(Int64.init), to: &out)
        case 23: integer(bytes.readInteger(as: Int32.self).map(Int64.init), to: &out)
        case 20: integer(bytes.readInteger(as: Int64.self), to: &out)
        case 26: integer(bytes.readInteger(as: UInt32.self).map(Int64.init), to: &out)
        case 700: real(bytes.readInteger(as: UInt32.self).map { Double(Float(bitPattern: $0)) }, to: &out)
        case 701: real(bytes.readInteger(as: UInt64.self).map { Double(bitPattern: $0) }, to: &out)
        case 16:
            out.writeInteger(UInt8(4))
            out.writeInteger(UInt8(bytes.readInteger(as: UInt8.self) == 1 ? 1 : 0))
        case 1114, 1184: string(PostgresTimeText.timestamp(bytes.readInteger(as: Int64.self) ?? 0), to: &out)
        case 1082: string(PostgresTimeText.date(bytes.readInteger(as: Int32.self) ?? 0), to: &out)
        case 1700: string(PostgresNumericText.text(&bytes), to: &out)
        case 2950: string(uuid(bytes), to: &out)
        case 3802:
            bytes.moveReaderIndex(forwardBy: min(1, bytes.readableBytes))  // jsonb's version byte
            write(bytes: bytes, to: &out)
        default: write(bytes: bytes, to: &out)
        }
    }

    private static func integer(_ value: Int64?, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(1))
        out.writeInteger(value ?? 0, endianness: .little)
    }

    private static func real(_ value: Double?, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(2))
        out.writeInteger((value ?? 0).bitPattern, endianness: .little)
    }

    private static func string(_ text: String, to out: inout ByteBuffer) {
        write(bytes: ByteBuffer(string: text), to: &out)
    }

    private static func write(bytes: ByteBuffer, to out: inout ByteBuffer) {
        out.writeInteger(UInt8(3))
        out.writeInteger(UInt32(bytes.readableBytes), endianness: .little)
        out.writeImmutableBuffer(bytes)
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case.
    private static func uuid(_ bytes: ByteBuffer) -> String {
        var text = ""
        for (index, byte) in bytes.readableBytesView.enumerated() {
            if [4, 6, 8, 10].contains(index) { text += "-" }
            text += String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
        }
        return text
    }
}
