import NIOConcurrencyHelpers
import NIOCore

/// The admin listener's cap on connections open at once (`AdminServer.maxConnections`): one
/// past it is answered 503 and closed before any byte of it is read. First in each admin
/// connection's pipeline, so that its answer is raw bytes.
final class AdminConnectionCap: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The connections admitted and still open, over the whole listener.
    final class Count: Sendable {
        let limit: Int
        private let open = NIOLockedValueBox(0)

        init(limit: Int) {
            self.limit = limit
        }

        /// Counts one more connection, unless that would pass the limit.
        func admit() -> Bool {
            open.withLockedValue { open in
                guard open < limit else { return false }
                open += 1
                return true
            }
        }

        func release() {
            open.withLockedValue { $0 -= 1 }
        }
    }

    private static let refusal: String = {
        let body = "too many admin connections\n"
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n" + body
    }()

    private let count: Count
    private var admitted = false

    init(count: Count) {
        self.count = count
    }

    func channelActive(context: ChannelHandlerContext) {
        admitted = count.admit()
        guard admitted else {
            let refusal = context.channel.allocator.buffer(string: Self.refusal)
            let context = NIOLoopBound(context, eventLoop: context.eventLoop)
            return context.value.writeAndFlush(NIOAny(refusal)).whenComplete { _ in context.value.close(promise: nil) }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if admitted { context.fireChannelRead(data) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted {
            admitted = false
            count.release()
        }
        context.fireChannelInactive()
    }
}
