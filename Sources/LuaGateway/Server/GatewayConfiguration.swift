import NIOCore

/// Everything `luagw serve` can be told; each field is a flag of the CLI.
public struct GatewayConfiguration: Sendable {
    /// A directory of scripts, or one `.lua` file served at `/`.
    public var target: String
    /// Where to listen.
    public var bind: BindAddress
    /// The certificate and key the listener speaks TLS with (`--tls-cert`, `--tls-key`: SPEC 11);
    /// nil: cleartext HTTP.
    public var tls: TLSFiles?
    /// Event-loop threads; each has its own pool of Lua states.
    public var workers: Int
    /// The sizes of each worker's pool.
    public var pool: PoolLimits
    /// Development mode: a failing request's traceback is its response body.
    public var development: Bool
    /// Bytes of request body buffered for an application that is not reading, before
    /// the server stops reading the socket.
    public var bodyBufferLimit: Int
    /// What a client may send, and how long it may take.
    public var limits: RequestLimits
    /// Where the access log goes: a file descriptor (standard output, or a file the
    /// caller opened for appending), or nil for none.
    public var accessLogDescriptor: Int32?
    /// Peers (IP addresses, `unix` for any peer on a Unix domain socket, or `*` for any) whose
    /// X-Forwarded-For and X-Forwarded-Proto are believed for REMOTE_ADDR and wsgi.url_scheme;
    /// everyone else's are ignored.
    public var forwardedAllowIPs: Set<String>
    /// Let several processes listen on the same port (SO_REUSEPORT).
    public var reusePort: Bool
    /// Permissions given to a `unix:PATH` socket once bound (`--socket-mode`), if any.
    public var socketMode: UInt32?
    /// Group given to a `unix:PATH` socket once bound (`--socket-group`), if any.
    public var socketGroup: String?
    /// Where the admin listener (`/metrics`, `/status`, `/status.json`: SPEC 10) listens
    /// (`--admin`); nil: nowhere.
    public var admin: BindAddress?
    /// The bearer token every admin request must carry (`--admin-token`); nil: none asked.
    public var adminToken: String?
    /// Seconds after which a request still running is logged with where its Lua code is
    /// (`--slow-request`); nil: never.
    public var slowRequest: Double?
    /// What each Lua state may spend.
    public var lua: LuaLimits
    /// How changed scripts are noticed.
    public var reload: ReloadMode
    /// Seconds between two looks at the directory when polling.
    public var pollInterval: Double
    /// Bytes of keys and values each `luagw.shared` dictionary holds at most (SPEC 7).
    public var sharedCapacity: Int
    /// Timers pending at most per worker (SPEC 7); `luagw.timer.at` past it returns `nil, err`.
    public var maxTimers: Int
    /// PEM files of certificate authorities trusted besides the system's by `sslhandshake` and
    /// `luagw.http.request("https://...")` (SPEC 11, `--ca-file`).
    public var caFiles: [String] = []

    public init(target: String, bind: BindAddress = BindAddress(host: "127.0.0.1", port: 8080),
                workers: Int = GatewayConfiguration.defaultWorkers, pool: PoolLimits = PoolLimits(),
                development: Bool = false, bodyBufferLimit: Int = 256 * 1024,
                reload: ReloadMode = .watch, pollInterval: Double = 1.0, limits: RequestLimits = RequestLimits(),
                lua: LuaLimits = LuaLimits(), accessLogDescriptor: Int32? = nil,
                forwardedAllowIPs: Set<String> = [], reusePort: Bool = false, sharedCapacity: Int = 1 << 20,
                maxTimers: Int = 1024) {
        self.sharedCapacity = sharedCapacity
        self.maxTimers = maxTimers
        self.reusePort = reusePort
        self.forwardedAllowIPs = forwardedAllowIPs
        self.accessLogDescriptor = accessLogDescriptor
        self.target = target
        self.bind = bind
        self.workers = workers
        self.pool = pool
        self.development = development
        self.bodyBufferLimit = bodyBufferLimit
        self.limits = limits
        self.lua = lua
        if development { self.lua.lint = true }
        self.reload = reload
        self.pollInterval = pollInterval
    }
}

extension GatewayConfiguration {
    /// One worker per core.
    public static var defaultWorkers: Int { System.coreCount }
}

extension GatewayConfiguration {
    /// Whether a connection accepted on `local` from `remote` is a proxy whose forwarded
    /// headers are believed (`--forwarded-allow-ips`): `*`, its IP address, or `unix` for a
    /// peer on a Unix domain socket (which has no address to list).
    func trustsForwardedHeaders(from local: SocketAddress?, _ remote: RemotePeer) -> Bool {
        if forwardedAllowIPs.contains("*") { return true }
        if case .unixDomainSocket = local { return forwardedAllowIPs.contains("unix") }
        return forwardedAllowIPs.contains(remote.address)
    }
}
