import Foundation

/// luagw's Lua modules written out for plain `lua5.4` (`luagw lua-path`), so that a test of an
/// application (`require "luagw.test"`, `require "luagw.web.router"`) runs outside luagw too:
/// every module in `luagw/_modules/` beside `standalone.lua`, which gives them in Lua what the
/// server gives them, and for each public name a file where `require` looks for it
/// (`luagw/web/router.lua`) that loads the module through `standalone.lua`. Put `FOLDER/?.lua`
/// in `LUA_PATH`.
public enum LuaModuleFolder {
    /// Where `luagw lua-path` writes by default: `$XDG_CACHE_HOME/luagw/VERSION/lua` (else
    /// `~/.cache/...`), one folder per version of luagw.
    public static var defaultLocation: URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("luagw/\(GatewayVersion.string)/lua")
    }

    /// Writes the modules into `folder` (made if needed; files written again every time, each
    /// replaced whole, so that a run that reads them meanwhile sees one version or the other).
    public static func write(to folder: URL) throws {
        let modules = folder.appendingPathComponent("luagw/_modules")
        try FileManager.default.createDirectory(at: modules, withIntermediateDirectories: true)
        try Data(GatewayVersion.string.utf8).write(to: modules.appendingPathComponent("VERSION"), options: .atomic)
        for module in Prelude.modules {
            let name = "\(module.name)"
            try Data(module.source).write(to: modules.appendingPathComponent(name + ".lua"), options: .atomic)
            guard name == "luagw" || name.hasPrefix("luagw.") else { continue }
            let stub = folder.appendingPathComponent(name.replacingOccurrences(of: ".", with: "/") + ".lua")
            try FileManager.default.createDirectory(at: stub.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(stubSource(for: name).utf8).write(to: stub, options: .atomic)
        }
    }

    private static func stubSource(for name: String) -> String {
        """
        -- luagw's module \(name) for plain Lua, written by `luagw lua-path` (luagw \(GatewayVersion.string)).
        return require("luagw._modules.standalone").need(...)

        """
    }
}
