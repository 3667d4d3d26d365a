// CLuaGatewayBridge: the C side of luagw's Lua bridge.
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
    /// The key is a constant (its bytes live as long as the process, followed by a NUL): it is
    /// pushed through Lua's cache of C strings, which finds it without hashing it again.
    int key_is_constant;
} luagw_pair;

// The protocol between a request's coroutine and the server, named once. The Lua side
// receives these numbers at load (the `protocol` table of the prelude's helpers, set in
// helpers.c); Swift imports them. Every yield to the server is
// `sentinel, kind, ...`; `serve` returns `outcome, ...`.

/// What a request's coroutine asks of the server when it yields.
typedef enum luagw_yield_kind {
    LUAGW_YIELD_READ = 1,   /* `READ [, all]`: request body bytes (`all`: as much as there is, up to a bound); resumed with a string (and true when it ends the body), nil at the end, or false, message */
    LUAGW_YIELD_SEND = 2,   /* `SEND, chunk [, head...]`: body bytes (the head the first time); resumed with a verdict */
    LUAGW_YIELD_FILE = 3,   /* `FILE, path, size, head...`: a file the server streams itself; resumed with a verdict */
    LUAGW_YIELD_WAIT = 4,   /* `WAIT, operation, arguments...`: resumed with GO_ON and the operation's results, or GONE */
} luagw_yield_kind;

/// How `serve` ends: `DONE [, body, head...]` or `FAILED, message`.
typedef enum luagw_outcome {
    LUAGW_OUTCOME_DONE = 1,
    LUAGW_OUTCOME_FAILED = 2,
} luagw_outcome;

/// What the server answers a SEND, FILE or WAIT with.
typedef enum luagw_verdict {
    LUAGW_VERDICT_CLIENT_GONE = 0,  /* the client went away: the application is stopped with an error */
    LUAGW_VERDICT_GO_ON = 1,        /* send more */
    LUAGW_VERDICT_STOP = 2,         /* no more is wanted (HEAD, Content-Length reached): the body ends quietly */
} luagw_verdict;

/// The values of a response head, in the order they follow a SEND's chunk, a FILE's
/// size or a DONE's body: code, "200 OK", the header lines, Content-Length or nil, flags.
typedef enum luagw_head_slot {
    LUAGW_HEAD_CODE = 0,
    LUAGW_HEAD_LINE = 1,
    LUAGW_HEAD_BLOCK = 2,
    LUAGW_HEAD_LENGTH = 3,
    LUAGW_HEAD_FLAGS = 4,
} luagw_head_slot;

/// The bits of a head's flags: what the application set itself.
typedef enum luagw_head_flag {
    LUAGW_HEAD_HAS_DATE = 1,
    LUAGW_HEAD_HAS_SERVER = 2,
} luagw_head_flag;

