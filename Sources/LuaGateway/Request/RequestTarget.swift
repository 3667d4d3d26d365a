/// The parts of a request target (`/path?query`, or absolute-form `http://host/path?query`).
struct RequestTarget {
    /// The raw path, before percent-decoding.
    let path: Substring.UTF8View
    /// The raw query without `?`; empty when there is none.
    let query: Substring.UTF8View

    init(_ uri: String) {
        var rest = Substring(uri)
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }
        if let mark = rest.firstIndex(of: "?") {
            path = rest[..<mark].utf8
            query = rest[rest.index(after: mark)...].utf8
        } else {
            path = rest.utf8
            query = Substring().utf8
        }
    }
}

/// `SERVER_NAME` and `SERVER_PORT` from a Host header value (`name`, `name:port`, `[v6]:port`).
func splitHost(_ host: Substring, defaultPort: Substring) -> (name: Substring, port: Substring) {
    if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
        let name = host[host.index(after: host.startIndex)..<close]
        let rest = host[host.index(after: close)...]
        return (name, rest.hasPrefix(":") ? rest.dropFirst() : defaultPort)
    }
    if let colon = host.lastIndex(of: ":") {
        return (host[..<colon], host[host.index(after: colon)...])
    }
    return (host, defaultPort)
}
