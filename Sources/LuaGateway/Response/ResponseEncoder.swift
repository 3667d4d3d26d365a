internal import CLuaGatewayBridge
import NIOCore

/// Writes response heads and framed body bytes (SPEC 1.3) as raw bytes: the status
/// and header lines come straight from the Lua strings, no `String` in between.
enum ResponseEncoder {
    static let serverLine = "Server: luagw/\(GatewayVersion.string)\r\n"

    /// Writes the head of the current step of `call`. `contentLength` is added when
    /// the server computed it; framing and connection headers follow the exchange.
    static func writeHead(of call: ApplicationCall, exchange: Exchange, contentLength: Int?,
                          dates: inout DateCache, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(exchange.isHTTP11 ? "HTTP/1.1 " : "HTTP/1.0 ")
        call.writeStatus(into: &buffer)
        buffer.writeStaticString("\r\n")
        call.writeHeaderLines(into: &buffer)
        if !call.headerIsSet(LUAGW_HEAD_HAS_DATE) {
            var date = dates.headerLine()
            buffer.writeBuffer(&date)
        }
        if !call.headerIsSet(LUAGW_HEAD_HAS_SERVER) { buffer.writeString(serverLine) }
        writeFraming(exchange: exchange, contentLength: contentLength, into: &buffer)
    }

    /// Writes a head of the server's own (404, 500, 503...) with a small text body.
    static func writeSimpleResponse(status: String, body: String, exchange: Exchange,
                                    dates: inout DateCache, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(exchange.isHTTP11 ? "HTTP/1.1 " : "HTTP/1.0 ")
        buffer.writeString(status)
        buffer.writeStaticString("\r\nContent-Type: text/plain; charset=utf-8\r\n")
        writeServerFields(exchange: exchange, dates: &dates, into: &buffer)
        exchange.framing = .none
        writeFraming(exchange: exchange, contentLength: body.utf8.count, into: &buffer)
        if !exchange.isHead { buffer.writeString(body) }
    }

    /// Writes the 101 that accepts a WebSocket (RFC 6455 §4.2.2), with the accept value and the
    /// chosen subprotocol (none when empty); never `Sec-WebSocket-Extensions`: none is agreed.
    static func writeSwitchingProtocols(accept: String, protocol chosen: String, exchange: Exchange,
                                        dates: inout DateCache, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
        buffer.writeStaticString("Sec-WebSocket-Accept: ")
        buffer.writeString(accept)
        buffer.writeStaticString("\r\n")
        if !chosen.isEmpty {
            buffer.writeStaticString("Sec-WebSocket-Protocol: ")
            buffer.writeString(chosen)
            buffer.writeStaticString("\r\n")
        }
        writeServerFields(exchange: exchange, dates: &dates, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// Date, Server and the request id (so that the client can quote it, and the log be searched).
    private static func writeServerFields(exchange: Exchange, dates: inout DateCache, into buffer: inout ByteBuffer) {
        var date = dates.headerLine()
        buffer.writeBuffer(&date)
        buffer.writeString(serverLine)
        guard exchange.requestID.readableBytes > 0 else { return }
        buffer.writeStaticString("X-Request-Id: ")
        buffer.writeImmutableBuffer(exchange.requestID)
        buffer.writeStaticString("\r\n")
    }

    private static func writeFraming(exchange: Exchange, contentLength: Int?, into buffer: inout ByteBuffer) {
        if let contentLength {
            buffer.writeStaticString("Content-Length: ")
            buffer.writeDigits(UInt64(contentLength))
            buffer.writeStaticString("\r\n")
        }
        if exchange.framing == .chunked { buffer.writeStaticString("Transfer-Encoding: chunked\r\n") }
        if !exchange.keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if !exchange.isHTTP11 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Writes a chunk of body as the exchange's framing wants it; returns how many
    /// bytes of the chunk went out (fewer when a Content-Length was reached).
    static func writeChunk(of call: ApplicationCall, exchange: Exchange, into buffer: inout ByteBuffer) -> Int {
        let length = call.chunkLength
        switch exchange.framing {
        case .none:
            return 0
        case .length(let remaining):
            let n = min(length, remaining)
            call.writeChunk(into: &buffer, limit: n)
            exchange.framing = .length(remaining: remaining - n)
            return n
        case .chunked:
            buffer.writeDigits(UInt64(length), radix: 16)
            buffer.writeStaticString("\r\n")
            call.writeChunk(into: &buffer)
            buffer.writeStaticString("\r\n")
            return length
        case .untilClose:
            call.writeChunk(into: &buffer)
            return length
        }
    }
}

/// The version luagw reports in `Server`, `SERVER_SOFTWARE` and `luagw.version`.
public enum GatewayVersion {
    public static let string = "0.1.0"
}