/// The operations a request may WAIT for (SPEC 7). Each is started and cancelled by its
/// own Swift type (see Operations/); the step loop knows none of them.
typedef enum luagw_operation {
    LUAGW_OPERATION_SLEEP = 1,      /* seconds → nothing, once they have passed */
    LUAGW_OPERATION_CONNECT = 2,    /* host, port, timeout, pool key → handle, times reused | nil, err */
    LUAGW_OPERATION_SEND = 3,       /* handle, bytes, timeout → bytes sent | nil, err */
    LUAGW_OPERATION_RECEIVE = 4,    /* handle, timeout → what arrived (any amount) | nil, err */
    LUAGW_OPERATION_KEEPALIVE = 5,  /* handle, idle seconds, pool size → 1 | nil, err */
    LUAGW_OPERATION_CLOSE = 6,      /* handle → 1 | nil, err */
    LUAGW_OPERATION_TIMER = 7,      /* id, delay, interval (0: once) → true | nil, err */
    LUAGW_OPERATION_TIMER_CANCEL = 8, /* id → true | nil, err */
    LUAGW_OPERATION_THREAD_SPAWN = 9, /* id, request id → true (the thread ran until it waited or finished) */
    LUAGW_OPERATION_THREAD_WAIT = 10, /* n, ids... → the id of the first of them to finish */
    LUAGW_OPERATION_THREAD_KILL = 11, /* id → true | nil, err */
    /* os.execute and io.popen (SPEC 5): `over` is true when the request's run time ran out while
       it waited (its child was killed; process.lua then stops the request), and nothing follows. */
    LUAGW_OPERATION_PROCESS_SPAWN = 12, /* command, mode ('r', 'w' or 0) → handle | nil, err */
    LUAGW_OPERATION_PROCESS_READ = 13,  /* handle → over, what arrived (any amount) | over, nil at the end */
    LUAGW_OPERATION_PROCESS_WRITE = 14, /* handle, bytes → over, true | over, nil, err */
    LUAGW_OPERATION_PROCESS_WAIT = 15,  /* handle → over, exited, code (the pipe closed first) */
    LUAGW_OPERATION_SSL_HANDSHAKE = 16, /* handle, server name ('' for none), verify (1 or 0), timeout → true | nil, err (SPEC 11) */
    /* SPEC 13's databases: a database is named by kind ("sqlite"), target (its path), and its options. */
    LUAGW_OPERATION_DB_QUERY = 17,  /* kind, target, options, sql, params, exec (1 or 0), transaction (0: none) → encoded answer | nil, err */
    LUAGW_OPERATION_DB_BEGIN = 18,  /* kind, target, options → transaction | nil, err */
    LUAGW_OPERATION_DB_END = 19,    /* transaction, commit (1 or 0) → true | nil, err */
    /* SPEC 12's WebSockets: a WebSocket is named by the handle WS_ACCEPT returned (any coroutine of the
       worker may use it while it is open); kinds are opcodes: 1 text, 2 binary, 8 close, 9 ping, 10 pong. */
    LUAGW_OPERATION_WS_ACCEPT = 20,  /* accept value, protocol ('' for none), max payload → handle | nil, err */
    LUAGW_OPERATION_WS_RECEIVE = 21, /* handle, timeout → data, kind [, close code] | nil, err */
    LUAGW_OPERATION_WS_SEND = 22,    /* handle, opcode, payload, timeout → bytes | nil, err */
    /* 23 is reserved. */
    LUAGW_OPERATION_UDP_PEER = 24,   /* host, port (0 for "unix:/path") → handle | nil, err: a connected UDP socket,
                                        whose handle SEND, RECEIVE (one datagram each) and CLOSE then take */
    /* luagw.ngx's ngx.exit(444) (and ngx.ERROR, 408, 499): the request's connection closes (an
       HTTP/2 stream is reset) without a response, or with the one it started cut. */
    LUAGW_OPERATION_ABORT = 25,      /* → true | false when the request has no connection to close */
} luagw_operation;

/// Whether the `length` bytes at `bytes` are well-formed UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF). Touches no Lua state.
int luagw_utf8_valid(const unsigned char *bytes, size_t length);

/// The operations of the shared dictionaries (shared.lua → SharedDictionaries.swift); each
/// takes the dictionary's name first. Not WAITs: they never wait.
typedef enum luagw_shared_op {
    LUAGW_SHARED_GET = 1,       /* name, key → value | nil */
    LUAGW_SHARED_SET = 2,       /* name, key, value, ttl → true, nil, forcible */
    LUAGW_SHARED_ADD = 3,       /* name, key, value, ttl → true, nil, forcible | false, "exists", false */
    LUAGW_SHARED_REPLACE = 4,   /* name, key, value, ttl → true, nil, forcible | false, "not found", false */
    LUAGW_SHARED_INCR = 5,      /* name, key, n, init, init ttl → value, nil, forcible | nil, err */
    LUAGW_SHARED_TTL = 6,       /* name, key → seconds (0: none) | nil, "not found" */
    LUAGW_SHARED_EXPIRE = 7,    /* name, key, ttl → true | nil, "not found" */
    LUAGW_SHARED_KEYS = 8,      /* name, max → the keys, each as string.pack("s4") */
    LUAGW_SHARED_FLUSH = 9,     /* name → nothing */
} luagw_shared_op;

