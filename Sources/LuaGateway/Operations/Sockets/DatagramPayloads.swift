import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// In front of a UDP socket's `OutboundConnection` (SPEC 7's `ngx.socket.udp`): hands on each
/// datagram's payload, one read each, and reports the peer's host refusing a datagram (an ICMP
/// "port unreachable", which Linux reports on a connected socket's next read) as
/// `SocketFailure.refused`, which fails the waiting read and leaves the socket open.
final class DatagramPayloads: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(unwrapInboundIn(data).data))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            context.fireErrorCaught(SocketFailure.refused)
        } else {
            context.fireErrorCaught(error)
        }
    }
}
