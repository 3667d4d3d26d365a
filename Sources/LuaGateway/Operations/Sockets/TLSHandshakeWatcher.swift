import NIOCore
import NIOTLS

/// Waits for the TLS handshake of a cosocket (SPEC 11's `sslhandshake`), placed between NIOSSL's
/// handler and the `OutboundConnection`: tells `done` once, with nil when the handshake
/// completed (then leaves the pipeline) or with what ended it (an error, or the peer's close).
/// Everything else passes through.
final class TLSHandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var done: ((Error?) -> Void)?

    init(_ done: @escaping (Error?) -> Void) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            tell(nil)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        tell(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        tell(SocketFailure.closed)
        context.fireChannelInactive()
    }

    private func tell(_ outcome: Error?) {
        let done = self.done
        self.done = nil
        done?(outcome)
    }
}
