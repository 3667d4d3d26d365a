import Foundation
import XCTest
@testable import LuaGateway

/// A browser on HTTPS + HTTP/2 (SPEC 11): headless Chromium (Debian's, installed by scripts/test)
/// loads a page from luagw serving a throwaway authority's certificate (Chromium trusts that
/// one key through `--ignore-certificate-errors-spki-list`), with a script and a `fetch` from
/// the same origin. Each of the three is answered with `SERVER_PROTOCOL`, and the page lists the
/// protocol Chromium says each came over (`nextHopProtocol`): all of them HTTP/2.
final class HTTP2BrowserTests: XCTestCase {
    static let scripts = [
        "page.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/html; charset=utf-8"}})
              return [[<!doctype html><title>h2</title>
            <p id="page">page ]] .. e.SERVER_PROTOCOL .. [[</p><p id="script"></p><p id="fetched"></p><p id="hops"></p>
            <script src="/script"></script>
            <script>
            fetch("/protocol").then(r => r.text()).then(text => {
              document.getElementById("fetched").textContent = "fetched " + text;
              const entries = performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"));
              document.getElementById("hops").textContent =
                entries.map(e => new URL(e.name).pathname + "=" + e.nextHopProtocol).join(" ");
            });
            </script>]]
            end
            """#,
        "script.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/javascript"}})
              return 'document.getElementById("script").textContent = "script ' .. e.SERVER_PROTOCOL .. '";'
            end
            """#,
        "protocol.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return e.SERVER_PROTOCOL .. " " .. e["wsgi.url_scheme"]
            end
            """#,
    ]

    func testAPageItsScriptAndAFetchComeOverHTTP2() throws {
        try HeadlessChromium.skipUnlessInstalled()
        let certificates = try TestCertificates()
        let files = try certificates.issue("browser")
        let server = try TestServer(Self.scripts) { $0.tls = files }
        let pin = "--ignore-certificate-errors-spki-list=\(try certificates.publicKeyHash(files))"
        let dom = try HeadlessChromium.open("https://127.0.0.1:\(server.port)/page", as: "https-h2-page", arguments: [pin]).dom
        XCTAssertTrue(dom.contains("<p id=\"page\">page HTTP/2.0</p>"), dom)
        XCTAssertTrue(dom.contains("<p id=\"script\">script HTTP/2.0</p>"), "the script came over HTTP/2: \(dom)")
        XCTAssertTrue(dom.contains("<p id=\"fetched\">fetched HTTP/2.0 https</p>"), "the fetch came over HTTP/2: \(dom)")
        // The page, /script and /protocol as Chromium saw them (and /favicon.ico, when it asked for it first).
        let hops = try XCTUnwrap(dom.firstMatch(of: #/<p id="hops">([^<]*)</p>/#)?.1, dom).split(separator: " ")
        XCTAssertEqual(Set(hops).subtracting(["/favicon.ico=h2"]), ["/page=h2", "/script=h2", "/protocol=h2"], dom)
    }
}
