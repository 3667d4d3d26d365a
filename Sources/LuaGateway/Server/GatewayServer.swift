import Logging
internal import CLuaGatewayBridge
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import NIOSSL
import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A luagw server: the scripts of a target served over HTTP/1.1 (in TLS with `--tls-cert`) on
/// SwiftNIO, with a pool of warm Lua states on each event loop.
public final class GatewayServer {
    public let configuration: GatewayConfiguration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?
    private var reloader: Reloader?
    private let isShutDown = NIOLockedValueBox(false)
    /// The workers, once started (tests look at their connections and pools).
    private(set) var workers: WorkerTable?
    /// `--admin`'s metrics and listener, when asked for.
    private let metrics: GatewayMetrics?
    /// The access log's channel, when it is on.
    private let accessLog: LogChannel?
    private var admin: AdminServer?
    private let started = NIODeadline.now()

    /// Reads the scripts and makes every worker's states; nothing listens yet.
    public init(configuration: GatewayConfiguration, logger: Logger) throws {
        var configuration = configuration
        // LISTEN_FDS and the rest, NOTIFY_SOCKET: read (and removed) before any thread of the server runs.
        _ = (SocketActivation.passed, ServiceNotification.socketName)
        let descriptors = DescriptorLimit.raised()
        if configuration.limits.maxConnections > descriptors.connections {
            logger.warning("--max-connections \(configuration.limits.maxConnections) lowered to \(descriptors.connections): the process may open \(descriptors.soft) descriptors (RLIMIT_NOFILE's hard limit) and keeps \(descriptors.reserved) for its own files and the applications' sockets; raise it with ulimit -n or systemd's LimitNOFILE=")
            configuration.limits.maxConnections = descriptors.connections
        }
        self.descriptorLimit = descriptors.soft
        self.configuration = configuration
        self.logger = logger
        WSGIErrorsLog.route(to: logger)
        SharedDictionaries.setUp(capacity: configuration.sharedCapacity)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.workers))
        self.metrics = configuration.admin.map { _ in GatewayMetrics(version: GatewayVersion.string) }
        self.accessLog = configuration.accessLogDescriptor.map { LogChannel(name: "access", fd: $0) }
        if let metrics {
            accessLog?.count(in: metrics)
            ErrorLog.count(in: metrics)
        }
        self.certificates = try configuration.tls.map(TLSCertificates.init(files:))
        self.scripts = try ScriptSet.load(from: configuration.target)
        self.tls = try TLSClientContexts.trusting(configuration.caFiles)
    }

    private let scripts: ScriptSet
    /// The descriptors the process may open, raised at start-up (`DescriptorLimit`).
    private let descriptorLimit: Int
    /// The listener's certificate, read at start-up (SPEC 11); nil: cleartext.
    private let certificates: TLSCertificates?
    /// The TLS client contexts of every worker's sockets (SPEC 11's TLS out).
    private let tls: TLSClientContexts

    /// The mount points served, for the start-up log.
    public var mountPoints: [String] { scripts.mounts.map { $0.path.isEmpty ? "/" : $0.path } }

    /// Starts listening; returns the address bound (the port is real when 0 was asked).
    @discardableResult
    public func start() throws -> BindAddress {
        var workers: [ObjectIdentifier: Worker] = [:]
        for (index, loop) in group.makeIterator().enumerated() {
            let scripts = self.scripts, configuration = self.configuration, logger = self.logger, metrics = self.metrics,
                accessLog = self.accessLog, tls = self.tls
            let worker = try loop.submit {
                Worker(index: index, scripts: scripts, configuration: configuration, eventLoop: loop, logger: logger,
                       metrics: metrics, accessLog: accessLog, tls: tls)
            }.wait()
            workers[ObjectIdentifier(loop)] = worker
        }
        let table = WorkerTable(workers)
        self.workers = table
        let reloader = Reloader(scripts: scripts, target: configuration.target, luaLimits: configuration.lua,
                                servesAsSaved: configuration.development, certificates: certificates, logger: logger) {
            table.adopt($0)
        }
        if let metrics {
            let ok = metrics.reloads(result: "ok"), refused = metrics.reloads(result: "refused")
            reloader.outcome = { complete in (complete ? ok : refused).increment() }
        }
        reloader.start(mode: configuration.reload, pollInterval: configuration.pollInterval)
        self.reloader = reloader
        let bind = configuration.bind, limits = configuration.limits
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // NIO keeps a connection's last receive buffer while it is idle: start it at 256 bytes
            // (NIO's default is 2,048), enough for a small request, and let it grow with what arrives.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536))
        if configuration.reusePort {
            // NIO names no SO_REUSEPORT; its value is Linux's.
            bootstrap = bootstrap.serverChannelOption(
                ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        if bind.unixPath == nil {
            bootstrap = bootstrap.childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        let logger = self.logger, metrics = self.metrics, descriptorLimit = self.descriptorLimit
        bootstrap = bootstrap.serverChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(AcceptBackoff(logger: logger, metrics: metrics, descriptorLimit: descriptorLimit))
            }
        }
        let certificates = self.certificates
        bootstrap = bootstrap.childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let worker = table.worker(for: channel.eventLoop)
                let connection = HTTPConnectionHandler(worker: worker)
                if let certificates {
                    // TLS (SPEC 11) only where it is on: a cleartext pipeline is the sniffer and the connection.
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: certificates.context))
                    try channel.pipeline.syncOperations.addHandler(FileRegionReader())
                }
                // HTTP/2 (SPEC 11) by its preface: the sniffer leaves after the first read (HTTP/1.1 requests never see it).
                try channel.pipeline.syncOperations.addHandler(HTTP2PrefaceSniffer(worker: worker, http1Handlers: [connection]))
                try channel.pipeline.syncOperations.addHandler(connection)
            }
        }
        let channel: Channel
        do {
            channel = try ListeningAddress.listen(bootstrap, configuration: configuration, logger: logger)
        } catch {
            throw ListeningAddress.explain(error, address: "\(bind)")
        }
        self.channel = channel
        if let adminBind = configuration.admin, let metrics {
            let started = self.started
            let admin = try AdminServer(bind: adminBind, token: configuration.adminToken, limits: limits, report: { loop in
                table.snapshot(on: loop, started: started, generation: reloader.generation, lastReloadError: reloader.lastError)
            }, metrics: metrics)
            self.admin = admin
            if let warning = AdminServer.exposureWarning(bind: admin.address, token: configuration.adminToken) {
                logger.warning("\(warning)")
            }
        }
        for other in SocketActivation.unclaimed {
            logger.warning("a socket the service manager passed is not served (no listener has its address): \(other)")
        }
        ServiceNotification.send("READY=1")
        if bind.unixPath != nil { return bind }
        return BindAddress(host: bind.host, port: channel.localAddress?.port ?? bind.port)
    }

    /// Where `--admin` listens, once started (the port is real when 0 was asked).
    public var adminAddress: BindAddress? { admin?.address }

    /// Blocks until the server's listening channel closes.
    public func wait() throws {
        try channel?.closeFuture.wait()
    }

    /// Reads the scripts again and brings them in if they all load, and reads the TLS
    /// certificate again (what SIGHUP does); returns the generation served afterwards.
    @discardableResult
    public func reload() -> Int {
        reloader?.reloadAndWait(reason: "a request to reload") ?? 1
    }

    /// Shuts down gracefully (SIGTERM, SIGINT): stops accepting, closes idle connections,
    /// lets running requests finish for up to `grace` seconds (their connections close
    /// after their response), closes what is left, and stops the event loops. Returns
    /// when all that is done.
    public func shutdownGracefully(grace: Double) {
        isShutDown.withLockedValue { $0 = true }  // a later shutdown() has nothing to wait on
        ServiceNotification.send("STOPPING=1")
        reloader?.stop()
        admin?.shutdown()
        try? channel?.close().wait()
        guard let workers else { return }
        _ = workers.collect { $0.beginShutdown() }
        let deadline = DispatchTime.now() + grace
        while DispatchTime.now() < deadline, workers.collect({ $0.connections.count }).reduce(0, +) > 0 {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let left = workers.collect { $0.connections.count }.reduce(0, +)
        if left > 0 { logger.warning("shutdown: grace time over, closing \(left) connections") }
        _ = workers.collect { $0.closeAllConnections() }
        _ = workers.collect { $0.accessLog?.flush() }
        _ = workers.collect { $0.stopWatchdog() }
        try? group.syncShutdownGracefully()
        logger.info("shutdown: done")
        LogDestinations.drainAll(within: 5)
    }

    /// Stops listening and stops the event loops. Once: a second call returns at once (the
    /// loops it would wait on are gone).
    public func shutdown() throws {
        guard !isShutDown.withLockedValue({ done in defer { done = true }; return done }) else { return }
        reloader?.stop()
        admin?.shutdown()
        _ = workers?.collect { $0.stopWatchdog() }
        try channel?.close().wait()
        try group.syncShutdownGracefully()
    }
}
