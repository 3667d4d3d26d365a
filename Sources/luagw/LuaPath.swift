import ArgumentParser
import Foundation
import LuaGateway

/// `luagw lua-path`: luagw's Lua modules written out for plain lua5.4.
struct LuaPath: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lua-path",
        abstract: "Write luagw's Lua modules (luagw.test, luagw.web.*) where plain lua5.4 finds them, and print that folder.",
        discussion: #"For tests outside luagw: LUA_PATH="$(luagw lua-path)/?.lua;;" lua5.4 _tests/api_test.lua. What needs the server (luagw.sleep, sockets, databases, gzip) works only under luagw test."#
    )

    @Argument(help: "Where to write them (default: ~/.cache/luagw/VERSION/lua, or under $XDG_CACHE_HOME).")
    var directory: String?

    func run() throws {
        let folder = directory.map { URL(fileURLWithPath: $0) } ?? LuaModuleFolder.defaultLocation
        try LuaModuleFolder.write(to: folder)
        print(folder.standardizedFileURL.path)
    }
}
