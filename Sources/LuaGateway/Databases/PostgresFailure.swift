import PostgresNIO

/// The message `nil, err` carries for a PostgreSQL failure (SPEC 13): the server's SQLSTATE and
/// message (`"23505: duplicate key value violates unique constraint ..."`), or for a connection
/// that failed or broke, what happened to it.
enum PostgresFailure {
    static func message(_ error: Error, server: PostgresServer) -> String {
        guard let error = error as? PSQLError else { return "postgres \(server.name): \(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            return "\(info[.sqlState] ?? "?????"): \(message)"
        }
        let reason = error.underlying.map { "\($0)" } ?? "\(error.code)"
        return "postgres \(server.name): \(error.code): \(reason)"
    }

}
