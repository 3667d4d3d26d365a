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
    /// certbot's fullchain.pem), NAME.key its key. `expired`: valid in January 2025 only.
    func issue(_ name: String, expired: Bool = false) throws -> TLSFiles {
        try scratch.write("\(name).ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"])
        if expired {
            try signInThePast(name)
        } else {
            try openssl(["x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                         "-days", "2", "-extfile", "\(name).ext", "-out", "\(name).leaf"])
        }
        let chain = try String(contentsOfFile: path("\(name).leaf"), encoding: .utf8)
            + String(contentsOfFile: authority, encoding: .utf8)
        try scratch.write("\(name).pem", chain)
        return TLSFiles(certificate: path("\(name).pem"), key: path("\(name).key"))
    }

    /// The base64 SHA-256 of the public key of `files`' certificate, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it (trusting that one key, not every certificate).
    func publicKeyHash(_ files: TLSFiles) throws -> String {
        let name = URL(fileURLWithPath: files.certificate).deletingPathExtension().lastPathComponent
        try openssl(["x509", "-in", files.certificate, "-pubkey", "-noout", "-out", "\(name).pub"])
        try openssl(["pkey", "-pubin", "-in", "\(name).pub", "-outform", "der", "-out", "\(name).spki"])
        try openssl(["dgst", "-sha256", "-binary", "-out", "\(name).spki-sha256", "\(name).spki"])
        return try Data(contentsOf: URL(fileURLWithPath: path("\(name).spki-sha256"))).base64EncodedString()
    }

    /// Signs NAME.csr into NAME.leaf with dates in the past: `openssl ca` (OpenSSL 3.0's `x509`
    /// has no start date), with a minimal configuration and database of its own.
    private func signInThePast(_ name: String) throws {
        try scratch.write("ca.cnf", """
            [ca]
            default_ca = test
            [test]
            database = ca.index
            new_certs_dir = .
            certificate = ca.pem
            private_key = ca.key
            default_md = sha256
            policy = anything
            rand_serial = yes
            unique_subject = no
            [anything]
            commonName = supplied

            """)
        if !FileManager.default.fileExists(atPath: path("ca.index")) { try scratch.write("ca.index", "") }
        try openssl(["ca", "-batch", "-config", "ca.cnf", "-in", "\(name).csr", "-out", "\(name).leaf", "-notext",
                     "-startdate", "20250101000000Z", "-enddate", "20250201000000Z", "-extfile", "\(name).ext"])
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
