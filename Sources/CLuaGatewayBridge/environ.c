// Builds a request's environ table from bytes that Swift lends (SPEC section 2).
#include "CLuaGatewayBridge.h"
#include <stdint.h>
#include <string.h>

typedef struct environ_spec {
    const luagw_pair *fixed;
    int nfixed;
    const luagw_pair *headers;
    int nheaders;
} environ_spec;

static int ascii_equal_nocase(luagw_bytes b, const char *lower) {
    size_t n = strlen(lower);
    if (b.length != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = b.data[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != lower[i]) return 0;
    }
    return 1;
}

/// Pushes "HTTP_" .. upper(name) with '-' turned to '_' (Swift passes only the names that
/// reach the application: none with '_', no Content-Type or Content-Length). An ordinary name is
/// spelled in a C array and pushed as it is: a luaL_Buffer costs more than the string. [-0, +1, m]
static void push_header_key(lua_State *L, luagw_bytes name) {
    char small[128];
    luaL_Buffer b;
    size_t n = name.length + 5;
    char *p = n <= sizeof small ? small : luaL_buffinitsize(L, &b, n);  /* ... [buffer] */
    memcpy(p, "HTTP_", 5);
    for (size_t i = 0; i < name.length; i++) {
        char c = name.data[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        else if (c == '-') c = '_';
        p[5 + i] = c;
    }
    if (p == small) lua_pushlstring(L, small, n);                 /* ... key */
    else luaL_pushresultsize(&b, n);                              /* ... key */
}

/// Pushes constant key `literal` (a C literal: its address never changes): the state's string
/// kept for it in the budget's key slots, or a new one (then kept, if its slot is free). A
/// registry lookup by integer costs a third of lua_pushstring's hash-and-strcmp. [-0, +1, m]
static void push_constant_key(lua_State *L, luagw_budget *budget, const char *literal) {
    unsigned slot = (unsigned)(((uintptr_t)literal >> 3) % LUAGW_KEY_SLOTS);
    if (budget->key_literals[slot] == literal) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, budget->key_refs[slot]);  /* ... k */
        return;
    }
    lua_pushstring(L, literal);                                     /* ... k */
    if (budget->key_literals[slot] != NULL) return;
    lua_pushvalue(L, -1);                                           /* ... k k */
    budget->key_refs[slot] = luaL_ref(L, LUA_REGISTRYINDEX);        /* ... k */
    budget->key_literals[slot] = literal;
}

/// [-1 (spec), +1 (environ), m]
static int build_environ(lua_State *L) {
    const environ_spec *spec = (const environ_spec *)lua_touserdata(L, 1);
    /* 16: the keys driver.lua adds (SERVER_SOFTWARE ... luagw), so that they need no rehash. */
    luagw_budget *budget = luagw_budget_of(L);
    lua_createtable(L, 0, spec->nfixed + spec->nheaders + 16);     /* spec env */
    for (int i = 0; i < spec->nfixed; i++) {
        const luagw_pair *kv = &spec->fixed[i];
        if (kv->key_is_constant) push_constant_key(L, budget, kv->key.data);  /* spec env k */
        else lua_pushlstring(L, kv->key.data, kv->key.length);     /* spec env k */
        lua_pushlstring(L, kv->value.data, kv->value.length);      /* spec env k v */
        lua_rawset(L, 2);                                          /* spec env */
    }
    for (int i = 0; i < spec->nheaders; i++) {
        const luagw_pair *kv = &spec->headers[i];
        push_header_key(L, kv->key);                               /* spec env k */
        lua_pushvalue(L, -1);                                      /* spec env k k */
        if (lua_rawget(L, 2) == LUA_TSTRING) {                     /* spec env k old */
            lua_pushstring(L, ascii_equal_nocase(kv->key, "cookie") ? "; " : ", ");
            lua_pushlstring(L, kv->value.data, kv->value.length);  /* spec env k old sep v */
            lua_concat(L, 3);                                      /* spec env k joined */
        } else {
            lua_pop(L, 1);                                         /* spec env k */
            lua_pushlstring(L, kv->value.data, kv->value.length);  /* spec env k v */
        }
        lua_rawset(L, 2);                                          /* spec env */
    }
    return 1;
}

int luagw_build_environ(lua_State *L, const luagw_pair *fixed, int nfixed,
                        const luagw_pair *headers, int nheaders) {
    environ_spec spec = { fixed, nfixed, headers, nheaders };
    lua_pushcfunction(L, build_environ);   /* build */
    lua_pushlightuserdata(L, &spec);       /* build spec */
    return lua_pcall(L, 1, 1, 0);          /* env | error */
}
