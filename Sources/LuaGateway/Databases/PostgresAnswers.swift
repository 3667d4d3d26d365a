import NIOCore
import PostgresNIO

/// A PostgreSQL statement's result encoded for database.lua: a query's rows as 'R' (u32
/// columns, their names, u32 rows, the cells as `PostgresCells` writes them; no columns
/// without rows), an exec's count as 'C' (int64 changes).
enum PostgresAnswers {
    static func encode(_ result: PostgresQueryResult, exec: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        if exec {
            out.writeInteger(UInt8(ascii: "C"))
            out.writeInteger(Int64(result.metadata.rows ?? 0), endianness: .little)
            return out
        }
        out.writeInteger(UInt8(ascii: "R"))
        let first = result.rows.first.map { Array($0) } ?? []
        out.writeInteger(UInt32(first.count), endianness: .little)
        for cell in first {
            out.writeInteger(UInt32(cell.columnName.utf8.count), endianness: .little)
            out.writeString(cell.columnName)
        }
        out.writeInteger(UInt32(result.rows.count), endianness: .little)
        for row in result.rows {
            for cell in row { PostgresCells.write(cell, to: &out) }
        }
        return out
    }
}
