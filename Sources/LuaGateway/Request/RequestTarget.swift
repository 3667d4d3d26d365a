import NIOCore

/// The parts of a request target (`/path?query`, or absolute-form `http://host/path?query`),
/// found on its bytes.
struct RequestTarget {
    /// The raw path, before percent-decoding.
    let path: Substring.UTF8View
    /// The raw query without `?`; empty when there is none.
    let query: Substring.UTF8View

    init(_ uri: String) {
        var rest = Substring(uri).utf8
        if rest.first != UInt8(ascii: "/"), let colon = rest.firstIndex(of: UInt8(ascii: ":")),
           rest[colon...].starts(with: "://".utf8) {
            let authority = rest[rest.index(colon, offsetBy: 3)...]
            rest = authority.firstIndex(of: UInt8(ascii: "/")).map { authority[$0...] } ?? Substring("/").utf8
        }
        if let mark = rest.firstIndex(of: UInt8(ascii: "?")) {
            path = rest[..<mark]
            query = rest[rest.index(after: mark)...]
        } else {
            path = rest
            query = Substring().utf8
        }
    }
}

/// `SERVER_NAME` and `SERVER_PORT` from an authority (`name`, `name:port`, `[v6]:port`); no port
/// when it names none (an empty one, `name:`, counts as none).
func splitHost(_ host: ByteBufferView) -> (name: ByteBufferView, port: ByteBufferView?) {
    if host.first == UInt8(ascii: "["), let close = host.firstIndex(of: UInt8(ascii: "]")) {
        let name = host[host.index(after: host.startIndex)..<close]
        let rest = host[host.index(after: close)...]
        return (name, rest.count > 1 ? rest.dropFirst() : nil)
    }
    if let colon = host.lastIndex(of: UInt8(ascii: ":")) {
        let port = host[host.index(after: colon)...]
        return (host[..<colon], port.isEmpty ? nil : port)
    }
    return (host, nil)
}
