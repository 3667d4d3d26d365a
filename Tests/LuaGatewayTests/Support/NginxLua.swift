import Foundation
import XCTest

/// nginx with Lua (Debian's nginx-light and libnginx-mod-http-lua: LuaJIT, OpenResty's
/// lua-nginx-module and resty.core) on a loopback port of its own, serving `locations` (the
/// `location` blocks of its one server); stopped with the object.
final class NginxLua {
    static let module = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
    let port: Int
    private let process: Process

    init(locations: String, in scratch: ScratchDirectory) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"),
              FileManager.default.fileExists(atPath: Self.module) else {
            throw XCTSkip("nginx with Lua is not installed (Debian: nginx-light, libnginx-mod-http-lua)")
        }
        let dir = scratch.path
        try FileManager.default.createDirectory(atPath: "\(dir)/logs", withIntermediateDirectories: true)  // nginx's first log
        (process, port) = try startListening("/usr/sbin/nginx", discardingOutput: true) { port in
            let conf = """
                load_module /usr/lib/nginx/modules/ndk_http_module.so;
                load_module \(Self.module);
                daemon off; worker_processes 1; pid \(dir)/nginx.pid; error_log \(dir)/error.log;
                events { worker_connections 256; }
                http { access_log off; server { listen 127.0.0.1:\(port);
                \(locations)
                } }
                """
            try? conf.write(toFile: "\(dir)/nginx.conf", atomically: true, encoding: .utf8)
            return ["-c", "\(dir)/nginx.conf", "-p", dir]
        }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}
