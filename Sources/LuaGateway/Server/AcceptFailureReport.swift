import Logging
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// On the listening channel, after NIO's `AcceptBackoffHandler` (which stops accepting for a
/// moment when `accept` fails for want of descriptors or memory, instead of trying again at
/// once): says so in the log at most once a second, with how many failed since, and counts
/// each in `luagw_accept_errors_total`.
final class AcceptFailureReport: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let logger: Logger
    private let metrics: GatewayMetrics?
    private var lastReport = NIODeadline.distantPast
    private var unreported = 0

    init(logger: Logger, metrics: GatewayMetrics?) {
        self.logger = logger
        self.metrics = metrics
    }

    /// How long accepting stops after such a failure (nginx waits 500 ms as well).
    static let backoff = TimeAmount.milliseconds(500)

    /// The `AcceptBackoffHandler` to put before this handler: it waits `backoff` after the
    /// failures that waiting can cure.
    static func backoffHandler() -> AcceptBackoffHandler {
        AcceptBackoffHandler { error in reason(of: error) == nil ? nil : backoff }
    }

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
        let now = NIODeadline.now()
        guard now - lastReport >= .seconds(1) else { return }
        lastReport = now
        let limit = DescriptorLimit.raised().soft
        logger.error("cannot accept connections (\(reason): \(unreported) failed since the last report); accepting pauses for \(Self.backoff.nanoseconds / 1_000_000) ms at a time. The process may open \(limit) descriptors: raise it (ulimit -n, systemd's LimitNOFILE=) or lower --max-connections")
        unreported = 0
    }
}
