// Setting up a state: the standard libraries, then luagw's Lua modules with the C functions they need.
#include "CLuaGatewayBridge.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static luagw_log_function log_function = NULL;
static luagw_shared_function shared_function = NULL;

void luagw_set_log_function(luagw_log_function fn) { log_function = fn; }
void luagw_set_shared_function(luagw_shared_function fn) { shared_function = fn; }

/// shared(op, ...): one operation of the shared dictionaries (shared.lua); its arguments
/// nil, booleans, numbers or strings, and so its results. Never yields. [-n, +r, v]
static int shared(lua_State *L) {
    luagw_value args[8], results[LUAGW_SHARED_RESULTS];
    int op = (int)luaL_checkinteger(L, 1);
    int nargs = lua_gettop(L) - 1;
    luaL_argcheck(L, nargs <= 8, 9, "too many arguments");
    for (int i = 0; i < nargs; i++) {
        luagw_value *v = &args[i];
        v->type = lua_type(L, i + 2);
        v->is_integer = 0;
        switch (v->type) {
        case LUA_TNIL: break;
        case LUA_TBOOLEAN: v->integer = lua_toboolean(L, i + 2); break;
        case LUA_TNUMBER:
            v->is_integer = lua_isinteger(L, i + 2);
            if (v->is_integer) v->integer = lua_tointeger(L, i + 2); else v->number = lua_tonumber(L, i + 2);
            break;
        case LUA_TSTRING: v->bytes.data = lua_tolstring(L, i + 2, &v->bytes.length); break;
        default: return luaL_error(L, "a shared dictionary keeps nil, booleans, numbers and strings, not a %s",
                                   luaL_typename(L, i + 2));
        }
    }
    if (shared_function == NULL) return luaL_error(L, "shared dictionaries are not set up");
    int n = shared_function(op, args, nargs, results);
    luaL_checkstack(L, n, NULL);
    for (int i = 0; i < n; i++) {
        const luagw_value *v = &results[i];
        switch (v->type) {
        case LUA_TBOOLEAN: lua_pushboolean(L, (int)v->integer); break;
        case LUA_TNUMBER:
            if (v->is_integer) lua_pushinteger(L, v->integer); else lua_pushnumber(L, v->number);
            break;
        case LUA_TSTRING: lua_pushlstring(L, v->bytes.data, v->bytes.length); break;
        default: lua_pushnil(L); break;
        }
    }
    return n;
}

/// log(request_id, message [, mount]): hands one wsgi.errors line to the server's log. [-(2|3), +0, v]
static int log_line(lua_State *L) {
    luagw_bytes id, message, mount;
    id.data = luaL_checklstring(L, 1, &id.length);
    message.data = luaL_checklstring(L, 2, &message.length);
    mount.data = luaL_optlstring(L, 3, "", &mount.length);
    if (log_function != NULL) log_function(id, mount, message);
    return 0;
}

/// safe(s): true when s has no CR, LF or NUL (what could split a response). [-1, +1, v]
static int safe(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\r' || c == '\n' || c == '\0') {
            lua_pushboolean(L, 0);
            return 1;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
}

/// set_route(template): notes the router's template that answered the running request (the
/// `route` of its metrics: SPEC 10), in the request's record. [-1, +0, v]
static int set_route(lua_State *L) {
    size_t n;
    const char *route = luaL_checklstring(L, 1, &n);
    luagw_run *run = luagw_budget_of(L)->running;
    if (run == NULL) return 0;
    if (n + 1 > run->route_capacity) {
        char *grown = (char *)realloc(run->route, n + 1);
        if (grown == NULL) return 0;  /* the metrics go without the template */
        run->route = grown;
        run->route_capacity = n + 1;
    }
    memcpy(run->route, route, n);
    run->route[n] = '\0';
    return 0;
}

/// now(): seconds since the epoch, a float (luagw.now). [-0, +1, -]
static int now(lua_State *L) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    lua_pushnumber(L, (lua_Number)t.tv_sec + (lua_Number)t.tv_nsec / 1e9);
    return 1;
}

/// luagw's Lua modules, copied once for the whole process (luagw_register_modules).
static luagw_module *modules = NULL;
static int nmodules = 0;

