/* Unit tests of the duplicate-key fingerprint set: membership, the 0 fingerprint, sizing,
 * growth past a short estimate, and the memory it maps against the budget of validation
 * (64 MiB + 16 bytes a row: here 16 bytes a member + the fixed page a table). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "rules/keyset.h"

/* The fixed part: one 4 KiB page a table (the smallest table, and the rounding of each
 * table to whole pages) and the table of tables. */
#define FIXED_BYTES ((size_t)NCC_KEYSET_SHARDS * 4096 + NCC_KEYSET_SHARDS * sizeof(ncc_keyset_shard))

/* Distinct, well-mixed fingerprints (splitmix64 of 1, 2, ...): never 0 or 1. */
static uint64_t fp_of(uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x < 2 ? x + 2 : x;
}

Test(keyset, members_are_found_and_duplicates_reported)
{
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 1000), 0);
    for (uint64_t i = 1; i <= 1000; i++)
        cr_assert_eq(ncc_keyset_add(&ks, fp_of(i)), 0, "fingerprint %llu is new", (unsigned long long)i);
    cr_assert_eq(ncc_keyset_count(&ks), 1000);
    for (uint64_t i = 1; i <= 1000; i++)
        cr_assert_eq(ncc_keyset_add(&ks, fp_of(i)), 1, "fingerprint %llu again", (unsigned long long)i);
    cr_assert_eq(ncc_keyset_count(&ks), 1000, "duplicates are not added");
    cr_assert_eq(ncc_keyset_add(&ks, fp_of(1001)), 0);
    cr_assert_eq(ks.grows, 0);
    ncc_keyset_free(&ks);
    cr_assert_eq(ncc_keyset_count(&ks), 0);
    cr_assert_eq(ncc_keyset_bytes(&ks), 0);
}

Test(keyset, colliding_homes_and_neighbours)
{
    /* same table, same home slot (fingerprints that differ in the lowest bits only), and
     * the last slots of a table, where probing wraps to the first */
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 0), 0);
    for (uint64_t i = 2; i < 100; i++)
        cr_assert_eq(ncc_keyset_add(&ks, 0x1234567800000000ULL + i), 0);
    for (uint64_t i = 2; i < 100; i++)
        cr_assert_eq(ncc_keyset_add(&ks, UINT64_MAX - i), 0);
    for (uint64_t i = 2; i < 100; i++) {
        cr_assert_eq(ncc_keyset_add(&ks, 0x1234567800000000ULL + i), 1);
        cr_assert_eq(ncc_keyset_add(&ks, UINT64_MAX - i), 1);
    }
    cr_assert_eq(ncc_keyset_count(&ks), 196);
    ncc_keyset_free(&ks);
}

Test(keyset, zero_fingerprint_is_stored_as_one)
{
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 10), 0);
    cr_assert_eq(ncc_keyset_add(&ks, 0), 0, "0 is a fingerprint like another");
    cr_assert_eq(ncc_keyset_add(&ks, 0), 1);
    cr_assert_eq(ncc_keyset_add(&ks, 1), 1, "0 and 1 are the same member");
    cr_assert_eq(ncc_keyset_add(&ks, 2), 0);
    cr_assert_eq(ncc_keyset_count(&ks), 2);
    ncc_keyset_prefetch(&ks, 0); /* a hint: no effect */
    cr_assert_eq(ncc_keyset_count(&ks), 2);
    ncc_keyset_free(&ks);

    cr_assert_eq(ncc_keyset_init(&ks, 10), 0);
    cr_assert_eq(ncc_keyset_add(&ks, 1), 0);
    cr_assert_eq(ncc_keyset_add(&ks, 0), 1);
    ncc_keyset_free(&ks);
}

Test(keyset, unset_set_is_safe)
{
    ncc_keyset ks = {0};
    ncc_keyset_prefetch(&ks, 42);
    cr_assert_eq(ncc_keyset_add(&ks, 42), -1, "not initialised");
    cr_assert_eq(ncc_keyset_reserve(&ks, 10), -1);
    cr_assert_eq(ncc_keyset_bytes(&ks), 0);
    ncc_keyset_free(&ks);
    ncc_keyset_free(&ks);
}

/* Adds fp_of(1..n) to ks checking after each add that the most memory ever mapped stays in
 * budget: 16 bytes a member + the fixed part, or what an estimate larger than the members so
 * far reserved (presized). Then checks that every member is still there. */
static void fill_in_budget(ncc_keyset *ks, uint64_t n, size_t presized)
{
    for (uint64_t i = 1; i <= n; i++) {
        if (ncc_keyset_add(ks, fp_of(i)) != 0)
            cr_assert_fail("%llu not new", (unsigned long long)i);
        size_t peak = ncc_keyset_peak_bytes(ks);
        size_t budget = 16 * ncc_keyset_count(ks) + FIXED_BYTES;
        if (budget < presized)
            budget = presized;
        if (peak > budget)
            cr_assert_fail("%zu bytes mapped at %zu members (%zu tables grown): over %zu",
                           peak, ncc_keyset_count(ks), (size_t)ks->grows, budget);
        /* the bound of keyset.h: max(10 E, 14.2 n) + the old copy of one table (9.5 n / S,
         * doubled for the spread of the tables' shares) + a page a table */
        size_t m = ncc_keyset_count(ks);
        size_t bound = m * 142 / 10 + 19 * m / NCC_KEYSET_SHARDS + FIXED_BYTES;
        if (bound < presized)
            bound = presized;
        if (peak > bound)
            cr_assert_fail("%zu bytes mapped at %zu members: over the bound %zu", peak, m, bound);
    }
    cr_assert_eq(ncc_keyset_count(ks), n);
    for (uint64_t i = 1; i <= n; i++)
        if (ncc_keyset_add(ks, fp_of(i)) != 1)
            cr_assert_fail("member %llu lost", (unsigned long long)i);
    cr_assert_eq(ncc_keyset_count(ks), n);
}

