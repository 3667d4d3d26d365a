import Foundation
import NIOCore

/// The environ of one request (SPEC 2), filled from its head: the CGI variables and the
/// `luagw.request_id` here, `HTTP_*` by the C side, the Lua objects (`wsgi.input`, ...)
/// by the prelude's driver; each key in one place.
extension EnvironBuilder {
    /// `trustsProxy`: the peer is a proxy the operator listed, whose X-Forwarded-For
    /// (its rightmost address) and X-Forwarded-Proto are believed (SPEC 5).
    func fill(exchange: Exchange, target: RequestTarget, decodedPath: [UInt8], remote: RemotePeer, local: RemotePeer,
              trustsProxy: Bool) {
        reset()
        let head = exchange.head
        set("SERVER_SOFTWARE", EnvironBuilder.software)
        set("GATEWAY_INTERFACE", "CGI/1.1")
        set("REQUEST_METHOD", head.method)
        set("SCRIPT_NAME", decodedPath[..<exchange.scriptNameLength])
        set("PATH_INFO", decodedPath[exchange.scriptNameLength...])
        set("QUERY_STRING", target.query)
        set("REQUEST_URI", head.uri)
        set("SERVER_PROTOCOL", exchange.isHTTP11 ? "HTTP/1.1" : "HTTP/1.0")
        set("REMOTE_PORT", remote.port)
        set("luagw.request_id", exchange.requestID.readableBytesView)
        for field in head.fields {
            switch field.role {
            case .header, .cookie: addHeader(name: head.view(field.name), value: head.view(field.value))
            case .contentType: set("CONTENT_TYPE", head.view(field.value))
            case .contentLength: set("CONTENT_LENGTH", head.view(field.value))
            case .hidden: continue
            }
        }
        var scheme = "http"
        if trustsProxy {
            if let forwarded = head.forwardedFor {
                let client = String(decoding: head.view(forwarded), as: UTF8.self).split(separator: ",").last?
                    .trimmingCharacters(in: .whitespaces) ?? ""
                if !client.isEmpty { exchange.forwardedClient = client }
            }
            if let proto = head.forwardedProto {
                let given = String(decoding: head.view(proto), as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
                if given == "https" { scheme = given }
            }
        }
        set("wsgi.url_scheme", scheme)
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

extension EnvironBuilder {
    static let software = "luagw/" + GatewayVersion.string
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