/// One Lua file of luagw's own (Sources/LuaGateway/LuaModules), lent by Swift: `name` is
/// its file name without `.lua`; it loads as the chunk `=luagw/NAME.lua`.
typedef struct luagw_module {
    const char *name;
    luagw_bytes source;
} luagw_module;

/// A Lua value that crosses to Swift and back by value: nil, a boolean, a number or a string
/// (bytes lent: a Lua string's for arguments, Swift's until its next call for results).
typedef struct luagw_value {
    int type;              /* LUA_TNIL, LUA_TBOOLEAN, LUA_TNUMBER or LUA_TSTRING */
    int is_integer;        /* for LUA_TNUMBER: `integer` holds it, else `number` */
    lua_Integer integer;   /* also the boolean, 0 or 1 */
    lua_Number number;
    luagw_bytes bytes;
} luagw_value;

/// The shared dictionaries' entry point (SPEC 7, Swift's SharedDictionaries): operation
/// `op` on the dictionary and key in `args`; fills `results`; returns how many (at most
/// LUAGW_SHARED_RESULTS). Called from any event-loop thread; must not raise.
typedef int (*luagw_shared_function)(int op, const luagw_value *args, int nargs, luagw_value *results);
#define LUAGW_SHARED_RESULTS 4

/// Sets the shared dictionaries' entry point (process-wide, once at start-up).
void luagw_set_shared_function(luagw_shared_function fn);

/// Where `wsgi.errors` output goes: request id, the script's mount ("" if not known), message.
/// Must not raise.
typedef void (*luagw_log_function)(luagw_bytes request_id, luagw_bytes mount, luagw_bytes message);

/// overrun(): stops the running request as its run-time limit does, for time it spent waiting
/// for a child process (process.lua): from the next instruction on, the budget's hook raises the
/// limit's error (at the application's line that called into luagw), and again at every
/// instruction after it, so that the request ends (504). [-0, +0, v]
int luagw_overrun(lua_State *L);

/// A child process of os.execute or io.popen (children.c).
typedef struct luagw_child luagw_child;

/// Told once, on the reaper thread, when a child has exited and was reaped: `exited` 1 and its
/// exit status, or 0 and the signal that ended it. Must not block.
typedef void (*luagw_child_exit)(void *context, int exited, int code);

/// Starts `/bin/sh -c command` in a process group of its own, with the server's standard output
/// and error and no other descriptor of the server. `mode` 'r': its standard output is a pipe
/// whose read end goes to `*pipe_fd`; 'w': its standard input is a pipe whose write end goes
/// there; 0: no pipe (standard input /dev/null, as in 'r'). `on_exit(context, ...)` is called
/// when it ends. The child, to release with luagw_child_release; NULL with errno set when it
/// cannot start.
luagw_child *luagw_child_spawn(const char *command, int mode, int *pipe_fd, luagw_child_exit on_exit, void *context);

/// Sends SIGKILL to the child's process group, unless it was reaped already.
void luagw_child_kill(luagw_child *child);

/// The server is done with the child (on_exit may still come, if it has not).
void luagw_child_release(luagw_child *child);

