import Foundation
import NIOCore

/// The environ of one request (SPEC 2), filled from its head. Who sets what, each key in
/// one place: here, what the request and its connection say (the CGI variables,
/// `luagw.request_id`, `wsgi.url_scheme` when the listener speaks TLS or a trusted proxy says
/// https, `HTTPS` on a TLS listener); the C side, the
/// `HTTP_*` keys; the prelude's driver (driver.lua), what is the same for every request (the
/// Lua objects, constants, and the defaults `wsgi.url_scheme = "http"` and luagw's
/// `SERVER_SOFTWARE`, which a CGI host's own replaces). Constants are Lua's because a Lua
/// constant costs nothing per request, and a string pushed from C is hashed each time.
extension EnvironBuilder {
    /// `trustsProxy`: the peer is a proxy the operator listed, whose X-Forwarded-For
    /// (its rightmost address) and X-Forwarded-Proto are believed (SPEC 5). `isTLS`: the
    /// listener speaks TLS (SPEC 11).
    func fill(exchange: Exchange, target: RequestTarget, decodedPath: [UInt8], remote: RemotePeer, local: RemotePeer,
              trustsProxy: Bool, isTLS: Bool) {
        reset()
        let head = exchange.head
        set("REQUEST_METHOD", head.method)
        set("SCRIPT_NAME", decodedPath[..<exchange.scriptNameLength])
        set("PATH_INFO", decodedPath[exchange.scriptNameLength...])
        set("QUERY_STRING", target.query)
        set("REQUEST_URI", head.uri)
        set("SERVER_PROTOCOL", head.isHTTP2 ? "HTTP/2.0" : exchange.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        set("REMOTE_PORT", remote.port)
        set("luagw.request_id", exchange.requestID.readableBytesView)
        var isHTTPS = isTLS
        for field in head.fields {
            switch field.role {
            case .header, .cookie:
                addHeader(name: head.view(field.name), value: head.view(field.value))
            case .contentType:
                set("CONTENT_TYPE", head.view(field.value))
            case .contentLength:
                set("CONTENT_LENGTH", head.view(field.value))
            case .forwardedFor:
                addHeader(name: head.view(field.name), value: head.view(field.value))
                guard trustsProxy else { continue }
                let client = String(decoding: head.view(field.value), as: UTF8.self).split(separator: ",").last?
                    .trimmingCharacters(in: .whitespaces) ?? ""
                if !client.isEmpty { exchange.forwardedClient = client }
            case .forwardedProto:
                addHeader(name: head.view(field.name), value: head.view(field.value))
                guard trustsProxy else { continue }
                switch String(decoding: head.view(field.value), as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased() {
                case "https": isHTTPS = true
                case "http": isHTTPS = false
                default: break  // not a scheme luagw serves: ignored
                }
            case .hidden:
                continue
            }
        }
        if isHTTPS { set("wsgi.url_scheme", "https" as StaticString) }
        if isTLS { set("HTTPS", "on" as StaticString) }
        set("REMOTE_ADDR", exchange.forwardedClient ?? remote.address)
        if let authority = head.authority {
            let (host, port) = splitHost(head.view(authority))
            set("SERVER_NAME", host)
            if let port { set("SERVER_PORT", port) } else { set("SERVER_PORT", isHTTPS ? "443" as StaticString : "80") }
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
