// The watchdog: a thread that looks, every millisecond, at the requests running on the
// event-loop threads that registered (and sleeps while none runs: a resume wakes it). When one has run past its time slice or its run-
// time limit, it signals that thread; the signal handler, running on that thread between
// two Lua instructions, sets the budget's count hook on the running coroutine, as lua.c
// does on Ctrl-C (lua_sethook is safe in a signal handler). Lua runs without any hook
// otherwise: a count hook makes the interpreter trap on every instruction.
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

typedef struct watched_thread {
    atomic_int used;
    pthread_t thread;
    _Atomic(luagw_run *) running;
} watched_thread;

static watched_thread watched[WATCHED_MAX];
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

/* One look at every watched thread; whether any of them runs a request. */
static int look(void) {
    int any = 0;
    double now = now_seconds();
    for (int i = 0; i < WATCHED_MAX; i++) {
        if (!atomic_load(&watched[i].used)) continue;
        luagw_run *run = atomic_load(&watched[i].running);
        if (run == NULL || !run->armed || atomic_load(&watched[i].used) != 1) continue;
        any = 1;
        /* Asked already: ask again every 5 ms while it still runs (control may have moved
           to a coroutine that has no hook yet). */
        if (run->signalled_at > 0 && now - run->signalled_at < 0.005) continue;
        double ran = now - run->run_start;
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

void luagw_watchdog_register(void) {
    pthread_once(&started, start);
    if (this_thread != NULL) return;
    for (int i = 0; i < WATCHED_MAX; i++) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&watched[i].used, &expected, 2)) {  /* 2: being set up */
            watched[i].thread = pthread_self();
            atomic_store(&watched[i].running, NULL);
            this_thread = &watched[i];
            atomic_store(&watched[i].used, 1);
            return;
        }
    }
    /* Every slot taken: this thread runs unwatched, with count hooks instead. */
}

void luagw_watchdog_unregister(void) {
    watched_thread *slot = this_thread;
    if (slot == NULL) return;
    this_thread = NULL;
    atomic_store(&slot->running, NULL);
    atomic_store(&slot->used, 0);
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

void luagw_watchdog_leave(void) {
    if (this_thread != NULL) atomic_store_explicit(&this_thread->running, NULL, memory_order_release);
}
