// A state's budget: the memory it may hold (a counting allocator) and the time a
// request may run (a count hook that stops a runaway, and that yields to the server
// when a request has computed for a whole time slice, so that others get their turn).
#include "CLuaGatewayBridge.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/// Instructions between two looks at the clock.
#define BUDGET_HOOK_COUNT 1000
/// What a state may still allocate after it hit its limit, so its error can be reported.
#define BUDGET_HEADROOM (256 * 1024)

static double monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    luagw_budget *budget = (luagw_budget *)ud;
    if (ptr == NULL) osize = 0;  /* osize is a type tag for new blocks */
    if (nsize == 0) {
        free(ptr);
        budget->used -= osize;
        return NULL;
    }
    if (nsize > osize && budget->used + (nsize - osize) > budget->limit) {
        budget->out_of_memory = 1;
        budget->limit += BUDGET_HEADROOM;  /* room to unwind; the state is replaced after */
        return NULL;
    }
    void *block = realloc(ptr, nsize);
    if (block != NULL) budget->used = budget->used - osize + nsize;
    return block;
}

void luagw_budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    void *ud;
    lua_getallocf(L, &ud);
    luagw_budget *budget = (luagw_budget *)ud;
    if (!budget->armed) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    double now = monotonic_now();
    if (budget->killed || budget->spent + (now - budget->run_start) > budget->run_limit) {
        budget->killed = 1;
        lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, 1);  /* every instruction from now on: no escape */
        luaL_where(L, 0);                  /* where: the function the hook interrupted, not its caller */
        lua_pushfstring(L, "ran longer than its limit of %f s", budget->run_limit);  /* where msg */
        lua_concat(L, 2);                  /* "where: msg" */
        lua_error(L);
    }
    if (budget->slice > 0 && now - budget->run_start > budget->slice) {
        if (L == budget->request_thread && lua_isyieldable(L)) {
            budget->sliced = 1;
            lua_yield(L, 0);
        }
        /* Cannot yield here (inside the application's coroutine or a C call): look again later. */
        lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, BUDGET_HOOK_COUNT);
        return;
    }
    if (!budget->killed && luagw_watchdog_watches_this_thread()) {
        lua_sethook(L, NULL, 0, 0);  /* a late signal: nothing to do */
    }
}

lua_State *luagw_newstate(size_t memory_limit) {
    luagw_budget *budget = (luagw_budget *)calloc(1, sizeof(luagw_budget));
    if (budget == NULL) return NULL;
    budget->limit = memory_limit;
    lua_State *L = lua_newstate(budget_alloc, budget);
    if (L == NULL) {
        free(budget);
        return NULL;
    }
    lua_atpanic(L, luagw_panic);
    return L;
}

void luagw_close(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    lua_close(L);
    free(ud);
}

luagw_budget *luagw_budget_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (luagw_budget *)ud;
}

void luagw_budget_start(lua_State *L, double run_limit, double slice) {
    luagw_budget *budget = luagw_budget_of(L);
    budget->run_limit = run_limit;
    budget->slice = slice;
    budget->spent = 0;
    budget->sliced = 0;
    budget->depth = 0;
    budget->stop_trace[0] = '\0';
    budget->route[0] = '\0';
    budget->armed = 1;
}

void luagw_budget_watch_load(lua_State *L, double run_limit) {
    luagw_budget_start(L, run_limit, 0);
    luagw_budget_of(L)->run_start = monotonic_now();  /* luagw_resume sets it for requests */
    /* Loads run on any thread (the reloader's too), not under the watchdog: a count hook. */
    lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, BUDGET_HOOK_COUNT);
}

int luagw_resume(lua_State *L, lua_State *from, int nargs, int *nresults) {
    luagw_budget *budget = luagw_budget_of(L);
    if (budget->signalled_at > 0 && !budget->killed) {
        /* The hooks of the last run are done with: this run starts hook-free. */
        lua_sethook(L, NULL, 0, 0);
        for (int i = 0; i < budget->depth; i++) lua_sethook(budget->active[i], NULL, 0, 0);
    }
    budget->sliced = 0;
    budget->signalled_at = 0;
    budget->run_start = monotonic_now();
    if (!luagw_watchdog_enter(budget) && lua_gethook(L) == NULL) {
        /* No watchdog on this thread: a count hook does its work (slower Lua). */
        lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, BUDGET_HOOK_COUNT);
    }
    int status = lua_resume(L, from, nargs, nresults);
    luagw_watchdog_leave();
    budget->spent += monotonic_now() - budget->run_start;
    return status;
}

void luagw_budget_clear(lua_State *L) {
    luagw_budget_of(L)->killed = 0;
    lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, BUDGET_HOOK_COUNT);
}

void luagw_budget_stop(lua_State *L) {
    luagw_budget_of(L)->armed = 0;
    if (!luagw_budget_of(L)->killed) lua_sethook(L, NULL, 0, 0);
}