Test(keyset, unknown_size_grows_within_budget)
{
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 0), 0);
    cr_assert_leq(ncc_keyset_bytes(&ks), FIXED_BYTES, "one page a table to start with");
    fill_in_budget(&ks, 3000000, ncc_keyset_bytes(&ks));
    cr_assert_gt(ks.grows, 4 * NCC_KEYSET_SHARDS, "every table grew several times");
    /* at the end: at most 8 * 1.5 / 0.85 = 14.2 bytes a member, + a page a table */
    cr_assert_leq(ncc_keyset_bytes(&ks), 3000000 * 142 / 10 + FIXED_BYTES);
    ncc_keyset_free(&ks);
}

Test(keyset, short_estimate_grows_and_keeps_every_member)
{
    ncc_keyset ks;
    /* a quarter, then a little past what the estimate holds: the tables grow one by one */
    cr_assert_eq(ncc_keyset_init(&ks, 500000), 0);
    size_t presized = ncc_keyset_bytes(&ks);
    cr_assert_leq(presized, 500000 * 10 + FIXED_BYTES, "10 bytes an expected member");
    fill_in_budget(&ks, 2000000, presized);
    cr_assert_gt(ks.grows, 0);
    ncc_keyset_free(&ks);

    cr_assert_eq(ncc_keyset_init(&ks, 1000000), 0);
    presized = ncc_keyset_bytes(&ks);
    fill_in_budget(&ks, 1100000, presized);
    ncc_keyset_free(&ks);
}

Test(keyset, exact_estimate_never_grows)
{
    static const size_t counts[] = {1000000, 2000000, 3500000};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        ncc_keyset ks;
        size_t n = counts[k];
        cr_assert_eq(ncc_keyset_init(&ks, n), 0);
        size_t presized = ncc_keyset_bytes(&ks);
        cr_assert_leq(presized, n * 10 + FIXED_BYTES, "%zu: %zu bytes", n, presized);
        /* 5 % more than expected still fits: the margin between load 0.8 and 0.85 */
        for (uint64_t i = 1; i <= n + n / 20; i++)
            if (ncc_keyset_add(&ks, fp_of(i)) != 0)
                cr_assert_fail("%llu not new", (unsigned long long)i);
        cr_assert_eq(ks.grows, 0, "%zu members: %lu tables grew", n, ks.grows);
        cr_assert_eq(ncc_keyset_peak_bytes(&ks), presized);
        ncc_keyset_free(&ks);
    }
}

Test(keyset, reserve_sizes_once_and_keeps_members)
{
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 100000), 0);
    for (uint64_t i = 1; i <= 50000; i++)
        if (ncc_keyset_add(&ks, fp_of(i)) != 0)
            cr_assert_fail("%llu not new", (unsigned long long)i);
    unsigned long grows = ks.grows;
    cr_assert_eq(ncc_keyset_reserve(&ks, 2000000), 0);
    size_t bytes = ncc_keyset_bytes(&ks);
    cr_assert_leq(bytes, 2000000 * 10 + FIXED_BYTES, "the old tables are gone: %zu", bytes);
    /* while it moved table by table, the old and new copies of one table at most coexist */
    cr_assert_leq(ncc_keyset_peak_bytes(&ks), bytes + 2 * bytes / NCC_KEYSET_SHARDS);
    cr_assert_eq(ncc_keyset_reserve(&ks, 1000), 0, "never shrinks");
    cr_assert_eq(ncc_keyset_bytes(&ks), bytes);
    for (uint64_t i = 1; i <= 50000; i++)
        if (ncc_keyset_add(&ks, fp_of(i)) != 1)
            cr_assert_fail("%llu lost in the move", (unsigned long long)i);
    for (uint64_t i = 50001; i <= 2000000; i++)
        if (ncc_keyset_add(&ks, fp_of(i)) != 0)
            cr_assert_fail("%llu not new", (unsigned long long)i);
    cr_assert_eq(ks.grows, grows, "no table grew after reserve");
    cr_assert_eq(ncc_keyset_count(&ks), 2000000);
    ncc_keyset_free(&ks);
}

Test(keyset, prefetch_then_add)
{
    ncc_keyset ks;
    cr_assert_eq(ncc_keyset_init(&ks, 20000), 0);
    for (uint64_t i = 1; i <= 20000; i++) {
        ncc_keyset_prefetch(&ks, fp_of(i + 8));
        cr_assert_eq(ncc_keyset_add(&ks, fp_of(i)), 0);
    }
    cr_assert_eq(ncc_keyset_count(&ks), 20000);
    ncc_keyset_free(&ks);
}
