import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// lighttpd (Debian's package, installed by scripts/test) run with docs/cgi.md's lighttpd.conf and
/// `luagw-cgi` as printed there: only their paths and the port are replaced (the served folder, the
/// log folder, the wrapper and the luagw binary: the test's own; port 80: a loopback port).
enum DocumentedLighttpd {
    /// lighttpd serving `app/` of `scratch` as CGI programs; its logs are in `log/` there.
    static func start(in scratch: ScratchDirectory) throws -> (process: Process, port: Int, logs: URL) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/lighttpd") else {
            throw XCTSkip("lighttpd is not installed: run scripts/test")
        }
        let configuration = try DocumentedPages.blocks(in: "docs/cgi.md").first { $0.language == "lighttpd" }?.source
        let wrapper = try DocumentedPages.block(in: "docs/cgi.md", containing: "#!/bin/sh").source
        let printed = try XCTUnwrap(configuration, "docs/cgi.md prints a lighttpd.conf")
        XCTAssertTrue(printed.contains("server.port = 80\n") && wrapper.contains("exec /usr/local/bin/luagw cgi \"$1\""))
        let binary = URL(fileURLWithPath: try LuagwProcess.binary()).standardizedFileURL.path
        let cgi = try scratch.write("luagw-cgi", wrapper.replacingOccurrences(of: "/usr/local/bin/luagw ", with: binary + " "))
        chmod(cgi.path, 0o755)
        let log = scratch.url.appendingPathComponent("log")
        try FileManager.default.createDirectory(at: log, withIntermediateDirectories: true)
        if getuid() == 0, let user = getpwnam("www-data") {  // as Debian's package leaves /var/log/lighttpd
            chown(log.path, user.pointee.pw_uid, user.pointee.pw_gid)
        }
        let path = scratch.path
        let (process, port) = try startListening("/usr/sbin/lighttpd", discardingOutput: true) { port in
            let site = printed.replacingOccurrences(of: "/srv/app", with: path + "/app")
                .replacingOccurrences(of: "/var/log/lighttpd", with: log.path)
                .replacingOccurrences(of: "/usr/local/bin/luagw-cgi", with: cgi.path)
                .replacingOccurrences(of: "server.port = 80\n", with: "server.port = \(port)\nserver.bind = \"127.0.0.1\"\n")
            try? site.write(toFile: path + "/lighttpd.conf", atomically: true, encoding: .utf8)
            return ["-D", "-f", path + "/lighttpd.conf"]
        }
        return (process, port, log)
    }
}
