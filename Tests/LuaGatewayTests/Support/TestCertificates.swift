import Foundation
@testable import LuaGateway

/// A throwaway certificate authority and the server certificates it signs, made with the
/// `openssl` command in a scratch directory, removed when done. Each server certificate is for
/// `localhost` and 127.0.0.1, its subject's common name the name asked for.
final class TestCertificates {
    let scratch: ScratchDirectory

    /// The authority's certificate, for a client's `cafile`.
    var authority: String { path("ca.pem") }

    init() throws {
        scratch = try ScratchDirectory("luagw-tls")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=luagw test authority"])
    }

    deinit { scratch.remove() }

    func path(_ name: String) -> String { scratch.url.appendingPathComponent(name).path }

    /// A certificate named `name`: NAME.pem holds it and then the authority's (a chain, as
    /// certbot's fullchain.pem), NAME.key its key.
    func issue(_ name: String) throws -> TLSFiles {
        try scratch.write("\(name).ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
        try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                     "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).leaf"])
        let chain = try String(contentsOfFile: path("\(name).leaf"), encoding: .utf8)
            + String(contentsOfFile: authority, encoding: .utf8)
        try scratch.write("\(name).pem", chain)
        return TLSFiles(certificate: path("\(name).pem"), key: path("\(name).key"))
    }

    /// Puts `source`'s certificate and key where `target`'s are (as a renewal does).
    func install(_ source: TLSFiles, as target: TLSFiles) throws {
        for (from, to) in [(source.certificate, target.certificate), (source.key, target.key)] {
            try scratch.write(URL(fileURLWithPath: to).lastPathComponent, try String(contentsOfFile: from, encoding: .utf8))
        }
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        let errors = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = scratch.url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "openssl", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")): \(said)"])
        }
    }
}
