/// Where to listen: a TCP address written `HOST:PORT` (`[::1]:8080` for IPv6), or a Unix
/// domain socket written `unix:PATH` (for deployment behind nginx).
public struct BindAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The socket file's path, for a Unix domain socket (then host and port are unused).
    public var unixPath: String?

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(unixPath: String) {
        self.host = ""
        self.port = 0
        self.unixPath = unixPath
    }

    /// Parses `unix:PATH`, `HOST:PORT`, `[IPV6]:PORT`, `:PORT` (all interfaces) or `PORT`.
    public init?(parsing text: String) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else { return nil }
            self.init(unixPath: path)
            return
        }
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty { host = "0.0.0.0" }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String {
        if let unixPath { return "unix:\(unixPath)" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension BindAddress {
    /// The URL a person opens to reach the address from this machine (`http://127.0.0.1:8080/`;
    /// every interface, `0.0.0.0` or `::`, is reached on the loopback one); nil for a unix socket.
    public func url(https: Bool) -> String? {
        guard unixPath == nil else { return nil }
        let reached = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host
        let shown = reached.contains(":") ? "[\(reached)]" : reached
        return "\(https ? "https" : "http")://\(shown):\(port)/"
    }

    /// Whether only this host can reach the address: `localhost`, 127.0.0.0/8 or `::1` (a
    /// host name other than `localhost` counts as reachable from elsewhere).
    var isLoopback: Bool {
        if unixPath != nil { return true }
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
