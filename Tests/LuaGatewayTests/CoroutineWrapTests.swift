import Foundation
import XCTest
@testable import LuaGateway

/// `coroutine.wrap` as applications see it (SPEC 2.1; CLuaGatewayBridge/coroutines.c): Lua's
/// own behaviour, plus the server's yields passed through any depth of wrapped coroutines.
final class CoroutineWrapTests: XCTestCase {
    func testItBehavesAsLuasOwnAndPassesServerYieldsThroughEveryLevel() throws {
        let server = try TestServer(["wrap.lua": #"""
            return function(e, sr)
              local lines = {}
              local function say(...) lines[#lines + 1] = table.concat({ ... }, " ") end
              -- values both ways
              local echo = coroutine.wrap(function(a, b)
                local c = coroutine.yield(a + b)
                return c * 2, "end"
              end)
              say("yielded", echo(1, 2))
              say("returned", echo(10))
              say("dead", select(2, pcall(echo)))
              -- errors come out as they were raised, strings and tables alike, after closing
              local closed = false
              local failing = coroutine.wrap(function()
                local guard <close> = setmetatable({}, { __close = function() closed = true end })
                error("inner failure", 0)
              end)
              say("error", select(2, pcall(failing)), "closed", tostring(closed))
              local status = { 404 }
              local ok, err = pcall(coroutine.wrap(function() error(status) end))
              say("table error", tostring(err == status))
              say("not a function", select(2, pcall(coroutine.wrap, 42)))
              -- the server's yields (luagw.sleep) pass through two wrapped levels
              local outer = coroutine.wrap(function()
                local inner = coroutine.wrap(function()
                  e.luagw.sleep(0.001)
                  coroutine.yield("inner slept")
                  e.luagw.sleep(0.001)
                  return "inner done"
                end)
                coroutine.yield(inner())
                e.luagw.sleep(0.001)
                coroutine.yield(inner())
              end)
              say("nested", outer(), "/", outer())
              sr("200 OK", { { "Content-Type", "text/plain" } })
              return table.concat(lines, "\n")
            end
            """#])
        let response = try server.get("/wrap")
        XCTAssertEqual(response.code, 200, response.text)
        XCTAssertEqual(response.text, """
            yielded 3
            returned 20 end
            dead cannot resume dead coroutine
            error inner failure closed true
            table error true
            not a function bad argument #1 to 'coroutine.wrap' (function expected, got number)
            nested inner slept / inner done
            """)
    }
}
