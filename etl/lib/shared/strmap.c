/* strmap.c - open-addressing hash map with copied keys and inline values. */
#include "shared/strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct slot {
    uint64_t hash; /* 0 = empty */
    char *key;
    size_t len;
    void *value;
} slot;

struct ncc_strmap {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
    size_t value_size;
    size_t max_entries;
};

uint64_t ncc_hash64(const void *data, size_t len, uint64_t seed)
{
    /* FNV-1a over 8-byte words with a final avalanche (splitmix64). */
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    while (len--) {
        h = (h ^ *p++) * 0x100000001b3ULL;
    }
    return ncc_hash_avalanche(h);
}

ncc_strmap *ncc_strmap_new(size_t value_size, size_t max_entries)
{
    ncc_strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof(slot));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->value_size = (value_size + 15) & ~(size_t)15;
    m->max_entries = max_entries;
    return m;
}

static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = ncc_hash64(key, len, 0x5eed);
    return h ? h : 1;
}

static slot *find(const ncc_strmap *m, const char *key, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *s = &m->slots[i];
        if (s->hash == 0)
            return s;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
}

static bool grow(ncc_strmap *m)
{
    size_t ncap = m->cap * 2;
    slot *ns = calloc(ncap, sizeof(slot));
    if (!ns)
        return false;
    for (size_t i = 0; i < m->cap; i++) {
        slot *s = &m->slots[i];
        if (!s->hash)
            continue;
        for (size_t j = s->hash & (ncap - 1);; j = (j + 1) & (ncap - 1)) {
            if (!ns[j].hash) {
                ns[j] = *s;
                break;
            }
        }
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return true;
}

void *ncc_strmap_get(const ncc_strmap *m, const char *key, size_t len)
{
    slot *s = find(m, key, len, key_hash(key, len));
    return s->hash ? s->value : NULL;
}

void *ncc_strmap_upsert(ncc_strmap *m, const char *key, size_t len, bool *created)
{
    uint64_t h = key_hash(key, len);
    slot *s = find(m, key, len, h);
    if (created)
        *created = false;
    if (s->hash)
        return s->value;
    if (m->count >= m->max_entries)
        return NULL;
    if ((m->count + 1) * 4 > m->cap * 3) {
        if (!grow(m))
            return NULL;
        s = find(m, key, len, h);
    }
    /* key and value in one block: value first for alignment */
    char *block = aligned_alloc(16, m->value_size + ((len + 1 + 15) & ~(size_t)15));
    if (!block)
        return NULL;
    memset(block, 0, m->value_size);
    memcpy(block + m->value_size, key, len);
    block[m->value_size + len] = '\0';
    s->hash = h;
    s->value = block;
    s->key = block + m->value_size;
    s->len = len;
    m->count++;
    if (created)
        *created = true;
    return s->value;
}

size_t ncc_strmap_count(const ncc_strmap *m)
{
    return m ? m->count : 0;
}

bool ncc_strmap_next(const ncc_strmap *m, size_t *pos, const char **key, size_t *len,
                     void **value)
{
    while (*pos < m->cap) {
        slot *s = &m->slots[(*pos)++];
        if (s->hash) {
            *key = s->key;
            *len = s->len;
            *value = s->value;
            return true;
        }
    }
    return false;
}

void ncc_strmap_free(ncc_strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].hash)
            free(m->slots[i].value);
    free(m->slots);
    free(m);
}
