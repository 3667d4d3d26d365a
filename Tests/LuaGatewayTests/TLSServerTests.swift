import Foundation
import XCTest
@testable import LuaGateway
#if canImport(Glibc)
import Glibc
#endif

/// Serving TLS (SPEC 11): `--tls-cert` and `--tls-key`, TLS 1.2 and 1.3 only, environ's https,
/// and the certificate read again on reload while open connections go on. Certificates are made
/// with the openssl command; the client is Python's ssl module (OpenSSL), verifying them.
final class TLSServerTests: XCTestCase {
    static let scripts = [
        "env.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return table.concat({ e["wsgi.url_scheme"], tostring(e.HTTPS), e.SERVER_PORT }, " ")
            end
            """#,
        "file.lua": #"""
            return function(e, sr)
              sr("200 OK", {{"Content-Type", "text/plain"}})
              return e["wsgi.file_wrapper"](e.QUERY_STRING)
            end
            """#,
    ]

    private func server(_ files: TLSFiles, reload: ReloadMode = .off, limits: RequestLimits = RequestLimits(),
                        logger: LogCapture? = nil) throws -> TestServer {
        try TestServer(Self.scripts, reload: reload, logger: logger?.logger, limits: limits) {
            $0.tls = files
            $0.pollInterval = 0.05
        }
    }

    func testATLSRequestIsHTTPSAndKeptAlive() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"))
        let client = try TLSClient(port: server.port, authority: certificates.authority)
        for _ in 0..<3 {  // one connection: kept alive
            let response = try client.get("/env")
            XCTAssertEqual(response["status"], "200")
            XCTAssertEqual(response["body"], "https on 443")
            XCTAssertEqual(response["subject"], "first")
            XCTAssertEqual(response["alpn"], "http/1.1", "the client offers only http/1.1 (HTTP2Tests: h2)")
        }
        let plain = try TestServer(Self.scripts)
        XCTAssertEqual(try plain.get("/env").text, "http nil 80", "a plain listener has no HTTPS")
    }

    func testOnlyTLS12And13AreSpoken() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"))
        XCTAssertEqual(try TLSClient.handshake(port: server.port, version: "TLSv1_2")["version"], "TLSv1.2")
        XCTAssertEqual(try TLSClient.handshake(port: server.port, version: "TLSv1_3")["version"], "TLSv1.3")
        for old in ["TLSv1", "TLSv1_1"] {
            let refused = try TLSClient.handshake(port: server.port, version: old)
            XCTAssertNil(refused["version"], old)
            XCTAssertTrue(refused["error"]?.contains("PROTOCOL_VERSION") == true, "\(old): \(refused)")
        }
    }

    func testPlainHTTPSentToTheTLSPortIsNotServed() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"))
        let client = try server.client()
        try client.send("GET /env HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let answer = String(decoding: try client.readToEnd(), as: UTF8.self)
        XCTAssertFalse(answer.contains("HTTP/1."), answer)
        XCTAssertFalse(answer.contains("https"), answer)
    }

    func testAClientThatNeverHandshakesIsClosedAfterTheHeaderTimeout() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"), limits: RequestLimits(headerTimeout: 0.3))
        let client = try RawClient(port: server.port, timeout: 30)
        let started = Date()
        XCTAssertTrue(try client.isClosedByServer())
        XCTAssertLessThan(Date().timeIntervalSince(started), 8, "closed by the 0.3 s --header-timeout (the default is 10 s)")
    }

    func testAnIdleConnectionIsClosedAtTheKeepAliveTimeWithoutWaitingForTheClient() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"), limits: RequestLimits(keepAliveTimeout: 0.3))
        let client = try TLSClient(port: server.port, authority: certificates.authority)
        XCTAssertEqual(try client.get("/env")["status"], "200")
        try client.waitForClose()  // the server's close_notify; the client sends none back
        // Gone at once, not after swift-nio-ssl's default 5 s wait for the client's close_notify.
        waitUntil(seconds: 3.5, "the connection is gone from the worker") {
            server.server.workers!.collect { $0.connections.count } == [0]
        }
    }

    func testAFileBodyIsSentOverTLSThenTheNextRequest() throws {
        let certificates = try TestCertificates()
        let server = try server(try certificates.issue("first"))
        let text = String((0..<300_000).map { _ in "abcdefghij".randomElement()! })
        let file = server.directory.appendingPathComponent("data.txt").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let client = try TLSClient(port: server.port, authority: certificates.authority)
        let response = try client.get("/file?\(file)")
        XCTAssertEqual(response["status"], "200")
        XCTAssertEqual(response["body"]?.count, text.count)
        XCTAssertTrue(response["body"] == text)
        XCTAssertEqual(try client.get("/env")["body"], "https on 443", "the connection goes on after the file")
    }

    func testAReloadServesTheNewCertificateAndOpenConnectionsGoOn() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("first"), renewed = try certificates.issue("second")
        let log = LogCapture()
        let server = try server(files, logger: log)
        let old = try TLSClient(port: server.port, authority: certificates.authority)
        XCTAssertEqual(try old.get("/env")["subject"], "first")
        try certificates.install(renewed, as: files)
        server.server.reload()
        XCTAssertEqual(try TLSClient(port: server.port, authority: certificates.authority).get("/env")["subject"], "second")
        let before = try old.get("/env")
        XCTAssertEqual(before["body"], "https on 443", "the connection opened before the reload goes on")
        XCTAssertEqual(before["subject"], "first")
        // A broken key at a reload: the certificate in use stays, and the error names the file.
        try certificates.scratch.write(URL(fileURLWithPath: files.key).lastPathComponent, "not a key\n")
        server.server.reload()
        XCTAssertEqual(try TLSClient(port: server.port, authority: certificates.authority).get("/env")["subject"], "second")
        XCTAssertTrue(log.contains("--tls-key \(files.key): no PEM private key"), "\(log.messages)")
    }

    func testChangedFilesAreReadAgainByTheWatcher() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("first"), renewed = try certificates.issue("second")
        let server = try server(files, reload: .poll)
        try certificates.install(renewed, as: files)
        waitUntil("a new connection gets the renewed certificate") {
            (try? TLSClient(port: server.port, authority: certificates.authority).get("/env")["subject"]) == "second"
        }
    }

    func testSIGHUPReadsTheCertificateAgain() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("first"), renewed = try certificates.issue("second")
        let luagw = try LuagwProcess(Self.scripts, arguments: ["--tls-cert", files.certificate, "--tls-key", files.key,
                                                               "--reload", "signal"])
        let old = try TLSClient(port: luagw.port, authority: certificates.authority)
        XCTAssertEqual(try old.get("/env")["subject"], "first")
        try certificates.install(renewed, as: files)
        kill(luagw.process.processIdentifier, SIGHUP)
        waitUntil("a new connection gets the renewed certificate") {
            (try? TLSClient(port: luagw.port, authority: certificates.authority).get("/env")["subject"]) == "second"
        }
        XCTAssertEqual(try old.get("/env")["subject"], "first", "the connection opened before SIGHUP goes on")
    }

    func testStartUpRefusesAFileItCannotUseAndNamesIt() throws {
        let certificates = try TestCertificates()
        let files = try certificates.issue("first"), other = try certificates.issue("other")
        let garbage = try certificates.scratch.write("garbage.pem", "hello\n").path
        let missing = certificates.path("missing.pem")
        let cases: [(cert: String, key: String, says: String)] = [
            (missing, files.key, "--tls-cert \(missing): no such file"),
            (files.certificate, missing, "--tls-key \(missing): no such file"),
            (garbage, files.key, "--tls-cert \(garbage): no PEM certificate"),
            (files.certificate, garbage, "--tls-key \(garbage): no PEM private key"),
            (files.certificate, other.key, "--tls-key \(other.key): this private key does not match the certificate of \(files.certificate)"),
            (certificates.scratch.path, files.key, "--tls-cert \(certificates.scratch.path): is a directory"),
        ]
        for (cert, key, says) in cases {
            let run = try LuagwProcess.run(["serve", certificates.scratch.path, "--bind", "127.0.0.1:0",
                                            "--tls-cert", cert, "--tls-key", key])
            XCTAssertNotEqual(run.status, 0, says)
            XCTAssertTrue(run.err.contains(says), "expected \(says) in: \(run.err)")
        }
        let alone = try LuagwProcess.run(["serve", certificates.scratch.path, "--tls-cert", files.certificate])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.err.contains("--tls-cert and --tls-key go together"), alone.err)
    }
}
