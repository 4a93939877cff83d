/* Unit tests of strmap: insert, lookup, growth, iteration, the entry limit. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "shared/strmap.h"

typedef struct val {
    long long n;
} val;

Test(strmap, insert_get_update)
{
    ncc_strmap *m = ncc_strmap_new(sizeof(val), 100);
    bool created;
    val *v = ncc_strmap_upsert(m, "abc", 3, &created);
    cr_assert(created);
    cr_assert_eq(v->n, 0, "new values are zeroed");
    v->n = 42;
    v = ncc_strmap_upsert(m, "abc", 3, &created);
    cr_assert_not(created);
    cr_assert_eq(v->n, 42);
    cr_assert_null(ncc_strmap_get(m, "abd", 3));
    cr_assert_null(ncc_strmap_get(m, "ab", 2));
    cr_assert_eq(ncc_strmap_count(m), 1);
    ncc_strmap_free(m);
}

Test(strmap, grows_and_iterates_every_entry)
{
    ncc_strmap *m = ncc_strmap_new(sizeof(val), 1 << 20);
    char key[32];
    for (int i = 0; i < 50000; i++) {
        int n = sprintf(key, "key-%d", i);
        val *v = ncc_strmap_upsert(m, key, (size_t)n, NULL);
        cr_assert_not_null(v);
        v->n = i;
    }
    cr_assert_eq(ncc_strmap_count(m), 50000);
    for (int i = 0; i < 50000; i += 997) {
        int n = sprintf(key, "key-%d", i);
        val *v = ncc_strmap_get(m, key, (size_t)n);
        cr_assert_not_null(v);
        cr_assert_eq(v->n, i);
    }
    size_t pos = 0, len, seen = 0;
    const char *k;
    void *vp;
    long long sum = 0;
    while (ncc_strmap_next(m, &pos, &k, &len, &vp)) {
        seen++;
        sum += ((val *)vp)->n;
        cr_assert_eq(strlen(k), len);
    }
    cr_assert_eq(seen, 50000);
    cr_assert_eq(sum, 50000LL * 49999 / 2);
    ncc_strmap_free(m);
}

Test(strmap, refuses_past_the_limit)
{
    ncc_strmap *m = ncc_strmap_new(sizeof(val), 2);
    cr_assert_not_null(ncc_strmap_upsert(m, "a", 1, NULL));
    cr_assert_not_null(ncc_strmap_upsert(m, "b", 1, NULL));
    cr_assert_null(ncc_strmap_upsert(m, "c", 1, NULL));
    cr_assert_not_null(ncc_strmap_upsert(m, "a", 1, NULL), "existing keys still found");
    ncc_strmap_free(m);
    ncc_strmap_free(NULL);
}

Test(strmap, hash_is_deterministic_and_spreads)
{
    cr_assert_eq(ncc_hash64("abc", 3, 1), ncc_hash64("abc", 3, 1));
    cr_assert_neq(ncc_hash64("abc", 3, 1), ncc_hash64("abd", 3, 1));
    cr_assert_neq(ncc_hash64("abc", 3, 1), ncc_hash64("abc", 3, 2));
    cr_assert_neq(ncc_hash64("12345678a", 9, 0), ncc_hash64("12345678b", 9, 0));
}
