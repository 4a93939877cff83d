/*
 * keyset.c - the duplicate-key fingerprint set (see keyset.h).
 *
 * Under Emscripten (the browser build) the tables live on the heap, one
 * calloc'ed block each: its mmap cannot unmap part of a mapping, and the
 * memory of a WebAssembly module never goes back to the system anyway.
 */
#define _GNU_SOURCE
#include "rules/keyset.h"

#include <stdlib.h>
#include <string.h>
#ifdef __EMSCRIPTEN__
#define KEYSET_HEAP 1
#else
#include <sys/mman.h>
#endif

#define PAGE_SLOTS ((size_t)4096 / sizeof(uint64_t)) /* slots in a 4 KiB page */
#define HUGE_MIN_BYTES ((size_t)4 << 20) /* mappings that may hold a whole 2 MiB page */

/* Slots rounded up to whole pages (at least one). */
static size_t page_round(size_t slots)
{
    if (slots < PAGE_SLOTS)
        return PAGE_SLOTS;
    return (slots + PAGE_SLOTS - 1) / PAGE_SLOTS * PAGE_SLOTS;
}

/* Slots of a table presized for `expected` members in all: load <= 0.8. */
static size_t presized_cap(size_t expected)
{
    size_t per = expected / NCC_KEYSET_SHARDS + (expected % NCC_KEYSET_SHARDS != 0);
    return page_round(per + per / 4 + 1);
}

static size_t limit_of(size_t cap)
{
    return cap / 20 * 17 + cap % 20 * 17 / 20; /* 0.85 cap without overflow */
}

bool ncc_keyset_hugepages = true;

#ifdef KEYSET_HEAP
static uint64_t *map_slots(size_t slots)
{
    return calloc(slots, sizeof(uint64_t));
}

static void unmap_slots(uint64_t *slots, size_t cap)
{
    (void)cap;
    free(slots);
}
#else
static uint64_t *map_slots(size_t slots)
{
    size_t bytes = slots * sizeof(uint64_t);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    /* a hint; refused when THP is off ("never"), and then 4 KiB pages it is */
    if (ncc_keyset_hugepages && bytes >= HUGE_MIN_BYTES)
        (void)madvise(p, bytes, MADV_HUGEPAGE);
    return p;
}

static void unmap_slots(uint64_t *slots, size_t cap)
{
    if (slots)
        munmap(slots, cap * sizeof(uint64_t));
}
#endif

static size_t home(uint64_t fp, size_t cap)
{
    return (size_t)(((unsigned __int128)(fp << NCC_KEYSET_SHARD_BITS) * cap) >> 64);
}

static void account(ncc_keyset *ks, size_t add_slots, size_t drop_slots)
{
    ks->bytes += add_slots * sizeof(uint64_t);
    if (ks->bytes > ks->peak)
        ks->peak = ks->bytes;
    ks->bytes -= drop_slots * sizeof(uint64_t);
}

/* Move shard sh into the zeroed table ns of ncap slots; the old table is unmapped. */
static void rehash_into(ncc_keyset *ks, ncc_keyset_shard *sh, uint64_t *ns, size_t ncap)
{
    for (size_t i = 0; i < sh->cap; i++) {
        uint64_t v = sh->slots[i];
        if (!v)
            continue;
        size_t j = home(v, ncap);
        while (ns[j])
            j = j + 1 == ncap ? 0 : j + 1;
        ns[j] = v;
    }
    account(ks, ncap, sh->cap);
    unmap_slots(sh->slots, sh->cap);
    sh->slots = ns;
    sh->cap = ncap;
    sh->limit = limit_of(ncap);
}

int ncc_keyset_init(ncc_keyset *ks, size_t expected)
{
    memset(ks, 0, sizeof *ks);
    if (expected > SIZE_MAX / 16)
        expected = SIZE_MAX / 16;
    size_t cap = presized_cap(expected);
    if (cap > SIZE_MAX / sizeof(uint64_t) / NCC_KEYSET_SHARDS)
        return -1;
    ks->shard = calloc(NCC_KEYSET_SHARDS, sizeof *ks->shard);
#ifdef KEYSET_HEAP
    for (size_t i = 0; ks->shard && i < NCC_KEYSET_SHARDS; i++) {
        ks->shard[i].slots = map_slots(cap);
        if (!ks->shard[i].slots) {
            ncc_keyset_free(ks);
            return -1;
        }
        ks->shard[i].cap = cap;
        ks->shard[i].limit = limit_of(cap);
    }
    if (!ks->shard)
        return -1;
#else
    /* one mapping for all the tables, each a run of whole pages in it, so that any
     * one of them can be unmapped alone later */
    uint64_t *all = ks->shard ? map_slots(cap * NCC_KEYSET_SHARDS) : NULL;
    if (!all) {
        free(ks->shard);
        ks->shard = NULL;
        return -1;
    }
    for (size_t i = 0; i < NCC_KEYSET_SHARDS; i++) {
        ks->shard[i].slots = all + i * cap;
        ks->shard[i].cap = cap;
        ks->shard[i].limit = limit_of(cap);
    }
#endif
    account(ks, cap * NCC_KEYSET_SHARDS, 0);
    return 0;
}

