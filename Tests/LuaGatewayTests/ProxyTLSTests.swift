import Foundation
import XCTest
@testable import LuaGateway

/// SPEC 8's `luagw.web.proxy` in front of an `https://` upstream (SPEC 11's TLS out): a TLSPeer
/// whose certificate a throwaway authority signed, trusted through `--ca-file`. The upstream
/// answers `connection N PATH`, N counting the connections it accepted: a kept-alive connection
/// shows as the same N.
final class ProxyTLSTests: XCTestCase {
    /// A proxy to `https://HOST:PORT` of `peer`, trusting its authority or not; `options` are
    /// more fields of the proxy's table.
    private func proxy(to peer: TLSPeer, host: String = "localhost", trusting: Bool, options: String = "",
                       log: LogCapture? = nil) throws -> TestServer {
        let script = #"return require("luagw.web.proxy"){ upstreams = { "https://\#(host):\#(peer.port)" }\#(options) }"#
        return try TestServer(["index.lua": script], logger: log?.logger) { configuration in
            configuration.caFiles = trusting ? [peer.caFile] : []
        }
    }

    func testAnHTTPSUpstreamIsVerifiedAndItsConnectionReused() throws {
        let peer = try TLSPeer()
        let proxy = try proxy(to: peer, trusting: true)
        let first = try proxy.get("/a%20b?x=1")
        XCTAssertEqual(first.code, 200, first.text)
        XCTAssertEqual(first.text, "connection 1 /a%20b?x=1")
        // A new client connection each time: the upstream's connection comes from the pool.
        XCTAssertEqual(try proxy.get("/b").text, "connection 1 /b")
        XCTAssertEqual(try proxy.get("/c").text, "connection 1 /c")
    }

    /// The upstream URL's host is the name verified (and sent as SNI): a certificate for
    /// localhost only is good for `https://localhost:PORT` and refused for `https://127.0.0.1:PORT`.
    func testTheUpstreamsHostIsTheNameVerified() throws {
        let peer = try TLSPeer(names: "DNS:localhost")
        XCTAssertEqual(try proxy(to: peer, trusting: true).get("/n").code, 200)
        let response = try proxy(to: peer, host: "127.0.0.1", trusting: true).get("/n")
        XCTAssertEqual(response.code, 502)
        XCTAssertTrue(response.text.contains("certificate verify failed: the certificate is not for 127.0.0.1"), response.text)
    }

    func testAnUnknownAuthorityIs502WithTheReasonLoggedUnlessVerificationIsOff() throws {
        let peer = try TLSPeer()
        let log = LogCapture()
        let response = try proxy(to: peer, trusting: false, log: log).get("/a")
        XCTAssertEqual(response.code, 502)
        XCTAssertTrue(response.text.contains("certificate verify failed"), response.text)
        let line = "luagw.web.proxy: upstream https://localhost:\(peer.port) failed: certificate verify failed"
        waitUntil("the reason logged") { log.contains(line) }
        let unverified = try proxy(to: peer, trusting: false, options: ", ssl_verify = false").get("/b")
        XCTAssertEqual(unverified.code, 200, unverified.text)
        XCTAssertTrue(unverified.text.hasPrefix("connection ") && unverified.text.hasSuffix(" /b"), unverified.text)
    }
}
