/*
 * sched.h - the turn policy of parallel loads (ncc-nightly --jobs N), as pure functions
 * over a description of the running files: no processes, pipes or database here
 * (workers.h owns those), so a unit test can play any night through them.
 *
 * Files are taken in load order (kind, then name: inbox.h). Two rules:
 *
 *  - Starting: a file starts when fewer than jobs files run and every running file is of
 *    its kind (group): kinds load one after another, so ledger files are in before any
 *    cost file is checked against them.
 *  - Replacing: a running file is validated in parallel with the others; once judged good
 *    it says which submissions it replaces (their 64-bit keys) and waits for its turn to
 *    replace them and commit. It may go when every earlier file still running has said
 *    its keys too and shares none with it. A file that shares one waits until that
 *    earlier file has committed (ended); a file whose kind is replaced line by line
 *    (NHSSC, supplier: nkeys -1) waits for every earlier running file, and every later
 *    one waits for it. Hence, with any jobs, the file whose name sorts last wins every
 *    submission two files share, exactly as one file at a time gives.
 *
 * The earliest running file always may go (nothing earlier runs), so turns never
 * deadlock.
 */
#ifndef NCC_SCHED_H
#define NCC_SCHED_H

#include <stdbool.h>
#include <stdint.h>

/* A running file as the policy sees it. Borrowed: the caller owns keys. */
typedef struct ncc_sched_file {
    int order;            /* place in load order; lower = earlier */
    int group;            /* its kind; files start group after group */
    bool ready;           /* judged good and has said its keys: waits for (or had) its turn */
    bool given;           /* has had its turn: replacing or committing now */
    int nkeys;            /* submissions it replaces; -1: the whole table, or not known */
    const uint64_t *keys; /* nkeys keys, sorted ascending (ncc_sched_sort_keys) */
} ncc_sched_file;

/* Sort keys ascending (the order the functions below expect). */
void ncc_sched_sort_keys(uint64_t *keys, int nkeys);

/* Whether the two files' key lists share a key (false when either has nkeys <= 0). */
bool ncc_sched_share_key(const ncc_sched_file *a, const ncc_sched_file *b);

/* Whether the next file in load order, of group, may start beside the nrunning files. */
bool ncc_sched_may_start(const ncc_sched_file *running, int nrunning, int jobs, int group);

/* Whether running[k], ready, may replace and commit now (the rule above). */
bool ncc_sched_may_replace(const ncc_sched_file *running, int nrunning, int k);

/* The indices of the running files that are ready, not yet given their turn, and may
 * replace now, written to turns[] (room for nrunning); returns how many. */
int ncc_sched_turns(const ncc_sched_file *running, int nrunning, int *turns);

#endif
