import Foundation
import XCTest
@testable import LuaGateway

/// luagw.ngx's digests, base64, URI escaping, `quote_sql_str`, `encode_args`, `decode_args`,
/// `ngx.config`, and the cosocket's reading of timeouts (Tests/NgxRe/codec_examples.lua) give
/// what nginx + Lua gives, call for call.
final class NgxCodecTests: XCTestCase {
    func testExamplesGiveWhatNginxLuaGives() throws {
        try NgxDifferentialScript("codec_examples.lua").assertSameText(moreThan: 70)
    }

    func testConfigPrefixIsTheServedDirectory() throws {
        let server = try TestServer(["p.lua": """
            local ngx = require "luagw.ngx"
            return function(e, sr)
              sr(200, {})
              return ngx.config.prefix() .. " " .. ngx.config.ngx_lua_version .. " " .. tostring(ngx.config.debug)
            end
            """])
        let response = try server.get("/p")
        XCTAssertEqual(response.text, server.directory.path + "/ 10026 false")
    }
}