int ncc_keyset_reserve(ncc_keyset *ks, size_t expected)
{
    if (!ks->shard)
        return -1;
    if (expected > SIZE_MAX / 16)
        expected = SIZE_MAX / 16;
    size_t cap = presized_cap(expected);
    if (cap > SIZE_MAX / sizeof(uint64_t) / NCC_KEYSET_SHARDS)
        return -1;
    size_t grow = 0;
    for (size_t i = 0; i < NCC_KEYSET_SHARDS; i++)
        grow += ks->shard[i].cap < cap;
    if (!grow)
        return 0;
#ifdef KEYSET_HEAP
    for (size_t i = 0; i < NCC_KEYSET_SHARDS; i++) {
        ncc_keyset_shard *sh = &ks->shard[i];
        uint64_t *ns = sh->cap < cap ? map_slots(cap) : NULL;
        if (sh->cap < cap && !ns)
            return -1;
        if (ns)
            rehash_into(ks, sh, ns, cap);
    }
#else
    /* one mapping again; the pages of a table are touched only when it moves in, and the
     * runs of the tables that stay put are unmapped untouched */
    uint64_t *all = map_slots(cap * NCC_KEYSET_SHARDS);
    if (!all)
        return -1;
    for (size_t i = 0; i < NCC_KEYSET_SHARDS; i++) {
        ncc_keyset_shard *sh = &ks->shard[i];
        if (sh->cap < cap)
            rehash_into(ks, sh, all + i * cap, cap);
        else
            unmap_slots(all + i * cap, cap);
    }
#endif
    return 0;
}

/* Grow one table by 1.5x. -1 when out of memory (table unchanged). */
static int grow_shard(ncc_keyset *ks, ncc_keyset_shard *sh)
{
    size_t ncap = page_round(sh->cap + sh->cap / 2);
    if (ncap > SIZE_MAX / sizeof(uint64_t))
        return -1;
    uint64_t *ns = map_slots(ncap);
    if (!ns)
        return -1;
    rehash_into(ks, sh, ns, ncap);
    ks->grows++;
    return 0;
}

int ncc_keyset_add(ncc_keyset *ks, uint64_t fp)
{
    if (!ks->shard)
        return -1;
    if (fp == 0)
        fp = 1;
    ncc_keyset_shard *sh = &ks->shard[fp >> (64 - NCC_KEYSET_SHARD_BITS)];
    size_t j = home(fp, sh->cap);
    for (uint64_t v; (v = sh->slots[j]) != 0; j = j + 1 == sh->cap ? 0 : j + 1)
        if (v == fp)
            return 1;
    if (sh->count + 1 > sh->limit) {
        if (grow_shard(ks, sh) < 0)
            return -1;
        j = home(fp, sh->cap);
        while (sh->slots[j])
            j = j + 1 == sh->cap ? 0 : j + 1;
    }
    sh->slots[j] = fp;
    sh->count++;
    ks->count++;
    return 0;
}

size_t ncc_keyset_count(const ncc_keyset *ks)
{
    return ks->count;
}

size_t ncc_keyset_bytes(const ncc_keyset *ks)
{
    return ks->shard ? ks->bytes + NCC_KEYSET_SHARDS * sizeof(ncc_keyset_shard) : 0;
}

size_t ncc_keyset_peak_bytes(const ncc_keyset *ks)
{
    return ks->shard ? ks->peak + NCC_KEYSET_SHARDS * sizeof(ncc_keyset_shard) : 0;
}

void ncc_keyset_free(ncc_keyset *ks)
{
    if (ks->shard)
        for (size_t i = 0; i < NCC_KEYSET_SHARDS; i++)
            unmap_slots(ks->shard[i].slots, ks->shard[i].cap);
    free(ks->shard);
    memset(ks, 0, sizeof *ks);
}
