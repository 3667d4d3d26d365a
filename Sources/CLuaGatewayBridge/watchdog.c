// The watchdog: a thread that looks, every millisecond, at the requests running on the
// event-loop threads that registered (and sleeps while none runs: a resume wakes it). When one has run past its time slice or its run-
// time limit, it signals that thread; the signal handler, running on that thread between
// two Lua instructions, sets the budget's count hook on the running coroutine, as lua.c
// does on Ctrl-C (lua_sethook is safe in a signal handler). Lua runs without any hook
// otherwise: a count hook makes the interpreter trap on every instruction.
//
// A resume that runs on for a second has not let its event loop turn: its request sits in a C
// call that blocks (LuaSocket's, LuaSQL's: a hook cannot interrupt C), or computes where the
// hook cannot yield. The watchdog reports it while it lasts (an episode: a first report, one
// every few seconds, a last when the loop turns again) to the thread's reporter. What is said
// of where the Lua code is never comes from reading the blocked thread's Lua state here (it
// belongs to that thread, which may go on at any moment): the thread writes it itself, at safe
// points, into its slot under the slot's lock: the wrappers of known blocking calls
// (blocked.c) when such a call begins, the budget's hook after the loop was found blocked.
#define _GNU_SOURCE  /* pthread_setname_np */
#include "CLuaGatewayBridge.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_SIGNAL SIGURG   /* ignored by default; Go uses it the same way */
#define WATCHED_MAX 256
#define BLOCKED_AFTER 1.0        /* seconds a resume runs before its event loop counts as blocked */
#define BLOCKED_REPEAT 5.0       /* seconds between two reports of one episode */
#define BLOCKED_SETTLE 0.01      /* the hook's chance to say where Lua computes before the first report */

typedef struct watched_thread {
    atomic_int used;
    pthread_t thread;
    _Atomic(luagw_run *) running;
    luagw_blocked_reporter reporter;  /* written by the thread itself, outside its resumes */
    void *context;
    /* Set by the watchdog, under `lock`, while it reads the running run: the thread does not
       get past luagw_watchdog_leave meanwhile (so the run stays allocated and its resume goes on). */
    atomic_int reporting;
    int lock_ready;                   /* `lock` initialised (by the first thread to take the slot) */
    /* Guards what follows: the thread writes the known call it is in, the watchdog the episode. */
    pthread_mutex_t lock;
    int in_call;                      /* `call` describes the known blocking call running now */
    luagw_blocked_call call;
    _Atomic(luagw_run *) blocked;     /* the run whose resume blocks the loop now; NULL: none */
    double blocked_start;             /* that resume's run_start */
    double first_report_at;           /* when the episode's first report is due */
    double reported_at;               /* its last report; 0: none yet */
    int located;                      /* `seen` says where the Lua code is */
    int told_traceback;               /* a report of the episode had `seen`'s traceback */
    luagw_blocked_call seen;          /* what the episode's reports say */
} watched_thread;

static watched_thread watched[WATCHED_MAX];
static _Atomic(luagw_labeller) labeller;
static __thread watched_thread *this_thread;
static pthread_once_t started = PTHREAD_ONCE_INIT;
/* Set while the watchdog sleeps because no request was running: the next resume wakes it. */
static atomic_int sleeping;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_up = PTHREAD_COND_INITIALIZER;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int signal_number) {
    (void)signal_number;
    watched_thread *slot = this_thread;
    if (slot == NULL) return;
    luagw_run *run = atomic_load(&slot->running);
    if (run == NULL || !run->armed) return;
    /* The request's coroutine, and the innermost of the application's coroutines being resumed
       (the one running, if not the request's own). */
    lua_sethook(run->thread, luagw_budget_hook, LUA_MASKCOUNT, 1);
    if (run->depth > 0) lua_sethook(run->active[run->depth - 1], luagw_budget_hook, LUA_MASKCOUNT, 1);
}

/* Tells the slot's reporter about its episode (the slot's lock held). */
static void report(watched_thread *slot, luagw_run *run, double seconds, int ended) {
    if (slot->reporter == NULL) return;
    luagw_blocked_report report = {
        .seconds = seconds, .first = slot->reported_at == 0, .ended = ended,
        .id = run->label_id, .what = run->label_what, .call = &slot->seen,
        .new_traceback = slot->seen.traceback[0] != '\0' && !slot->told_traceback,
    };
    if (report.new_traceback) slot->told_traceback = 1;
    slot->reporter(slot->context, &report);
}

