import Foundation
import XCTest

/// A TLS server for the client tests (SPEC 11's TLS out): a throwaway certificate authority
/// and a certificate it signs for `names` (subjectAltName's syntax), made with `openssl` in a
/// scratch directory, served by Python's `http.server` behind its `ssl` module on a loopback port. Each
/// GET is answered (HTTP/1.1, kept alive) with `connection N PATH`, N counting the connections
/// the peer accepted: a kept-alive connection shows as the same N. Stopped when released.
final class TLSPeer {
    let port: Int
    /// The authority's certificate (PEM), for `--ca-file`.
    let caFile: String
    private let scratch: ScratchDirectory
    private let process: Process

    init(names: String = "DNS:localhost,IP:127.0.0.1") throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            throw XCTSkip("/usr/bin/openssl is not installed")
        }
        scratch = try ScratchDirectory("luagw-tls-peer")
        let dir = scratch.path
        caFile = dir + "/ca.pem"
        try scratch.write("server.ext", "subjectAltName=\(names)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        try scratch.write("peer.py", Self.server)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(["req", "-x509"] + key + ["-keyout", dir + "/ca.key", "-out", caFile, "-days", "2",
                          "-subj", "/CN=luagw test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        try Self.openssl(["req"] + key + ["-keyout", dir + "/server.key", "-out", dir + "/server.csr", "-subj", "/CN=localhost"])
        try Self.openssl(["x509", "-req", "-in", dir + "/server.csr", "-CA", caFile, "-CAkey", dir + "/ca.key",
                          "-CAcreateserial", "-out", dir + "/server.pem", "-days", "2", "-extfile", dir + "/server.ext"])
        (process, port) = try startListening("/usr/bin/env", discardingOutput: true) {
            ["python3", dir + "/peer.py", "\($0)", dir + "/server.pem", dir + "/server.key"]
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        scratch.remove()
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw XCTSkip("openssl \(arguments.first ?? "") failed (status \(process.terminationStatus))")
        }
    }

    /// The peer: port, certificate and key as arguments; the handshake is done in each
    /// connection's thread (a client that never speaks holds no other one up).
    private static let server = #"""
        import http.server, itertools, ssl, sys
        port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        numbers = itertools.count(1)

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                self.request.do_handshake()
                self.number = next(numbers)
                super().setup()

            def do_GET(self):
                body = ("connection %d %s" % (self.number, self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.serve_forever()
        """#
}
