/* Unit tests of sched: the turn policy of parallel loads on constructed cases, and random
 * nights played through it without fork: files sharing a submission replace in name order,
 * kinds never mix, and the turns never deadlock. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "app/sched.h"

/* A running file: order, group, ready, given, keys (nkeys -1: the whole table). */
static ncc_sched_file file(int order, bool ready, int nkeys, const uint64_t *keys)
{
    return (ncc_sched_file){order, 0, ready, false, nkeys, keys};
}

Test(sched, sort_and_share_keys)
{
    uint64_t a[] = {9, 3, 7, 1}, b[] = {8, 2, 7}, c[] = {4, 6};
    ncc_sched_sort_keys(a, 4);
    cr_assert(a[0] == 1 && a[1] == 3 && a[2] == 7 && a[3] == 9);
    ncc_sched_sort_keys(b, 3);
    ncc_sched_sort_keys(c, 2);
    ncc_sched_sort_keys(NULL, 0);
    ncc_sched_file fa = file(0, true, 4, a), fb = file(1, true, 3, b), fc = file(2, true, 2, c);
    cr_assert(ncc_sched_share_key(&fa, &fb), "both replace 7");
    cr_assert(ncc_sched_share_key(&fb, &fa));
    cr_assert_not(ncc_sched_share_key(&fa, &fc));
    ncc_sched_file none = file(3, true, 0, NULL), all = file(4, true, -1, NULL);
    cr_assert_not(ncc_sched_share_key(&fa, &none));
    cr_assert_not(ncc_sched_share_key(&all, &fa), "-1 is handled by may_replace, not here");
    uint64_t big[] = {UINT64_MAX, 0}, big2[] = {UINT64_MAX};
    ncc_sched_sort_keys(big, 2);
    cr_assert(big[0] == 0 && big[1] == UINT64_MAX, "keys compare unsigned");
    ncc_sched_file fbig = file(0, true, 2, big), fbig2 = file(1, true, 1, big2);
    cr_assert(ncc_sched_share_key(&fbig, &fbig2));
}

Test(sched, start_up_to_jobs_files_of_one_kind)
{
    ncc_sched_file r[3] = {file(0, false, -1, NULL), file(1, false, -1, NULL),
                           file(2, false, -1, NULL)};
    cr_assert(ncc_sched_may_start(r, 0, 1, 3), "nothing runs: any kind may start");
    cr_assert(ncc_sched_may_start(r, 2, 3, 0));
    cr_assert_not(ncc_sched_may_start(r, 3, 3, 0), "jobs files run already");
    cr_assert_not(ncc_sched_may_start(r, 1, 1, 0), "--jobs 1: one at a time");
    r[1].group = 1; /* a cost file beside ledger files cannot be: kinds go one after another */
    cr_assert_not(ncc_sched_may_start(r, 2, 3, 1));
    cr_assert_not(ncc_sched_may_start(r, 2, 3, 0));
}

Test(sched, the_earliest_running_file_may_always_go)
{
    uint64_t k1[] = {1};
    ncc_sched_file r[3] = {file(5, true, -1, NULL), file(6, false, 1, k1),
                           file(7, false, -1, NULL)};
    cr_assert(ncc_sched_may_replace(r, 3, 0), "whole table, later files not ready: still goes");
    r[0] = file(5, true, 1, k1);
    r[1] = file(6, true, 1, k1);
    cr_assert(ncc_sched_may_replace(r, 2, 0), "a later file sharing its key does not hold it");
    /* the slots are in no order: order says which file is earlier */
    ncc_sched_file s[2] = {file(9, true, 1, k1), file(2, true, 1, k1)};
    cr_assert(ncc_sched_may_replace(s, 2, 1));
    cr_assert_not(ncc_sched_may_replace(s, 2, 0));
}