/* Writes `run`'s label, which only a report reads (the slot's lock held, `reporting` set: the
   run's thread stays in its resume meanwhile). */
static void name_run(luagw_run *run) {
    run->label_id[0] = '\0';
    run->label_what[0] = '\0';
    luagw_labeller name = atomic_load(&labeller);
    if (name != NULL && run->label_source != NULL) name(run->label_source, run);
}

void luagw_watchdog_set_labeller(luagw_labeller new_labeller) {
    atomic_store(&labeller, new_labeller);
}

/* `run` has been resumed for BLOCKED_AFTER seconds or more: begins its episode (signalling the
   thread, so that the hook notes where Lua is as soon as Lua runs), or reports it when due. */
static void look_at_blocked(watched_thread *slot, luagw_run *run, double now) {
    pthread_mutex_lock(&slot->lock);
    atomic_store(&slot->reporting, 1);
    /* Seen again with `reporting` set: if it still runs, it goes on running until we are done. */
    if (atomic_load(&slot->running) == run) {
        if (atomic_load(&slot->blocked) != run || slot->blocked_start != run->run_start) {
            atomic_store(&slot->blocked, run);
            slot->blocked_start = run->run_start;
            slot->first_report_at = now + BLOCKED_SETTLE;
            slot->reported_at = 0;
            slot->located = 0;
            slot->told_traceback = 0;
            memset(&slot->seen, 0, sizeof slot->seen);
            name_run(run);
            run->signalled_at = now;
            pthread_kill(slot->thread, WATCHDOG_SIGNAL);
        } else if (now >= slot->first_report_at && (slot->reported_at == 0 || now - slot->reported_at >= BLOCKED_REPEAT)) {
            if (slot->in_call && !slot->located) {
                slot->seen = slot->call;
                slot->located = 1;
            }
            report(slot, run, now - run->run_start, 0);
            slot->reported_at = now;
        }
    }
    atomic_store(&slot->reporting, 0);
    pthread_mutex_unlock(&slot->lock);
}

/* One look at every watched thread; whether any of them runs a request. */
static int look(void) {
    int any = 0;
    double now = now_seconds();
    for (int i = 0; i < WATCHED_MAX; i++) {
        if (!atomic_load(&watched[i].used)) continue;
        luagw_run *run = atomic_load(&watched[i].running);
        if (run == NULL || !run->armed || atomic_load(&watched[i].used) != 1) continue;
        any = 1;
        double ran = now - run->run_start;
        if (ran >= BLOCKED_AFTER) look_at_blocked(&watched[i], run, now);
        /* Asked already: ask again every 5 ms while it still runs (control may have moved
           to a coroutine that has no hook yet); every 100 ms while it blocks in C (each
           signal interrupts the system call it waits in). */
        double again = atomic_load(&watched[i].blocked) == run ? 0.1 : 0.005;
        if (run->signalled_at > 0 && now - run->signalled_at < again) continue;
        if ((run->slice > 0 && ran > run->slice) || run->spent + ran > run->run_limit) {
            run->signalled_at = now;
            pthread_kill(watched[i].thread, WATCHDOG_SIGNAL);
        }
    }
    return any;
}

/* Sleeps until a resume wakes it. `sleeping` is set before the last look (and a resume sets
   `running` before it reads `sleeping`), so a resume is either seen by that look or wakes it. */
static void sleep_until_a_request_runs(void) {
    pthread_mutex_lock(&sleep_lock);
    atomic_store(&sleeping, 1);
    pthread_mutex_unlock(&sleep_lock);
    if (look()) {
        atomic_store(&sleeping, 0);
        return;
    }
    pthread_mutex_lock(&sleep_lock);
    while (atomic_load(&sleeping)) pthread_cond_wait(&wake_up, &sleep_lock);
    pthread_mutex_unlock(&sleep_lock);
}

static void *watch(void *unused) {
    (void)unused;
    int idle_looks = 0;
    for (;;) {
        usleep(1000);
        if (look()) {
            idle_looks = 0;
        } else if (++idle_looks >= 100) {  /* a tenth of a second without a request running */
            sleep_until_a_request_runs();
            idle_looks = 0;
        }
    }
    return NULL;
}

static void start(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(WATCHDOG_SIGNAL, &action, NULL);
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attributes, watch, NULL);
    pthread_setname_np(thread, "luagw-watchdog");  /* for top -H, and for the tests */
    pthread_attr_destroy(&attributes);
}

/* The reporter and context of the calling thread's slot are replaced (no resume runs on it,
   so the watchdog does not read them now); the old context. */
