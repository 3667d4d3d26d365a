// A state's budget: the memory it may hold (a counting allocator), and the hook that keeps
// the running request to its time (run.c keeps each request's own record): it stops a
// runaway, and yields to the server when a request has computed for a whole time slice,
// so that the other requests of its worker get their turn.
#include "CLuaGatewayBridge.h"
#include <stdio.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// What a full state's limit grows by, once: a sixteenth of it, 16 MiB at most.
static size_t budget_headroom(size_t limit) {
    size_t headroom = limit / 16;
    return headroom < ((size_t)16 << 20) ? headroom : ((size_t)16 << 20);
}

double luagw_monotonic_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The armed run that allocated the most since it started, or NULL. */
static luagw_run *biggest_run(luagw_budget *budget) {
    luagw_run *biggest = NULL;
    for (luagw_run *run = budget->runs; run != NULL; run = run->next) {
        if (run->armed && (biggest == NULL || run->allocated > biggest->allocated)) biggest = run;
    }
    return biggest;
}

/* Whether a state whose allocation of `more` bytes brings it past its limit may have them.
   The first time, the state is full: it takes no new requests and is replaced once its
   requests have ended (SPEC 4: they are to finish), and its limit grows once by a little
   headroom, since the request that reached it may be an innocent one, resumed between two
   time slices of the one that filled the state. Past the grown limit, the run that allocated
   the most since it started is the culprit: it is refused, whatever the size it asks, and any
   other run is let through (up to one more headroom) while the culprit is stopped at its next
   instruction (`over_memory`, the budget's hook). A refusal makes Lua collect in an emergency
   and ask again, then raise LUA_ERRMEM with its preallocated message; lauxlib's buffers
   (string.rep, table.concat...) raise "not enough memory" at once, without collecting. Once
   the error has unwound, what the failed request held is garbage (collected when it ends:
   RequestRunner). */
static int admits(luagw_budget *budget, size_t more) {
    if (!budget->out_of_memory) {
        budget->out_of_memory = 1;
        budget->headroom = budget_headroom(budget->limit);
        budget->limit += budget->headroom;
        if (budget->used + more <= budget->limit) return 1;
    }
    luagw_run *run = budget->running;
    if (run == NULL || run == &budget->load) return 0;
    if (budget->culprit == NULL) budget->culprit = biggest_run(budget);
    luagw_run *culprit = budget->culprit;
    if (culprit == NULL || culprit == run) return 0;
    if (!culprit->over_memory) {
        culprit->over_memory = 1;
        lua_sethook(culprit->thread, luagw_budget_hook, LUA_MASKCOUNT, 1);
    }
    return budget->used + more <= budget->limit + budget->headroom;
}

/* Hands Lua the adopted block as the string it asks for, counted like any allocation. */
static void *adopt(luagw_budget *budget) {
    size_t size = budget->adopted_size;
    if (budget->running != NULL) budget->running->allocated += size;
    if (budget->used + size > budget->limit && !admits(budget, size)) return NULL;
    void *block = budget->adopted;
    budget->adopted = NULL;
    budget->used += size;
    return block;
}

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    luagw_budget *budget = (luagw_budget *)ud;
    if (ptr == NULL) {
        /* osize is a type tag for new blocks: a string's may be the adopted block (luagw_pushadopted) */
        if (budget->adopted != NULL && osize == LUA_TSTRING && nsize == budget->adopted_size) return adopt(budget);
        osize = 0;
    }
    if (nsize == 0) {
        free(ptr);
        budget->used -= osize;
        return NULL;
    }
    if (nsize > osize) {
        size_t more = nsize - osize;
        if (budget->running != NULL) budget->running->allocated += more;
        if (budget->used + more > budget->limit && !admits(budget, more)) return NULL;
    }
    void *block = realloc(ptr, nsize);
    if (block != NULL) budget->used = budget->used - osize + nsize;
    return block;
}

/* Where a stop is reported: the innermost Lua function on L's stack that is not luagw's own (a
   chunk named `=luagw/...`), i.e. the application's line that was running or that called
   (perhaps through pcall) the luagw function that waited; the interrupted function when there
   is none. [-0, +0, -] */
static int stop_level(lua_State *L) {
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar) && lua_getinfo(L, "S", &ar); level++) {
        if (strcmp(ar.what, "C") != 0 && strncmp(ar.source, "=luagw/", 7) != 0) return level;
    }
    return 0;
}

/* Makes the next instruction of L (and of the request's own coroutine) run the hook, which
   stops `run` once it is `killed`. */
static void hook_every_instruction(lua_State *L, luagw_run *run) {
    lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, 1);
    if (L != run->thread) lua_sethook(run->thread, luagw_budget_hook, LUA_MASKCOUNT, 1);
}

int luagw_overrun(lua_State *L) {
    luagw_run *run = luagw_budget_of(L)->running;
    if (run == NULL || !run->armed) return luaL_error(L, "overrun: no request runs");
    run->killed = 1;
    /* Raised from the hook, where hooks are off: the message handler runs without them. */
    hook_every_instruction(L, run);
    return 0;
}

