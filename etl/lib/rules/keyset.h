/*
 * keyset.h - the set of duplicate-key fingerprints of one validation pass:
 * 64-bit fingerprints, 8 bytes a slot, open addressing with linear probing.
 *
 * Fingerprint 0 is the empty-slot marker: it is stored as 1, so 0 and 1 are
 * the same member (a 1 in 2^63 collision, as any other two fingerprints).
 *
 * Shards. The set is NCC_KEYSET_SHARDS independent tables; the top
 * NCC_KEYSET_SHARD_BITS bits of a fingerprint choose the table, the next
 * bits the home slot in it (home = (fp << bits) * cap >> 64). Each table is
 * its own page-aligned run of pages (mmap), so a table that grows is copied
 * alone: while it is rehashed, the old and the new copy of that one table
 * live together, never of the whole set, and the old pages go back to the
 * system at once (munmap: resident memory follows what is counted here).
 *
 * Sizing. ncc_keyset_init and ncc_keyset_reserve size every table for an
 * expected count E at load <= 0.8: 1.25 slots, 10 bytes, per expected member,
 * each table rounded up to whole 4 KiB pages. A table grows only when it
 * holds more than 0.85 of its slots - when the estimate was short - and then
 * by 1.5x (rounded up to pages). Between load 0.8 and 0.85 (and the page
 * rounding) lie 7 standard deviations of a table's share of the members at
 * 1 M members, 10 at 2 M: when the estimate holds, no table grows.
 *
 * Memory bound (what ncc_keyset_peak_bytes measures; fingerprints are
 * hashes, so the tables share the members evenly). With n members and
 * S = NCC_KEYSET_SHARDS tables:
 *   - presized, n <= E (or a little more): 10 * E bytes + at most one page a table;
 *   - a table that grew holds m > 0.85 c members in 1.5 c slots: 8 * 1.5 / 0.85
 *     = 14.2 bytes per member, + one page of rounding;
 *   - while one table grows, its old copy (8 * c < 9.5 bytes per member of that
 *     table, i.e. about 9.5 * n / S bytes) is alive too.
 * So peak <= max(10 E, 14.2 n) + 9.5 n / S + S * 4 KiB (+ the 6 KiB table of
 * tables): with S = 256, at most 14.3 bytes a member beyond E plus a fixed
 * 1 MiB - under 16 bytes a member at any count, during growth included. (A
 * single table grown by 1.5x while the old one is alive peaks at 25 bytes a
 * member; by 2x at 30: the reason for the shards.)
 * An estimate E larger than the members finally added costs 10 bytes per
 * expected member: keeping E within 1.6x of the real count is the caller's
 * side of the 16-byte budget.
 *
 * Pages. Every mapping of 4 MiB or more is advised MADV_HUGEPAGE (transparent
 * huge pages, "madvise" mode here): one probe a row at a random place of a
 * 20-100 MiB table misses the TLB on 4 KiB pages, and in this VM the nested
 * page walk costs as much as the cache miss itself. Measured with
 * tests/bench/keyset-bench (prefetched adds, 10.9 M rows, 104 MiB): 62 ns a row
 * on 4 KiB pages, 31 on 2 MiB pages; ncc-validate of that many cost rows: 8-10 %
 * less CPU. Resident memory ends the same: with a probe a row at a random
 * place, every 4 KiB page of a table is touched long before it fills (a table
 * of E members has E / 410 pages). Smaller mappings keep 4 KiB pages.
 */
#ifndef NCC_KEYSET_H
#define NCC_KEYSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NCC_KEYSET_SHARD_BITS 8
#define NCC_KEYSET_SHARDS (1u << NCC_KEYSET_SHARD_BITS)

typedef struct ncc_keyset_shard {
    uint64_t *slots; /* cap slots, 0 = empty; a page-aligned mapping of whole pages */
    size_t cap;
    size_t count;
    size_t limit;    /* grow when count would pass it: 0.85 * cap */
} ncc_keyset_shard;

/* The fields are private to keyset.c; the struct is here so that a caller can
 * hold it by value and ncc_keyset_prefetch can be inlined. */
typedef struct ncc_keyset {
    ncc_keyset_shard *shard; /* NCC_KEYSET_SHARDS tables; NULL before init */
    size_t count;            /* members */
    size_t bytes;            /* slot bytes mapped now */
    size_t peak;             /* most slot bytes ever mapped at once */
    unsigned long grows;     /* tables grown because an estimate was short */
} ncc_keyset;

/*
 * Size the set for about `expected` members (0 = unknown: start with one page
 * a table and grow). Returns 0, or -1 when out of memory (the set is then
 * empty but safe to free).
 */
int ncc_keyset_init(ncc_keyset *ks, size_t expected);

/*
 * Make room for `expected` members in all, as init would have: every table
 * smaller than that size is rehashed into a larger one, one table at a time.
 * Never shrinks. For a caller whose estimate improves once some members are
 * in. Returns 0, or -1 when out of memory (the set is unchanged in content).
 */
int ncc_keyset_reserve(ncc_keyset *ks, size_t expected);

/* Add fp: 1 when it was already present, 0 when added, -1 when out of memory
 * (fp not added). */
int ncc_keyset_add(ncc_keyset *ks, uint64_t fp);

/* Members. */
size_t ncc_keyset_count(const ncc_keyset *ks);
/* Bytes of slots mapped now, and the most ever mapped at once (growth
 * included), plus the table of tables. */
size_t ncc_keyset_bytes(const ncc_keyset *ks);
size_t ncc_keyset_peak_bytes(const ncc_keyset *ks);

/* Release every table; the set can be initialised again. Safe on a zeroed set. */
void ncc_keyset_free(ncc_keyset *ks);

/* Advise huge pages for large tables (default true). For keyset-bench, which
 * measures both; tables mapped before a change keep their advice. */
extern bool ncc_keyset_hugepages;

/* Start loading the home slot of fp for writing, so that a later
 * ncc_keyset_add(fp) finds it in the cache. A hint only: no effect on the set.
 * always_inline: a plain static inline function holding only a prefetch is
 * "pure" to gcc, and a call to it whose result is unused is deleted before it
 * can be inlined (gcc 12 -O2 emitted no prefetch at all). */
static inline __attribute__((always_inline)) void ncc_keyset_prefetch(const ncc_keyset *ks, uint64_t fp)
{
    if (!ks->shard)
        return;
    if (fp == 0)
        fp = 1;
    const ncc_keyset_shard *sh = &ks->shard[fp >> (64 - NCC_KEYSET_SHARD_BITS)];
    size_t j = (size_t)(((unsigned __int128)(fp << NCC_KEYSET_SHARD_BITS) * sh->cap) >> 64);
    __builtin_prefetch(&sh->slots[j], 1, 3);
}

#endif
