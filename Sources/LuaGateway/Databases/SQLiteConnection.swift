internal import CLuaGatewayBridge
import NIOConcurrencyHelpers
import NIOCore

/// One SQLite connection (sqlite.c: WAL, a busy timeout, prepared statements kept) that runs
/// on the database threads; its lock keeps it to one thread at a time. Closed when released.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NIOLock()

    /// What a run answers: the encoded answer, SQLite's message, or that the statement writes
    /// and a reader's connection does not run it.
    enum Answer {
        case answer(ByteBuffer)
        case failure(String)
        case needsWriter
    }

    /// Opens (or creates) the file; call it on a database thread (it touches the disk).
    init(path: String, readonly: Bool, busyTimeout: Double) throws(DatabaseFailure) {
        var error = luagw_out()
        defer { luagw_out_free(&error) }
        guard let handle = luagw_sqlite_open(path, readonly ? 1 : 0, Int32(min(busyTimeout * 1000, Double(Int32.max))), &error) else {
            throw DatabaseFailure("cannot open \(path): \(Self.text(error))")
        }
        self.handle = handle
    }

    deinit {
        luagw_sqlite_close(handle)
    }

    /// Runs `statement`; with `readsOnly`, stops before a statement that would write.
    func run(_ statement: DatabaseStatement, readsOnly: Bool) -> Answer {
        lock.withLock {
            var out = luagw_out()
            defer { luagw_out_free(&out) }
            let status = statement.sql.withUnsafeReadableBytes { sql in
                statement.parameters.withUnsafeReadableBytes { parameters in
                    luagw_sqlite_run(handle, sql.baseAddress?.assumingMemoryBound(to: CChar.self), sql.count,
                                     parameters.baseAddress?.assumingMemoryBound(to: UInt8.self), parameters.count,
                                     statement.exec ? 1 : 0, readsOnly ? 1 : 0, &out)
                }
            }
            switch status {
            case 0:
                var bytes = ByteBuffer()
                bytes.writeBytes(UnsafeRawBufferPointer(start: out.data, count: out.length))
                return .answer(bytes)
            case 2:
                return .needsWriter
            default:
                return .failure(Self.text(out))
            }
        }
    }

    /// Stops the statement this connection runs now (SQLite's interrupt: safe from any thread);
    /// it ends with "interrupted".
    func interrupt() {
        luagw_sqlite_interrupt(handle)
    }

    /// Runs SQL of luagw's own (BEGIN, COMMIT...): nil, or SQLite's message.
    func run(_ sql: String) -> String? {
        if case .failure(let message) = run(.command(sql), readsOnly: false) { return message }
        return nil
    }


    private static func text(_ out: luagw_out) -> String {
        String(decoding: UnsafeRawBufferPointer(start: out.data, count: out.length), as: UTF8.self)
    }
}