static void *set_reporter(watched_thread *slot, luagw_blocked_reporter reporter, void *context) {
    pthread_mutex_lock(&slot->lock);
    void *old = slot->context;
    slot->reporter = reporter;
    slot->context = context;
    pthread_mutex_unlock(&slot->lock);
    return old;
}

void *luagw_watchdog_register(luagw_blocked_reporter reporter, void *context) {
    pthread_once(&started, start);
    if (this_thread != NULL) return set_reporter(this_thread, reporter, context);
    for (int i = 0; i < WATCHED_MAX; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&watched[i].used, &expected, 2)) {  /* 2: being set up */
            /* Each slot's lock is made when the slot is first taken, not for all of them at
               start-up: that wrote into every slot's page (1 MiB of resident memory). */
            if (!watched[i].lock_ready) {
                pthread_mutex_init(&watched[i].lock, NULL);
                watched[i].lock_ready = 1;
            }
            watched[i].thread = pthread_self();
            atomic_store(&watched[i].running, NULL);
            atomic_store(&watched[i].blocked, NULL);
            watched[i].in_call = 0;
            this_thread = &watched[i];
            void *old = set_reporter(&watched[i], reporter, context);
            atomic_store(&watched[i].used, 1);
            return old;
        }
    }
    /* Every slot taken: this thread runs unwatched, with count hooks instead. */
    return context;
}

void *luagw_watchdog_unregister(void) {
    watched_thread *slot = this_thread;
    if (slot == NULL) return NULL;
    this_thread = NULL;
    atomic_store(&slot->running, NULL);
    void *context = set_reporter(slot, NULL, NULL);
    atomic_store(&slot->used, 0);
    return context;
}

int luagw_watchdog_watches_this_thread(void) {
    return this_thread != NULL;
}

/* Sequentially consistent: the store of `running` and the load of `sleeping` must not be
   reordered (see sleep_until_a_request_runs). */
int luagw_watchdog_enter(luagw_run *run) {
    if (this_thread == NULL) return 0;
    atomic_store(&this_thread->running, run);
    if (atomic_load(&sleeping)) {
        pthread_mutex_lock(&sleep_lock);
        atomic_store(&sleeping, 0);
        pthread_cond_signal(&wake_up);
        pthread_mutex_unlock(&sleep_lock);
    }
    return 1;
}

/* Sequentially consistent too: the store of `running` comes before the load of `reporting`,
   as the watchdog's store of `reporting` comes before its load of `running` (look_at_blocked):
   either the watchdog sees the run gone, or this waits until it is done reading it. */
void luagw_watchdog_leave(luagw_run *run) {
    watched_thread *slot = this_thread;
    if (slot == NULL) return;
    atomic_store(&slot->running, NULL);
    if (atomic_load(&slot->reporting)) {
        pthread_mutex_lock(&slot->lock);
        pthread_mutex_unlock(&slot->lock);
    }
    if (atomic_load_explicit(&slot->blocked, memory_order_relaxed) != run) return;
    /* This resume blocked the loop: its last report, on this thread (the watchdog no longer
       looks at the run). */
    pthread_mutex_lock(&slot->lock);
    if (slot->reported_at > 0) report(slot, run, luagw_monotonic_now() - run->run_start, 1);
    atomic_store(&slot->blocked, NULL);
    pthread_mutex_unlock(&slot->lock);
}

int luagw_watchdog_wants_call(void) {
    watched_thread *slot = this_thread;
    return slot != NULL && !slot->in_call && atomic_load_explicit(&slot->running, memory_order_relaxed) != NULL;
}

void luagw_watchdog_call_begins(const luagw_blocked_call *call) {
    watched_thread *slot = this_thread;
    pthread_mutex_lock(&slot->lock);
    slot->call = *call;
    slot->in_call = 1;
    pthread_mutex_unlock(&slot->lock);
}

void luagw_watchdog_call_ends(void) {
    watched_thread *slot = this_thread;
    pthread_mutex_lock(&slot->lock);
    slot->in_call = 0;
    pthread_mutex_unlock(&slot->lock);
}

void luagw_watchdog_hooked(lua_State *L) {
    watched_thread *slot = this_thread;
    if (slot == NULL || atomic_load_explicit(&slot->blocked, memory_order_relaxed) == NULL) return;
    pthread_mutex_lock(&slot->lock);
    if (!slot->located) {
        if (slot->in_call) {
            slot->seen = slot->call;
        } else {
            luagw_blocked_locate(L, 0, &slot->seen);
        }
        slot->located = 1;
    }
    pthread_mutex_unlock(&slot->lock);
}
