import NIOCore
import PostgresNIO

/// Where and how `luagw.postgres.connect` reaches a PostgreSQL server: luagw.postgres.lua
/// sends the server, user and database as the target (fields joined by NUL bytes: host, port,
/// user, database) and the rest as the options ("SSLMODE POOL PASSWORD", the password last and
/// possibly with spaces).
struct PostgresServer: Sendable {
    enum SSLMode: String, Sendable {
        case disable, require
        case verifyFull = "verify-full"
    }

    let host: String
    let port: Int
    let user: String
    let database: String
    let password: String?
    let sslMode: SSLMode
    /// Connections per worker.
    let pool: Int

    init(target: String, options: String) throws(DatabaseFailure) {
        let fields = target.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        let words = options.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4, let port = Int(fields[1]), words.count == 3, let sslMode = SSLMode(rawValue: words[0]),
              let pool = Int(words[1]), pool > 0 else {
            throw DatabaseFailure("luagw: bad postgres target or options")
        }
        (host, self.port, user, database) = (fields[0], port, fields[2], fields[3])
        (self.sslMode, self.pool) = (sslMode, pool)
        password = words[2].isEmpty ? nil : words[2]
    }

    /// The configuration of a connection: TLS with `context` when `sslmode` asks for it, the
    /// session's time zone UTC (timestamps read back as ISO 8601 in UTC, SPEC 13), a gone
    /// client looked for each second.
    func configuration(tls context: NIOSSLContext?) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if host.hasPrefix("/") {
            configuration = .init(unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password,
                                  database: database)
        } else {
            configuration = .init(host: host, port: port, username: user, password: password, database: database,
                                  tls: context.map { .require($0) } ?? .disable)
        }
        // A statement of a request that ended is stopped by closing its connection: the session
        // looks for its client every second while it runs, and ends then.
        configuration.options.additionalStartupParameters = [("TimeZone", "UTC"),
                                                             ("client_connection_check_interval", "1000")]
        return configuration
    }

    /// How the server's certificate is checked, nil without TLS.
    var verification: TLSClientContexts.Verification? {
        switch sslMode {
        case .disable: nil
        case .require: TLSClientContexts.Verification.none
        case .verifyFull: .full
        }
    }

    /// Who the failures name: `user@host:port/database`.
    var name: String { "\(user)@\(host):\(port)/\(database)" }
}