void luagw_register_modules(const luagw_module *given, int n) {
    luagw_module *copy = calloc((size_t)n, sizeof *copy);
    if (copy == NULL) abort();
    for (int i = 0; i < n; i++) {
        char *source = malloc(given[i].source.length);
        char *name = strdup(given[i].name);
        if (source == NULL || name == NULL) abort();
        memcpy(source, given[i].source.data, given[i].source.length);
        copy[i].name = name;
        copy[i].source.data = source;
        copy[i].source.length = given[i].source.length;
    }
    modules = copy;
    nmodules = n;
}

/// Pushes module `i` compiled as the chunk `=luagw/NAME.lua`, not run. [-0, +1, e]
static void push_module(lua_State *L, int i) {
    const char *chunkname = lua_pushfstring(L, "=luagw/%s.lua", modules[i].name);  /* name */
    if (luaL_loadbufferx(L, modules[i].source.data, modules[i].source.length, chunkname, "t") != LUA_OK)
        lua_error(L);                                  /* name chunk */
    lua_remove(L, -2);                                 /* chunk */
}

/// load(name): luagw's module `name` compiled (not run), or nil when there is none. [-1, +1, e]
static int load_module(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    for (int i = 0; i < nmodules; i++) {
        if (strcmp(modules[i].name, name) == 0) {
            push_module(L, i);                         /* name chunk */
            return 1;
        }
    }
    lua_pushnil(L);                                    /* name nil */
    return 1;
}

typedef struct prelude_spec {
    luagw_settings settings;
    int *refs;
    int nrefs;
} prelude_spec;

/// The protocol's numbers by the names the Lua side uses (CLuaGatewayBridge.h).
static const struct { const char *name; int value; } protocol[] = {
    { "READ", LUAGW_YIELD_READ }, { "SEND", LUAGW_YIELD_SEND }, { "FILE", LUAGW_YIELD_FILE },
    { "WAIT", LUAGW_YIELD_WAIT }, { "DONE", LUAGW_OUTCOME_DONE }, { "FAILED", LUAGW_OUTCOME_FAILED },
    { "GONE", LUAGW_VERDICT_CLIENT_GONE }, { "GO_ON", LUAGW_VERDICT_GO_ON }, { "STOP", LUAGW_VERDICT_STOP },
    { "HAS_DATE", LUAGW_HEAD_HAS_DATE }, { "HAS_SERVER", LUAGW_HEAD_HAS_SERVER },
    { "SLEEP", LUAGW_OPERATION_SLEEP }, { "CONNECT", LUAGW_OPERATION_CONNECT }, { "SEND_BYTES", LUAGW_OPERATION_SEND },
    { "RECEIVE", LUAGW_OPERATION_RECEIVE }, { "KEEPALIVE", LUAGW_OPERATION_KEEPALIVE },
    { "CLOSE", LUAGW_OPERATION_CLOSE }, { "TIMER", LUAGW_OPERATION_TIMER },
    { "TIMER_CANCEL", LUAGW_OPERATION_TIMER_CANCEL }, { "THREAD_SPAWN", LUAGW_OPERATION_THREAD_SPAWN },
    { "THREAD_WAIT", LUAGW_OPERATION_THREAD_WAIT }, { "THREAD_KILL", LUAGW_OPERATION_THREAD_KILL },
    { "PROCESS_SPAWN", LUAGW_OPERATION_PROCESS_SPAWN }, { "PROCESS_READ", LUAGW_OPERATION_PROCESS_READ },
    { "PROCESS_WRITE", LUAGW_OPERATION_PROCESS_WRITE }, { "PROCESS_WAIT", LUAGW_OPERATION_PROCESS_WAIT },
    { "SSL_HANDSHAKE", LUAGW_OPERATION_SSL_HANDSHAKE },
    { "DB_QUERY", LUAGW_OPERATION_DB_QUERY }, { "DB_BEGIN", LUAGW_OPERATION_DB_BEGIN }, { "DB_END", LUAGW_OPERATION_DB_END },
    { "WS_ACCEPT", LUAGW_OPERATION_WS_ACCEPT }, { "WS_RECEIVE", LUAGW_OPERATION_WS_RECEIVE },
    { "WS_SEND", LUAGW_OPERATION_WS_SEND },
    { "UDP_PEER", LUAGW_OPERATION_UDP_PEER }, { "ABORT", LUAGW_OPERATION_ABORT },
    { "SHARED_GET", LUAGW_SHARED_GET }, { "SHARED_SET", LUAGW_SHARED_SET }, { "SHARED_ADD", LUAGW_SHARED_ADD },
    { "SHARED_REPLACE", LUAGW_SHARED_REPLACE }, { "SHARED_INCR", LUAGW_SHARED_INCR }, { "SHARED_TTL", LUAGW_SHARED_TTL },
    { "SHARED_EXPIRE", LUAGW_SHARED_EXPIRE }, { "SHARED_KEYS", LUAGW_SHARED_KEYS }, { "SHARED_FLUSH", LUAGW_SHARED_FLUSH },
};

