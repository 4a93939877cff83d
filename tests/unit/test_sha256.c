/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors,
 * padding boundaries and updates split at every size.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "shared/sha256.h"

static void hex_of(const void *data, size_t len, char hex[65])
{
    ncc_sha256 ctx;

    ncc_sha256_init(&ctx);
    ncc_sha256_update(&ctx, data, len);
    ncc_sha256_final_hex(&ctx, hex);
}

Test(sha256, empty)
{
    char hex[65];

    hex_of("", 0, hex);
    cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, abc)
{
    char hex[65];

    hex_of("abc", 3, hex);
    cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, msg_448_bits)
{
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    char hex[65];

    cr_assert_eq(strlen(m), 56);
    hex_of(m, strlen(m), hex);
    cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, msg_896_bits)
{
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmno"
                    "pqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[65];

    hex_of(m, strlen(m), hex);
    cr_assert_str_eq(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

Test(sha256, million_a)
{
    static char block[1000];
    ncc_sha256 ctx;
    char hex[65];

    memset(block, 'a', sizeof block);
    ncc_sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        ncc_sha256_update(&ctx, block, sizeof block);
    ncc_sha256_final_hex(&ctx, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, million_a_one_update)
{
    static char big[1000000];
    char hex[65];

    memset(big, 'a', sizeof big);
    hex_of(big, sizeof big, hex);
    cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the 56- and 64-byte padding edges (digests from Python hashlib). */
Test(sha256, padding_edges)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
        {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
        {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
        {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
        {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
        {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
        {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
    };
    char buf[128], hex[65];

    memset(buf, 'x', sizeof buf);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hex_of(buf, cases[i].n, hex);
        cr_assert_str_eq(hex, cases[i].hex, "length %zu", cases[i].n);
    }
}

/* The digest does not depend on how the input is cut into updates. */
Test(sha256, split_updates)
{
    unsigned char data[1000];
    char hex[65];

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i % 251);
    for (size_t step = 1; step <= 130; step++) {
        ncc_sha256 ctx;
        ncc_sha256_init(&ctx);
        for (size_t off = 0; off < sizeof data; off += step) {
            size_t n = sizeof data - off < step ? sizeof data - off : step;
            ncc_sha256_update(&ctx, data + off, n);
        }
        ncc_sha256_final_hex(&ctx, hex);
        cr_assert_str_eq(hex, "4e4c294b331f7a2099a379bec34b9f9fc03dc46ab465d998f4d683da53487e6d",
                         "step %zu", step);
    }
}

Test(sha256, raw_digest_matches_hex)
{
    ncc_sha256 ctx;
    unsigned char d[32];

    ncc_sha256_init(&ctx);
    ncc_sha256_update(&ctx, "abc", 3);
    ncc_sha256_final(&ctx, d);
    cr_assert_eq(d[0], 0xba);
    cr_assert_eq(d[1], 0x78);
    cr_assert_eq(d[31], 0xad);
}
