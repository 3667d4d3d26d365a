import NIOCore
import NIOHTTP2

/// An HTTP/2 connection's pipeline (SPEC 11): `NIOHTTP2Handler` with its inline multiplexer,
/// `HTTP2ConnectionHandler` after it (GOAWAY at shutdown), and on each stream the HTTP/1.1 connection handler that serves one request, as it serves
/// a request on a connection of its own, behind `HTTP2StreamAdapter` (frames to request parts
/// and response bytes to frames) and `FileRegionReader` (a stream has no sendfile).
enum HTTP2Pipeline {
    /// Adds the HTTP/2 handler at the end of `channel`'s pipeline.
    static func configure(_ channel: Channel, worker: Worker) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = nioDefaultSettings.filter { $0.parameter != .maxConcurrentStreams }
            + [HTTP2Setting(parameter: .maxConcurrentStreams, value: worker.configuration.limits.maxStreams)]
        let pipeline = channel.pipeline.syncOperations
        let connectionHandler = HTTP2ConnectionHandler(worker: worker)
        _ = try pipeline.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: .init()
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                connectionHandler.streamOpened(stream)
                let streamPipeline = stream.pipeline.syncOperations
                try streamPipeline.addHandler(HTTP2StreamAdapter())
                try streamPipeline.addHandler(FileRegionReader())
                try streamPipeline.addHandler(HTTPConnectionHandler(worker: worker))
            }
        }
        try pipeline.addHandler(connectionHandler)
    }
}
