// Calls that block an event loop: the wrappers luagw puts around the functions of libraries known
// to block (LuaSocket, LuaSQL: blocking.lua says which, and what to use instead), and the
// description of where the Lua code is that the watchdog reports when a loop blocks
// (watchdog.c). Both run on the thread whose Lua state it is, at safe points.
#include "CLuaGatewayBridge.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TRACEBACK_LEVELS 12

/* Appends to a buffer of `size` bytes that holds `*used` bytes, cutting what does not fit. */
static void append(char *buffer, size_t size, size_t *used, const char *format, ...) {
    if (*used + 1 >= size) return;
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(buffer + *used, size - *used, format, arguments);
    va_end(arguments);
    if (n > 0) *used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A file of a known blocking library (LuaSocket's socket.http and its kin): where the
   application called it is further out. */
static int is_library_file(const char *short_src) {
    return strstr(short_src, "/socket/") != NULL || ends_with(short_src, "/socket.lua")
        || ends_with(short_src, "/ltn12.lua") || ends_with(short_src, "/mime.lua");
}

void luagw_blocked_locate(lua_State *L, int level, luagw_blocked_call *call) {
    size_t used = strlen(call->traceback);
    if (used == 0) append(call->traceback, sizeof call->traceback, &used, "stack traceback:");
    call->where[0] = '\0';
    lua_Debug ar;
    for (int shown = 0; lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar); level++) {
        /* C functions (pcall...) and luagw's own modules are the way to the application, not it. */
        if (*ar.what == 'C' || strncmp(ar.source, "=luagw/", 7) == 0) continue;
        if (call->where[0] == '\0' && !is_library_file(ar.short_src)) {
            snprintf(call->where, sizeof call->where, "%s:%d", ar.short_src, ar.currentline);
        }
        if (++shown > TRACEBACK_LEVELS) {
            append(call->traceback, sizeof call->traceback, &used, "\n\t...");
            break;
        }
        if (*ar.what == 'm') {
            append(call->traceback, sizeof call->traceback, &used, "\n\t%s:%d: in main chunk", ar.short_src, ar.currentline);
        } else {
            append(call->traceback, sizeof call->traceback, &used, "\n\t%s:%d: in function <%s:%d>",
                   ar.short_src, ar.currentline, ar.short_src, ar.linedefined);
        }
    }
}

/* A wrapped function (upvalues: the function, its name, what to use instead): calls it, and
   while it runs the watchdog knows which call it is and where the application made it. The call
   is protected so that the watchdog hears of its end however it ends; its error is raised again
   as it was. Known blocking functions are C functions that do not yield. [-0, +?, e] */
static int blocking_call(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));     /* args... f */
    lua_insert(L, 1);                          /* f args... */
    if (!luagw_watchdog_wants_call()) {
        lua_call(L, n, LUA_MULTRET);           /* results... */
        return lua_gettop(L);
    }
    luagw_blocked_call call;
    snprintf(call.name, sizeof call.name, "%s", lua_tostring(L, lua_upvalueindex(2)));
    snprintf(call.advice, sizeof call.advice, "%s", lua_tostring(L, lua_upvalueindex(3)));
    snprintf(call.traceback, sizeof call.traceback, "stack traceback:\n\t[C]: in %s", call.name);
    luagw_blocked_locate(L, 1, &call);
    luagw_watchdog_call_begins(&call);
    int status = lua_pcall(L, n, LUA_MULTRET, 0);  /* results... | error */
    luagw_watchdog_call_ends();
    if (status != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

int luagw_blocking_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checkstring(L, 3);
    luaL_checkstring(L, 4);
    lua_settop(L, 4);
    for (lua_Integer i = 1; lua_rawgeti(L, 2, i) == LUA_TSTRING; i++) {  /* t names advice prefix name */
        lua_pushvalue(L, 5);                                           /* ... name name */
        lua_rawget(L, 1);                                              /* ... name f */
        if (!lua_isfunction(L, 6) || lua_tocfunction(L, 6) == blocking_call) {  /* wrapped already */
            lua_settop(L, 4);
            continue;
        }
        lua_pushvalue(L, 4);                                           /* ... name f prefix */
        lua_pushvalue(L, 5);                                           /* ... name f prefix name */
        lua_concat(L, 2);                                              /* ... name f fullname */
        lua_pushvalue(L, 3);                                           /* ... name f fullname advice */
        lua_pushcclosure(L, blocking_call, 3);                         /* ... name wrapper */
        lua_rawset(L, 1);                                              /* t names advice prefix */
    }
    return 0;
}
