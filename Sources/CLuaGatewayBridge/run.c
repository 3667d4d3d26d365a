// A request's run of Lua: its coroutine and its record (luagw_run). A state runs many
// requests at once, one coroutine each; what the hook, the watchdog and the message handler
// need of the request being resumed, they find through the state's budget (`running`), which
// luagw_resume points at the request's record for the duration of a resume.
#include "CLuaGatewayBridge.h"
#include <stdlib.h>
#include <string.h>

/* [-1, +0, m] */
static int new_thread(lua_State *L) {
    luagw_run *run = (luagw_run *)lua_touserdata(L, 1);
    lua_createtable(L, 0, 8);                      /* run record */
    lua_State *co = lua_newthread(L);              /* run record co */
    lua_sethook(co, NULL, 0, 0);                   /* a new thread inherits the main thread's hook */
    lua_setfield(L, -2, "thread");                 /* run record */
    lua_pushinteger(L, 0);                         /* run record 0 */
    lua_setfield(L, -2, "serial");                 /* run record: no request yet (request.lua) */
    lua_rawsetp(L, LUA_REGISTRYINDEX, run);        /* run */
    run->thread = co;
    return 0;
}

luagw_run *luagw_run_new(lua_State *L) {
    luagw_run *run = (luagw_run *)calloc(1, sizeof *run);
    if (run == NULL) return NULL;
    lua_pushcfunction(L, new_thread);              /* f */
    lua_pushlightuserdata(L, run);                 /* f run */
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {         /* (nothing) | error */
        lua_pop(L, 1);
        free(run);
        return NULL;
    }
    luagw_budget *budget = luagw_budget_of(L);
    run->next = budget->runs;
    budget->runs = run;
    return run;
}

void luagw_run_free(lua_State *L, luagw_run *run) {
    if (L != NULL) {
        luagw_budget *budget = luagw_budget_of(L);
        if (budget->culprit == run) budget->culprit = NULL;
        luagw_run **link = &budget->runs;
        while (*link != NULL && *link != run) link = &(*link)->next;
        if (*link == run) *link = run->next;
        lua_pushnil(L);                            /* nil */
        lua_rawsetp(L, LUA_REGISTRYINDEX, run);    /* (the key exists: no allocation) */
    }
    free(run->stop_trace);
    free(run->route);
    free(run);
}

void luagw_run_start(luagw_run *run, double run_limit, double slice) {
    run->run_limit = run_limit;
    run->slice = slice;
    run->spent = 0;
    run->sliced = 0;
    run->killed = 0;
    luagw_budget *budget = luagw_budget_of(run->thread);
    if (budget->culprit == run) budget->culprit = NULL;  /* a culprit's record serves a new request */
    run->over_memory = 0;
    run->allocated = 0;
    run->depth = 0;
    run->signalled_at = 0;
    free(run->stop_trace);
    run->stop_trace = NULL;
    if (run->route != NULL) run->route[0] = '\0';
    lua_sethook(run->thread, NULL, 0, 0);  /* the hooks the watchdog set in its last request stay on the thread */
    run->armed = 1;
}

/* Copies `b` into `into` (`size` bytes, NUL included), cut to fit; where it ended. */
static char *copy_cut(char *into, size_t size, luagw_bytes b) {
    size_t n = b.length < size - 1 ? b.length : size - 1;
    if (n > 0) memcpy(into, b.data, n);
    into[n] = '\0';
    return into + n;
}

void luagw_run_label(luagw_run *run, luagw_bytes id, luagw_bytes method, luagw_bytes target) {
    copy_cut(run->label_id, sizeof run->label_id, id);
    char *what = run->label_what;
    size_t size = sizeof run->label_what;
    if (method.length > 0 && method.length < size / 2) {
        char *end = copy_cut(what, size, method);
        *end++ = ' ';
        size -= (size_t)(end - what);
        what = end;
    }
    copy_cut(what, size, target);
}

void luagw_run_stop(luagw_run *run) {
    run->armed = 0;
}

int luagw_resume(luagw_run *run, lua_State *from, int nargs, int *nresults) {
    lua_State *L = run->thread;
    luagw_budget *budget = luagw_budget_of(L);
    if (run->signalled_at > 0 && !run->killed && !run->over_memory) {
        /* The hooks of the last run are done with: this run starts hook-free. */
        lua_sethook(L, NULL, 0, 0);
        for (int i = 0; i < run->depth; i++) lua_sethook(run->active[i], NULL, 0, 0);
    }
    run->sliced = 0;
    run->signalled_at = 0;
    run->run_start = luagw_monotonic_now();
    luagw_run *outer = budget->running;
    budget->running = run;
    if (!luagw_watchdog_enter(run) && lua_gethook(L) == NULL) {
        /* No watchdog on this thread: a count hook does its work (slower Lua). */
        lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, LUAGW_HOOK_COUNT);
    }
    int status = lua_resume(L, from, nargs, nresults);
    luagw_watchdog_leave(run);
    budget->running = outer;
    run->spent += luagw_monotonic_now() - run->run_start;
    return status;
}

int luagw_current(lua_State *L) {
    luagw_run *run = luagw_budget_of(L)->running;
    if (run == NULL || run == &luagw_budget_of(L)->load) {
        lua_pushnil(L);
        return 1;
    }
    lua_rawgetp(L, LUA_REGISTRYINDEX, run);        /* record */
    return 1;
}
