// The bridge's protected entry points: Swift calls these, they catch every Lua error.
#include "CLuaGatewayBridge.h"
#include <stdio.h>
#include <stdlib.h>

static char sentinel_key;

void *luagw_sentinel(void) { return &sentinel_key; }

int luagw_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "luagw: unprotected Lua error (a bug in luagw): %s\n", msg ? msg : "?");
    fflush(stderr);
    abort();
    return 0;
}

/// As lua.c's msghandler does.
int luagw_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);          /* ... msg traceback */
    return 1;
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
