/*
 * keyset-bench - what the duplicate-key check of etl/lib/validate.c costs per row, and what
 * cheaper variants of it would cost (evidence for docs/performance.md).
 *
 *   keyset-bench [ROWS]      (default 2000000)
 *
 * Inserts ROWS random 64-bit fingerprints (one per row, as key_fingerprint gives) into the
 * open-addressing set of validate.c (8-byte slots, load <= 0.8, grows by 1.5x from 4096
 * slots) and prints nanoseconds per row for:
 *   as-is      validate.c's keyset_add as it is
 *   presized   the table sized once for ROWS (no rehashing while it grows)
 *   prefetch   presized, the home slot of row i + 8 prefetched before row i is probed
 *              (what computing the fingerprint early in the row and probing late gives)
 *   hugepages  prefetch, with the table in 2 MiB pages (madvise MADV_HUGEPAGE): no TLB miss
 *   sorted-run the rows' fingerprints probed in blocks of 64 sorted by home slot
 * The table is the same in every variant; only the order of memory accesses changes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

typedef struct keyset {
    uint64_t *slots;
    size_t cap, count;
    int huge;
} keyset;

static size_t home(uint64_t h, size_t cap)
{
    return (size_t)(((unsigned __int128)h * cap) >> 64);
}

static uint64_t *alloc_slots(size_t n, int huge)
{
    if (!huge)
        return calloc(n, sizeof(uint64_t));
    size_t bytes = (n * sizeof(uint64_t) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

static void free_slots(keyset *ks)
{
    if (ks->huge)
        munmap(ks->slots, (ks->cap * sizeof(uint64_t) + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1));
    else
        free(ks->slots);
}

/* validate.c's keyset_add */
static int add(keyset *ks, uint64_t fp)
{
    if (fp == 0)
        fp = 1;
    if (ks->count + 1 > ks->cap / 5 * 4) {
        size_t ncap = ks->cap ? ks->cap + ks->cap / 2 : 4096;
        uint64_t *ns = calloc(ncap, sizeof(uint64_t));
        if (!ns)
            return -1;
        for (size_t i = 0; i < ks->cap; i++) {
            uint64_t v = ks->slots[i];
            if (!v)
                continue;
            size_t j = home(v, ncap);
            while (ns[j])
                j = j + 1 == ncap ? 0 : j + 1;
            ns[j] = v;
        }
        free(ks->slots);
        ks->slots = ns;
        ks->cap = ncap;
    }
    size_t j = home(fp, ks->cap);
    while (ks->slots[j]) {
        if (ks->slots[j] == fp)
            return 1;
        j = j + 1 == ks->cap ? 0 : j + 1;
    }
    ks->slots[j] = fp;
    ks->count++;
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_home(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    uint64_t *fp = malloc(rows * sizeof *fp);
    if (!fp || !rows)
        return 1;
    for (size_t i = 0; i < rows; i++)
        fp[i] = mix(i) | 1;
    /* the capacity the as-is table ends with, for the presized variants */
    size_t cap = 4096;
    while (cap / 5 * 4 < rows)
        cap += cap / 2;
    static const char *const names[] = {"as-is", "presized", "prefetch", "hugepages", "sorted-run"};
    unsigned long long dups = 0;
    for (int v = 0; v < 5; v++) {
        keyset ks = {0};
        if (v > 0) {
            ks.huge = v == 3;
            ks.cap = cap;
            ks.slots = alloc_slots(cap, ks.huge);
            if (!ks.slots)
                return 1;
        }
        double t0 = now();
        if (v <= 1) {
            for (size_t i = 0; i < rows; i++)
                dups += (unsigned long long)add(&ks, fp[i]);
        } else if (v <= 3) {
            for (size_t i = 0; i < rows; i++) {
                if (i + 8 < rows)
                    __builtin_prefetch(&ks.slots[home(fp[i + 8], ks.cap)], 1, 0);
                dups += (unsigned long long)add(&ks, fp[i]);
            }
        } else {
            uint64_t blk[64];
            for (size_t i = 0; i < rows; i += 64) {
                size_t n = rows - i < 64 ? rows - i : 64;
                memcpy(blk, fp + i, n * sizeof *blk);
                qsort(blk, n, sizeof *blk, cmp_home); /* home() is monotonic in the value */
                for (size_t k = 0; k < n; k++)
                    dups += (unsigned long long)add(&ks, blk[k]);
            }
        }
        double t = now() - t0;
        printf("%-10s %8.1f ns/row  %7.1f MiB table\n", names[v], t * 1e9 / (double)rows,
               (double)ks.cap * 8 / 1048576.0);
        free_slots(&ks);
    }
    free(fp);
    return dups != 0; /* the fingerprints are distinct */
}