/// One request's run of Lua (run.c): the coroutine it runs in and what it may spend of
/// time. A state runs many requests at once, each on a coroutine of its own with one of
/// these (reused by the requests that coroutine serves one after another); nothing of a
/// request lives in the state itself. While a request's coroutine is resumed, the state's
/// budget points at its run (`running`): the hook, the watchdog, the message handler,
/// transparent coroutines and `set_route` find the request there.
typedef struct luagw_run {
    lua_State *thread;       /* the request's coroutine (the one the hook may yield) */
    int armed;               /* a request (or a load) is running under the limits below */
    int killed;              /* it ran past its deadline and was stopped */
    int sliced;              /* the last yield was the hook's: its time slice was over */
    double run_limit;        /* seconds it may run (running Lua, not waiting) */
    double spent;            /* seconds it ran so far */
    double run_start;        /* when it was last resumed (monotonic seconds) */
    double slice;            /* seconds it may compute before it yields to others; 0: never */
    lua_State *active[16];   /* the application's coroutines being resumed, innermost last */
    volatile int depth;      /* how many of them (read by the watchdog's signal handler) */
    volatile double signalled_at;  /* when the watchdog last asked for the hook in this run; 0: not yet */
    char *stop_trace;        /* where it was when stopped (the message handler's first traceback), or NULL */
    char *route;             /* the router's template that answered (environ["luagw.route"]), or NULL */
    size_t route_capacity;   /* bytes `route` has room for (kept from request to request) */
    size_t allocated;        /* bytes it allocated since it started (freed or not) */
    int over_memory;         /* it allocated the most of a full state and is stopped (budget.c) */
    struct luagw_run *next;  /* the state's next run record (the budget's list) */
    const void *label_source; /* what names the run (the server's runner), for the watchdog's labeller */
    char label_id[64];       /* what the watchdog calls it when it blocks its event loop: the */
    char label_what[192];    /* request's id and "METHOD target" (luagw_run_label), written
                                only then, by the labeller (a request that does not block pays nothing) */
} luagw_run;

#define LUAGW_KEY_SLOTS 64

/// What a state may spend (budget.c): memory, for all its requests together.
typedef struct luagw_budget {
    size_t used;             /* bytes the state holds */
    size_t limit;            /* bytes it may hold */
    size_t headroom;         /* what `limit` grew by when the state became full, once */
    int out_of_memory;       /* the state reached its limit: it is to be replaced */
    luagw_run *culprit;      /* past the grown limit: the run stopped for it, or NULL */
    luagw_run *runs;         /* the state's run records (luagw_run_new), linked by `next` */
    luagw_run *running;      /* the run being resumed now, or NULL */
    luagw_run load;          /* the run of a script's load (on the main thread) */
    void *adopted;           /* a block a new long string is to take as it is (luagw_pushadopted) */
    size_t adopted_size;     /* its size: what Lua asks for a string of the block's length */
    /* environ's constant keys as this state's strings (environ.c), by the address of the C
       literal: direct-mapped, a slot's first key keeps it; each string anchored by a registry
       reference that lives as long as the state. (The budget is the state's one C record.) */
    const char *key_literals[LUAGW_KEY_SLOTS];
    int key_refs[LUAGW_KEY_SLOTS];
} luagw_budget;

/// A new state that may hold `memory_limit` bytes, with the budget's count hook and a
/// panic handler that reports and aborts; NULL when out of memory. [-0, +0, -]
lua_State *luagw_newstate(size_t memory_limit);

/// Closes a state made by luagw_newstate and frees its budget.
void luagw_close(lua_State *L);

/// Instructions between two looks at the clock, where a count hook watches the time.
#define LUAGW_HOOK_COUNT 1000

/// Seconds of the monotonic clock.
double luagw_monotonic_now(void);

/// A full garbage collection of the state (outside any run of it). [-0, +0, -]
void luagw_budget_collect(lua_State *L);

/// Gives the memory malloc holds free back to the system (glibc's malloc_trim: the top of
/// each arena and the free pages inside it). Thread-safe; takes a while on a large heap.
void luagw_release_memory(void);

/// The budget of a state (any of its threads).
luagw_budget *luagw_budget_of(lua_State *L);

/// A new request coroutine of `L` (its main thread, not running) with its run record, made
/// in protected mode. The coroutine is anchored in the registry under the record's address
/// (a unique light userdata key), as the value of a table `{thread = co, serial = 0}`: the request's
/// Lua-side record, which `C.current()` returns while the request runs. NULL when out of
/// memory. [-0, +0, -]
luagw_run *luagw_run_new(lua_State *L);

/// Frees a run record made by luagw_run_new. With `L` (the state still open), its anchor is
/// released too; without (the state is closed), only the record's memory. [-0, +0, -]
void luagw_run_free(lua_State *L, luagw_run *run);

/// Arms `run` for a new request (or timer run): it may run `run_limit` seconds of Lua in all,
/// and yields to the server after each `slice` seconds of computing (0: never).
void luagw_run_start(luagw_run *run, double run_limit, double slice);

