// The bridge's protected entry points: Swift calls these, they catch every Lua error.
#include "CLuaGatewayBridge.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char sentinel_key;

void *luagw_sentinel(void) { return &sentinel_key; }

int luagw_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "luagw: unprotected Lua error (a bug in luagw): %s\n", msg ? msg : "?");
    fflush(stderr);
    abort();
    return 0;
}

/// Whether traceback line `line` (`n` bytes, no newline) is one of luagw's own frames
/// below the application: its Lua modules, the xpcall that protects it, a C caller.
static int is_driver_frame(const char *line, size_t n) {
    static const char *const prefixes[] = { "\tluagw/", "\t[C]: in function 'xpcall'", "\t[C]: in ?", "stack traceback:" };
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t k = strlen(prefixes[i]);
        if (n >= k && memcmp(line, prefixes[i], k) == 0) return 1;
    }
    return 0;
}

/// The length of traceback `t` without its last lines that are luagw's own frames (and the
/// "stack traceback:" header when nothing is left under it): what a user reads ends at their
/// application. Frames of luagw's modules above the application's (middleware, `read`) stay.
static size_t without_driver_frames(const char *t, size_t len) {
    size_t end = len;
    for (;;) {
        size_t start = end;
        while (start > 0 && t[start - 1] != '\n') start--;
        if (start == 0 || !is_driver_frame(t + start, end - start)) return end;
        end = start - 1;
    }
}

/// As lua.c's msghandler does, then cuts luagw's own frames at the bottom. The first
/// traceback of a request stopped by its run-time limit is kept in its budget: the code that
/// runs after the stop is stopped too, and its error would hide where the request was.
/// An optional second argument is the level the traceback starts at (1, the default, is the
/// function that raised the error when this is the message handler itself; a Lua handler that
/// calls it passes 2, so that its own frame is left out). [-0, +1, m]
int luagw_traceback(lua_State *L) {
    int level = lua_isinteger(L, 2) ? (int)lua_tointeger(L, 2) : 1;  /* read before anything is pushed */
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, level);      /* ... msg traceback */
    size_t len;
    const char *trace = lua_tolstring(L, -1, &len);
    size_t kept = without_driver_frames(trace, len);
    luagw_run *run = luagw_budget_of(L)->running;
    if (run != NULL && run->killed && run->stop_trace == NULL) {
        run->stop_trace = (char *)malloc(kept + 1);  /* outside the state's memory: it may be full */
        if (run->stop_trace != NULL) {
            memcpy(run->stop_trace, trace, kept);
            run->stop_trace[kept] = '\0';
        }
    }
    if (kept < len) lua_pushlstring(L, trace, kept);  /* ... msg traceback trimmed */
    return 1;
}

/* [-1, +1, m] */
static int suspended_traceback(lua_State *L) {
    lua_State *co = (lua_State *)lua_touserdata(L, 1);
    luaL_traceback(L, co, NULL, 0);               /* co traceback */
    size_t len;
    const char *trace = lua_tolstring(L, -1, &len);
    size_t kept = without_driver_frames(trace, len);
    if (kept < len) lua_pushlstring(L, trace, kept);  /* co traceback trimmed */
    return 1;
}

int luagw_suspended_traceback(lua_State *L, lua_State *co) {
    lua_pushcfunction(L, suspended_traceback);    /* f */
    lua_pushlightuserdata(L, co);                 /* f co */
    return lua_pcall(L, 1, 1, 0);                 /* traceback | error */
}

int luagw_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;      /* index of the function */
    lua_pushcfunction(L, luagw_traceback);       /* f args... h */
    lua_insert(L, base);                   /* h f args... */
    int status = lua_pcall(L, nargs, nresults, base);  /* h results... | h error */
    lua_remove(L, base);                   /* results... | error */
    return status;
}

static int pushbytes(lua_State *L) {
    const luagw_bytes *b = (const luagw_bytes *)lua_touserdata(L, 1);
    lua_pushlstring(L, b->data, b->length);  /* ud string */
    return 1;
}

int luagw_pushbytes(lua_State *L, lua_State *to, luagw_bytes bytes) {
    lua_pushcfunction(L, pushbytes);       /* pushbytes */
    lua_pushlightuserdata(L, &bytes);      /* pushbytes ud */
    int status = lua_pcall(L, 1, 1, 0);    /* string | error */
    if (status == LUA_OK && to != L) lua_xmove(L, to, 1);
    return status;
}
