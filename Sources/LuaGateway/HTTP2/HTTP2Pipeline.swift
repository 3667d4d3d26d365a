import NIOCore
import NIOHTTP2

/// An HTTP/2 connection's pipeline (SPEC 11): `NIOHTTP2Handler` with its inline multiplexer,
/// and on each stream the HTTP/1.1 connection handler that serves one request, as it serves
/// a request on a connection of its own, behind `HTTP2StreamAdapter` (frames to request parts
/// and response bytes to frames) and `FileRegionReader` (a stream has no sendfile).
enum HTTP2Pipeline {
    /// Adds the HTTP/2 handler at the end of `channel`'s pipeline.
    static func configure(_ channel: Channel, worker: Worker) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = nioDefaultSettings.filter { $0.parameter != .maxConcurrentStreams }
            + [HTTP2Setting(parameter: .maxConcurrentStreams, value: worker.configuration.limits.maxStreams)]
        _ = try channel.pipeline.syncOperations.configureHTTP2Pipeline(
            mode: .server, connectionConfiguration: connection, streamConfiguration: .init()
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let pipeline = stream.pipeline.syncOperations
                try pipeline.addHandler(HTTP2StreamAdapter())
                try pipeline.addHandler(FileRegionReader())
                try pipeline.addHandler(HTTPConnectionHandler(worker: worker))
            }
        }
    }
}
