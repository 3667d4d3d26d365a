/// The application the PostgreSQL tests serve: `db` connected at the top level to `connect`
/// (a Lua expression: a URL string or a table), GET /p/ACTION?ARGUMENT runs the action and
/// answers what it returned, shown with its Lua types (`{a=integer:1,b="x"}`, `hex:00ff` for
/// bytes that are not UTF-8, `nil ERR`,
/// `error MESSAGE` for one raised).
enum PostgresApp {
    static func source(connect: String, actions: String) -> String {
        """
        local luagw = require "luagw"
        local db = luagw.postgres.connect(\(connect))

        local function show(v)
          if v == luagw.null then return "null" end
          if type(v) == "table" then
            local keys = {}
            for k in pairs(v) do keys[#keys + 1] = k end
            table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
            local parts = {}
            for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. show(v[k]) end
            return "{" .. table.concat(parts, ",") .. "}"
          end
          if type(v) == "string" and not utf8.len(v) then
            return "hex:" .. v:gsub(".", function(c) return string.format("%02x", c:byte()) end)
          end
          if type(v) == "string" then return string.format("%q", v) end
          if math.type(v) then return math.type(v) .. ":" .. tostring(v) end
          return tostring(v)
        end

        local function unescape(s)
          return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
        end

        local actions = {}
        \(actions)

        return function(e, sr)
          local action = actions[e.PATH_INFO:sub(2)]
          local ok, a, b = pcall(action, unescape(e.QUERY_STRING or ""))
          sr(200, {{"Content-Type", "text/plain"}})
          if not ok then return "error " .. tostring(a) end
          if a == nil then return "nil " .. tostring(b) end
          return show(a)
        end
        """
    }
}
