/*
 * workers.h - the process mechanics of parallel loads (ncc-nightly --jobs N), as
 * pg_dump's parallel.c: forked worker processes, one task each, two pipes per worker,
 * and the parent's loop that starts them, hands out turns and collects results. Which
 * task may start and which may go on are decided by sched.h; what a task does, and what
 * becomes of its result, by the caller's two functions.
 *
 * A worker is a fork of the caller: it runs cfg->run(ctx, task, turn, result), which may
 * call ncc_workers_wait_turn once, then writes its result (cfg->result_size bytes, filled
 * by run) to the parent and _exits: no atexit handler, no stdio flush, nothing of the
 * parent's state (a database connection) is closed. A worker dies with the parent
 * (PR_SET_PDEATHSIG): a parent killed with -9 leaves no worker committing behind it.
 *
 * The protocol, worker to parent: 'R', int32 n, n uint64 keys (ready to replace: n keys,
 * or n = -1 for the whole table), then later 'O' and the result; parent to worker: one
 * byte when it may replace and commit. A worker that ends without a result (crashed,
 * killed, pipe broken) is reported to cfg->done with result NULL.
 *
 * While ncc_workers_run runs, the parent ignores SIGPIPE (a turn sent to a worker that has
 * just died fails with EPIPE instead of killing the parent); workers get the caller's action
 * back. Linux only (prctl). Not thread-safe: call from the main thread of a single-threaded
 * program.
 */
#ifndef NCC_WORKERS_H
#define NCC_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCC_WORKERS_MAX 64 /* most workers at once */

/* The worker's ends of its two pipes; valid in the worker only, during run. */
typedef struct ncc_workers_turn {
    int to_parent;
    int from_parent;
    bool requested; /* the 'R' message was sent */
} ncc_workers_turn;

typedef struct ncc_workers_config {
    int jobs;           /* workers at once, 1 to NCC_WORKERS_MAX */
    size_t result_size; /* bytes of a task's result */
    /* In the worker: do task, fill result (zeroed before the call). */
    void (*run)(void *ctx, int task, ncc_workers_turn *turn, void *result);
    /* In the parent, once for every task started, as it ends: its worker's pid (what the
     * worker's getpid() said) and its result, borrowed for the call (NULL when the worker
     * ended without one). Return true to start no further task (those running finish). */
    bool (*done)(void *ctx, int task, long pid, const void *result);
    void *ctx;
} ncc_workers_config;

/*
 * Run tasks 0 .. ntasks-1 in this order, task i of kind groups[i] (sched.h: kinds one
 * after another; tasks of one kind should be contiguous). Returns when every task started
 * has ended: 0, or -1 when a worker could not be started with none running (the tasks of
 * that kind not yet started are skipped, the next kind is tried) or poll failed (running
 * workers are killed and reported without a result; nothing more is started). Tasks not
 * started are never passed to cfg->done.
 */
int ncc_workers_run(const ncc_workers_config *cfg, const int *groups, int ntasks);

/*
 * In a worker, before its task replaces anything: tell the parent the nkeys submission
 * keys it replaces (-1: the whole table, waits for every earlier task), then wait for the
 * turn (sched.h). Returns 0 when the turn came, -1 when the parent is gone.
 */
int ncc_workers_wait_turn(ncc_workers_turn *turn, const uint64_t *keys, int nkeys);

/* The two halves of ncc_workers_wait_turn. request: the keys to the parent, once (a second
 * call sends nothing: the turn asked for stays the one waited for); 0, or -1 when the
 * parent is gone. await: wait at most timeout_ms (-1: no limit) for the turn; 0 it came,
 * 1 not yet, -1 the parent is gone. */
int ncc_workers_request_turn(ncc_workers_turn *turn, const uint64_t *keys, int nkeys);
int ncc_workers_await_turn(ncc_workers_turn *turn, int timeout_ms);

#endif
