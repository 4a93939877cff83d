/* workers.c - worker processes and their pipes for parallel loads (workers.h). */
#include "app/workers.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/sched.h"
#include "shared/log.h"

#define MAX_KEYS 10000000 /* more in an 'R' message means a broken pipe, not a file */

/* The parent's side of one running worker; files[] beside it is what sched.h sees. */
typedef struct slot {
    pid_t pid;
    int from; /* the worker's messages */
    int to;   /* its turn, one byte; -1 once given */
    int task;
    uint64_t *keys; /* owned: files[].keys points here */
} slot;

typedef struct pool {
    const ncc_workers_config *cfg;
    struct sigaction sigpipe; /* the caller's SIGPIPE action, restored in workers and at the end */
    slot slots[NCC_WORKERS_MAX];
    ncc_sched_file files[NCC_WORKERS_MAX];
    int running;
    bool stop; /* cfg->done asked for no further task */
    void *buf; /* one result */
} pool;

/* All of len bytes through a pipe: write (out) or read; -1 when the other end is gone. */
static int pipe_full(int fd, void *buf, size_t len, bool out)
{
    char *p = buf;
    while (len) {
        ssize_t n = out ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    return pipe_full(fd, (void *)buf, len, true);
}

static int read_full(int fd, void *buf, size_t len)
{
    return pipe_full(fd, buf, len, false);
}

int ncc_workers_request_turn(ncc_workers_turn *turn, const uint64_t *keys, int nkeys)
{
    if (turn->requested)
        return 0;
    char c = 'R';
    int32_t n = nkeys < 0 ? -1 : nkeys;
    if (write_full(turn->to_parent, &c, 1) < 0 || write_full(turn->to_parent, &n, sizeof n) < 0)
        return -1;
    if (n > 0 && write_full(turn->to_parent, keys, (size_t)n * sizeof *keys) < 0)
        return -1;
    turn->requested = true;
    return 0;
}

int ncc_workers_await_turn(ncc_workers_turn *turn, int timeout_ms)
{
    if (timeout_ms >= 0) {
        struct pollfd pfd = {turn->from_parent, POLLIN, 0};
        int n;
        do
            n = poll(&pfd, 1, timeout_ms);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -1;
        if (n == 0)
            return 1;
    }
    char c;
    return read_full(turn->from_parent, &c, 1);
}

int ncc_workers_wait_turn(ncc_workers_turn *turn, const uint64_t *keys, int nkeys)
{
    if (ncc_workers_request_turn(turn, keys, nkeys) < 0)
        return -1;
    return ncc_workers_await_turn(turn, -1);
}

/* In the forked worker: never returns. */
static void worker_main(pool *p, int task, pid_t parent, int from_parent, int to_parent)
{
    sigaction(SIGPIPE, &p->sigpipe, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1); /* the parent died before prctl took effect */
    /* the other workers' pipes are not ours */
    for (int k = 0; k < p->running; k++) {
        close(p->slots[k].from);
        if (p->slots[k].to >= 0)
            close(p->slots[k].to);
    }
    ncc_workers_turn turn = {to_parent, from_parent, false};
    memset(p->buf, 0, p->cfg->result_size);
    p->cfg->run(p->cfg->ctx, task, &turn, p->buf);
    char tag = 'O';
    bool ok = write_full(to_parent, &tag, 1) == 0 &&
              write_full(to_parent, p->buf, p->cfg->result_size) == 0;
    _exit(ok ? 0 : 1);
}

/* Fork a worker for task; -1 when no pipe or process could be made. */
static int start(pool *p, int task, int group)
{
    int up[2], down[2];
    if (pipe(up) != 0)
        return -1;
    if (pipe(down) != 0) {
        close(up[0]);
        close(up[1]);
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        worker_main(p, task, parent, down[0], up[1]);
    }
    int saved = errno;
    close(up[1]);
    close(down[0]);
    if (pid < 0) {
        close(up[0]);
        close(down[1]);
        errno = saved;
        return -1;
    }
    int k = p->running++;
    p->slots[k] = (slot){pid, up[0], down[1], task, NULL};
    p->files[k] = (ncc_sched_file){task, group, false, false, -1, NULL};
    return 0;
}

/* The 'R' message's keys into slot k; false when the worker's pipe broke. */
static bool read_ready(pool *p, int k)
{
    slot *s = &p->slots[k];
    ncc_sched_file *f = &p->files[k];
    int32_t n;
    if (read_full(s->from, &n, sizeof n) < 0 || n > MAX_KEYS)
        return false;
    f->nkeys = n < 0 ? -1 : n;
    if (n > 0) {
        s->keys = malloc((size_t)n * sizeof *s->keys);
        if (!s->keys) {
            f->nkeys = -1; /* no room to compare: wait for every earlier file */
            for (int32_t i = 0; i < n; i++) {
                uint64_t key;
                if (read_full(s->from, &key, sizeof key) < 0)
                    return false;
            }
            return true;
        }
        if (read_full(s->from, s->keys, (size_t)n * sizeof *s->keys) < 0)
            return false;
        ncc_sched_sort_keys(s->keys, n);
        f->keys = s->keys;
    }
    return true;
}

/* Give the turn to every ready worker the policy lets go. */
static void give_turns(pool *p)
{
    int turns[NCC_WORKERS_MAX];
    int n = ncc_sched_turns(p->files, p->running, turns);
    for (int i = 0; i < n; i++) {
        slot *s = &p->slots[turns[i]];
        char c = 'G';
        if (write(s->to, &c, 1) != 1)
            ncc_debug("worker %ld gone before its turn", (long)s->pid);
        close(s->to);
        s->to = -1;
        p->files[turns[i]].given = true;
    }
}

/* Slot k's worker has ended (result: its result, or NULL): reap it, report, free the slot
 * (the last slot moves into k). */
static void finish(pool *p, int k, const void *result)
{
    slot *s = &p->slots[k];
    /* close first: a worker still waiting for its turn (its message was broken) then sees
     * the end of its pipe and ends, rather than waiting for ever beside a parent in waitpid */
    close(s->from);
    if (s->to >= 0)
        close(s->to);
    int status;
    waitpid(s->pid, &status, 0);
    free(s->keys);
    if (p->cfg->done(p->cfg->ctx, s->task, (long)s->pid, result))
        p->stop = true;
    p->running--;
    p->slots[k] = p->slots[p->running];
    p->files[k] = p->files[p->running];
}

/* One message from slot k's worker: its keys (ready), or its end. Returns whether slot k
 * was freed. */
static bool on_message(pool *p, int k)
{
    char tag = 0;
    ssize_t got = read(p->slots[k].from, &tag, 1);
    if (got == 1 && tag == 'R' && read_ready(p, k)) {
        p->files[k].ready = true;
        return false;
    }
    bool ok =
        got == 1 && tag == 'O' && read_full(p->slots[k].from, p->buf, p->cfg->result_size) == 0;
    finish(p, k, ok ? p->buf : NULL);
    return true;
}

/* Wait for messages and handle them; -1 when poll failed. */
static int wait_messages(pool *p)
{
    struct pollfd pfd[NCC_WORKERS_MAX];
    for (int k = 0; k < p->running; k++)
        pfd[k] = (struct pollfd){p->slots[k].from, POLLIN, 0};
    if (poll(pfd, (nfds_t)p->running, -1) < 0)
        return errno == EINTR ? 0 : -1;
    int n = p->running;
    for (int k = 0; k < n; k++) {
        if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (on_message(p, k)) {
            /* the last slot moved into k: look at its events next */
            n--;
            pfd[k] = pfd[n];
            k--;
        }
    }
    return 0;
}

/* After a failed poll: kill every worker and report each without a result. */
static void kill_all(pool *p)
{
    p->stop = true;
    for (int k = 0; k < p->running; k++)
        kill(p->slots[k].pid, SIGKILL);
    while (p->running)
        finish(p, p->running - 1, NULL);
}

int ncc_workers_run(const ncc_workers_config *cfg, const int *groups, int ntasks)
{
    pool *p = calloc(1, sizeof *p);
    void *buf = p ? malloc(cfg->result_size ? cfg->result_size : 1) : NULL;
    if (!buf) {
        free(p);
        return -1;
    }
    p->cfg = cfg;
    p->buf = buf;
    /* a worker that died before its turn: the turn's write fails with EPIPE, not a signal */
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &p->sigpipe);
    int rc = 0, next = 0;
    for (;;) {
        while (!p->stop && next < ntasks &&
               ncc_sched_may_start(p->files, p->running, cfg->jobs, groups[next])) {
            if (start(p, next, groups[next]) < 0) {
                ncc_debug("cannot start a worker: %s", strerror(errno));
                rc = -1;
                break;
            }
            next++;
        }
        if (!p->running) {
            if (p->stop || next >= ntasks)
                break;
            /* nothing runs and the next task could not start: skip the rest of its kind */
            int g = groups[next];
            while (next < ntasks && groups[next] == g)
                next++;
            continue;
        }
        give_turns(p);
        if (wait_messages(p) < 0) {
            ncc_debug("waiting for the workers failed: %s", strerror(errno));
            kill_all(p);
            rc = -1;
        }
    }
    sigaction(SIGPIPE, &p->sigpipe, NULL);
    free(buf);
    free(p);
    return rc;
}
