/*
 * sha256.h - SHA-256 (FIPS 180-4) of a byte stream, used to recognise a
 * file that was already loaded. Self-contained; no allocation.
 */
#ifndef NCC_SHA256_H
#define NCC_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ncc_sha256 {
    uint32_t h[8];
    uint64_t nbytes;
    unsigned char block[64];
    size_t used;
} ncc_sha256;

void ncc_sha256_init(ncc_sha256 *ctx);
void ncc_sha256_update(ncc_sha256 *ctx, const void *data, size_t len);
/* Writes 32 raw bytes to digest. The context must be re-initialised after. */
void ncc_sha256_final(ncc_sha256 *ctx, unsigned char digest[32]);
/* Writes 64 lowercase hex digits and a NUL to hex. */
void ncc_sha256_final_hex(ncc_sha256 *ctx, char hex[65]);

#endif