/// Disarms `run` at the end of its request.
void luagw_run_stop(luagw_run *run);

/// lua_resume of the run's coroutine that counts the time it runs against the run's budget;
/// each resume starts a new time slice. While it runs, the state's budget points at `run`
/// and the watchdog (watchdog.c) may interrupt it.
int luagw_resume(luagw_run *run, lua_State *from, int nargs, int *nresults);

/// current(): the running request's Lua-side record (the table its coroutine is anchored
/// in), or nil outside a request (a script's load). [-0, +1, -]
int luagw_current(lua_State *L);

/// What the application was doing when its event loop blocked (blocked.c): a call of a
/// library known to block (LuaSocket, LuaSQL) with what to use instead, and where the Lua
/// code is. Empty strings for what is not known.
typedef struct luagw_blocked_call {
    char name[48];           /* the blocking call: "socket.sleep", "tcp:receive"; "": not a known one */
    char advice[256];        /* what to use instead (with `name`) */
    char where[128];         /* "file:line" of the application's code that called it, or where Lua was */
    char traceback[1536];    /* "stack traceback:\n\t..." */
} luagw_blocked_call;

/// One report of a blocked event loop, made while it is blocked (on the watchdog's thread)
/// and when it turns again (`ended`, on the loop's own thread).
typedef struct luagw_blocked_report {
    double seconds;          /* how long the resume has run (or ran) without letting the loop turn */
    int first;               /* the first report of this episode */
    int ended;               /* the loop turns again: the episode's last report */
    const char *id;          /* the run's label (luagw_run_label) */
    const char *what;
    const luagw_blocked_call *call;
    int new_traceback;       /* `call`'s traceback was not in an earlier report of the episode */
} luagw_blocked_report;

/// Told of a blocked event loop: must not block (it runs on the watchdog's thread).
typedef void (*luagw_blocked_reporter)(void *context, const luagw_blocked_report *report);

/// Lets the watchdog interrupt Lua that runs on the calling thread (an event loop's):
/// once a request has run for its time slice or its run-time limit, the watchdog signals
/// the thread, and the signal handler sets the budget's count hook on the running
/// coroutine (the way lua.c stops a script on Ctrl-C). Lua runs hook-free otherwise.
/// A resume that runs a second without returning (a C call that blocks, such as LuaSocket's)
/// holds the whole event loop: `reporter(context, ...)` hears of it while it lasts. Returns
/// the context an earlier registration of this thread gave, for its owner to release.
void *luagw_watchdog_register(luagw_blocked_reporter reporter, void *context);

/// Forgets that a load was stopped by the run-time limit (the script that ran away
/// failed to load; the state itself is sound) and restores the hook's pace.
void luagw_budget_clear(lua_State *L);

/// Arms the budget for loading scripts (their top levels run): a count hook watches the
/// run-time limit, since loads may run on a thread the watchdog does not watch.
void luagw_budget_watch_load(lua_State *L, double run_limit);

/// The budget's hook: stops a request past its run-time limit, yields one past its slice.
void luagw_budget_hook(lua_State *L, lua_Debug *ar);

/// Tells the watchdog that `run`'s request runs on this thread now (false when the
/// thread is not watched), and that this resume of it ended: a resume that blocked the event
/// loop is reported once more then, with how long it blocked it in all.
int luagw_watchdog_enter(luagw_run *run);
void luagw_watchdog_leave(luagw_run *run);

/// Whether the calling thread is watched.
int luagw_watchdog_watches_this_thread(void);

/// Unregisters the calling thread (its event loop is shutting down); the context its
/// registration gave, for its owner to release.
void *luagw_watchdog_unregister(void);

/// Names the run for the watchdog's reports (copied, cut to fit): the request's `id`,
/// `method` and `target`; with an empty method, `target` says what runs ("a timer"). Called by
/// the labeller only.
void luagw_run_label(luagw_run *run, luagw_bytes id, luagw_bytes method, luagw_bytes target);

