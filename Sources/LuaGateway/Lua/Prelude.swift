internal import CLuaGatewayBridge

/// luagw's own Lua files (Sources/LuaGateway/LuaModules, embedded at build time), handed to
/// the C side once; a state compiles each when it first needs it, as its own chunk named
/// `=luagw/NAME.lua` so that errors and tracebacks name the real file and line. The first,
/// `prelude`, runs in every new state and loads the others as modules; see the header of
/// each file for its part.
enum Prelude {
    /// Every file, the entry first, by the name the Lua side `need`s (and `require`s,
    /// for the public `luagw*` modules).
    static let modules: [(name: StaticString, source: [UInt8])] = [
        ("prelude", PackageResources.prelude_lua),
        ("coroutines", PackageResources.coroutines_lua),
        ("scripts", PackageResources.scripts_lua),
        ("request", PackageResources.request_lua),
        ("input", PackageResources.input_lua),
        ("errors", PackageResources.errors_lua),
        ("file_wrapper", PackageResources.file_wrapper_lua),
        ("start_response", PackageResources.start_response_lua),
        ("wait", PackageResources.wait_lua),
        ("timer", PackageResources.timer_lua),
        ("thread", PackageResources.thread_lua),
        ("tcp", PackageResources.tcp_lua),
        ("udp", PackageResources.udp_lua),
        ("send_data", PackageResources.send_data_lua),
        ("shared", PackageResources.shared_lua),
        ("digest", PackageResources.digest_lua),
        ("request_end", PackageResources.request_end_lua),
        ("json", PackageResources.json_lua),
        ("intercept", PackageResources.intercept_lua),
        ("traced_error", PackageResources.traced_error_lua),
        ("driver", PackageResources.driver_lua),
        ("process", PackageResources.process_lua),
        ("blocking", PackageResources.blocking_lua),
        ("sandbox", PackageResources.sandbox_lua),
        ("database", PackageResources.database_lua),
        ("luagw.sqlite", PackageResources.luagw_sqlite_lua),
        ("luagw.postgres", PackageResources.luagw_postgres_lua),
        ("luagw", PackageResources.luagw_lua),
        ("luagw.http", PackageResources.luagw_http_lua),
        ("luagw.ngx", PackageResources.luagw_ngx_lua),
        ("luagw.ngx.re", PackageResources.luagw_ngx_re_lua),
        ("luagw.ngx.codec", PackageResources.luagw_ngx_codec_lua),
        ("bit", PackageResources.bit_lua),
        ("luagw.ngx.status", PackageResources.luagw_ngx_status_lua),
        ("luagw.ngx.request", PackageResources.luagw_ngx_request_lua),
        ("luagw.ngx.output", PackageResources.luagw_ngx_output_lua),
        ("luagw.ngx.app", PackageResources.luagw_ngx_app_lua),
        ("luagw.socket", PackageResources.luagw_socket_lua),
        ("luagw.websocket", PackageResources.luagw_websocket_lua),
        ("resty_websocket", PackageResources.resty_websocket_lua),
        ("resty.websocket.server", PackageResources.resty_websocket_server_lua),
        ("resty.websocket.client", PackageResources.resty_websocket_client_lua),
        ("luagw.web.static", PackageResources.luagw_web_static_lua),
        ("luagw.web.router", PackageResources.luagw_web_router_lua),
        ("luagw.web.mount", PackageResources.luagw_web_mount_lua),
        ("luagw.web.request", PackageResources.luagw_web_request_lua),
        ("luagw.web.response", PackageResources.luagw_web_response_lua),
        ("luagw.web.gzip", PackageResources.luagw_web_gzip_lua),
        ("luagw.web.filter", PackageResources.luagw_web_filter_lua),
        ("luagw.web.proxy", PackageResources.luagw_web_proxy_lua),
        ("luagw.web.lint", PackageResources.luagw_web_lint_lua),
        ("luagw.wsapi", PackageResources.luagw_wsapi_lua),
        ("luagw.compat51", PackageResources.luagw_compat51_lua),
        ("luagw.test", PackageResources.luagw_test_lua),
        // Never run in a state: what luagw.test needs outside luagw (`luagw lua-path`, LuaModuleFolder).
        ("standalone", PackageResources.standalone_lua),
    ]

    /// What the prelude returns, anchored in the registry by LuaState in this order.
    enum Result: Int, CaseIterable {
        case serve, loadApp, setRoot, addModule, runTimer, loadPublic, runThread
    }

    /// Hands every module to the C side once for the process (it keeps a copy), lent in
    /// one piece for the call.
    private static let registered: Void = {
        modules.flatMap(\.source).withUnsafeBytes { all in
            var offset = 0
            let lent = modules.map { module in
                defer { offset += module.source.count }
                return luagw_module(name: UnsafeRawPointer(module.name.utf8Start).assumingMemoryBound(to: CChar.self),
                                    source: luagw_bytes(data: all.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) + offset },
                                                        length: module.source.count))
            }
            luagw_register_modules(lent, Int32(lent.count))
        }
    }()

    private static let version = Array(GatewayVersion.string.utf8)

    /// Sets up `L` (a new state) in protected mode: the prelude's run; `refs` receives the
    /// references of its results (`Result`). [-0, +(0 | 1 error), -]
    static func prepare(_ L: OpaquePointer, limits: LuaLimits, refs: inout [Int32]) -> Int32 {
        _ = registered
        refs = Array(repeating: 0, count: Result.allCases.count)
        return version.withLuaBytes { version in
            let settings = luagw_settings(version: version, socket_timeout: limits.socketTimeout,
                                          concurrent: limits.concurrentRequests ? 1 : 0, cgi: limits.isCGI ? 1 : 0,
                                          sandbox: limits.sandbox ? 1 : 0)
            return luagw_prepare(L, settings, &refs, Int32(refs.count))
        }
    }
}
