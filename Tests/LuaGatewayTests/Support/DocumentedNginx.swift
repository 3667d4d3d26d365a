import Foundation
import XCTest

/// nginx (Debian's nginx-light, installed by scripts/test; its worker as www-data) run with
/// docs/deploy/nginx.conf as written: only its `listen` line and its upstream's `server` line are
/// replaced (by a port of its own and the servers given).
enum DocumentedNginx {
    static let deploy = DocumentedPages.root.appendingPathComponent("docs/deploy")
    static let documentedSocket = "/run/luagw/luagw.sock"

    static func documented(_ name: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(name), encoding: .utf8)
    }

    static func start(servers: [String], in scratch: ScratchDirectory) throws -> (process: Process, port: Int) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            throw XCTSkip("nginx is not installed: run scripts/test")
        }
        let snippet = try documented("nginx.conf")
        XCTAssertTrue(snippet.contains("    server unix:\(documentedSocket);") && snippet.contains("    listen 80;"))
        let dir = scratch.path
        let upstream = servers.map { "    server \($0);" }.joined(separator: "\n")
        return try startListening("/usr/sbin/nginx", discardingOutput: true) { port in
            let site = snippet.replacingOccurrences(of: "    server unix:\(documentedSocket);", with: upstream)
                .replacingOccurrences(of: "    listen 80;", with: "    listen 127.0.0.1:\(port);")
            try? site.write(toFile: "\(dir)/luagw.conf", atomically: true, encoding: .utf8)
            let main = """
                user www-data; daemon off; worker_processes 1; pid \(dir)/nginx.pid; error_log \(dir)/error.log;
                events { worker_connections 256; }
                http { access_log off; include \(dir)/luagw.conf; }
                """
            try? main.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
            return ["-c", "\(dir)/nginx.conf", "-p", dir]
        }
    }
}
