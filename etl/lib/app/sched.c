/* sched.c - the turn policy of parallel loads (sched.h). */
#include "app/sched.h"

#include <stdlib.h>

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void ncc_sched_sort_keys(uint64_t *keys, int nkeys)
{
    if (nkeys > 1)
        qsort(keys, (size_t)nkeys, sizeof *keys, cmp_u64);
}

bool ncc_sched_share_key(const ncc_sched_file *a, const ncc_sched_file *b)
{
    int i = 0, j = 0;
    while (i < a->nkeys && j < b->nkeys) {
        if (a->keys[i] == b->keys[j])
            return true;
        if (a->keys[i] < b->keys[j])
            i++;
        else
            j++;
    }
    return false;
}

bool ncc_sched_may_start(const ncc_sched_file *running, int nrunning, int jobs, int group)
{
    if (nrunning >= jobs)
        return false;
    for (int m = 0; m < nrunning; m++)
        if (running[m].group != group)
            return false;
    return true;
}

bool ncc_sched_may_replace(const ncc_sched_file *running, int nrunning, int k)
{
    const ncc_sched_file *f = &running[k];
    for (int m = 0; m < nrunning; m++) {
        const ncc_sched_file *e = &running[m];
        if (e->order >= f->order)
            continue;
        if (!e->ready || e->nkeys < 0 || f->nkeys < 0 || ncc_sched_share_key(e, f))
            return false;
    }
    return true;
}

int ncc_sched_turns(const ncc_sched_file *running, int nrunning, int *turns)
{
    int n = 0;
    for (int k = 0; k < nrunning; k++)
        if (running[k].ready && !running[k].given && ncc_sched_may_replace(running, nrunning, k))
            turns[n++] = k;
    return n;
}