void luagw_budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    luagw_run *run = luagw_budget_of(L)->running;
    if (run == NULL || !run->armed) {
        lua_sethook(L, NULL, 0, 0);
        return;
    }
    luagw_watchdog_hooked(L);  /* where Lua is, if its event loop was found blocked */
    double now = luagw_monotonic_now();
    if (run->over_memory || run->killed || run->spent + (now - run->run_start) > run->run_limit) {
        if (!run->over_memory) run->killed = 1;
        hook_every_instruction(L, run);    /* every instruction from now on: no escape */
        luaL_where(L, stop_level(L));      /* where (LUA_ERRMEM instead when a full state refuses it) */
        if (run->over_memory) {
            lua_pushliteral(L, "not enough memory: this request allocated the most of its full Lua state (--memory-per-state)");
        } else {
            lua_pushfstring(L, "ran longer than its limit of %f s", run->run_limit);
        }                                  /* where msg */
        lua_concat(L, 2);                  /* "where: msg" */
        lua_error(L);
    }
    if (run->slice > 0 && now - run->run_start > run->slice) {
        if (L == run->thread && lua_isyieldable(L)) {
            run->sliced = 1;
            lua_yield(L, 0);
        }
        /* Cannot yield here (inside the application's coroutine or a C call): look again later. */
        lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, LUAGW_HOOK_COUNT);
        return;
    }
    if (luagw_watchdog_watches_this_thread()) {
        lua_sethook(L, NULL, 0, 0);  /* a late signal: nothing to do */
    }
}

/* Bytes before a string's contents in its block (Lua 5.4's TString: its header and length, 24
   on 64-bit), found by the first state (string_header_probe); 0 when a string does not take a
   block as it is: luagw_pushadopted then copies. */
static _Atomic size_t string_header = 0;  /* states are made on several threads at start */
static _Atomic int string_header_probed = 0;

size_t luagw_string_header(void) {
    return string_header;
}

/* Pushes onto `to` the `length` bytes at `block + header`, the allocator armed to hand Lua
   `block` when it asks for the string's memory; `*taken`: the block is the string's now (else it
   is still the caller's). [-0, +1 on `to` | +1 error on `L`, -] */
static int push_armed(lua_State *L, lua_State *to, char *block, size_t header, size_t length, int *taken) {
    luagw_budget *budget = luagw_budget_of(L);
    budget->adopted = block;
    budget->adopted_size = header + length + 1;
    luagw_bytes bytes = {block + header, length};
    int status = luagw_pushbytes(L, to, bytes);  /* to: string | L: error */
    *taken = budget->adopted == NULL;
    budget->adopted = NULL;
    return status;
}

int luagw_pushadopted(lua_State *L, lua_State *to, char *block, size_t length) {
    size_t header = string_header;
    int taken = 0;
    int status = header > 0 ? push_armed(L, to, block, header, length, &taken)
                            : luagw_pushbytes(L, to, (luagw_bytes){block, length});  /* Lua copies */
    if (!taken) free(block);
    return status;
}

/* Whether Lua makes a long string of an armed block as it is, with its contents at `header`: then
   the block is the string's, and Lua's copy of the contents onto themselves is glibc's no-op
   (memmove of a region onto itself). [-0, +0, -] */
static void string_header_probe(lua_State *L) {
    const size_t header = 3 * sizeof(void *), length = 64;
    char *block = (char *)malloc(header + length + 1);
    if (block == NULL) return;
    memset(block + header, 'p', length);
    int taken;
    int status = push_armed(L, L, block, header, length, &taken);  /* string | error */
    if (status == LUA_OK && taken && lua_tostring(L, -1) == block + header) string_header = header;
    if (!taken) free(block);
    lua_pop(L, 1);
    string_header_probed = 1;
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
    if (!string_header_probed) string_header_probe(L);
    return L;
}

void luagw_close(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    lua_close(L);
    luagw_budget *budget = (luagw_budget *)ud;
    free(budget->load.stop_trace);
    free(budget->load.route);
    free(budget);
}

void luagw_budget_collect(lua_State *L) {
    lua_gc(L, LUA_GCCOLLECT);
}

void luagw_release_memory(void) {
    malloc_trim(0);
}

luagw_budget *luagw_budget_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (luagw_budget *)ud;
}

void luagw_budget_watch_load(lua_State *L, double run_limit) {
    luagw_budget *budget = luagw_budget_of(L);
    luagw_run *load = &budget->load;
    load->thread = L;
    luagw_run_start(load, run_limit, 0);
    load->run_start = luagw_monotonic_now();  /* luagw_resume sets it for requests */
    budget->running = load;
    /* Loads run on any thread (the reloader's too), not under the watchdog: a count hook. */
    lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, LUAGW_HOOK_COUNT);
}

void luagw_budget_clear(lua_State *L) {
    luagw_budget_of(L)->load.killed = 0;
    lua_sethook(L, luagw_budget_hook, LUA_MASKCOUNT, LUAGW_HOOK_COUNT);
}

void luagw_budget_stop(lua_State *L) {
    luagw_budget *budget = luagw_budget_of(L);
    luagw_run_stop(&budget->load);
    budget->running = NULL;
}
