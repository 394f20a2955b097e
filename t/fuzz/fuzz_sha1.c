/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_sha1: the digest of the input, in one call and
 * fed in chunks whose sizes come from the input, must be OpenSSL's.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <sls_sha1.h>
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          off, n;
    unsigned        seed;
    unsigned char   d1[SLS_SHA1_DIGEST_LEN], d2[SLS_SHA1_DIGEST_LEN];
    unsigned char   ref[SHA_DIGEST_LENGTH], *chunk;
    sls_sha1_t      ctx;

    SHA1(data, size, ref);

    sls_sha1(data, size, d1);
    sls_fuzz_check(memcmp(d1, ref, sizeof(ref)) == 0);

    seed = size ? data[0] | 0x100 : 1;

    sls_sha1_init(&ctx);

    for (off = 0; off < size; off += n) {
        seed = seed * 1103515245 + 12345;
        n = (seed >> 16) % 131;

        if (n > size - off) {
            n = size - off;
        }

        /* an exact copy: ASan sees any read past the chunk */
        chunk = malloc(n ? n : 1);
        sls_fuzz_check(chunk != NULL);
        memcpy(chunk, data + off, n);

        sls_sha1_update(&ctx, chunk, n);

        free(chunk);
    }

    sls_sha1_final(&ctx, d2);
    sls_fuzz_check(memcmp(d2, ref, sizeof(ref)) == 0);

    return 0;
}
