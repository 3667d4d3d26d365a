import Foundation
import XCTest
@testable import LuaGateway

/// An expired certificate (SPEC 11), valid in January 2025 only, from a throwaway authority:
/// luagw serving one starts and serves it (docs/tls.md: clients refuse it, luagw does not), and
/// luagw's own TLS out (`sock:sslhandshake`, `luagw.http.request`) refuses a peer that serves one,
/// with the reason, though it trusts the authority (`--ca-file`) and accepts a current
/// certificate from it.
final class ExpiredCertificateTests: XCTestCase {
    static let peerScripts = [
        "peer.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return "peer " .. e["wsgi.url_scheme"]
            end
            """#,
    ]

    /// Shakes hands with the TLS peer on port QUERY_STRING, then GETs /peer over https: verified,
    /// and with `ssl_verify = false`.
    static let clientScripts = [
        "call.lua": #"""
            local luagw = require "luagw"
            local http = require "luagw.http"
            return function(e, sr)
              local port = tonumber(e.QUERY_STRING)
              local sock = luagw.socket.tcp()
              assert(sock:connect("127.0.0.1", port))
              local session, err = sock:sslhandshake(nil, "localhost")
              sock:close()
              local url = "https://localhost:" .. port .. "/peer"
              local res, failed = http.request(url, { timeout = 10 })
              local unverified, also = http.request(url, { timeout = 10, ssl_verify = false })
              sr(200, {})
              return table.concat({ tostring(session) .. " " .. tostring(err),
                                    res and res.status .. " " .. res.body or "nil " .. failed,
                                    unverified and unverified.status .. " " .. unverified.body or "nil " .. also }, "|")
            end
            """#,
    ]

    func testLuagwStartsWithAnExpiredCertificateAndClientsRefuseIt() throws {
        let certificates = try TestCertificates()
        let expired = try certificates.issue("expired", expired: true)
        // The binary's start-up: no refusal (LuagwProcess returns once the port accepts connections).
        let luagw = try LuagwProcess(Self.peerScripts, arguments: ["--tls-cert", expired.certificate, "--tls-key", expired.key],
                                     capturingErrors: true)
        let url = "https://localhost:\(luagw.port)/peer"
        let resolve = "localhost:\(luagw.port):127.0.0.1"
        let verified = try Curl.run(["--cacert", certificates.authority, "--resolve", resolve, "-v", url])
        XCTAssertEqual(verified.status, 60, "curl refuses the peer's certificate: \(verified.errors)")
        XCTAssertTrue(verified.errors.contains("certificate has expired"), verified.errors)
        let insecure = try Curl.run(["--insecure", "--resolve", resolve, url])
        XCTAssertEqual(insecure.out, "peer https", "served to a client that does not verify: \(insecure.errors)")
        XCTAssertTrue(luagw.process.isRunning)
        XCTAssertEqual(luagw.errors, "", "nothing said at start-up (--log-level error)")
    }

    func testTLSOutRefusesAnExpiredPeerWithTheReason() throws {
        let certificates = try TestCertificates()
        let expired = try certificates.issue("expired", expired: true)
        let peer = try TestServer(Self.peerScripts) { $0.tls = expired }
        let client = try TestServer(Self.clientScripts) { $0.caFiles = [certificates.authority] }
        let answers = try client.get("/call?\(peer.port)").text.split(separator: "|").map(String.init)
        let refused = "certificate verify failed: not issued by a trusted authority, or expired"
        XCTAssertEqual(answers, ["nil \(refused)", "nil \(refused)", "200 peer https"])
    }

    func testTheSameAuthoritysCurrentCertificateIsAccepted() throws {
        let certificates = try TestCertificates()
        let current = try certificates.issue("current")
        let peer = try TestServer(Self.peerScripts) { $0.tls = current }
        let client = try TestServer(Self.clientScripts) { $0.caFiles = [certificates.authority] }
        XCTAssertEqual(try client.get("/call?\(peer.port)").text, "true nil|200 peer https|200 peer https")
    }
}
