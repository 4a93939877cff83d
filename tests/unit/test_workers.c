/* Unit tests of workers: real forked workers; every task reported once with its result (or
 * none when its worker dies), turns that keep tasks sharing a key in order, kinds one after
 * another, and no task started once the caller says stop. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/workers.h"

#define MAXT 16

typedef struct result {
    int task;
    long pid;
} result;

typedef struct night {
    int log;             /* O_APPEND file the workers write their events to */
    int nkeys[MAXT];     /* per task: keys it replaces (-1 whole table) */
    uint64_t keys[MAXT]; /* its one key when nkeys is 1 */
    bool crash[MAXT];    /* the worker dies without a result */
    int wait_for[MAXT];  /* task + 1 whose start this task waits for before it commits */
    int done_calls, stop_after;
    int seen[MAXT];       /* how many times done saw each task */
    bool no_result[MAXT]; /* done saw NULL */
} night;

static void event(night *n, const char *what, int task)
{
    char line[32];
    int len = snprintf(line, sizeof line, "%s %d\n", what, task);
    cr_assert_eq(write(n->log, line, (size_t)len), len);
}

static char logpath[64];

/* Whether the log holds "start task" yet, waiting up to 10 s for it. */
static bool saw_start(int task)
{
    char want[32], line[32];
    snprintf(want, sizeof want, "start %d\n", task);
    for (int tries = 0; tries < 1000; tries++) {
        FILE *f = fopen(logpath, "r");
        bool seen = false;
        while (f && !seen && fgets(line, sizeof line, f))
            seen = strcmp(line, want) == 0;
        if (f)
            fclose(f);
        if (seen)
            return true;
        usleep(10000);
    }
    return false;
}

static void run(void *ctx, int task, ncc_workers_turn *turn, void *res)
{
    night *n = ctx;
    event(n, "start", task);
    if (n->crash[task])
        _exit(3);
    usleep((unsigned)(task % 3) * 20000); /* validating: later files may be quicker */
    if (ncc_workers_wait_turn(turn, &n->keys[task], n->nkeys[task]) != 0)
        _exit(4);
    event(n, "replace", task);
    if (n->wait_for[task] && !saw_start(n->wait_for[task] - 1))
        event(n, "alone", task);
    usleep(20000);
    event(n, "commit", task);
    result *r = res;
    r->task = task;
    r->pid = (long)getpid();
}

static bool done(void *ctx, int task, long pid, const void *res)
{
    night *n = ctx;
    n->seen[task]++;
    n->done_calls++;
    const result *r = res;
    if (!r)
        n->no_result[task] = true;
    else {
        cr_assert_eq(r->task, task);
        cr_assert_eq(r->pid, pid, "the pid given is the worker's");
    }
    return n->stop_after && n->done_calls >= n->stop_after;
}

static night *new_night(void)
{
    night *n = calloc(1, sizeof *n);
    snprintf(logpath, sizeof logpath, "/tmp/ncc-unit-workers-XXXXXX");
    n->log = mkstemp(logpath);
    cr_assert_geq(n->log, 0);
    close(n->log);
    n->log = open(logpath, O_WRONLY | O_APPEND);
    return n;
}

/* The events in order, as "start 0,replace 0,..." */
static char *events(night *n)
{
    static char buf[4096];
    close(n->log);
    FILE *f = fopen(logpath, "r");
    size_t k = 0;
    char what[16];
    int task;
    buf[0] = '\0';
    while (fscanf(f, "%15s %d", what, &task) == 2)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s %d", k ? "," : "", what, task);
    fclose(f);
    unlink(logpath);
    return buf;
}

/* Position of an event in the log (-1 when absent). */
static int at(const char *log, const char *what, int task)
{
    char e[32];
    snprintf(e, sizeof e, "%s %d", what, task);
    int pos = 0;
    for (const char *p = log; *p; pos++) {
        size_t len = strcspn(p, ",");
        if (len == strlen(e) && strncmp(p, e, len) == 0)
            return pos;
        p += len + (p[len] == ',');
    }
    return -1;
}