/// Names a run whose resume blocks its event loop, from its `label_source` (with luagw_run_label).
/// It runs on the watchdog's thread, while the run's own thread is held inside that resume (it
/// runs only C and Lua there, and cannot return from it until this is done).
typedef void (*luagw_labeller)(const void *source, luagw_run *run);

/// Sets the process's labeller (once, before any resume is watched).
void luagw_watchdog_set_labeller(luagw_labeller labeller);

/// Whether a call of a known blocking function that begins on this thread now is to be told to
/// the watchdog (a watched thread runs a request, and is not in such a call already).
int luagw_watchdog_wants_call(void);
/// It begins (after a true luagw_watchdog_wants_call): the watchdog keeps `call` (copied) to
/// report should the loop block in it; and it ends.
void luagw_watchdog_call_begins(const luagw_blocked_call *call);
void luagw_watchdog_call_ends(void);

/// From the budget's hook: once the loop is known to be blocked, notes where the Lua code of
/// `L` is (the hook runs between two instructions: reading L is safe). [-0, +0, -]
void luagw_watchdog_hooked(lua_State *L);

/// Writes where `L` is, from stack level `level` up, into `call->where` and `call->traceback`:
/// the first Lua function that is neither luagw's nor a known blocking library's own is
/// `where`. No allocation in the state (it may be full). [-0, +0, -]
void luagw_blocked_locate(lua_State *L, int level, luagw_blocked_call *call);

/// blocking(table, names, advice, prefix): replaces each function `table[name]` by a wrapper
/// that tells the watchdog, while it runs, that it is the call `prefix .. name` of a library
/// that blocks the event loop, and what to use instead (`advice`). [-3|4, +0, e]
int luagw_blocking_wrap(lua_State *L);

/// Disarms the budget after loading scripts.
void luagw_budget_stop(lua_State *L);

/// The panic handler: an unprotected error is a bug of luagw; reports and aborts.
int luagw_panic(lua_State *L);

/// What the Lua side is told at load besides the protocol: luagw's version, the seconds a
/// socket or HTTP-client call waits unless told otherwise (`--socket-timeout`), whether a
/// state runs several requests at once (`concurrent`), whether its one request is the
/// whole process (`cgi`: `luagw cgi`, which keeps the standard os.exit), and whether the
/// applications are sandboxed (`sandbox`: `--sandbox`).
typedef struct luagw_settings {
    luagw_bytes version;
    double socket_timeout;
    int concurrent;   /* a state runs several requests at once (wsgi.multithread) */
    int cgi;          /* luagw cgi: the application may end the process */
    int sandbox;      /* --sandbox: no commands, no C modules, writes only in the served and temporary directories */
} luagw_settings;

/// Keeps a copy of luagw's Lua modules for every state of the process (call once, before
/// the first luagw_prepare; the first module is the prelude). A state compiles a module only
/// when it first needs it (`C.load`), so one that never uses, say, the HTTP client holds
/// none of its code.
void luagw_register_modules(const luagw_module *modules, int nmodules);

/// Sets up a new state in protected mode: opens the standard libraries and runs the prelude
/// (the first module registered) with a table of the C helpers (`traceback`, `log`, `safe`,
/// `enter`, `leave`, `wrap`, `set_route`, `current`, `now`, `shared`, `load`, `file_info`, `realpath`, `gzip_stream`, `sentinel`, `protocol`,
/// `names`, `version`, `socket_timeout`, `concurrent`, `cgi`, `sandbox`, `overrun`, `write_target`). Its first `nrefs` results are anchored in the registry (their references
/// go to `refs`). [-0, +(0 | 1 error), -]
int luagw_prepare(lua_State *L, luagw_settings settings, int *refs, int nrefs);

/// The message handler: copes with non-string errors and appends a traceback without luagw's
/// frames below the application; keeps it in the budget if the run-time limit stopped the
/// request (`stop_trace`). [-1, +1, m]
int luagw_traceback(lua_State *L);

/// file_info(path) and realpath(path) for luagw.web.static (files.c).
int luagw_file_info(lua_State *L);
int luagw_realpath(lua_State *L);

