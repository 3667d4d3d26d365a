// Setting up a state: the standard libraries, then the prelude with the C functions it needs.
#include "CLuaGatewayBridge.h"

static luagw_log_function log_function = NULL;

void luagw_set_log_function(luagw_log_function fn) { log_function = fn; }

/// log(request_id, message): hands one wsgi.errors line to the server's log. [-2, +0, v]
static int log_line(lua_State *L) {
    luagw_bytes id, message;
    id.data = luaL_checklstring(L, 1, &id.length);
    message.data = luaL_checklstring(L, 2, &message.length);
    if (log_function != NULL) log_function(id, message);
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

/// enter(co): notes that the application's coroutine `co` is being resumed (the watchdog
/// hooks it too); returns whether it was noted, for leave. [-1, +1, -]
static int enter(lua_State *L) {
    luagw_budget *budget = luagw_budget_of(L);
    lua_State *co = lua_tothread(L, 1);
    int noted = co != NULL && budget->depth < (int)(sizeof budget->active / sizeof budget->active[0]);
    if (noted) {
        /* The watchdog's signal handler may read the list at any instruction: the entry is
           written before the count that makes it visible. */
        budget->active[budget->depth] = co;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        budget->depth++;
    }
    lua_pushboolean(L, noted);
    return 1;
}

/// leave(noted, ...): undoes enter; returns the values after `noted`. [-n, +(n-1), -]
static int leave(lua_State *L) {
    luagw_budget *budget = luagw_budget_of(L);
    if (lua_toboolean(L, 1) && budget->depth > 0) budget->depth--;
    return lua_gettop(L) - 1;
}

typedef struct prelude_spec {
    luagw_bytes source;
    const char *name;
    int *refs;
    int nrefs;
    lua_State **thread;
    int *thread_ref;
} prelude_spec;

/// [-1 (spec), +0, e]
static int prepare(lua_State *L) {
    const prelude_spec *spec = (const prelude_spec *)lua_touserdata(L, 1);
    luaL_openlibs(L);
    if (luaL_loadbufferx(L, spec->source.data, spec->source.length, spec->name, "t") != LUA_OK)
        return lua_error(L);                           /* spec chunk */
    lua_createtable(L, 0, 3);                          /* spec chunk t */
    lua_pushcfunction(L, luagw_traceback);             /* spec chunk t f */
    lua_setfield(L, -2, "traceback");                  /* spec chunk t */
    lua_pushcfunction(L, log_line);                    /* spec chunk t f */
    lua_setfield(L, -2, "log");                        /* spec chunk t */
    lua_pushcfunction(L, enter);                       /* spec chunk t f */
    lua_setfield(L, -2, "enter");                      /* spec chunk t */
    lua_pushcfunction(L, leave);                       /* spec chunk t f */
    lua_setfield(L, -2, "leave");                      /* spec chunk t */
    lua_pushcfunction(L, safe);                        /* spec chunk t f */
    lua_setfield(L, -2, "safe");                       /* spec chunk t */
    lua_pushlightuserdata(L, luagw_sentinel());        /* spec chunk t s */
    lua_setfield(L, -2, "sentinel");                   /* spec chunk t */
    lua_call(L, 1, spec->nrefs);                       /* spec r1 .. rn */
    for (int i = spec->nrefs - 1; i >= 0; i--)
        spec->refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);  /* spec r1 .. ri-1 */
    *spec->thread = lua_newthread(L);                  /* spec thread */
    *spec->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);  /* spec */
    return 0;
}

int luagw_prepare(lua_State *L, luagw_bytes prelude, const char *name,
                  int *refs, int nrefs, lua_State **thread, int *thread_ref) {
    prelude_spec spec = { prelude, name, refs, nrefs, thread, thread_ref };
    lua_pushcfunction(L, prepare);                     /* prepare */
    lua_pushlightuserdata(L, &spec);                   /* prepare spec */
    return luagw_pcall(L, 1, 0);                       /* (nothing) | error */
}
