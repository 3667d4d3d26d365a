import NIOConcurrencyHelpers

/// Every database the applications have used, by kind, target and options: one `Database` for
/// each, shared by all workers and states (its connections are the process's, SPEC 13).
enum Databases {
    private static let all = NIOLockedValueBox<[String: Database]>([:])

    /// The database `luagw.sqlite.open` or `luagw.postgres.connect` named: for SQLite `options`
    /// is database.lua's "ro|rw BUSY-SECONDS", for PostgreSQL `PostgresServer` says; `tls`: the
    /// server's TLS client contexts (a PostgreSQL server's `sslmode`).
    static func named(kind: String, target: String, options: String,
                      tls: TLSClientContexts) -> Result<Database, DatabaseFailure> {
        all.withLockedValue { all in
            let key = "\(kind)\u{0}\(target)\u{0}\(options)" + (kind == "postgres" ? "\u{0}\(ObjectIdentifier(tls))" : "")
            if let database = all[key] { return .success(database) }
            let made = make(kind: kind, target: target, options: options, tls: tls)
            if case .success(let database) = made { all[key] = database }
            return made
        }
    }

    private static func make(kind: String, target: String, options: String,
                             tls: TLSClientContexts) -> Result<Database, DatabaseFailure> {
        switch kind {
        case "sqlite":
            let words = options.split(separator: " ")
            guard words.count == 2, let busy = Double(words[1]) else {
                return .failure(DatabaseFailure("luagw: bad options \(options)"))
            }
            return .success(SQLiteDatabase(path: target, readonly: words[0] == "ro", busyTimeout: busy))
        case "postgres":
            return Result { () throws(DatabaseFailure) in
                PostgresDatabase(server: try PostgresServer(target: target, options: options), tls: tls)
            }
        default:
            return .failure(DatabaseFailure("luagw: no database kind \(kind)"))
        }
    }
}
