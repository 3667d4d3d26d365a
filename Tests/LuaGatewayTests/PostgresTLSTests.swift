import Foundation
import XCTest
@testable import LuaGateway

/// `sslmode` (SPEC 13, as libpq's): `disable` talks in the clear, `require` encrypts without
/// checking the certificate, `verify-full` checks it against the system's authorities and
/// `--ca-file`'s, and refuses a server it cannot verify. The cluster's certificate is issued
/// by a throwaway authority for localhost and 127.0.0.1.
final class PostgresTLSTests: XCTestCase {
    private static let actions = #"""
        function actions.ssl()
          local rows, err = db:query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
          if not rows then return nil, err end
          return rows[1].ssl
        end
        """#

    private var certificates: TestCertificates!
    private var cluster: PostgresCluster!

    override func setUpWithError() throws {
        certificates = try TestCertificates()
        let files = try certificates.issue("localhost")
        cluster = try PostgresCluster(settings: ["-c", "ssl=on", "-c", "ssl_cert_file=server.pem",
                                                 "-c", "ssl_key_file=server.key"]) { cluster in
            for (from, to) in [(files.certificate, "server.pem"), (files.key, "server.key")] {
                let target = cluster.data + "/" + to
                try FileManager.default.copyItem(atPath: from, toPath: target)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: target)
                try cluster.handOver(target)
            }
        }
    }

    override func tearDown() {
        cluster = nil
        certificates = nil
    }

    private func ssl(_ url: String, caFiles: [String] = []) throws -> String {
        let source = PostgresApp.source(connect: "\"\(url)\"", actions: Self.actions)
        let server = try TestServer(["p.lua": source]) { $0.caFiles = caFiles }
        return try server.get("/p/ssl").text
    }

    func testDisableTalksInTheClear() throws {
        XCTAssertEqual(try ssl(cluster.url()), "false")
        XCTAssertEqual(try ssl(cluster.url("?sslmode=disable")), "false")
    }

    func testRequireEncryptsWithoutVerifying() throws {
        XCTAssertEqual(try ssl(cluster.url("?sslmode=require")), "true")
    }

    func testVerifyFullTrustsTheCAFileAndRefusesAnUnknownAuthority() throws {
        let url = "postgres://postgres:secret@localhost:\(cluster.port)/app?sslmode=verify-full"
        XCTAssertEqual(try ssl(url, caFiles: [certificates.authority]), "true")
        let refused = try ssl(url)
        XCTAssertTrue(refused.hasPrefix("nil postgres postgres@localhost:\(cluster.port)/app: "), refused)
        XCTAssertTrue(refused.lowercased().contains("certificate"), refused)
    }
}
