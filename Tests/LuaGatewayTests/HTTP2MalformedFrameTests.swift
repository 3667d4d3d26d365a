import Foundation
import XCTest
@testable import LuaGateway

/// HTTP/2 that breaks the rules (SPEC 11, RFC 9113), sent as raw frames by `H2FrameProbe`: each
/// error gets the code the RFC requires, on the connection (GOAWAY) when it is a connection
/// error and on the stream (RST_STREAM, the connection going on) when it is a stream error; a
/// malformed request (section 8.1.1) is a stream error of type PROTOCOL_ERROR or a 400. After
/// each case the server still serves a GET on a new connection.
final class HTTP2MalformedFrameTests: XCTestCase {
    private var server: TestServer!

    override func setUpWithError() throws {
        server = try TestServer(HTTP2Tests.scripts)
    }

    override func tearDown() {
        server = nil
    }

    private func probe(_ name: String) throws -> H2FrameProbe.Result {
        let result = try H2FrameProbe.run(name, port: server.port)
        XCTAssertFalse(result.timeout, "\(name): the server neither answered nor ended: \(result)")
        return result
    }

    /// The server still serves a GET on a new connection.
    private func assertStillServing(after name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let answer = try H2Client.get(port: server.port, paths: ["/env"]).answers["/env"]
        XCTAssertEqual(answer?["status"], "200", "\(name): \(String(describing: answer))", file: file, line: line)
        XCTAssertTrue(answer?["body"]?.hasPrefix("HTTP/2.0 GET") == true, "\(name): \(String(describing: answer))", file: file, line: line)
    }

    /// A connection error: GOAWAY with `code`.
    private func assertConnectionError(_ name: String, _ code: H2FrameProbe.ErrorCode,
                                       file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try probe(name)
        XCTAssertEqual(result.goaway, code.rawValue, "\(name): \(result)", file: file, line: line)
        try assertStillServing(after: name, file: file, line: line)
    }

    /// A stream error: stream 1 reset with `code`, and a GET on the same connection answered.
    private func assertStreamError(_ name: String, _ code: H2FrameProbe.ErrorCode,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try probe(name)
        XCTAssertEqual(result.resets["1"], code.rawValue, "\(name): \(result)", file: file, line: line)
        XCTAssertNil(result.goaway, "\(name): \(result)", file: file, line: line)
        XCTAssertEqual(result.after, "200", "\(name): the connection goes on: \(result)", file: file, line: line)
        try assertStillServing(after: name, file: file, line: line)
    }

    /// A malformed request (RFC 9113 8.1.1): stream 1 reset with PROTOCOL_ERROR or answered 400,
    /// never run; the connection goes on.
    private func assertMalformedRequest(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try probe(name)
        XCTAssertTrue(result.resets["1"] == H2FrameProbe.ErrorCode.protocolError.rawValue || result.status["1"] == "400",
                      "\(name): \(result)", file: file, line: line)
        XCTAssertNil(result.goaway, "\(name): \(result)", file: file, line: line)
        XCTAssertEqual(result.after, "200", "\(name): the connection goes on: \(result)", file: file, line: line)
        try assertStillServing(after: name, file: file, line: line)
    }

    // Section 4.2: a frame carrying a field block, or on stream 0, of the wrong size.

    func testAHeadersFrameLargerThanMaxFrameSizeIsAFrameSizeError() throws {
        try assertConnectionError("oversized-headers", .frameSizeError)
    }

    func testAPingOfSevenOctetsIsAFrameSizeError() throws {
        try assertConnectionError("short-ping", .frameSizeError)
    }

    // Sections 6.1, 6.10, 5.1.1: frames where they cannot be.

    func testDataOnStreamZeroIsAProtocolError() throws {
        try assertConnectionError("data-on-stream-0", .protocolError)
    }

    func testAContinuationWithoutHeadersIsAProtocolError() throws {
        try assertConnectionError("lone-continuation", .protocolError)
    }

    func testAnotherFrameBetweenHeadersAndItsContinuationIsAProtocolError() throws {
        try assertConnectionError("interrupted-headers", .protocolError)
    }

    func testAnEvenStreamFromTheClientIsAProtocolError() throws {
        try assertConnectionError("even-stream", .protocolError)
    }

    // Section 4.3: a field block that cannot be decompressed.

    func testABrokenHPACKBlockIsACompressionError() throws {
        try assertConnectionError("broken-hpack", .compressionError)
    }

    // Section 6.9: WINDOW_UPDATE of 0, and windows past 2^31-1.

    func testAZeroWindowUpdateOnTheConnectionIsAProtocolError() throws {
        try assertConnectionError("zero-window-update-connection", .protocolError)
    }

    func testAZeroWindowUpdateOnAStreamResetsTheStream() throws {
        try assertStreamError("zero-window-update-stream", .protocolError)
    }

    func testOverflowingTheConnectionWindowIsAFlowControlError() throws {
        try assertConnectionError("overflowing-window-connection", .flowControlError)
    }

    func testOverflowingAStreamWindowResetsTheStream() throws {
        try assertStreamError("overflowing-window-stream", .flowControlError)
    }

    // Section 5.3.1: a stream that depends on itself is a stream error of type PROTOCOL_ERROR,
    // which section 5.4.1 lets an endpoint treat as a connection error (luagw does: GOAWAY).

    func testHeadersDependingOnTheirOwnStreamIsAProtocolError() throws {
        let result = try probe("self-dependent-headers")
        XCTAssertTrue(result.goaway == 1 || result.resets["1"] == 1, "\(result)")
        XCTAssertNil(result.status["1"], "the request is not served: \(result)")
        try assertStillServing(after: "self-dependent-headers")
    }

    func testPriorityDependingOnItsOwnStreamIsAProtocolError() throws {
        let result = try probe("self-dependent-priority")
        XCTAssertTrue(result.goaway == 1 || result.resets["3"] == 1, "\(result)")
        try assertStillServing(after: "self-dependent-priority")
    }

    // Section 8.3 and 8.2: malformed requests.

    func testAPseudoHeaderAfterARegularFieldIsMalformed() throws {
        try assertMalformedRequest("pseudo-after-regular")
    }

    func testAnUppercaseFieldNameIsMalformed() throws {
        try assertMalformedRequest("uppercase-name")
    }

    func testARequestWithoutPathIsMalformed() throws {
        try assertMalformedRequest("no-path")
    }

    func testAConnectionSpecificFieldIsMalformed() throws {
        try assertMalformedRequest("connection-field")
    }
}
