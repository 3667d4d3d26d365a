import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for tests: sends raw bytes, reads raw bytes or parsed responses.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw ClientError.connectFailed(errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Connects to a Unix domain socket.
    init(unixPath: String, timeout: Double = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in unixPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(fd); throw ClientError.connectFailed(errno) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError.sendFailed(errno) }
            offset += n
        }
    }

    /// Closes the sending side (the server sees the end of input).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Makes the close that follows a reset (RST), as a client that crashes or gives up does:
    /// the server learns at once that the connection is gone.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }

    /// Reads more bytes into the buffer; false at the end of the stream.
    @discardableResult
    func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        var n: Int
        repeat {  // a signal (SIGCHLD of a test's child process) interrupts recv: read again
            n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw ClientError.timedOut }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads until `marker` has arrived; returns what came up to its end and keeps the rest.
    func read(through marker: String) throws -> String {
        let bytes = Array(marker.utf8)
        while true {
            if let start = buffer.indices.first(where: { buffer[$0...].starts(with: bytes) }) {
                let end = start + bytes.count
                defer { buffer.removeFirst(end) }
                return String(decoding: buffer[..<end], as: UTF8.self)
            }
            guard try fill() else { throw ClientError.closedEarly }
        }
    }

    /// Takes the bytes read but not consumed yet.
    func takeBuffered() -> [UInt8] {
        defer { buffer.removeAll() }
        return buffer
    }

    /// Everything until the server closes the connection.
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Whether the server closed the connection (reads the end of stream, nothing else pending).
    func isClosedByServer() throws -> Bool {
        while buffer.isEmpty {
            if try !fill() { return true }
        }
        return false
    }

    private func readLine() throws -> String {
        while true {
            if let i = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[..<i]
                buffer.removeFirst(i + 1)
                return String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
            }
            guard try fill() else { throw ClientError.closedEarly }
        }
    }

    /// Reads exactly `count` bytes.
    func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw ClientError.closedEarly }
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[..<count])
    }

    /// Reads one response; `bodyless` for the answer to HEAD.
    func readResponse(bodyless: Bool = false) throws -> Response {
        var status = try readLine()
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty {
                if status.contains(" 100 ") { status = try readLine(); headers = []; continue }
                break
            }
            let colon = line.firstIndex(of: ":")!
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = Response(statusLine: status, headers: headers, body: [])
        let code = response.code
        if bodyless || code == 204 || code == 304 || (100..<200).contains(code) { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            response.body = try readExactly(length)
        } else if response.header("Transfer-Encoding") == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine, radix: 16) else { throw ClientError.badChunk(sizeLine) }
                if size == 0 { _ = try readLine(); break }
                response.body += try readExactly(size)
                _ = try readLine()
            }
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    /// Sends a request and reads its response.
    func request(_ raw: String, bodyless: Bool = false) throws -> Response {
        try send(raw)
        return try readResponse(bodyless: bodyless)
    }
}

struct Response {
    var statusLine: String
    var headers: [(String, String)]
    var body: [UInt8]

    var code: Int { Int(statusLine.split(separator: " ")[1]) ?? 0 }
    var text: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func headers(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }
}

enum ClientError: Error {
    case connectFailed(Int32)
    case sendFailed(Int32)
    case timedOut
    case closedEarly
    case badChunk(String)
}
