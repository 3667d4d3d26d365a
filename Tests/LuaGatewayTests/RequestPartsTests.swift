import NIOCore
import XCTest
@testable import LuaGateway

/// The small functions a request meets, alone: its target, percent-decoding, the authority's
/// name and port, the bind address, the response's framing.
final class RequestPartsTests: XCTestCase {
    private func target(_ uri: String) -> (path: String, query: String) {
        let head = try! RequestHeadParser.parse(ByteBuffer(string: "OPTIONS \(uri) HTTP/1.1\r\nHost: t\r\n")).head
        let target = RequestTarget(head)
        return (String(decoding: Array(target.path), as: UTF8.self), String(decoding: Array(target.query), as: UTF8.self))
    }

    func testRequestTarget() {
        XCTAssertTrue(target("/a/b?x=1&y") == ("/a/b", "x=1&y"))
        XCTAssertTrue(target("/a?") == ("/a", ""))
        XCTAssertTrue(target("/a?b?c") == ("/a", "b?c"))
        XCTAssertTrue(target("http://example.org:81/p?q") == ("/p", "q"))
        XCTAssertTrue(target("http://example.org") == ("/", ""))
        XCTAssertTrue(target("http://example.org?q") == ("/", "q"))
        XCTAssertTrue(target("*") == ("*", ""))
    }

    private func decoded(_ text: String) -> String {
        var output: [UInt8] = []
        percentDecode(text.utf8, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    func testPercentDecoding() {
        XCTAssertEqual(decoded("/a%20b"), "/a b")
        XCTAssertEqual(decoded("/a%2Fb%2f"), "/a/b/", "as in CGI, %2F is a slash")
        XCTAssertEqual(decoded("/100%"), "/100%")
        XCTAssertEqual(decoded("/%zz%4"), "/%zz%4", "an incomplete escape stays as it is")
        XCTAssertEqual(decoded("/%C3%A9"), "/é")
    }

    private func host(_ authority: String) -> (String, String?) {
        let buffer = ByteBuffer(string: authority)
        let (name, port) = splitHost(buffer.readableBytesView)
        return (String(decoding: name, as: UTF8.self), port.map { String(decoding: $0, as: UTF8.self) })
    }

    func testHostSplitting() {
        XCTAssertTrue(host("example.org") == ("example.org", nil))
        XCTAssertTrue(host("example.org:8080") == ("example.org", "8080"))
        XCTAssertTrue(host("example.org:") == ("example.org", nil))
        XCTAssertTrue(host("[::1]:81") == ("::1", "81"))
        XCTAssertTrue(host("[::1]") == ("::1", nil))
        XCTAssertTrue(host("") == ("", nil))
    }

    func testAuthoritySyntax() {
        for valid in ["", "a", "a.b-c_d~e", "a:", "a:80", "127.0.0.1:8080", "[::1]", "[::1]:80", "%41b", "a!$&'()*+,;="] {
            XCTAssertTrue(Authority.isValid(Array(valid.utf8)), valid)
        }
        for invalid in ["a b", "a/b", "x:8x", "user@host", "[::1", "[]", "[::1]x", "%4", "%zz", "a:-1"] {
            XCTAssertFalse(Authority.isValid(Array(invalid.utf8)), invalid)
        }
    }

    func testBindAddressParsing() {
        XCTAssertEqual(BindAddress(parsing: "127.0.0.1:8080"), BindAddress(host: "127.0.0.1", port: 8080))
        XCTAssertEqual(BindAddress(parsing: "[::1]:80"), BindAddress(host: "::1", port: 80))
        XCTAssertEqual(BindAddress(parsing: ":9000"), BindAddress(host: "0.0.0.0", port: 9000))
        XCTAssertEqual(BindAddress(parsing: "9000"), BindAddress(host: "127.0.0.1", port: 9000))
        XCTAssertEqual(BindAddress(parsing: "unix:/run/luagw.sock"), BindAddress(unixPath: "/run/luagw.sock"))
        XCTAssertNil(BindAddress(parsing: "unix:"))
        XCTAssertNil(BindAddress(parsing: "host:99999"))
        XCTAssertNil(BindAddress(parsing: "host:http"))
        XCTAssertEqual(BindAddress(host: "::1", port: 80).description, "[::1]:80")
    }

    func testResponseFraming() {
        XCTAssertEqual(BodyFraming.forStream(code: 200, declared: nil, isHead: false, isHTTP11: true), .chunked)
        XCTAssertEqual(BodyFraming.forStream(code: 200, declared: nil, isHead: false, isHTTP11: false), .untilClose)
        XCTAssertEqual(BodyFraming.forStream(code: 200, declared: 5, isHead: false, isHTTP11: false), .length(remaining: 5))
        for code in [100, 204, 304] {
            XCTAssertEqual(BodyFraming.forStream(code: code, declared: 5, isHead: false, isHTTP11: true), .none)
        }
        XCTAssertEqual(BodyFraming.forStream(code: 200, declared: nil, isHead: true, isHTTP11: true), .none)
        XCTAssertTrue(BodyFraming.allowsBody(code: 404, isHead: false))
    }
}
