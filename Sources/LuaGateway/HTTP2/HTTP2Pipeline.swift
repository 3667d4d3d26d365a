import NIOCore
import NIOHTTP2

/// An HTTP/2 connection's pipeline (SPEC 11): `NIOHTTP2Handler` with its inline multiplexer,
/// `HTTP2ConnectionHandler` after it (GOAWAY at shutdown), and on each stream the HTTP/1.1 connection handler that serves one request, as it serves
/// a request on a connection of its own, behind `HTTP2StreamAdapter` (frames to request parts
/// and response bytes to frames; it adds `FileRegionReader` for a file body: a stream has no sendfile).
enum HTTP2Pipeline {
    /// Adds the HTTP/2 handlers at the end of `channel`'s pipeline.
    static func configure(_ channel: Channel, worker: Worker) throws {
        let limits = worker.configuration.limits
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: limits.maxStreams),
            // HPACK counts 32 bytes more a field (RFC 9113 §6.5.2); the exact limits (431) are the parser's.
            HTTP2Setting(parameter: .maxHeaderListSize, value: limits.maxHeaderBytes + 32 * limits.maxHeaderCount + limits.maxTargetBytes),
        ]
        let pipeline = channel.pipeline.syncOperations
        let connectionHandler = HTTP2ConnectionHandler(worker: worker)
        // Streams are made on the connection's event loop, where the handler and the worker live.
        let bound = NIOLoopBound((connectionHandler, worker), eventLoop: channel.eventLoop)
        _ = try pipeline.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: .init()
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let (connectionHandler, worker) = bound.value
                connectionHandler.streamOpened(stream)
                let streamPipeline = stream.pipeline.syncOperations
                try streamPipeline.addHandler(HTTP2StreamAdapter())
                try streamPipeline.addHandler(HTTPConnectionHandler(worker: worker, isStream: true))
            }
        }
        try pipeline.addHandler(connectionHandler)
    }
}
