import NIOCore
import XCTest
@testable import LuaGateway

/// The HTTP/1.x response head the writer encodes, read back as HTTP/2 fields (SPEC 11).
final class HTTP2ResponseHeadTests: XCTestCase {
    func testFieldsAreLowerCasedAndHopByHopFieldsLeftOut() throws {
        var bytes = ByteBuffer(string: "HTTP/1.0 201 Created\r\nContent-Type: text/plain\r\nX-Mixed-Case:  spaced value\r\n"
            + "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello")
        let head = try XCTUnwrap(HTTP2ResponseHead.read(from: &bytes))
        XCTAssertEqual(head.status, 201)
        XCTAssertEqual(head.contentLength, 5)
        XCTAssertEqual(head.headers.map { "\($0.name)=\($0.value)" },
                       [":status=201", "content-type=text/plain", "x-mixed-case=spaced value", "content-length=5"])
        XCTAssertEqual(bytes.readString(length: bytes.readableBytes), "hello", "the body stays")
    }

    func testAnIncompleteHeadIsLeftWhole() {
        var bytes = ByteBuffer(string: "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n")
        XCTAssertNil(HTTP2ResponseHead.read(from: &bytes))
        XCTAssertEqual(bytes.readableBytes, 43)
    }

    func testAContinueThenTheFinalHead() throws {
        var bytes = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 204 No Content\r\n\r\n")
        let first = try XCTUnwrap(HTTP2ResponseHead.read(from: &bytes))
        XCTAssertEqual(first.status, 100)
        let final = try XCTUnwrap(HTTP2ResponseHead.read(from: &bytes))
        XCTAssertEqual(final.status, 204)
        XCTAssertNil(final.contentLength)
        XCTAssertEqual(bytes.readableBytes, 0)
    }

    func testAContentLengthThatIsNotANumberIsNone() throws {
        var bytes = ByteBuffer(string: "HTTP/1.0 200 OK\r\nContent-Length: 1x\r\n\r\n")
        XCTAssertNil(try XCTUnwrap(HTTP2ResponseHead.read(from: &bytes)).contentLength)
    }
}
