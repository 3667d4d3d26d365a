// Transparent coroutines (SPEC 2.1), the C half of coroutines.lua: a coroutine the application
// made passes the server's own yields (those whose first value is the sentinel) up to the
// server and is resumed with its answer; while it runs it is noted in the running request's record, so
// that the run-time watchdog hooks it too. `wrap` is coroutine.wrap in C: an application that
// streams its body from a generator resumes it once a chunk.
#include "CLuaGatewayBridge.h"

/* Notes `co` as running (the watchdog's signal handler may read the list at any instruction:
   the entry is written before the count that makes it visible); whether it was noted. */
static int note(luagw_run *run, lua_State *co) {
    if (run == NULL || co == NULL || run->depth >= (int)(sizeof run->active / sizeof run->active[0])) return 0;
    run->active[run->depth] = co;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    run->depth++;
    return 1;
}

static void unnote(luagw_run *run, int noted) {
    if (noted && run != NULL && run->depth > 0) run->depth--;
}

/// enter(co): notes that `co` is being resumed; returns whether it was noted, for leave. [-1, +1, -]
int luagw_coroutine_enter(lua_State *L) {
    lua_pushboolean(L, note(luagw_budget_of(L)->running, lua_tothread(L, 1)));
    return 1;
}

/// leave(noted, ...): undoes enter; returns the values after `noted`. [-n, +(n-1), -]
int luagw_coroutine_leave(lua_State *L) {
    unnote(luagw_budget_of(L)->running, lua_toboolean(L, 1));
    return lua_gettop(L) - 1;
}

static int resume_wrapped(lua_State *L, int narg);

/* The continuation after a relayed yield: the server's answer is on the stack. */
static int relay_answer(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    return resume_wrapped(L, lua_gettop(L));
}

/* Resumes the wrapped coroutine (upvalue 1) with the `narg` values on top of L: returns what it
   yields or returns, yields a server's yield up (and goes on in relay_answer), or raises its
   error as it is. [-narg, +r, e] */
static int resume_wrapped(lua_State *L, int narg) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int status = lua_status(co);
    if ((status == LUA_OK && lua_gettop(co) == 0) || (status != LUA_OK && status != LUA_YIELD))
        return luaL_error(L, "cannot resume dead coroutine");
    if (!lua_checkstack(co, narg)) return luaL_error(L, "too many arguments to resume");
    lua_xmove(L, co, narg);                          /* co: ... args */
    luagw_run *run = luagw_budget_of(L)->running;
    int noted = note(run, co);
    int nres;
    status = lua_resume(co, L, narg, &nres);         /* co: ... results | error */
    unnote(run, noted);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            return luaL_error(L, "too many results to resume");
        }
        lua_xmove(co, L, nres);                      /* L: results */
        if (status == LUA_YIELD && nres > 0 && lua_type(L, -nres) == LUA_TLIGHTUSERDATA &&
            lua_touserdata(L, -nres) == luagw_sentinel())
            return lua_yieldk(L, nres, 0, relay_answer);
        return nres;
    }
    lua_resetthread(co);                             /* closes its to-be-closed variables; co: error */
    lua_xmove(co, L, 1);                             /* L: error */
    return lua_error(L);
}

static int call_wrapped(lua_State *L) {
    return resume_wrapped(L, lua_gettop(L));
}

/// wrap(f): coroutine.wrap for applications. [-1, +1, m]
int luagw_coroutine_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);                /* f co */
    lua_pushvalue(L, 1);                             /* f co f */
    lua_xmove(L, co, 1);                             /* f co */
    lua_pushcclosure(L, call_wrapped, 1);            /* f wrapped */
    return 1;
}
