/*
 * strmap.h - a small open-addressing hash map from byte-string keys to a
 * fixed-size value block, for reference data and per-group aggregates.
 *
 * Keys are copied into the map. Values are zero-initialised blocks of
 * value_size bytes (16-byte aligned) that the caller fills in; pointers to
 * them stay valid until the map grows (the next ncc_strmap_upsert) or is
 * freed. The map refuses to grow past max_entries (upsert returns NULL).
 */
#ifndef NCC_STRMAP_H
#define NCC_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ncc_strmap ncc_strmap;

/* Caller frees with ncc_strmap_free. NULL when out of memory. */
ncc_strmap *ncc_strmap_new(size_t value_size, size_t max_entries);
/* The value block for key, or NULL when absent. */
void *ncc_strmap_get(const ncc_strmap *m, const char *key, size_t len);
/* The value block for key, inserted zeroed when absent (*created set);
 * NULL when out of memory or the map is full. */
void *ncc_strmap_upsert(ncc_strmap *m, const char *key, size_t len, bool *created);
size_t ncc_strmap_count(const ncc_strmap *m);
/* Iterate: *pos starts at 0; returns false at the end. Key borrowed. */
bool ncc_strmap_next(const ncc_strmap *m, size_t *pos, const char **key, size_t *len,
                     void **value);
void ncc_strmap_free(ncc_strmap *m);

/* 64-bit hash of bytes (also used for duplicate-key fingerprints). */
uint64_t ncc_hash64(const void *data, size_t len, uint64_t seed);

/* The final avalanche of ncc_hash64 (splitmix64's): every input bit reaches every output
 * bit. For hashes built word by word elsewhere (validate.c's key fingerprints). */
static inline uint64_t ncc_hash_avalanche(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

#endif
