import Foundation
import XCTest
@testable import LuaGateway

/// The admin listener kept to those meant to see it (SPEC 10, issue 23): `--admin-token`, the
/// public listener's timeouts and a cap on its connections, and a warning when it listens
/// beyond loopback without a token.
final class AdminHardeningTests: XCTestCase {
    static let scripts = ["a.lua": #"return function(e, sr) sr(200, {}); return "a" end"#]
    static let token = "s3cret-Token_42"

    func request(_ client: RawClient, _ path: String, authorization: String? = nil) throws -> Response {
        let field = authorization.map { "Authorization: \($0)\r\n" } ?? ""
        return try client.request("GET \(path) HTTP/1.1\r\nHost: admin\r\n\(field)\r\n")
    }

    func testEveryAdminRequestNeedsTheToken() throws {
        let server = try TestServer(Self.scripts, admin: true) { $0.adminToken = Self.token }
        let admin = try XCTUnwrap(server.server.adminAddress).port
        for path in ["/metrics", "/status", "/status.json", "/elsewhere"] {
            let client = try RawClient(port: admin)
            for refused in [nil, "Bearer wrong", "Bearer \(Self.token)x", "Bearer \(Self.token.dropLast())", "Bearer ",
                            "Basic \(Self.token)", Self.token] {
                let response = try request(client, path, authorization: refused)
                XCTAssertEqual(response.code, 401, "\(path) with \(refused ?? "no Authorization")")
                XCTAssertEqual(response.header("WWW-Authenticate"), "Bearer")
                XCTAssertFalse(response.text.contains(Self.token))
            }
            // The same connection, kept alive after its refusals.
            let admitted = try request(client, path, authorization: "Bearer \(Self.token)")
            XCTAssertEqual(admitted.code, path == "/elsewhere" ? 404 : 200, path)
        }
        let lowercase = try request(RawClient(port: admin), "/status.json", authorization: "bearer \(Self.token)")
        XCTAssertEqual(lowercase.code, 200, "the scheme's name is case-insensitive (RFC 9110 §11.1)")
        let withBody = try RawClient(port: admin)
        let refused = try withBody.request("POST /status HTTP/1.1\r\nHost: admin\r\nContent-Length: 5\r\n\r\nhello")
        XCTAssertEqual(refused.code, 401)
        XCTAssertEqual(try request(withBody, "/status", authorization: "Bearer \(Self.token)").code, 200,
                       "the refused request's body was read past")
    }

    func testTheTokenIsComparedWholly() {
        let token = AdminToken("abc")
        XCTAssertTrue(token.admits("Bearer abc"))
        XCTAssertTrue(token.admits("BEARER   abc"))
        for refused in [nil, "", "Bearer", "Bearer ", "Bearer ab", "Bearer abcd", "Bearer abC", "Token abc", "abc"] {
            XCTAssertFalse(token.admits(refused), refused ?? "nil")
        }
        XCTAssertFalse(AdminToken("").admits("Bearer "), "an empty token admits nobody")
    }

    func testIdleAndHalfSentAdminConnectionsAreClosed() throws {
        let server = try TestServer(Self.scripts, limits: RequestLimits(keepAliveTimeout: 0.5, headerTimeout: 0.5), admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        XCTAssertTrue(try RawClient(port: admin, timeout: 60).isClosedByServer(), "a connection that sends nothing")
        let halfHead = try RawClient(port: admin, timeout: 60)
        try halfHead.send("GET /status.json HTTP/1.1\r\nHost: admin\r\n")
        XCTAssertTrue(try halfHead.isClosedByServer(), "a request head that never ends")
        let halfBody = try RawClient(port: admin, timeout: 60)
        try halfBody.send("POST /status.json HTTP/1.1\r\nHost: admin\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertTrue(try halfBody.isClosedByServer(), "a request body that never ends")
        let idle = try RawClient(port: admin, timeout: 60)
        XCTAssertEqual(try request(idle, "/status.json").code, 200)
        XCTAssertTrue(try idle.isClosedByServer(), "a kept-alive connection with no next request")
    }

    func testTheAdminListenerCapsItsConnections() throws {
        let server = try TestServer(Self.scripts, limits: RequestLimits(keepAliveTimeout: 600, headerTimeout: 600), admin: true)
        let admin = try XCTUnwrap(server.server.adminAddress).port
        var held = try (0..<AdminServer.maxConnections).map { _ in try RawClient(port: admin) }
        for client in held { XCTAssertEqual(try request(client, "/status.json").code, 200) }
        let beyond = try RawClient(port: admin)
        let refusal = try beyond.readResponse()
        XCTAssertEqual(refusal.code, 503)
        XCTAssertEqual(refusal.text, "too many admin connections\n")
        XCTAssertTrue(try beyond.isClosedByServer())
        XCTAssertEqual(try server.get("/a").code, 200, "the public listener has its own connections")
        held.removeLast()
        waitUntil("a connection closed to make room") {
            (try? request(RawClient(port: admin), "/status.json").code) == 200
        }
        XCTAssertEqual(try request(held[0], "/metrics").code, 200, "the held connections are still served")
    }

    func testAnAdminListenerBeyondLoopbackWithoutATokenIsWarnedAbout() throws {
        let warning = "is not on loopback and has no --admin-token"
        let everywhere = BindAddress(host: "0.0.0.0", port: 0)
        let exposed = LogCapture()
        let unguarded = try TestServer(Self.scripts, logger: exposed.logger, admin: true) { $0.admin = everywhere }
        XCTAssertEqual(exposed.count(of: warning), 1, "\(exposed.messages)")
        let port = try XCTUnwrap(unguarded.server.adminAddress).port
        XCTAssertTrue(exposed.messages.contains { $0.hasPrefix("warning") && $0.contains("0.0.0.0:\(port) ") }, "the port bound")
        let guarded = LogCapture()
        let server = try TestServer(Self.scripts, logger: guarded.logger, admin: true) {
            $0.admin = everywhere
            $0.adminToken = Self.token
        }
        XCTAssertEqual(try request(RawClient(port: server.server.adminAddress!.port), "/status",
                                   authorization: "Bearer \(Self.token)").code, 200)
        XCTAssertFalse(guarded.contains(warning), "\(guarded.messages)")
        XCTAssertFalse(guarded.contains(Self.token), "the token is never logged")
        let loopback = LogCapture()
        _ = try TestServer(Self.scripts, logger: loopback.logger, admin: true)
        XCTAssertFalse(loopback.contains(warning), "\(loopback.messages)")
    }

    func testWhichAddressesAreLoopback() {
        for text in ["127.0.0.1:9100", "127.1.2.3:1", "localhost:9100", "[::1]:9100", "unix:/run/admin.sock"] {
            XCTAssertEqual(BindAddress(parsing: text)?.isLoopback, true, text)
        }
        for text in [":9100", "0.0.0.0:9100", "[::]:9100", "10.0.0.7:9100", "127.0.0.1.example.com:1", "admin-host:9100"] {
            XCTAssertEqual(BindAddress(parsing: text)?.isLoopback, false, text)
        }
    }

    func testTheCommandLineTakesTheToken() throws {
        let help = try LuagwProcess.run(["serve", "--help"], mergingErrors: true)
        XCTAssertTrue(help.out.contains("--admin-token") && help.out.contains("LUAGW_ADMIN_TOKEN"), help.out)
        let alone = try LuagwProcess.run(["serve", "examples", "--admin-token", Self.token], mergingErrors: true)
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.out.contains("--admin-token needs --admin"), alone.out)
        let spaced = try LuagwProcess.run(["serve", "examples", "--admin", "127.0.0.1:0", "--admin-token", "two words"],
                                          mergingErrors: true)
        XCTAssertNotEqual(spaced.status, 0)
        XCTAssertTrue(spaced.out.contains("--admin-token must be a word"), spaced.out)
    }
}
