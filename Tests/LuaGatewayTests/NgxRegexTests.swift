import Foundation
import XCTest
@testable import LuaGateway

/// `ngx.re` (luagw.ngx.re on PCRE2): OpenResty's functions, option letters, results and messages,
/// and its documented examples run under nginx + Lua and under luagw with the same results.
final class NgxRegexTests: XCTestCase {
    /// The text `body` (Lua statements ending in `return <string>`) makes in a luagw request.
    func run(_ body: String) throws -> String {
        try NgxDifferentialScript.luagwText(of: body)
    }

    func testDocumentedExamplesGiveWhatNginxLuaGives() throws {
        try NgxDifferentialScript("documented_examples.lua").assertSameText(moreThan: 50)
    }

    func testMatchCapturesPositionsAndResultTable() throws {
        XCTAssertEqual(try run("""
            local m = ngx.re.match("hello, 1234", "([0-9])(?<rest>[0-9]+)")
            local ctx = { pos = 9 }
            local n = ngx.re.match("hello, 1234", "[0-9]+", "", ctx)
            local t = {}
            local r = ngx.re.match("ab", "(a)(x)?", "", nil, t)
            return table.concat({ m[0], m[1], m[2], m.rest, n[0], ctx.pos, tostring(r == t), tostring(t[2]),
              tostring(ngx.re.match("abc", "x")) }, " ")
            """), "1234 1 234 234 234 12 true false nil")
    }

    func testFindReturnsPositionsAndTheNthGroup() throws {
        XCTAssertEqual(try run("""
            local a, b = ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo")
            local c, d = ngx.re.find("hello, 1234", "([0-9])([0-9]+)", "jo", nil, 2)
            local e, f, err = ngx.re.find("hello", "(h)", "", nil, 3)
            return table.concat({ a, b, c, d, tostring(e), tostring(f), err }, " ")
            """), "8 11 9 11 nil nil nth out of bound")
    }

    func testGmatchIteratesEveryMatch() throws {
        XCTAssertEqual(try run("""
            local seen = {}
            for m in ngx.re.gmatch("a1b22c333", "[0-9]+") do seen[#seen + 1] = m[0] end
            local it, err = ngx.re.gmatch("x", "(")
            return table.concat(seen, ",") .. " " .. tostring(it) .. " " .. err
            """), "1,22,333 nil pcre2_compile() failed: missing closing parenthesis in \"(\"")
    }

    func testSubAndGsubWithTemplatesAndFunctions() throws {
        XCTAssertEqual(try run("""
            local a, n = ngx.re.sub("hello, 1234", "([0-9])[0-9]", "[$0][$1]")
            local b, m = ngx.re.gsub("hello, world", "([a-z])[a-z]+", "${1}$$", "i")
            local c, k = ngx.re.gsub("a-b-c", "[a-z]", function(cap) return cap[0]:upper() end)
            local d, z, err = ngx.re.sub("abc", "b", "$x")
            return table.concat({ a, n, b, m, c, k, tostring(d), tostring(z), err }, " | ")
            """), "hello, [12][1]34 | 1 | h$, w$ | 2 | A-B-C | 3 | nil | nil | failed to compile the replacement template")
    }

    func testAReplacementFunctionMayUseTheSameCachedPattern() throws {
        XCTAssertEqual(try run("""
            local s = ngx.re.gsub("ab cd", "[a-z]+", function(m)
              return (ngx.re.gsub(m[0], "[a-z]+", "<$0>", "o"))
            end, "o")
            return s
            """), "<ab> <cd>")
    }

    func testOptionLetters() throws {
        XCTAssertEqual(try run("""
            local function first(...) local m = ngx.re.match(...); return m and m[0] or "-" end
            local out = {
              first("hello, 1234", "[0-9]+", "a"),                  -- anchored: no match
              first("hello", "he|hello", "d"),                     -- DFA: the longest
              first("HeLLo", "hello", "i"),
              first("hello", "h.l+o", "jo"),                       -- JIT, compiled once
              first("A", "\\\\u0041", "J"),                        -- JavaScript's \\u
              first("a\\nb", "^b", "m"),
              first("a\\nb", "a.b", "s"),
              first("é", "^.$", "u"),
              first("é", "^.$", "U"),
              first("é", "^..$", ""),                              -- bytes without u
              first("hello", "h e l", "x"),
            }
            local d = ngx.re.match("a b", "(?<w>\\\\w) (?<w>\\\\w)", "D")
            out[#out + 1] = table.concat(d.w, "+")
            return table.concat(out, ",")
            """), "-,hello,HeLLo,hello,A,b,a\nb,é,é,é,hel,a+b")
    }

    func testErrorsAsOpenRestyReturnsThem() throws {
        XCTAssertEqual(try run("""
            local m, err = ngx.re.match("x", "(abc")
            local ok, raised = pcall(ngx.re.match, "x", "x", "az")
            local _, _, ferr = ngx.re.find("x", "[x")
            local u, uerr = ngx.re.match("\\255", ".", "u")
            local s, n, serr = ngx.re.gsub("x", "x(", "y")
            return table.concat({ tostring(m), err, tostring(ok), raised:match("unknown flag.*"), ferr,
              tostring(u), uerr:match("^pcre_exec%(%) failed: %-%d+$") and "exec" or uerr,
              tostring(s), tostring(n), serr }, "\\n")
            """), """
            nil
            pcre2_compile() failed: missing closing parenthesis in "(abc"
            false
            unknown flag "z" (flags "az")
            pcre2_compile() failed: missing terminating ] for character class in "[x"
            nil
            exec
            nil
            nil
            pcre2_compile() failed: missing closing parenthesis in "x("
            """)
    }

    func testCompileOnceCacheIsBoundedAndKeepsWorking() throws {
        // More `o` patterns than the cache holds (1024): the ones past it are compiled per call.
        XCTAssertEqual(try run("""
            local wrong = 0
            for round = 1, 2 do
              for i = 1, 1100 do
                local m = ngx.re.match("k" .. i .. "!", "k(" .. i .. ")!", "jo")
                if not m or m[1] ~= tostring(i) then wrong = wrong + 1 end
              end
            end
            return tostring(wrong)
            """), "0")
    }
}
