// CLua: the C side of luagw's Lua bridge.
//
// Everything here that may raise a Lua error (a longjmp) runs either inside a
// lua_pcall started here, or is a lua_CFunction that only Lua calls. Swift calls
// these functions and gets a status back; no longjmp ever crosses a Swift frame.
// Stack effects use the Lua manual's notation [-o, +p, x].
#ifndef LUAGW_CLUA_H
#define LUAGW_CLUA_H

#include <stddef.h>
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

/// A byte string that Swift lends for the duration of one call.
typedef struct luagw_bytes {
    const char *data;
    size_t length;
} luagw_bytes;

/// A key and its value, both lent by Swift for the duration of one call.
typedef struct luagw_pair {
    luagw_bytes key;
    luagw_bytes value;
} luagw_pair;

/// Where `wsgi.errors` output goes: request id, message. Must not raise.
typedef void (*luagw_log_function)(luagw_bytes request_id, luagw_bytes message);

/// A new state with a panic handler that reports and aborts; NULL when out of memory. [-0, +0, -]
lua_State *luagw_newstate(void);

/// Sets up a new state in protected mode: opens the standard libraries, runs `prelude`
/// (chunk name `name`) with a table of the C helpers it needs (`traceback`, `log`,
/// `safe`, `sentinel`), anchors its first `nrefs` results in the registry (their references go
/// to `refs`), and makes the state's request thread (anchored too: `*thread_ref`).
/// [-0, +(0 | 1 error), -]
int luagw_prepare(lua_State *L, luagw_bytes prelude, const char *name,
                  int *refs, int nrefs, lua_State **thread, int *thread_ref);

/// The message handler: copes with non-string errors and appends a traceback. [-1, +1, m]
int luagw_traceback(lua_State *L);


/// lua_pcall with the traceback message handler below the function.
/// [-(nargs+1), +(nresults | 1), -]
int luagw_pcall(lua_State *L, int nargs, int nresults);

/// Pushes the bytes as a Lua string onto `to`; the allocation is protected on `L`
/// (the main thread, not running). `to` may be `L`. [-0, +1 on `to` | +1 error on `L`, -]
int luagw_pushbytes(lua_State *L, lua_State *to, luagw_bytes bytes);

/// Builds a request's environ on `L` (a thread that is not running):
/// `fixed` keys verbatim, then each request header as HTTP_NAME (names with `_`
/// dropped, repeats joined with ", " or "; " for Cookie). [-0, +1, -]
int luagw_build_environ(lua_State *L, const luagw_pair *fixed, int nfixed,
                        const luagw_pair *headers, int nheaders);

/// Sets where wsgi.errors lines go (process-wide, set once at start-up).
void luagw_set_log_function(luagw_log_function fn);

/// The unique light userdata that tags the server's own yields.
void *luagw_sentinel(void);

// Macros of lua.h that Swift cannot import, as functions.
static inline int luagw_isstring(lua_State *L, int i) { return lua_type(L, i) == LUA_TSTRING; }
static inline int luagw_registryindex(void) { return LUA_REGISTRYINDEX; }

#endif
