import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 5 behind a proxy: forwarded headers believed only from listed peers; a Unix domain
/// socket; several servers sharing a port.
final class DeploymentTests: XCTestCase {
    static let who = #"return function(e, sr) sr(200, {}); return e.REMOTE_ADDR .. " " .. e["wsgi.url_scheme"] end"#
    static let forwarded = "X-Forwarded-For: 203.0.113.9, 198.51.100.7\r\nX-Forwarded-Proto: https\r\n"

    func testForwardedHeadersFromAListedProxy() throws {
        let server = try TestServer(["who.lua": Self.who], forwardedAllowIPs: ["127.0.0.1"])
        XCTAssertEqual(try server.get("/who", headers: Self.forwarded).text, "198.51.100.7 https")
        XCTAssertEqual(try server.get("/who").text, "127.0.0.1 http")
    }

    func testForwardedHeadersFromOthersAreIgnored() throws {
        let server = try TestServer(["who.lua": Self.who], forwardedAllowIPs: ["192.0.2.1"])
        XCTAssertEqual(try server.get("/who", headers: Self.forwarded).text, "127.0.0.1 http")
        let unlisted = try TestServer(["who.lua": Self.who])
        XCTAssertEqual(try unlisted.get("/who", headers: Self.forwarded).text, "127.0.0.1 http")
    }

    func testUnixDomainSocket() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-\(UUID().uuidString.prefix(8)).sock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try TestServer(["who.lua": Self.who], bind: BindAddress(unixPath: path))
        let response = try RawClient(unixPath: path).request("GET /who HTTP/1.1\r\nHost: app\r\n\r\n")
        XCTAssertEqual(response.text, " http")
        let forwarded = "GET /who HTTP/1.1\r\nHost: app\r\n\(Self.forwarded)\r\n"
        XCTAssertEqual(try RawClient(unixPath: path).request(forwarded).text, " http", "nobody listed: ignored")
        _ = server
    }

    func testAUnixEntryTrustsPeersOnAUnixSocketOnly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("luagw-\(UUID().uuidString.prefix(8)).sock").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try TestServer(["who.lua": Self.who], forwardedAllowIPs: ["unix"], bind: BindAddress(unixPath: path))
        let forwarded = "GET /who HTTP/1.1\r\nHost: app\r\n\(Self.forwarded)\r\n"
        XCTAssertEqual(try RawClient(unixPath: path).request(forwarded).text, "198.51.100.7 https")
        _ = server
        let tcp = try TestServer(["who.lua": Self.who], forwardedAllowIPs: ["unix"])
        XCTAssertEqual(try tcp.get("/who", headers: Self.forwarded).text, "127.0.0.1 http", "a TCP peer is not `unix`")
    }

    func testTwoServersShareAPortWithReusePort() throws {
        let first = try TestServer(["who.lua": Self.who], reusePort: true)
        let second = try TestServer(["who.lua": Self.who], bind: BindAddress(host: "127.0.0.1", port: first.port), reusePort: true)
        XCTAssertEqual(second.port, first.port)
        for _ in 0..<10 { XCTAssertEqual(try first.get("/who").code, 200) }
        XCTAssertThrowsError(try TestServer(["who.lua": Self.who], bind: BindAddress(host: "127.0.0.1", port: first.port)),
                             "without --reuse-port the port is taken")
    }
}
