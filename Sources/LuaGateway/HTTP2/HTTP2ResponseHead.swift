import NIOCore
import NIOHPACK

/// A response head as `ResponseWriter` encodes it for HTTP/1.x, made HPACK fields for a
/// HEADERS frame (SPEC 11): `:status` from the status line, names in lower case, and the
/// hop-by-hop fields that HTTP/2 forbids (RFC 9113 §8.2.2) left out.
enum HTTP2ResponseHead {
    /// Fields that are about one HTTP/1.1 connection, never sent on HTTP/2.
    private static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    /// Reads a head (status line to the empty line) from `bytes`; nil when `bytes` does not
    /// start with a whole one. The body's bytes that follow stay in `bytes`.
    static func read(from bytes: inout ByteBuffer) -> (headers: HPACKHeaders, status: Int)? {
        let view = bytes.readableBytesView
        guard let end = view.firstRange(of: "\r\n\r\n".utf8) else { return nil }
        guard let head = bytes.readString(length: end.upperBound - view.startIndex) else { return nil }
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: true)[...]
        guard let statusLine = lines.popFirst() else { return nil }
        let status = statusLine.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "500"
        var headers = HPACKHeaders()
        headers.reserveCapacity(lines.count + 1)
        headers.add(name: ":status", value: status)
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            if hopByHop.contains(name) { continue }
            headers.add(name: name, value: String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }))
        }
        return (headers, Int(status) ?? 500)
    }
}
