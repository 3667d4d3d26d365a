import NIOCore
import NIOEmbedded
import XCTest
@testable import LuaGateway

/// The request decoder alone, on an EmbeddedChannel: the same parts whatever way the bytes are
/// split across reads, and the limits it holds to.
final class RequestDecoderTests: XCTestCase {
    /// What the decoder hands on for `bytes`, fed in pieces of `piece` bytes.
    private func decode(_ bytes: String, piece: Int, limits: RequestLimits = RequestLimits()) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RequestDecoder(limits: limits)))
        let all = Array(bytes.utf8)
        var parts: [String] = []
        for start in stride(from: 0, to: all.count, by: piece) {
            try channel.writeInbound(ByteBuffer(bytes: all[start..<min(all.count, start + piece)]))
            while let part = try channel.readInbound(as: RequestPart.self) {
                switch part {
                case .head(let head, let facts):
                    let fields = head.fields.map { String(buffer: ByteBuffer(head.view($0.name))) + "=" + String(buffer: ByteBuffer(head.view($0.value))) }
                    parts.append("head \(head.method) \(head.uri) \(head.keepAlive) \(facts.contentLength ?? -1) \(fields)")
                case .body(let body):
                    if parts.last?.hasPrefix("body ") == true { parts[parts.count - 1] += String(buffer: body) } else { parts.append("body " + String(buffer: body)) }
                case .end:
                    parts.append("end")
                case .malformed(let malformed, let failure):
                    parts.append("malformed \(malformed.status) \(failure.map { "\($0)" } ?? "")")
                }
            }
        }
        _ = try channel.finish()
        return parts
    }

    func testSplitsDoNotChangeWhatIsDecoded() throws {
        let pipelined = "\r\nPOST /a?x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Y:  v \r\n\r\n"
            + "3;e=\"q\"\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: t\r\n\r\n"
            + "PUT /b HTTP/1.0\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nwxyz"
            + "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let whole = try decode(pipelined, piece: pipelined.utf8.count)
        XCTAssertEqual(whole, [
            "head POST /a?x true -1 [\"Host=h\", \"Transfer-Encoding=chunked\", \"X-Y=v\"]", "body abc0123456789abcdef", "end",
            "head PUT /b true 4 [\"Content-Length=4\", \"Connection=keep-alive\"]", "body wxyz", "end",
            "head GET /c false -1 [\"Host=h\", \"Connection=close\"]", "end",
        ])
        for piece in [1, 2, 3, 7, 64] {
            XCTAssertEqual(try decode(pipelined, piece: piece), whole, "in pieces of \(piece)")
        }
    }

    /// Pulled one part at a time, as the connection handler does: a part a call, the end of a head
    /// without a body right after it, nil while more bytes are needed; `hasBody` tells the two heads apart.
    func testPartsArePulledOneAtATime() throws {
        var decoder = RequestDecoder(limits: RequestLimits())
        var bytes = ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nwx")
        guard case .head(let first, let firstFacts)? = decoder.next(&bytes) else { return XCTFail("no first head") }
        XCTAssertEqual(first.uri, "/a")
        XCTAssertFalse(firstFacts.hasBody)
        guard case .end? = decoder.next(&bytes) else { return XCTFail("no end after a head without a body") }
        guard case .head(let second, let secondFacts)? = decoder.next(&bytes) else { return XCTFail("no second head") }
        XCTAssertEqual(second.uri, "/b")
        XCTAssertTrue(secondFacts.hasBody)
        guard case .body(let start)? = decoder.next(&bytes) else { return XCTFail("no body") }
        XCTAssertEqual(String(buffer: start), "wx")
        XCTAssertNil(decoder.next(&bytes), "the rest of the body is still to come")
        bytes.writeString("yz")
        guard case .body(let rest)? = decoder.next(&bytes) else { return XCTFail("no rest of the body") }
        XCTAssertEqual(String(buffer: rest), "yz")
        guard case .end? = decoder.next(&bytes) else { return XCTFail("no end after the body") }
        XCTAssertNil(decoder.next(&bytes))
    }

    func testLimitsOfTheHead() throws {
        let limits = RequestLimits(maxTargetBytes: 100, maxHeaderBytes: 200, maxHeaderCount: 10)
        let longTarget = "GET /" + String(repeating: "a", count: 300)
        XCTAssertEqual(try decode(longTarget, piece: 16, limits: limits), ["malformed 414 URI Too Long "])
        let longHead = "GET / HTTP/1.1\r\n" + String(repeating: "X-A: bbbbbbbbbbbbbbbbbbbb\r\n", count: 30)
        XCTAssertEqual(try decode(longHead, piece: 16, limits: limits), ["malformed 431 Request Header Fields Too Large "])
    }

    func testAMalformedChunkEndsTheRequestAndNothingMoreIsDecoded() throws {
        let raw = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nzz\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"
        let parts = try decode(raw, piece: 5)
        XCTAssertEqual(parts.dropFirst(), ["body ok", "malformed 400 Bad Request the request body's chunked coding is malformed: invalid chunk size or extension"])
    }

    /// A WebSocket handshake: the head goes on alone (no end: frames may follow at once), the bytes
    /// after it wait, and leave raw when the decoder is removed (the WebSocket was accepted).
    func testAfterAWebSocketHandshakeTheBytesWaitThenLeaveRaw() throws {
        let channel = EmbeddedChannel()
        let decoder = ByteToMessageHandler(RequestDecoder(limits: RequestLimits()))
        try channel.pipeline.syncOperations.addHandler(decoder)
        let handshake = "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: handshake + "frames"))
        guard case .head(_, let facts)? = try channel.readInbound(as: RequestPart.self) else { return XCTFail("no head") }
        XCTAssertTrue(facts.webSocketUpgrade)
        XCTAssertNil(try channel.readInbound(as: RequestPart.self), "nothing more: no end, no request from the frames")
        try channel.writeInbound(ByteBuffer(string: " more"))
        XCTAssertNil(try channel.readInbound(as: RequestPart.self))
        channel.pipeline.syncOperations.removeHandler(decoder, promise: nil)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) }, "frames more")
        _ = try channel.finish()
    }

    func testAPostOrABodyIsNoWebSocketHandshake() throws {
        let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        let post = try decode("POST /ws HTTP/1.1\r\nHost: h\r\n\(upgrade)\r\n", piece: 1000)
        XCTAssertEqual(post.last, "end", "a POST is decoded as a request")
        let body = try decode("GET /ws HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\(upgrade)\r\nab", piece: 1000)
        XCTAssertEqual(body.suffix(2), ["body ab", "end"])
    }
}
