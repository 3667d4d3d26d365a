import ArgumentParser
import LuaGateway
import Dispatch
import Foundation
import Logging

@main
struct Luagw: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "luagw",
        abstract: "A web gateway for Lua 5.4 applications: WSGI's model, on SwiftNIO.",
        version: GatewayVersion.string,
        subcommands: [Serve.self, CGI.self, NewProject.self, RunTests.self, LuaPath.self]
    )
}

/// `--ca-file`'s help, the same for `serve` and `cgi`.
private let caFileHelp: ArgumentHelp =
    "A PEM file of certificate authorities that sslhandshake and luagw.http's https: trust besides the system's (repeatable)."

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a directory of Lua scripts (or one script at /) over HTTP."
    )

    @Argument(help: "A directory of *.lua scripts (each mounted at its path), or one .lua file (mounted at /).")
    var target: String

    @Option(help: "Where to listen: HOST:PORT, [IPV6]:PORT, :PORT, or unix:PATH for a Unix domain socket.")
    var bind: String = "127.0.0.1:8080"

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS, TLS 1.2 and 1.3 only, with this PEM certificate file: the server's certificate, then its chain (certbot's /etc/letsencrypt/live/NAME/fullchain.pem). Needs --tls-key. Read again, with the key, on SIGHUP and when either file changes (--reload watch or poll); new connections get the new certificate, open ones go on.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert, without a passphrase (certbot's privkey.pem).")
    var tlsKey: String?

    @Flag(name: .customLong("reuse-port"), help: "Let several luagw processes listen on the same TCP port (SO_REUSEPORT). Refused with unix:PATH: there, let systemd hold the socket and pass it to each process (socket activation).")
    var reusePort = false

    @Option(name: .customLong("socket-mode"), help: "Permissions of a unix:PATH socket, in octal (e.g. 660, so that a proxy in the socket's group can connect).")
    var socketMode: String?

    @Option(name: .customLong("socket-group"), help: "Group of a unix:PATH socket (e.g. www-data, nginx's).")
    var socketGroup: String?

    @Option(name: .customLong("shared-capacity"), help: "Bytes of keys and values each luagw.shared dictionary holds at most; the least recently used entries go past it.")
    var sharedCapacity: Int = 1 << 20

    @Option(name: .customLong("max-timers"), help: "Pending luagw.timer timers per worker at most; luagw.timer.at past it returns nil, err.")
    var maxTimers: Int = 1024

    @Option(name: .customLong("socket-timeout"), help: "Seconds a luagw socket or HTTP-client call waits unless the application sets a timeout.")
    var socketTimeout: Double = 60

    @Option(name: .customLong("ca-file"), help: caFileHelp)
    var caFiles: [String] = []

    @Option(help: "Event-loop threads, each with its own pool of Lua states (default: the core count).")
    var workers: Int?

    /// `--workers`, or one per core.
    private var workerCount: Int { workers ?? GatewayConfiguration.defaultWorkers }

    @Option(help: "Lua states made per worker at start-up, every script loaded.")
    var states: Int = 1

    @Option(name: .customLong("requests-per-state"), help: "Requests one Lua state runs at once, each in a coroutine of its own (they interleave only where they wait); 1 gives each request a state of its own, for applications that keep per-request data in globals.")
    var requestsPerState: Int = 1000

    @Option(name: .customLong("max-states"), help: "Lua states per worker at most; a state is added when the others run --requests-per-state requests each.")
    var maxStates: Int = 8

    @Option(help: "Requests per worker that may wait for room on a state before the next gets 503 (a waiting request holds only its connection).")
    var queue: Int = 4096

    @Option(name: .customLong("state-max-requests"), help: "Requests a Lua state serves before it is replaced by a fresh one (plus up to a tenth more, drawn for each state, so that states are replaced one at a time); 0: never.")
    var stateMaxRequests: Int = 0

    @Option(name: .customLong("body-buffer"), help: "Bytes of request body held for an application that is not reading, before the server stops reading the socket.")
    var bodyBuffer: Int = 256 * 1024

    @Option(help: "How changed scripts are noticed: watch (inotify, polling where it is not available), poll, signal (SIGHUP only) or off. SIGHUP reloads in every mode but off.")
    var reload: String = "watch"

    @Option(name: .customLong("poll-interval"), help: "Seconds between two looks at the directory when polling.")
    var pollInterval: Double = 1.0

    @Option(name: .customLong("max-target"), help: "Bytes of a request target (path and query) at most; longer gets 414.")
    var maxTarget: Int = RequestLimits().maxTargetBytes

    @Option(name: .customLong("max-header-bytes"), help: "Bytes of all header names and values of a request at most; more gets 431.")
    var maxHeaderBytes: Int = RequestLimits().maxHeaderBytes

    @Option(name: .customLong("max-headers"), help: "Header fields of a request at most; more gets 431.")
    var maxHeaders: Int = RequestLimits().maxHeaderCount

    @Option(name: .customLong("max-body"), help: "Bytes of a request body at most; more gets 413 (at once when Content-Length says so).")
    var maxBody: Int = RequestLimits().maxBodyBytes

    @Option(name: .customLong("keep-alive"), help: "Seconds a kept-alive connection may wait for its next request.")
    var keepAlive: Double = RequestLimits().keepAliveTimeout

    @Option(name: .customLong("header-timeout"), help: "Seconds a client has to send a whole request head (408 after).")
    var headerTimeout: Double = RequestLimits().headerTimeout

    @Option(name: .customLong("body-timeout"), help: "Seconds an application waits for body bytes that do not come (the read then fails).")
    var bodyTimeout: Double = RequestLimits().bodyTimeout

    @Option(name: .customLong("max-connections"), help: "Connections served at once; more are answered 503 and closed. Lowered at start-up (with a warning) to what the descriptor limit allows: luagw raises its soft RLIMIT_NOFILE to the hard one and keeps a quarter of it (up to 1024) for its own files and the applications' sockets.")
    var maxConnections: Int = RequestLimits().maxConnections

    @Option(name: .customLong("max-streams"), help: "Streams (requests) an HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).")
    var maxStreams: Int = RequestLimits().maxStreams

    @Option(name: .customLong("memory-per-state"), help: "MiB of memory a Lua state may hold, for all the requests it runs; past it the request gets an error (500), and the state takes no new requests and is replaced.")
    var memoryPerState: Int = LuaLimits().memoryPerState >> 20

    @Option(name: .customLong("run-time"), help: "Seconds of running Lua a request may use (waiting for the client does not count; waiting for os.execute or io.popen does); a runaway is stopped (504).")
    var runTime: Double = LuaLimits().runTime

    @Option(name: .customLong("time-slice"), help: "Milliseconds a request may compute before it yields to the other requests of its worker (0: never).")
    var timeSlice: Double = LuaLimits().timeSlice * 1000

    @Option(help: "Where the admin listener serves /metrics (Prometheus), /status (a page to read) and /status.json: HOST:PORT (keep it private: 127.0.0.1 or an internal address; an address that is not loopback without --admin-token is warned about). Its connections have --header-timeout and --keep-alive, 16 at most at once.")
    var admin: String?

    @Option(name: .customLong("admin-token"), help: "A bearer token every admin request must carry (Authorization: Bearer TOKEN; 401 otherwise). Also read from LUAGW_ADMIN_TOKEN, which, unlike the command line, other users cannot see in the process list.")
    var adminToken: String?

    /// `--admin-token`, or `LUAGW_ADMIN_TOKEN` from the environment.
    private var adminTokenGiven: String? { adminToken ?? ProcessInfo.processInfo.environment["LUAGW_ADMIN_TOKEN"] }

    @Option(name: .customLong("slow-request"), help: "Seconds after which a request still running is logged (once, as a warning) with where its Lua code is: the traceback of the call it waits in.")
    var slowRequest: Double?

    @Option(name: .customLong("grace-time"), help: "Seconds running requests get to finish after SIGTERM or SIGINT, before their connections are closed.")
    var graceTime: Double = 30

    @Flag(help: "Development mode: a failing request's traceback is the body of its 500, and luagw.web.lint checks every script.")
    var dev = false

    @Option(name: .customLong("lua-path"), help: "A directory `require` searches for DIR/?.lua and DIR/?/init.lua after the scripts' own (repeatable; e.g. /usr/share/lua/5.1, where Debian installs WSAPI).")
    var luaPath: [String] = []

    @Option(name: .customLong("lua-cpath"), help: "A directory `require` searches for DIR/?.so C modules (repeatable).")
    var luaCPath: [String] = []

    @Flag(help: "Give every script Lua 5.1's globals (unpack, loadstring, module, setfenv/getfenv...): luagw.compat51.")
    var compat51 = false

    @Flag(help: "Sandbox the applications: os.execute, io.popen, os.exit, package.loadlib and C modules are removed, and files are written, renamed and removed only in the served directory and the temporary directory (TMPDIR, and /tmp).")
    var sandbox = false

    @Option(name: .customLong("forwarded-allow-ips"), help: "Comma-separated addresses of proxies (`unix` for any peer on a Unix socket, * for anyone) whose X-Forwarded-For and X-Forwarded-Proto are believed; by default, nobody's.")
    var forwardedAllowIPs: String = ""

    @Option(name: .customLong("access-log"), help: "Where a line per request goes (Common Log Format, then seconds and request id): - for standard output, a file to append to, or off. Written off the event loops: when the destination stalls or fails, lines are dropped, counted and said once on the error log.")
    var accessLog: String = "-"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard BindAddress(parsing: bind) != nil else { throw ValidationError("--bind: expected HOST:PORT, got \(bind)") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together: give both, or neither") }
        guard (workers ?? 1) >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard states >= 0, maxStates >= 1, maxStates >= states else {
            throw ValidationError("--states must be between 0 and --max-states, and --max-states at least 1")
        }
        guard queue >= 0 else { throw ValidationError("--queue must not be negative") }
        guard requestsPerState >= 1 else { throw ValidationError("--requests-per-state must be at least 1") }
        if let admin { guard BindAddress(parsing: admin)?.unixPath == nil, BindAddress(parsing: admin) != nil else { throw ValidationError("--admin: expected HOST:PORT, got \(admin)") } }
        if adminToken != nil, admin == nil { throw ValidationError("--admin-token needs --admin") }
        if admin != nil, let token = adminTokenGiven {
            guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
                throw ValidationError("--admin-token must be a word: not empty, no spaces")
            }
        }
        guard (slowRequest ?? 1) > 0 else { throw ValidationError("--slow-request must be positive") }
        guard stateMaxRequests >= 0 else { throw ValidationError("--state-max-requests must not be negative") }
        guard socketTimeout > 0 else { throw ValidationError("--socket-timeout must be positive") }
        guard maxTimers >= 0 else { throw ValidationError("--max-timers must not be negative") }
        guard sharedCapacity >= 1024 else { throw ValidationError("--shared-capacity must be at least 1024 bytes") }
        guard ReloadMode(rawValue: reload) != nil else { throw ValidationError("--reload: expected watch, poll, signal or off, got \(reload)") }
        guard pollInterval > 0 else { throw ValidationError("--poll-interval must be positive") }
        guard [maxTarget, maxHeaderBytes, maxHeaders, maxBody, maxConnections, maxStreams].allSatisfy({ $0 > 0 }),
              [keepAlive, headerTimeout, bodyTimeout, runTime].allSatisfy({ $0 > 0 }), memoryPerState > 0, timeSlice >= 0 else {
            throw ValidationError("limits and timeouts must be positive")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
        for (flag, directories) in [("--lua-path", luaPath), ("--lua-cpath", luaCPath)] {
            for directory in directories {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("\(flag): \(directory) is not a directory")
                }
            }
        }
    }

    /// Standard output, a file opened for appending, or nil for `off`.
    func accessLogDescriptor() throws -> Int32? {
        switch accessLog {
        case "off": return nil
        case "-": return STDOUT_FILENO
        default:
            let fd = open(accessLog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ValidationError("--access-log: cannot open \(accessLog) (errno \(errno))") }
            return fd
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { ErrorLog.handler(label: $0, level: level) }
        let logger = Logger(label: "luagw")
        var configuration = GatewayConfiguration(
            target: target, bind: BindAddress(parsing: bind)!, workers: workerCount,
            pool: PoolLimits(initial: states, maximum: maxStates, requestsPerState: requestsPerState, queue: queue,
                             maxRequestsPerState: stateMaxRequests),
            development: dev, bodyBufferLimit: bodyBuffer,
            reload: ReloadMode(rawValue: reload)!, pollInterval: pollInterval,
            limits: RequestLimits(maxTargetBytes: maxTarget, maxHeaderBytes: maxHeaderBytes, maxHeaderCount: maxHeaders,
                                  maxBodyBytes: maxBody, keepAliveTimeout: keepAlive, headerTimeout: headerTimeout,
                                  bodyTimeout: bodyTimeout, maxConnections: maxConnections),
            lua: LuaLimits(memoryPerState: memoryPerState << 20, runTime: runTime, timeSlice: timeSlice / 1000,
                           socketTimeout: socketTimeout),
            accessLogDescriptor: try accessLogDescriptor(),
            forwardedAllowIPs: Set(forwardedAllowIPs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }),
            reusePort: reusePort, sharedCapacity: sharedCapacity, maxTimers: maxTimers)
        if let socketMode {
            guard let mode = UInt32(socketMode, radix: 8), mode <= 0o777 else {
                throw ValidationError("--socket-mode must be octal permissions such as 660, not \(socketMode)")
            }
            configuration.socketMode = mode
        }
        configuration.socketGroup = socketGroup
        configuration.limits.maxStreams = maxStreams
        if let tlsCert, let tlsKey { configuration.tls = TLSFiles(certificate: tlsCert, key: tlsKey) }
        configuration.caFiles = caFiles
        configuration.slowRequest = slowRequest
        configuration.admin = admin.flatMap(BindAddress.init(parsing:))
        configuration.adminToken = adminTokenGiven
        configuration.lua.luaPath = luaPath
        configuration.lua.luaCPath = luaCPath
        configuration.lua.compat51 = compat51
        configuration.lua.sandbox = sandbox
        // Signals are caught from before the server starts: one sent as soon as the port
        // accepts (or the start-up line is out) is never lost.
        let stopRequested = DispatchSemaphore(value: 0)
        let received = NSLock()
        var signalNumber: Int32 = 0
        let signals = [SIGTERM, SIGINT].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                received.withLock { if signalNumber == 0 { signalNumber = number } }
                stopRequested.signal()
            }
            source.resume()
            return source
        }
        let server = try GatewayServer(configuration: configuration, logger: logger)
        let address = try server.start()
        if let adminAddress = server.adminAddress { logger.info("admin listener on \(adminAddress): /metrics, /status, /status.json\(configuration.adminToken == nil ? "" : " (bearer token required)")") }
        let mounts = server.mountPoints
        let link = address.url(https: configuration.tls != nil).map { " (\($0))" } ?? ""
        logger.info("luagw \(GatewayVersion.string) serving \(target) on \(address)\(link)\(configuration.tls == nil ? "" : " (https: TLS 1.2 and 1.3)") with \(workerCount) worker\(workerCount == 1 ? "" : "s"), reload: \(reload)\(dev ? ", development mode (--dev)" : ""); mounts: \(mounts.isEmpty ? "none" : mounts.joined(separator: " "))")
        if mounts.isEmpty {
            logger.warning("no script found in \(target): every request answers 404 until a *.lua file is added")
        }
        stopRequested.wait()  // a second signal while shutting down changes nothing
        let number = received.withLock { signalNumber }
        logger.info("shutdown: signal \(number): no new connections; running requests have \(graceTime) s to finish")
        server.shutdownGracefully(grace: graceTime)
        signals.forEach { $0.cancel() }
    }
}

struct CGI: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one Lua script once as a CGI/1.1 program (environ from the environment, body from standard input, response to standard output)."
    )

    @Argument(help: "The .lua script, as it would be served by `luagw serve FILE.lua`.")
    var script: String

    @Option(name: .customLong("ca-file"), help: caFileHelp)
    var caFiles: [String] = []

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let status = CGIProgram(script: script, caFiles: caFiles, logger: Logger(label: "luagw-cgi")).run()
        if status != 0 { throw ExitCode(status) }
    }
}