Test(sched, files_of_different_submissions_go_side_by_side)
{
    uint64_t raa[] = {10, 11}, rbb[] = {20}, rcc[] = {30, 31};
    ncc_sched_file r[3] = {file(0, true, 2, raa), file(1, true, 1, rbb), file(2, true, 2, rcc)};
    int turns[3];
    cr_assert_eq(ncc_sched_turns(r, 3, turns), 3, "no shared submission: all three at once");
    cr_assert(turns[0] == 0 && turns[1] == 1 && turns[2] == 2);
    r[0].given = true; /* committing */
    cr_assert(ncc_sched_may_replace(r, 3, 1), "beside a file that is committing");
    cr_assert_eq(ncc_sched_turns(r, 3, turns), 2, "a file given its turn is not given it again");
}

Test(sched, a_shared_submission_waits_for_the_earlier_commit)
{
    uint64_t orig[] = {10, 11}, resub[] = {11}, other[] = {20};
    /* the original (earlier name) is big and still validating; its resubmission is ready */
    ncc_sched_file r[3] = {file(0, false, -1, NULL), file(1, true, 1, resub),
                           file(2, true, 1, other)};
    int turns[3];
    cr_assert_not(ncc_sched_may_replace(r, 3, 1), "an earlier file that has not said its keys");
    cr_assert_not(ncc_sched_may_replace(r, 3, 2), "... holds every later file");
    cr_assert_eq(ncc_sched_turns(r, 3, turns), 0);
    r[0] = file(0, false, 0, NULL);
    cr_assert_not(ncc_sched_may_replace(r, 3, 2),
                  "not ready, whatever its keys say: it may yet share one");
    r[0] = file(0, true, 2, orig); /* the original is judged good: it goes first */
    cr_assert_eq(ncc_sched_turns(r, 3, turns), 2);
    cr_assert(turns[0] == 0 && turns[1] == 2, "the original and the unrelated file go");
    r[0].given = true;
    r[2].given = true;
    cr_assert_not(ncc_sched_may_replace(r, 3, 1),
                  "the resubmission waits while the original commits");
    /* the original committed: it leaves the running set */
    r[0] = r[2];
    cr_assert(ncc_sched_may_replace(r, 2, 1), "then the resubmission goes");
}

Test(sched, line_keyed_kinds_wait_for_every_earlier_file)
{
    uint64_t k[] = {1}, j[] = {2};
    /* NHSSC files (replaced line by line: nkeys -1) */
    ncc_sched_file r[3] = {file(0, true, -1, NULL), file(1, true, -1, NULL),
                           file(2, true, -1, NULL)};
    int turns[3];
    cr_assert_eq(ncc_sched_turns(r, 3, turns), 1);
    cr_assert_eq(turns[0], 0, "one at a time, in name order");
    /* a whole-table file ahead of keyed files holds them all, and the reverse */
    ncc_sched_file s[3] = {file(0, true, -1, NULL), file(1, true, 1, k), file(2, true, 1, j)};
    cr_assert_eq(ncc_sched_turns(s, 3, turns), 1);
    ncc_sched_file t[2] = {file(0, true, 1, k), file(1, true, -1, NULL)};
    cr_assert_not(ncc_sched_may_replace(t, 2, 1));
    cr_assert(ncc_sched_may_replace(t, 1, 0));
}

/* ---- random nights ------------------------------------------------------------------- */

#define NFILES 24
#define POOL 6 /* submissions to draw from: many shared */

typedef struct night_file {
    int group;
    int nkeys;
    uint64_t keys[3];
    int committed; /* commit time, 0 while not committed */
    int given_at;  /* when its turn came */
} night_file;

/* Whether a and b must replace in order: same kind, and a shared key or a whole table. */
static bool conflict(const night_file *a, const night_file *b)
{
    if (a->group != b->group)
        return false;
    if (a->nkeys < 0 || b->nkeys < 0)
        return true;
    for (int i = 0; i < a->nkeys; i++)
        for (int j = 0; j < b->nkeys; j++)
            if (a->keys[i] == b->keys[j])
                return true;
    return false;
}

/* Play one night: files started in order under the start rule, events (a file becomes ready,
 * a given file commits) in random order, turns from ncc_sched_turns after each. Returns whether
 * two files ever replaced at the same time. */
