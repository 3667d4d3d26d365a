import Foundation
import Logging
@testable import LuaGateway

/// A luagw server in this process on an ephemeral loopback port, serving scripts
/// written to a fresh temporary directory.
final class TestServer {
    let directory: URL
    private let scratch: ScratchDirectory
    let server: GatewayServer
    let port: Int

    /// `scripts` maps relative paths (`api/users.lua`) to their source; `configure` sets what
    /// no parameter does (`adminToken`).
    init(_ scripts: [String: String], workers: Int = 1, pool: PoolLimits = PoolLimits(initial: 1, maximum: 4, queue: 16),
         development: Bool = false, bodyBufferLimit: Int = 256 * 1024, file: String? = nil,
         reload: ReloadMode = .off, logger: Logger? = nil, limits: RequestLimits = RequestLimits(),
         lua: LuaLimits = LuaLimits(), accessLog: Int32? = nil, forwardedAllowIPs: Set<String> = [],
         bind: BindAddress = BindAddress(host: "127.0.0.1", port: 0), reusePort: Bool = false,
         maxTimers: Int = 1024, slowRequest: Double? = nil, admin: Bool = false,
         configure: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        let scratch = try ScratchDirectory("luagw-test")
        self.scratch = scratch
        let directory = scratch.url
        self.directory = directory
        for (path, source) in scripts { try scratch.write(path, source) }
        let target = file.map { directory.appendingPathComponent($0).path } ?? directory.path
        var quiet = Logger(label: "luagw-test")
        quiet.logLevel = .critical
        var configuration = GatewayConfiguration(target: target, bind: bind, workers: workers,
                                                 pool: pool, development: development, bodyBufferLimit: bodyBufferLimit,
                                                 reload: reload, limits: limits, lua: lua, accessLogDescriptor: accessLog,
                                                 forwardedAllowIPs: forwardedAllowIPs, reusePort: reusePort,
                                                 maxTimers: maxTimers)
        configuration.slowRequest = slowRequest
        if admin { configuration.admin = BindAddress(host: "127.0.0.1", port: 0) }
        configure(&configuration)
        server = try GatewayServer(configuration: configuration, logger: logger ?? quiet)
        port = try server.start().port
    }

    deinit {
        try? server.shutdown()
        scratch.remove()
    }

    func client() throws -> RawClient { try RawClient(port: port) }

    /// Writes (or overwrites) a script of the directory.
    func write(_ path: String, _ source: String) throws {
        try scratch.write(path, source)
    }

    /// GET `path` on a new connection.
    func get(_ path: String, headers: String = "") throws -> Response {
        try client().request("GET \(path) HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
    }
}
