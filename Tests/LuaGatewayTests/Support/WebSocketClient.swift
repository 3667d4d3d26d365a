import Foundation
@testable import LuaGateway

/// A deliberately simple RFC 6455 client for tests, over `RawClient`: blocking, and able to send
/// what a real client never would (unmasked frames, reserved bits and opcodes, stray
/// continuations). It shakes hands with RFC 6455's example key, whose accept value is known.
final class WebSocketClient {
    let raw: RawClient

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    /// Opcodes (RFC 6455 §5.2).
    static let continuation: UInt8 = 0, text: UInt8 = 1, binary: UInt8 = 2, close: UInt8 = 8, ping: UInt8 = 9, pong: UInt8 = 10

    init(port: Int, timeout: Double = 20) throws {
        raw = try RawClient(port: port, timeout: timeout)
    }

    /// A handshake request for `path`; `headers` replace nothing, they are added (each ending in CRLF).
    static func request(path: String, headers: String = "", key: String = key, version: String = "13",
                        method: String = "GET", httpVersion: String = "1.1") -> String {
        "\(method) \(path) HTTP/\(httpVersion)\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(version)\r\n\(headers)\r\n"
    }

    /// Sends `request` (and `early` bytes in the same write) and reads the answer's head.
    @discardableResult
    func handshake(_ request: String, early: [UInt8] = []) throws -> Response {
        try raw.send(Array(request.utf8) + early)
        return try raw.readResponse(bodyless: true)
    }

    /// Opens a WebSocket on `path`, checking the 101.
    @discardableResult
    func open(_ path: String, headers: String = "") throws -> Response {
        let response = try handshake(Self.request(path: path, headers: headers))
        guard response.code == 101, response.header("Sec-WebSocket-Accept") == Self.accept else {
            throw ClientError.badChunk("no WebSocket: \(response.statusLine)")
        }
        return response
    }

    /// The bytes of one frame, as a client sends it (masked unless told).
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let mask: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(mask | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            bytes.append(mask | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            bytes.append(mask | 127)
            bytes += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        let key: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    func send(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, masked: Bool = true, rsv: UInt8 = 0) throws {
        try raw.send(Self.frame(opcode: opcode, payload: payload, fin: fin, masked: masked, rsv: rsv))
    }

    func sendText(_ text: String) throws { try send(opcode: Self.text, Array(text.utf8)) }

    static func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// A frame received from the server.
    struct Frame {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        var masked: Bool
        var text: String { String(decoding: payload, as: UTF8.self) }
        /// A close frame's code, if it has one.
        var closeCode: UInt16? { payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
    }

    func receiveFrame() throws -> Frame {
        let head = try raw.readExactly(2)
        var length = Int(head[1] & 0x7F)
        if length == 126 {
            length = try raw.readExactly(2).reduce(0) { $0 << 8 | Int($1) }
        } else if length == 127 {
            length = try raw.readExactly(8).reduce(0) { $0 << 8 | Int($1) }
        }
        let masked = head[1] & 0x80 != 0
        let key = masked ? try raw.readExactly(4) : []
        var payload = try raw.readExactly(length)
        if masked { payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] } }
        return Frame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, payload: payload, masked: masked)
    }

    /// Reads frames until a close; returns it (what came before is dropped).
    func receiveClose() throws -> Frame {
        while true {
            let frame = try receiveFrame()
            if frame.opcode == Self.close { return frame }
        }
    }
}
