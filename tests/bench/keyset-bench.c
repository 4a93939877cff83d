/*
 * keyset-bench - what the duplicate-key set of validate.c (etl/lib/rules/keyset.c) costs per row
 * depending on how it is sized and in which order it is probed (evidence for
 * docs/performance.md).
 *
 *   keyset-bench [ROWS [REPS]]      (default 2000000 rows, 1 repetition)
 *
 * Inserts ROWS random 64-bit fingerprints (one per row, as key_fingerprint gives) into an
 * ncc_keyset and prints nanoseconds per row (the best of REPS), the peak bytes per row and
 * the number of tables grown, for:
 *   grown       ncc_keyset_init(0): no estimate, every table grows by 1.5x from one page
 *               (what an input of unknown size, a pipe, gets)
 *   reserved    what ncc_validate_file does with a file of known size: sized for the
 *               first 4 MiB of rows at 32 bytes a row, then ncc_keyset_reserve(ROWS) once
 *               the rows of the first 4 MiB at 74 bytes a row (56,728) are in
 *   presized    ncc_keyset_init(ROWS): sized once, never grows
 *   presized-4k the same in 4 KiB pages (ncc_keyset_hugepages off)
 *   prefetch    presized, the home slot of row i + 8 prefetched before row i is added
 *               (what computing the fingerprint early in the row and adding late gives)
 *   prefetch-4k the same in 4 KiB pages
 *   sorted-run  presized, the rows added in blocks of 64 sorted by fingerprint (= by table
 *               and home slot: the tables are ordered by the top bits, homes are monotonic)
 * Only the sizing, the pages and the order of the memory accesses differ between the
 * variants. Each time includes mapping the tables and their page faults.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules/keyset.h"

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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

enum { GROWN, RESERVED, PRESIZED, PRESIZED_4K, PREFETCH, PREFETCH_4K, SORTED, NVARIANTS };

/* One run of variant v; its time in seconds, or < 0 on failure. */
static double run(int v, const uint64_t *fp, size_t rows, ncc_keyset *ks, unsigned long long *dups)
{
    size_t init = v == GROWN ? 0 : v == RESERVED ? ((size_t)4 << 20) / 32 : rows;
    ncc_keyset_hugepages = v != PRESIZED_4K && v != PREFETCH_4K;
    double t0 = now();
    if (ncc_keyset_init(ks, init) < 0)
        return -1;
    int r = 0;
    if (v == PREFETCH || v == PREFETCH_4K) {
        for (size_t i = 0; i < rows && r >= 0; i++) {
            if (i + 8 < rows)
                ncc_keyset_prefetch(ks, fp[i + 8]);
            r = ncc_keyset_add(ks, fp[i]);
            *dups += r > 0;
        }
    } else if (v == SORTED) {
        uint64_t blk[64];
        for (size_t i = 0; i < rows && r >= 0; i += 64) {
            size_t n = rows - i < 64 ? rows - i : 64;
            memcpy(blk, fp + i, n * sizeof *blk);
            qsort(blk, n, sizeof *blk, cmp_u64);
            for (size_t k = 0; k < n && r >= 0; k++) {
                r = ncc_keyset_add(ks, blk[k]);
                *dups += r > 0;
            }
        }
    } else {
        size_t at = v == RESERVED ? 56728 : rows;
        for (size_t i = 0; i < rows && r >= 0; i++) {
            if (i == at && ncc_keyset_reserve(ks, rows) < 0)
                return -1;
            r = ncc_keyset_add(ks, fp[i]);
            *dups += r > 0;
        }
    }
    double t = now() - t0;
    return r < 0 ? -1 : t;
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    int reps = argc > 2 ? atoi(argv[2]) : 1;
    uint64_t *fp = malloc((rows ? rows : 1) * sizeof *fp);
    if (!fp || !rows || reps < 1)
        return 1;
    for (size_t i = 0; i < rows; i++)
        fp[i] = mix(i) | 1;
    static const char *const names[NVARIANTS] = {"grown",    "reserved",    "presized",
                                                 "presized-4k", "prefetch", "prefetch-4k",
                                                 "sorted-run"};
    unsigned long long dups = 0;
    for (int v = 0; v < NVARIANTS; v++) {
        double best = -1;
        size_t peak = 0;
        unsigned long grows = 0;
        for (int rep = 0; rep < reps; rep++) {
            ncc_keyset ks;
            double t = run(v, fp, rows, &ks, &dups);
            if (t < 0) {
                fprintf(stderr, "keyset-bench: out of memory\n");
                return 1;
            }
            if (best < 0 || t < best)
                best = t;
            peak = ncc_keyset_peak_bytes(&ks);
            grows = ks.grows;
            ncc_keyset_free(&ks);
        }
        printf("%-11s %8.1f ns/row  peak %6.1f MiB = %5.2f B/row  %5lu tables grown\n",
               names[v], best * 1e9 / (double)rows, (double)peak / 1048576.0,
               (double)peak / (double)rows, grows);
    }
    free(fp);
    return dups != 0; /* the fingerprints are distinct */
}
