import NIOCore

/// The parts of a request target (`/path?query`, or absolute-form `http://host/path?query`,
/// whose path the request line found), on its bytes.
struct RequestTarget {
    /// The raw path, before percent-decoding (`/` when an absolute-form target has none).
    let path: Substring.UTF8View
    /// The raw query without `?`; empty when there is none.
    let query: Substring.UTF8View

    init(_ head: borrowing RequestHead) {
        let rest = Substring(head.uri).utf8.dropFirst(head.pathStart)
        let mark = rest.firstIndex(of: UInt8(ascii: "?"))
        let path = rest[..<(mark ?? rest.endIndex)]
        self.path = path.isEmpty ? Substring("/").utf8 : path
        query = mark.map { rest[rest.index(after: $0)...] } ?? Substring().utf8
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
