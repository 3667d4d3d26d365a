import XCTest
@testable import LuaGateway

/// The rules of a whole body's framing (SPEC 1.3), shared by HTTP connections and `luagw cgi`.
final class WholeBodyTests: XCTestCase {
    func testTheServerStatesTheLengthUnlessTheApplicationDidOrTheStatusHasNoBody() {
        XCTAssertEqual(WholeBody(code: 200, length: 5, declared: nil, isHead: false).lengthHeader, 5)
        XCTAssertNil(WholeBody(code: 200, length: 5, declared: 5, isHead: false).lengthHeader)
        for code in [101, 204, 304] { XCTAssertNil(WholeBody(code: code, length: 0, declared: nil, isHead: false).lengthHeader) }
        XCTAssertEqual(WholeBody(code: 200, length: 5, declared: nil, isHead: true).lengthHeader, 5, "HEAD states GET's length")
    }

    func testWhatGoesOutIsCutAtADeclaredLengthAndNothingForHEADOrABodilessStatus() {
        let cut = WholeBody(code: 200, length: 10, declared: 4, isHead: false)
        XCTAssertEqual(cut.bytesToSend, 4)
        XCTAssertTrue(cut.isCut)
        let short = WholeBody(code: 200, length: 3, declared: 4, isHead: false)
        XCTAssertEqual(short.bytesToSend, 3)
        XCTAssertTrue(short.isShort)
        XCTAssertEqual(WholeBody(code: 200, length: 5, declared: nil, isHead: true).bytesToSend, 0)
        let noContent = WholeBody(code: 204, length: 5, declared: nil, isHead: false)
        XCTAssertEqual(noContent.bytesToSend, 0)
        XCTAssertFalse(noContent.isCut || noContent.isShort)
    }
}