Test(workers, every_task_reported_once_with_its_result)
{
    night *n = new_night();
    int groups[6] = {0};
    for (int i = 0; i < 6; i++) {
        n->nkeys[i] = 1;
        n->keys[i] = 100 + (uint64_t)i; /* all different: side by side */
    }
    n->wait_for[0] = 2 + 1; /* task 0 commits only once task 2 has started beside it */
    ncc_workers_config cfg = {3, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 6), 0);
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(n->seen[i], 1, "task %d reported once", i);
        cr_assert_not(n->no_result[i]);
    }
    char *log = events(n);
    cr_assert_eq(at(log, "alone", 0), -1, "three run at once: %s", log);
    cr_assert_lt(at(log, "start", 2), at(log, "commit", 0), "%s", log);
    free(n);
}

Test(workers, a_shared_key_replaces_in_task_order)
{
    night *n = new_night();
    int groups[6] = {0};
    for (int i = 0; i < 6; i++) {
        n->nkeys[i] = 1;
        n->keys[i] = 7; /* one submission: strictly one after another, in order */
    }
    ncc_workers_config cfg = {4, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 6), 0);
    char *log = events(n);
    for (int i = 1; i < 6; i++)
        cr_assert_lt(at(log, "commit", i - 1), at(log, "replace", i), "task %d after %d: %s", i,
                     i - 1, log);
    free(n);
}

Test(workers, whole_table_tasks_and_kinds_go_one_after_another)
{
    night *n = new_night();
    int groups[5] = {0, 0, 1, 1, 1};
    for (int i = 0; i < 5; i++)
        n->nkeys[i] = i < 2 ? 1 : -1;
    n->keys[0] = 1;
    n->keys[1] = 2;
    ncc_workers_config cfg = {4, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 5), 0);
    char *log = events(n);
    for (int later = 2; later < 5; later++)
        for (int first = 0; first < 2; first++)
            cr_assert_lt(at(log, "commit", first), at(log, "start", later),
                         "kind 1 starts after kind 0 ended: %s", log);
    cr_assert_lt(at(log, "commit", 2), at(log, "replace", 3), "%s", log);
    cr_assert_lt(at(log, "commit", 3), at(log, "replace", 4), "%s", log);
    free(n);
}

Test(workers, a_worker_that_dies_is_reported_without_a_result)
{
    night *n = new_night();
    int groups[4] = {0};
    for (int i = 0; i < 4; i++) {
        n->nkeys[i] = 1;
        n->keys[i] = 9;
    }
    n->crash[1] = true; /* dies before its turn: the later tasks must not wait for ever */
    ncc_workers_config cfg = {2, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 4), 0);
    cr_assert(n->no_result[1]);
    cr_assert_eq(n->done_calls, 4);
    cr_assert_not(n->no_result[0] || n->no_result[2] || n->no_result[3]);
    events(n);
    free(n);
}

Test(workers, stop_starts_nothing_more)
{
    night *n = new_night();
    int groups[5] = {0};
    n->stop_after = 1;
    ncc_workers_config cfg = {1, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 5), 0);
    cr_assert_eq(n->done_calls, 1, "one task, then stop");
    cr_assert_eq(n->seen[0], 1);
    cr_assert_str_eq(events(n), "start 0,replace 0,commit 0");
    free(n);
}

Test(workers, the_callers_sigpipe_action_is_restored)
{
    night *n = new_night();
    int groups[1] = {0};
    signal(SIGPIPE, SIG_DFL);
    ncc_workers_config cfg = {1, sizeof(result), run, done, n};
    cr_assert_eq(ncc_workers_run(&cfg, groups, 1), 0);
    struct sigaction now;
    sigaction(SIGPIPE, NULL, &now);
    cr_assert_eq(now.sa_handler, SIG_DFL);
    events(n);
    free(n);
}
