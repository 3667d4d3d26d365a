// Child processes of os.execute and io.popen under `luagw serve` (SPEC 5): started with
// posix_spawn (`/bin/sh -c COMMAND`, in a process group of its own, no descriptor of the
// server but its standard output and error), and reaped by one thread for the whole process,
// which waits for every child's pidfd with epoll and tells the server when one has exited. The
// event loops never wait for a child. Nothing here touches Lua.
#define _GNU_SOURCE
#include "CLuaGatewayBridge.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct luagw_child {
    pid_t pid;
    int pidfd;
    int reaped;                 /* under `lock`: its pid is no longer its own */
    int references;             /* under `lock`: the server's and the reaper's */
    luagw_child_exit on_exit;
    void *context;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t reaper_started = PTHREAD_ONCE_INIT;
static int reaper_epoll = -1;

static void release_locked(luagw_child *child) {
    if (--child->references == 0) free(child);
}

void luagw_child_release(luagw_child *child) {
    pthread_mutex_lock(&lock);
    release_locked(child);
    pthread_mutex_unlock(&lock);
}

void luagw_child_kill(luagw_child *child) {
    pthread_mutex_lock(&lock);
    if (!child->reaped) kill(-child->pid, SIGKILL);  /* a zombie keeps its pid until it is reaped */
    pthread_mutex_unlock(&lock);
}

/* Reaps one child whose pidfd became readable, and tells the server. */
static void reap(luagw_child *child) {
    int status = 0;
    pthread_mutex_lock(&lock);
    child->reaped = 1;
    while (waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {}
    pthread_mutex_unlock(&lock);
    close(child->pidfd);  /* leaves the epoll set */
    if (WIFSIGNALED(status)) child->on_exit(child->context, 0, WTERMSIG(status));
    else child->on_exit(child->context, 1, WEXITSTATUS(status));
    luagw_child_release(child);
}

static void *reaper(void *unused) {
    (void)unused;
    pthread_setname_np(pthread_self(), "luagw-reaper");
    struct epoll_event events[16];
    for (;;) {
        int n = epoll_wait(reaper_epoll, events, 16, -1);
        for (int i = 0; i < n; i++) reap((luagw_child *)events[i].data.ptr);
    }
    return NULL;
}

static void start_reaper(void) {
    reaper_epoll = epoll_create1(EPOLL_CLOEXEC);
    if (reaper_epoll < 0) return;
    pthread_t thread;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);  /* no signal of the server's lands on the reaper */
    if (pthread_create(&thread, NULL, reaper, NULL) == 0) pthread_detach(thread);
    else { close(reaper_epoll); reaper_epoll = -1; }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Sets up the child's descriptors: `pipe_end` as its standard input or output (mode 'w' or
   'r'), /dev/null as its standard input unless the pipe is; nothing else of the server's. */
static int set_descriptors(posix_spawn_file_actions_t *actions, int mode, int pipe_end) {
    int status = 0;
    if (mode == 'w') status = posix_spawn_file_actions_adddup2(actions, pipe_end, STDIN_FILENO);
    else status = posix_spawn_file_actions_addopen(actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (status == 0 && mode == 'r') status = posix_spawn_file_actions_adddup2(actions, pipe_end, STDOUT_FILENO);
    if (status == 0) status = posix_spawn_file_actions_addclosefrom_np(actions, STDERR_FILENO + 1);
    return status;
}

/* Sets up the child's attributes: a process group of its own (killed as one), the default
   disposition of every signal (the server ignores SIGPIPE) and no signal blocked. */
static int set_attributes(posix_spawnattr_t *attributes) {
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    int status = posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (status == 0) status = posix_spawnattr_setpgroup(attributes, 0);
    if (status == 0) status = posix_spawnattr_setsigdefault(attributes, &all);
    if (status == 0) status = posix_spawnattr_setsigmask(attributes, &none);
    return status;
}

/* Spawns the shell; its pid, or -1 with errno set. */
static pid_t spawn_shell(const char *command, int mode, int pipe_end) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    pid_t pid = -1;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    int status = set_descriptors(&actions, mode, pipe_end);
    if (status == 0) status = set_attributes(&attributes);
    char *const argv[] = { "sh", "-c", (char *)command, NULL };
    if (status == 0) status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (status != 0) {
        errno = status;
        return -1;
    }
    return pid;
}

/* Watches `child` (its pid and pidfd set) on the reaper; 0, or an errno. */
static int watch(luagw_child *child) {
    pthread_once(&reaper_started, start_reaper);
    if (reaper_epoll < 0) return EAGAIN;
    struct epoll_event event = { .events = EPOLLIN | EPOLLONESHOT, .data.ptr = child };
    return epoll_ctl(reaper_epoll, EPOLL_CTL_ADD, child->pidfd, &event) == 0 ? 0 : errno;
}

luagw_child *luagw_child_spawn(const char *command, int mode, int *pipe_fd, luagw_child_exit on_exit, void *context) {
    int ends[2] = { -1, -1 };
    *pipe_fd = -1;
    if (mode != 0 && pipe2(ends, O_CLOEXEC) != 0) return NULL;
    int child_end = mode == 'r' ? ends[1] : ends[0], server_end = mode == 'r' ? ends[0] : ends[1];
    luagw_child *child = calloc(1, sizeof *child);
    pid_t pid = child == NULL ? -1 : spawn_shell(command, mode, child_end);
    int failure = errno;
    if (mode != 0) close(child_end);
    if (pid < 0) {
        if (mode != 0) close(server_end);
        free(child);
        errno = failure;
        return NULL;
    }
    *child = (luagw_child){ .pid = pid, .pidfd = (int)pidfd_open(pid, 0), .references = 2,
                            .on_exit = on_exit, .context = context };
    failure = child->pidfd < 0 ? errno : watch(child);
    if (failure != 0) {
        /* Not watched: the child cannot be told of; it is ended and reaped here. */
        kill(-pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        if (child->pidfd >= 0) close(child->pidfd);
        if (mode != 0) close(server_end);
        free(child);
        errno = failure;
        return NULL;
    }
    *pipe_fd = server_end;
    return child;
}
