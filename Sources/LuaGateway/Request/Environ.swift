import NIOCore
import NIOHTTP1

/// The environ of one request (SPEC 2), filled from its head.
extension EnvironBuilder {
    func fill(exchange: Exchange, target: RequestTarget, decodedPath: [UInt8], remote: RemotePeer, local: RemotePeer) {
        reset()
        let head = exchange.head
        set("REQUEST_METHOD", head.method.rawValue)
        set("SCRIPT_NAME", decodedPath[..<exchange.scriptNameLength])
        set("PATH_INFO", decodedPath[exchange.scriptNameLength...])
        set("QUERY_STRING", target.query)
        set("REQUEST_URI", head.uri)
        set("SERVER_PROTOCOL", exchange.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        set("REMOTE_ADDR", remote.address)
        set("REMOTE_PORT", remote.port)
        set("luagw.request_id", exchange.requestID.readableBytesView)
        var sawHost = false
        for (name, value) in head.headers {
            if !sawHost, name.isASCIICaseInsensitiveEqual(to: "host") {
                sawHost = true
                let (host, port) = splitHost(Substring(value).utf8, defaultPort: Substring("80").utf8)
                set("SERVER_NAME", host)
                set("SERVER_PORT", port)
            } else if name.isASCIICaseInsensitiveEqual(to: "content-type") {
                set("CONTENT_TYPE", value)
            } else if name.isASCIICaseInsensitiveEqual(to: "content-length") {
                set("CONTENT_LENGTH", value)
            }
            addHeader(name: name, value: value)
        }
        if !sawHost {
            set("SERVER_NAME", local.address)
            set("SERVER_PORT", local.port)
        }
    }
}

/// An address and port as environ shows them.
struct RemotePeer {
    var address: String
    var port: String

    init(_ address: SocketAddress?) {
        self.address = address?.ipAddress ?? ""
        self.port = address?.port.map { String($0) } ?? ""
    }
}
