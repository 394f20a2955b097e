
/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_chunked: the decoder is fed the input in one
 * buffer and again in pieces whose sizes come from the input; both must
 * yield the same body and outcome and stop at the same byte, every piece
 * of data must lie inside the buffer it was decoded from, and a body
 * encoded in chunks decodes back to itself.
 *
 * Input: byte 0 seeds the piece sizes, the rest is the chunked body.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_chunked.h>
#include "fuzz.h"


typedef struct {
    unsigned char  *body;
    size_t          len;
    size_t          used;          /* input bytes taken */
    int             rc;
} sls_fuzz_result_t;


static void sls_fuzz_decode(const uint8_t *data, size_t size,
    unsigned seed, sls_fuzz_result_t *r);


static void
sls_fuzz_decode(const uint8_t *data, size_t size, unsigned seed,
    sls_fuzz_result_t *r)
{
    int                    rc;
    size_t                 off, n, len;
    sls_chunked_t          ck;
    unsigned char         *piece;
    const unsigned char   *pos, *end, *d;

    memset(&ck, 0, sizeof(ck));

    r->len = 0;
    r->used = 0;
    r->rc = SLS_CHUNKED_AGAIN;

    for (off = 0; off < size; off += n) {

        if (seed == 0) {
            n = size;

        } else {
            seed = seed * 1103515245 + 12345;
            n = (seed >> 16) % 23 + 1;

            if (n > size - off) {
                n = size - off;
            }
        }

        /* an exact copy: ASan sees any read past the piece */
        piece = malloc(n);
        sls_fuzz_check(piece != NULL);
        memcpy(piece, data + off, n);

        pos = piece;
        end = piece + n;

        for ( ;; ) {
            rc = sls_chunked_decode(&ck, &pos, end, &d, &len);

            sls_fuzz_check(pos >= piece && pos <= end);

            if (rc != SLS_CHUNKED_DATA) {
                break;
            }

            sls_fuzz_check(len > 0 && d >= piece && d + len == pos);

            memcpy(r->body + r->len, d, len);
            r->len += len;
        }

        r->used = off + (size_t) (pos - piece);
        free(piece);
        r->rc = rc;

        if (rc != SLS_CHUNKED_AGAIN) {
            break;
        }

        sls_fuzz_check(pos == end);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    rc;
    char                   line[32];
    size_t                 n, len, off, total;
    unsigned               seed;
    sls_chunked_t          ck;
    unsigned char         *enc;
    sls_fuzz_result_t      whole, pieces;
    const unsigned char   *pos, *d;

    if (size < 1) {
        return 0;
    }

    seed = data[0] | 0x100;
    data++;
    size--;

    whole.body = malloc(size + 1);
    pieces.body = malloc(size + 1);
    sls_fuzz_check(whole.body != NULL && pieces.body != NULL);

    sls_fuzz_decode(data, size, 0, &whole);
    sls_fuzz_decode(data, size, seed, &pieces);

    /* the body never exceeds the input; the pieces change nothing */

    sls_fuzz_check(whole.len <= size && whole.used <= size);
    sls_fuzz_check(whole.rc == pieces.rc && whole.used == pieces.used);

    if (whole.rc != SLS_CHUNKED_ERROR) {
        sls_fuzz_check(whole.len == pieces.len
                       && memcmp(whole.body, pieces.body, whole.len) == 0);
    }

    /* the input as a body: in chunks of up to 7 bytes, then the end */

    enc = malloc(size * 12 + 16);
    sls_fuzz_check(enc != NULL);

    total = 0;

    for (off = 0; off < size; off += n) {
        n = (size - off < 7) ? size - off : 7;
        total += (size_t) snprintf(line, sizeof(line), "%zx;x=%zu\r\n", n,
                                   off);
        memcpy(enc + total - strlen(line), line, strlen(line));
        memcpy(enc + total, data + off, n);
        total += n;
        memcpy(enc + total, "\r\n", 2);
        total += 2;
    }

    memcpy(enc + total, "0\r\nT: v\r\n\r\n", 11);
    total += 11;

    memset(&ck, 0, sizeof(ck));
    pos = enc;
    off = 0;

    while ((rc = sls_chunked_decode(&ck, &pos, enc + total, &d, &len))
           == SLS_CHUNKED_DATA)
    {
        sls_fuzz_check(off + len <= size && memcmp(d, data + off, len) == 0);
        off += len;
    }

    sls_fuzz_check(rc == SLS_CHUNKED_DONE && pos == enc + total
                   && off == size);

    free(enc);
    free(whole.body);
    free(pieces.body);

    return 0;
}
