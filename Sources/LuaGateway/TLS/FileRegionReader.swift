import NIOCore
import NIOPosix

/// Sends a `wsgi.file_wrapper` body on a TLS connection: the file region that a cleartext
/// connection hands to sendfile is read here in chunks, off the event loop, and written as
/// buffers for NIOSSLServerHandler to encrypt. In a TLS connection's pipeline only, between
/// that handler and the `HTTPConnectionHandler`; what is written while a file is read waits
/// behind it, in order.
final class FileRegionReader: ChannelOutboundHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = ByteBuffer

    /// A write or a flush that waits for the file before it.
    private enum Waiting {
        case write(IOData, EventLoopPromise<Void>?)
        case flush
    }

    private static let chunkSize = 64 * 1024
    /// NIO's shared thread pool, started by the first TLS connection's first file (never on a cleartext server).
    private static let fileIO = NonBlockingFileIO(threadPool: .singleton)
    private var waiting = CircularBuffer<Waiting>()
    private var isReading = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let data = unwrapOutboundIn(data)
        if isReading {
            waiting.append(.write(data, promise))
        } else {
            send(data, promise: promise, context: context)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if isReading { waiting.append(.flush) } else { context.flush() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        while let left = waiting.popFirst() {
            if case .write(_, let promise) = left { promise?.fail(ChannelError.ioOnClosedChannel) }
        }
    }

    private func send(_ data: IOData, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        switch data {
        case .byteBuffer(let buffer):
            context.write(wrapOutboundOut(buffer), promise: promise)
        case .fileRegion(let region):
            isReading = true
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Self.fileIO.readChunked(fileRegion: region, chunkSize: Self.chunkSize, allocator: context.channel.allocator,
                                    eventLoop: context.eventLoop) { chunk in
                bound.value.1.writeAndFlush(NIOAny(chunk))
            }.whenComplete { result in
                let (reader, context) = bound.value
                promise?.completeWith(result)
                reader.isReading = false
                reader.sendWaiting(context: context)
            }
        }
    }

    /// Sends what waited, up to the next file.
    private func sendWaiting(context: ChannelHandlerContext) {
        while !isReading, let next = waiting.popFirst() {
            switch next {
            case .write(let data, let promise): send(data, promise: promise, context: context)
            case .flush: context.flush()
            }
        }
    }
}
