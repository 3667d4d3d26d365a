import NIOCore
import PostgresNIO

/// A Lua string bound as a parameter of no stated type, in PostgreSQL's text form (as libpq's
/// `PQexecParams` without types): the server reads it as the type the statement needs there
/// (text, an integer, a timestamp ...).
struct PostgresUntypedText: PostgresNonThrowingEncodable, PostgresDynamicTypeEncodable {
    static var psqlType: PostgresDataType { PostgresDataType(0) }
    static var psqlFormat: PostgresFormat { .text }

    var bytes: ByteBuffer

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeImmutableBuffer(bytes)
    }
}
