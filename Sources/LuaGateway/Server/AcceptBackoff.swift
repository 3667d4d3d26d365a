import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// On the listening channel: when `accept` fails for want of descriptors or memory, stops
/// accepting for a moment instead of trying again at once (a spinning accept loop), says so in
/// the log at most once a second with how many failed since, and counts each failure in
/// `luagw_accept_errors_total`. Pending clients wait in the kernel's backlog meanwhile.
///
/// NIO's own `AcceptBackoffHandler` delays the channel's next `read`, but a server channel
/// whose `accept` failed still has its read pending and stays registered for readability, so
/// the event loop is woken again at once; turning `autoRead` off unregisters it.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let logger: Logger
    private let metrics: GatewayMetrics?
    /// The process's descriptor limit, for the log.
    private let descriptorLimit: Int
    private var lastReport = NIODeadline.distantPast
    private var unreported = 0
    private var isPaused = false

    init(logger: Logger, metrics: GatewayMetrics?, descriptorLimit: Int) {
        self.logger = logger
        self.metrics = metrics
        self.descriptorLimit = descriptorLimit
    }

    /// How long accepting stops after such a failure (as nginx does).
    static let pause = TimeAmount.milliseconds(500)

    /// The name of a failure that waiting can cure, or nil.
    static func reason(of error: IOError) -> String? {
        switch error.errnoCode {
        case EMFILE: "EMFILE"
        case ENFILE: "ENFILE"
        case ENOBUFS: "ENOBUFS"
        case ENOMEM: "ENOMEM"
        default: nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let ioError = error as? IOError, let reason = Self.reason(of: ioError) else {
            return context.fireErrorCaught(error)
        }
        metrics?.acceptErrors(reason: reason).increment()
        unreported += 1
        pauseAccepting(context: context)
        let now = NIODeadline.now()
        guard now - lastReport >= .seconds(1) else { return }
        lastReport = now
        logger.error("cannot accept connections (\(reason): \(unreported) failed since the last report); accepting pauses for \(Self.pause.nanoseconds / 1_000_000) ms at a time. The process may open \(descriptorLimit) descriptors: raise it (ulimit -n, systemd's LimitNOFILE=) or lower --max-connections")
        unreported = 0
    }

    private func pauseAccepting(context: ChannelHandlerContext) {
        guard !isPaused, let options = context.channel.syncOptions else { return }
        isPaused = true
        try? options.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) { [self] in
            isPaused = false
            try? options.setOption(.autoRead, value: true)
        }
    }
}
