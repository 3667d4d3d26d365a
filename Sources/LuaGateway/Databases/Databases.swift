import NIOConcurrencyHelpers

/// Every database the applications have used, by kind, target and options: one `Database` for
/// each, shared by all workers and states (its connections are the process's, SPEC 13).
enum Databases {
    private static let all = NIOLockedValueBox<[String: Database]>([:])

    /// The database `luagw.sqlite.open` named: `options` is database.lua's "ro|rw BUSY-SECONDS".
    static func named(kind: String, target: String, options: String) -> Result<Database, DatabaseFailure> {
        all.withLockedValue { all in
            let key = "\(kind)\u{0}\(target)\u{0}\(options)"
            if let database = all[key] { return .success(database) }
            guard kind == "sqlite" else { return .failure(DatabaseFailure("luagw: no database kind \(kind)")) }
            let words = options.split(separator: " ")
            guard words.count == 2, let busy = Double(words[1]) else {
                return .failure(DatabaseFailure("luagw: bad options \(options)"))
            }
            let database = SQLiteDatabase(path: target, readonly: words[0] == "ro", busyTimeout: busy)
            all[key] = database
            return .success(database)
        }
    }
}