/// write_target(path [, follow]) for --sandbox's checks of writes (sandbox.lua; files.c).
int luagw_write_target(lua_State *L);

/// gzip_stream([level]) for luagw.web.gzip (gzip.c): a stream with compress(chunk) and finish([chunk]).
int luagw_gzip_stream(lua_State *L);

/// regex_library() for luagw.ngx.re (regex.c): options, compile, match, find and sub on the system's PCRE2.
int luagw_regex_library(lua_State *L);

/* ---- luagw.sqlite's connections (sqlite.c, SPEC 13): no Lua, run on the database pool's threads ---- */

/// A growable buffer of bytes made by C and freed with `luagw_out_free`.
typedef struct {
    unsigned char *data;
    size_t length, capacity;
} luagw_out;

void luagw_out_free(luagw_out *out);

/// One SQLite connection with its prepared statements.
typedef struct luagw_sqlite luagw_sqlite;

/// Opens (creates unless `readonly`) the database at `path` in WAL mode with a busy timeout;
/// NULL with the reason in `error`.
luagw_sqlite *luagw_sqlite_open(const char *path, int readonly, int busy_ms, luagw_out *error);

/// Runs `sql` (a statement, or a script of several without parameters) with the encoded
/// parameters; 0 with the encoded rows (`exec` 0) or changes and last id (`exec` 1) in `out`,
/// 1 with SQLite's message in `out`, or (`reads_only` set) 2 before a statement that would
/// write runs: a reader's connection hands it to the writer's. Encodings: sqlite.c's header comment.
int luagw_sqlite_run(luagw_sqlite *connection, const char *sql, size_t length, const unsigned char *params,
                     size_t params_length, int exec, int reads_only, luagw_out *out);

void luagw_sqlite_close(luagw_sqlite *connection);

/// Stops what `connection` runs now (from any thread); it fails with "interrupted".
void luagw_sqlite_interrupt(luagw_sqlite *connection);

/// sqlite_now(path, readonly, busy_ms, sql, params, exec) for database.lua: a statement at a
/// script's top level, run at once on a connection of its own. [-0, +2, m]
int luagw_sqlite_now(lua_State *L);

/// enter(co), leave(noted, ...) and wrap(f) for transparent coroutines (coroutines.c).
int luagw_coroutine_enter(lua_State *L);
int luagw_coroutine_leave(lua_State *L);
int luagw_coroutine_wrap(lua_State *L);


/// Pushes onto `L` the traceback of `co`, a thread of the same state that is suspended (where
/// a request waits: `--slow-request`), without luagw's frames at the bottom; in protected mode.
/// [-0, +1, -]
int luagw_suspended_traceback(lua_State *L, lua_State *co);

/// lua_pcall with the traceback message handler below the function.
/// [-(nargs+1), +(nresults | 1), -]
int luagw_pcall(lua_State *L, int nargs, int nresults);

/// Pushes the bytes as a Lua string onto `to`; the allocation is protected on `L`
/// (the main thread, not running). `to` may be `L`. [-0, +1 on `to` | +1 error on `L`, -]
int luagw_pushbytes(lua_State *L, lua_State *to, luagw_bytes bytes);

/// Bytes a string block has before its contents: where luagw_pushadopted's caller writes them.
size_t luagw_string_header(void);

/// Pushes onto `to` a string of the `length` bytes at `block + luagw_string_header()`, the block
/// (malloc'd, of header + length + 1 bytes) becoming the string's own memory, without a copy
/// (the state's allocator hands Lua the block when it asks for the string's); the block is the
/// state's or freed, whatever the outcome. Protected like luagw_pushbytes.
/// [-0, +1 on `to` | +1 error on `L`, -]
int luagw_pushadopted(lua_State *L, lua_State *to, char *block, size_t length);

/// Builds a request's environ on `L` (a thread that is not running):
/// `fixed` keys verbatim, then each request header as HTTP_NAME (repeats joined with
/// ", ", or "; " for Cookie). Swift passes only the headers that reach the application. [-0, +1, -]
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
