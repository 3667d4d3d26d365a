/// Lua applications that several tests share.
enum Fixtures {
    /// Reads the whole body 64 KiB at a time and answers the byte count.
    /// GET /download?N: N blocks of 64 KiB, with their Content-Length, streamed.
    static let download = #"""
        local block = string.rep("x", 65536)
        return function(e, sr)
          local n = tonumber(e.QUERY_STRING)
          sr("200 OK", {{"Content-Length", tostring(n * #block)}})
          local i = 0
          return function() i = i + 1; if i <= n then return block end end
        end
        """#

    static let countingUpload = #"""
        return function(e, sr)
          local input, total = e["wsgi.input"], 0
          while true do
            local chunk = input:read(65536)
            if not chunk then break end
            total = total + #chunk
          end
          sr("200 OK", {})
          return tostring(total)
        end
        """#
}
