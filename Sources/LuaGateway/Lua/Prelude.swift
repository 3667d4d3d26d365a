internal import CLuaGatewayBridge

/// luagw's own Lua files (Sources/LuaGateway/LuaModules, embedded at build time), as the
/// C side loads them into every new state: each its own chunk, named `=luagw/NAME.lua`
/// so that errors and tracebacks name the real file and line. The first, `prelude`,
/// runs the others as modules; see the header of each file for its part.
enum Prelude {
    /// Every file, the entry first, by the name the Lua side `need`s (and `require`s,
    /// for the public `luagw*` modules).
    static let modules: [(name: StaticString, source: [UInt8])] = [
        ("prelude", PackageResources.prelude_lua),
        ("coroutines", PackageResources.coroutines_lua),
        ("scripts", PackageResources.scripts_lua),
        ("input", PackageResources.input_lua),
        ("errors", PackageResources.errors_lua),
        ("file_wrapper", PackageResources.file_wrapper_lua),
        ("start_response", PackageResources.start_response_lua),
        ("wait", PackageResources.wait_lua),
        ("timer", PackageResources.timer_lua),
        ("tcp", PackageResources.tcp_lua),
        ("shared", PackageResources.shared_lua),
        ("digest", PackageResources.digest_lua),
        ("driver", PackageResources.driver_lua),
        ("luagw", PackageResources.luagw_lua),
        ("luagw.http", PackageResources.luagw_http_lua),
        ("luagw.ngx", PackageResources.luagw_ngx_lua),
        ("luagw.socket", PackageResources.luagw_socket_lua),
    ]

    /// What the prelude returns, anchored in the registry by LuaState in this order.
    enum Result: Int, CaseIterable {
        case serve, loadApp, setRoot, addModule, runTimer
    }

    /// Every module's source in one array, and where each lies in it: lent to C in one piece.
    private static let joined: (bytes: [UInt8], ranges: [Range<Int>]) = modules.reduce(into: ([], [])) { joined, module in
        let start = joined.bytes.count
        joined.bytes += module.source
        joined.ranges.append(start..<joined.bytes.count)
    }

    private static let version = Array(GatewayVersion.string.utf8)

    /// Sets up `L` (a new state) in protected mode: the modules, then the prelude's run;
    /// `refs` receives the references of its results (`Result`). [-0, +(0 | 1 error), -]
    static func prepare(_ L: OpaquePointer, limits: LuaLimits, refs: inout [Int32], thread: inout OpaquePointer?,
                        threadRef: inout Int32) -> Int32 {
        refs = Array(repeating: 0, count: Result.allCases.count)
        return joined.bytes.withUnsafeBytes { all in
            let base = all.baseAddress?.assumingMemoryBound(to: CChar.self)
            let lent = zip(modules, joined.ranges).map { module, range in
                luagw_module(name: UnsafeRawPointer(module.name.utf8Start).assumingMemoryBound(to: CChar.self),
                             source: luagw_bytes(data: base.map { $0 + range.lowerBound }, length: range.count))
            }
            return version.withLuaBytes { version in
                let settings = luagw_settings(version: version, socket_timeout: limits.socketTimeout)
                return luagw_prepare(L, lent, Int32(lent.count), settings, &refs, Int32(refs.count), &thread, &threadRef)
            }
        }
    }
}
