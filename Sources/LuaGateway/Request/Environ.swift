import Foundation
import NIOCore

/// The environ of one request (SPEC 2), filled from its head.
extension EnvironBuilder {
    /// `trustsProxy`: the peer is a proxy the operator listed, whose X-Forwarded-For
    /// (its rightmost address) and X-Forwarded-Proto are believed (SPEC 5).
    func fill(exchange: Exchange, target: RequestTarget, decodedPath: [UInt8], remote: RemotePeer, local: RemotePeer,
              trustsProxy: Bool) {
        reset()
        let head = exchange.head
        set("REQUEST_METHOD", head.method)
        set("SCRIPT_NAME", decodedPath[..<exchange.scriptNameLength])
        set("PATH_INFO", decodedPath[exchange.scriptNameLength...])
        set("QUERY_STRING", target.query)
        set("REQUEST_URI", head.uri)
        set("SERVER_PROTOCOL", exchange.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        set("REMOTE_PORT", remote.port)
        set("luagw.request_id", exchange.requestID.readableBytesView)
        for field in head.fields {
            let name = head.view(field.name), value = head.view(field.value)
            if HTTPSyntax.equalsIgnoringCase(name, "content-type") {
                set("CONTENT_TYPE", value)
            } else if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
                set("CONTENT_LENGTH", value)
            } else if trustsProxy, HTTPSyntax.equalsIgnoringCase(name, "x-forwarded-for") {
                let client = String(decoding: value, as: UTF8.self).split(separator: ",").last?
                    .trimmingCharacters(in: .whitespaces) ?? ""
                if !client.isEmpty { exchange.forwardedClient = client }
            } else if trustsProxy, HTTPSyntax.equalsIgnoringCase(name, "x-forwarded-proto") {
                let scheme = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                if scheme == "https" || scheme == "http" { set("wsgi.url_scheme", scheme) }
            }
            addHeader(name: name, value: value)
        }
        set("REMOTE_ADDR", exchange.forwardedClient ?? remote.address)
        if let authority = head.authority {
            let (host, port) = splitHost(head.view(authority))
            set("SERVER_NAME", host)
            if let port { set("SERVER_PORT", port) } else { set("SERVER_PORT", "80") }
        } else {
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