/// Pushes the helpers' table. [-0, +1, m]
static void push_helpers(lua_State *L, const prelude_spec *spec) {
    static const luaL_Reg functions[] = {
        { "traceback", luagw_traceback }, { "log", log_line }, { "enter", luagw_coroutine_enter },
        { "leave", luagw_coroutine_leave }, { "wrap", luagw_coroutine_wrap },
        { "safe", safe }, { "now", now }, { "set_route", set_route }, { "current", luagw_current }, { "shared", shared }, { "load", load_module },
        { "overrun", luagw_overrun }, { "file_info", luagw_file_info }, { "realpath", luagw_realpath }, { "write_target", luagw_write_target }, { "gzip_stream", luagw_gzip_stream },
        { "sqlite_now", luagw_sqlite_now }, { "blocking", luagw_blocking_wrap }, { "regex_library", luagw_regex_library },
        { NULL, NULL },
    };
    luaL_newlib(L, functions);                         /* C */
    lua_pushlightuserdata(L, luagw_sentinel());        /* C s */
    lua_setfield(L, -2, "sentinel");                   /* C */
    lua_pushlstring(L, spec->settings.version.data, spec->settings.version.length);  /* C v */
    lua_setfield(L, -2, "version");                    /* C */
    lua_pushnumber(L, spec->settings.socket_timeout);  /* C t */
    lua_setfield(L, -2, "socket_timeout");             /* C */
    lua_pushboolean(L, spec->settings.concurrent);     /* C b */
    lua_setfield(L, -2, "concurrent");                 /* C */
    lua_pushboolean(L, spec->settings.cgi);            /* C b */
    lua_setfield(L, -2, "cgi");                        /* C */
    lua_pushboolean(L, spec->settings.sandbox);        /* C b */
    lua_setfield(L, -2, "sandbox");                    /* C */
    lua_createtable(L, 0, (int)(sizeof protocol / sizeof protocol[0]));  /* C p */
    for (size_t i = 0; i < sizeof protocol / sizeof protocol[0]; i++) {
        lua_pushinteger(L, protocol[i].value);         /* C p n */
        lua_setfield(L, -2, protocol[i].name);         /* C p */
    }
    lua_setfield(L, -2, "protocol");                   /* C */
    lua_createtable(L, nmodules, 0);                   /* C names */
    for (int i = 0; i < nmodules; i++) {
        lua_pushstring(L, modules[i].name);            /* C names name */
        lua_rawseti(L, -2, i + 1);                     /* C names */
    }
    lua_setfield(L, -2, "names");                      /* C */
}

/// [-1 (spec), +0, e]
static int prepare(lua_State *L) {
    const prelude_spec *spec = (const prelude_spec *)lua_touserdata(L, 1);
    luaL_openlibs(L);
    if (nmodules == 0) return luaL_error(L, "luagw: no Lua modules registered");
    push_module(L, 0);                                 /* spec prelude */
    push_helpers(L, spec);                             /* spec prelude C */
    lua_call(L, 1, spec->nrefs);                       /* spec r1 .. rn */
    for (int i = spec->nrefs - 1; i >= 0; i--)
        spec->refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);  /* spec r1 .. ri-1 */
    return 0;
}

int luagw_prepare(lua_State *L, luagw_settings settings, int *refs, int nrefs) {
    prelude_spec spec = { settings, refs, nrefs };
    lua_pushcfunction(L, prepare);                     /* prepare */
    lua_pushlightuserdata(L, &spec);                   /* prepare spec */
    return luagw_pcall(L, 1, 0);                       /* (nothing) | error */
}
