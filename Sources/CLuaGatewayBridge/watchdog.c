// The watchdog: a thread that looks, every millisecond, at the requests running on the
// event-loop threads that registered. When one has run past its time slice or its run-
// time limit, it signals that thread; the signal handler, running on that thread between
// two Lua instructions, sets the budget's count hook on the running coroutine, as lua.c
// does on Ctrl-C (lua_sethook is safe in a signal handler). Lua runs without any hook
// otherwise: a count hook makes the interpreter trap on every instruction.
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
    _Atomic(luagw_budget *) running;
} watched_thread;

static watched_thread watched[WATCHED_MAX];
static __thread watched_thread *this_thread;
static pthread_once_t started = PTHREAD_ONCE_INIT;

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int signal_number) {
    (void)signal_number;
    watched_thread *slot = this_thread;
    if (slot == NULL) return;
    luagw_budget *budget = atomic_load(&slot->running);
    if (budget == NULL || !budget->armed) return;
    /* The request thread, and the innermost of the application's coroutines being resumed
       (the one running, if not the request thread itself). */
    lua_sethook(budget->request_thread, luagw_budget_hook, LUA_MASKCOUNT, 1);
    if (budget->depth > 0) lua_sethook(budget->active[budget->depth - 1], luagw_budget_hook, LUA_MASKCOUNT, 1);
}

static void *watch(void *unused) {
    (void)unused;
    for (;;) {
        usleep(1000);
        double now = now_seconds();
        for (int i = 0; i < WATCHED_MAX; i++) {
            if (!atomic_load(&watched[i].used)) continue;
            luagw_budget *budget = atomic_load(&watched[i].running);
            if (budget == NULL || !budget->armed || atomic_load(&watched[i].used) != 1) continue;
            /* Asked already: ask again every 5 ms while it still runs (control may have moved
               to a coroutine that has no hook yet). */
            if (budget->signalled_at > 0 && now - budget->signalled_at < 0.005) continue;
            double ran = now - budget->run_start;
            if ((budget->slice > 0 && ran > budget->slice) || budget->spent + ran > budget->run_limit) {
                budget->signalled_at = now;
                pthread_kill(watched[i].thread, WATCHDOG_SIGNAL);
            }
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

/* Release stores: the watchdog only needs to see the budget's fields written before. */
int luagw_watchdog_enter(luagw_budget *budget) {
    if (this_thread == NULL) return 0;
    atomic_store_explicit(&this_thread->running, budget, memory_order_release);
    return 1;
}

void luagw_watchdog_leave(void) {
    if (this_thread != NULL) atomic_store_explicit(&this_thread->running, NULL, memory_order_release);
}