static bool play(unsigned seed, int jobs)
{
    srand(seed);
    night_file f[NFILES];
    memset(f, 0, sizeof f);
    int group = 0;
    for (int i = 0; i < NFILES; i++) {
        if (i && rand() % 6 == 0)
            group++; /* kinds in order: ledger, cost, ... */
        f[i].group = group;
        f[i].nkeys = rand() % 5 == 0 ? -1 : 1 + rand() % 3;
        for (int k = 0; k < f[i].nkeys; k++)
            f[i].keys[k] = (uint64_t)(rand() % POOL) * 0x9E3779B97F4A7C15u;
    }
    ncc_sched_file run[NFILES];
    int idx[NFILES], nrun = 0, next = 0, clock = 0;
    uint64_t keybuf[NFILES][3];
    bool overlapped = false;
    for (;;) {
        while (next < NFILES && ncc_sched_may_start(run, nrun, jobs, f[next].group)) {
            run[nrun] = (ncc_sched_file){next, f[next].group, false, false, -1, NULL};
            idx[nrun++] = next++;
        }
        for (int m = 0; m < nrun; m++)
            for (int q = 0; q < nrun; q++)
                cr_assert_eq(run[m].group, run[q].group, "seed %u: kinds mixed", seed);
        if (!nrun)
            break;
        /* turns */
        int turns[NFILES];
        int nt = ncc_sched_turns(run, nrun, turns);
        int replacing = 0;
        for (int t = 0; t < nt; t++) {
            int i = idx[turns[t]];
            for (int e = 0; e < i; e++)
                cr_assert(!conflict(&f[e], &f[i]) || f[e].committed,
                          "seed %u jobs %d: file %d replaces before earlier file %d committed",
                          seed, jobs, i, e);
            run[turns[t]].given = true;
            f[i].given_at = ++clock;
        }
        for (int m = 0; m < nrun; m++)
            replacing += run[m].given;
        overlapped |= replacing > 1;
        /* one event among the files that can act: not ready yet, or given (commits) */
        int can[NFILES], ncan = 0;
        for (int m = 0; m < nrun; m++)
            if (!run[m].ready || run[m].given)
                can[ncan++] = m;
        cr_assert_gt(ncan, 0, "seed %u jobs %d: every running file waits: deadlock", seed, jobs);
        int m = can[rand() % ncan];
        int i = idx[m];
        if (!run[m].ready) {
            run[m].ready = true;
            run[m].nkeys = f[i].nkeys;
            if (f[i].nkeys > 0) {
                memcpy(keybuf[i], f[i].keys, sizeof keybuf[i]);
                ncc_sched_sort_keys(keybuf[i], f[i].nkeys);
                run[m].keys = keybuf[i];
            }
        } else {
            f[i].committed = ++clock;
            nrun--;
            run[m] = run[nrun];
            idx[m] = idx[nrun];
        }
    }
    cr_assert_eq(next, NFILES, "seed %u: every file started", seed);
    for (int i = 0; i < NFILES; i++) {
        cr_assert_gt(f[i].committed, 0, "seed %u: file %d committed", seed, i);
        for (int e = 0; e < i; e++)
            if (conflict(&f[e], &f[i]))
                cr_assert_lt(f[e].committed, f[i].given_at,
                             "seed %u: %d shares with earlier %d: name order", seed, i, e);
    }
    if (jobs == 1)
        cr_assert_not(overlapped, "--jobs 1: one file at a time");
    return overlapped;
}

Test(sched, random_nights_keep_name_order_and_never_deadlock)
{
    for (int jobs = 1; jobs <= 4; jobs++) {
        int overlapping = 0;
        for (unsigned seed = 1; seed <= 300; seed++)
            overlapping += play(seed * 7919u + (unsigned)jobs, jobs);
        if (jobs > 1)
            cr_assert_gt(overlapping, 0,
                         "--jobs %d: files of different submissions ever load "
                         "side by side",
                         jobs);
    }
}
