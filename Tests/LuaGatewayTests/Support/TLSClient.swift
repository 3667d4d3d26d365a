import Foundation

/// A TLS client in Python (its `ssl` module, OpenSSL's), run as a process that holds one
/// connection to a port on 127.0.0.1, verifying the server as `localhost` against a CA file:
/// each `get` sends a request on that connection and returns what came back, with the
/// certificate's subject, the TLS version and the ALPN protocol the server chose; `waitForClose`
/// reads until the server closes the connection.
final class TLSClient {
    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()

    private static let session = #"""
        import json, socket, ssl, sys
        port, cafile = int(sys.argv[1]), sys.argv[2]
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols(["http/1.1"])
        tls = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30), server_hostname="localhost")
        reader = tls.makefile("rb")
        for line in sys.stdin:
            if line.strip() == "wait-close":
                while reader.read(1):
                    pass
                print(json.dumps({"closed": True}), flush=True)
                continue
            tls.sendall(f"GET {line.strip()} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            status, length = reader.readline().decode().split(" ")[1], 0
            while (header := reader.readline().decode()) not in ("\r\n", ""):
                if header.lower().startswith("content-length:"):
                    length = int(header.split(":")[1])
            subject = dict(pair[0] for pair in tls.getpeercert()["subject"])["commonName"]
            print(json.dumps({"status": status, "body": reader.read(length).decode(), "subject": subject,
                              "version": tls.version(), "alpn": tls.selected_alpn_protocol()}), flush=True)
        """#

    /// Tries a handshake offering only `version` (`TLSv1`, `TLSv1_1`, ... as Python's
    /// `ssl.TLSVersion` names them; OpenSSL's security level lowered so that the client offers
    /// old versions at all); `version` is what was agreed, or `error` why it failed.
    private static let handshake = #"""
        import json, socket, ssl, sys
        port, version = int(sys.argv[1]), getattr(ssl.TLSVersion, sys.argv[2])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = context.maximum_version = version
        try:
            with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30)) as tls:
                print(json.dumps({"version": tls.version()}))
        except (ssl.SSLError, OSError) as error:
            print(json.dumps({"error": str(error)}))
        """#

    /// Connects (the handshake is done by the first `get`'s time).
    init(port: Int, authority: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.session, String(port), authority]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// GET `path` on this client's connection.
    func get(_ path: String) throws -> [String: String] {
        try say(path)
    }

    /// Returns once the server has closed TLS (its close_notify).
    func waitForClose() throws {
        _ = try say("wait-close")
    }

    /// Sends a line to the client and returns its answer.
    private func say(_ line: String) throws -> [String: String] {
        input.fileHandleForWriting.write(Data("\(line)\n".utf8))
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty {
                let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                throw NSError(domain: "TLSClient", code: 1, userInfo: [NSLocalizedDescriptionKey: "the client ended: \(said)"])
            }
            if byte.first == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        return try Self.decode(line)
    }

    /// One handshake offering only `version`: `["version": ...]` or `["error": ...]`.
    static func handshake(port: Int, version: String) throws -> [String: String] {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-W", "ignore::DeprecationWarning", "-c", handshake, String(port), version]
        process.standardOutput = output
        try process.run()
        let line = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try decode(line)
    }

    private static func decode(_ line: Data) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] ?? [:]
        return object.mapValues { "\($0)" }
    }
}
