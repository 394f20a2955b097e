/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_stdcopy: the decoder is fed the input in one
 * buffer and again in chunks whose sizes come from the input; both must
 * yield the same payload per stream, frames and outcome, and every piece
 * must lie inside the chunk it was decoded from.
 *
 * Input: byte 0 picks max_frame, byte 1 seeds the chunk sizes, the rest
 * is the multiplexed stream.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_stdcopy.h>
#include "fuzz.h"


typedef struct {
    unsigned char  *out[4];
    size_t          out_len[4];
    unsigned        frames;
    size_t          frame_got;
    int             rc;
    int             pending;
} sls_fuzz_result_t;


static void sls_fuzz_decode(const uint8_t *data, size_t size,
    uint32_t max_frame, unsigned seed, sls_fuzz_result_t *r);


static void
sls_fuzz_decode(const uint8_t *data, size_t size, uint32_t max_frame,
    unsigned seed, sls_fuzz_result_t *r)
{
    int                     rc;
    size_t                  off, n;
    unsigned char          *chunk;
    sls_stdcopy_piece_t     piece;
    sls_stdcopy_decoder_t   d;
    const unsigned char    *pos, *end;

    sls_stdcopy_decoder_init(&d, max_frame);

    r->frames = 0;
    r->frame_got = 0;
    r->rc = SLS_STDCOPY_AGAIN;

    for (off = 0; off < size; off += n) {

        if (seed == 0) {
            n = size;

        } else {
            seed = seed * 1103515245 + 12345;
            n = (seed >> 16) % 19 + 1;

            if (n > size - off) {
                n = size - off;
            }
        }

        /* an exact copy: ASan sees any read past the chunk */
        chunk = malloc(n);
        sls_fuzz_check(chunk != NULL);
        memcpy(chunk, data + off, n);

        pos = chunk;
        end = chunk + n;

        for ( ;; ) {
            rc = sls_stdcopy_decode(&d, &pos, end, &piece);

            sls_fuzz_check(pos >= chunk && pos <= end);

            if (rc != SLS_STDCOPY_PIECE) {
                break;
            }

            sls_fuzz_check(piece.stream >= 0 && piece.stream <= 3);
            sls_fuzz_check(piece.data >= chunk
                           && piece.len <= (size_t) (end - piece.data));
            sls_fuzz_check(piece.data + piece.len == pos);
            sls_fuzz_check(piece.frame_len <= d.max_frame);

            memcpy(r->out[piece.stream] + r->out_len[piece.stream],
                   piece.data, piece.len);
            r->out_len[piece.stream] += piece.len;

            r->frame_got += piece.len;
            sls_fuzz_check(r->frame_got <= piece.frame_len);

            if (piece.last) {
                sls_fuzz_check(r->frame_got == piece.frame_len);
                r->frames++;
                r->frame_got = 0;
            }
        }

        free(chunk);

        r->rc = rc;

        if (rc == SLS_STDCOPY_ERROR) {
            sls_fuzz_check(d.err[0] != '\0'
                           && memchr(d.err, '\0', sizeof(d.err)) != NULL);

            /* the failure is sticky */
            pos = data;
            sls_fuzz_check(sls_stdcopy_decode(&d, &pos, data + size, &piece)
                           == SLS_STDCOPY_ERROR && pos == data);
            break;
        }

        sls_fuzz_check(rc == SLS_STDCOPY_AGAIN && pos == end);
    }

    r->pending = sls_stdcopy_decoder_pending(&d);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     i, rc;
    size_t                  total;
    uint32_t                max_frame, len;
    unsigned                seed;
    unsigned char           hdr[SLS_STDCOPY_HEADER_SIZE];
    sls_fuzz_result_t       whole, chunked;
    sls_stdcopy_piece_t     piece;
    sls_stdcopy_decoder_t   d;
    const unsigned char    *pos;

    if (size < 2) {
        return 0;
    }

    /* 0: no limit; else a limit from 1 byte to 64 KiB */
    max_frame = data[0] == 0 ? 0 : (uint32_t) data[0] * data[0];
    seed = data[1] | 0x100;

    data += 2;
    size -= 2;

    memset(&whole, 0, sizeof(whole));
    memset(&chunked, 0, sizeof(chunked));

    for (i = 0; i < 4; i++) {
        whole.out[i] = malloc(size + 1);
        chunked.out[i] = malloc(size + 1);
        sls_fuzz_check(whole.out[i] != NULL && chunked.out[i] != NULL);
    }

    sls_fuzz_decode(data, size, max_frame, 0, &whole);
    sls_fuzz_decode(data, size, max_frame, seed, &chunked);

    /* the payload never exceeds the input; chunking changes nothing */

    total = 0;

    for (i = 0; i < 4; i++) {
        total += whole.out_len[i];

        sls_fuzz_check(whole.out_len[i] == chunked.out_len[i]
                       && memcmp(whole.out[i], chunked.out[i],
                                 whole.out_len[i]) == 0);

        free(whole.out[i]);
        free(chunked.out[i]);
    }

    sls_fuzz_check(total + 8 * (size_t) whole.frames <= size);
    sls_fuzz_check(whole.frames == chunked.frames);
    sls_fuzz_check(whole.rc == chunked.rc);

    if (whole.rc != SLS_STDCOPY_ERROR) {
        sls_fuzz_check(whole.pending == chunked.pending);
    }

    /* the header writer round trips through the decoder */

    if (size >= 5) {
        len = (uint32_t) data[1] << 24 | (uint32_t) data[2] << 16
              | (uint32_t) data[3] << 8 | data[4];

        sls_stdcopy_header(hdr, data[0] & 3, len);
        sls_stdcopy_decoder_init(&d, 0);

        pos = hdr;
        rc = sls_stdcopy_decode(&d, &pos, hdr + sizeof(hdr), &piece);

        sls_fuzz_check(rc == (len ? SLS_STDCOPY_AGAIN : SLS_STDCOPY_PIECE));
        sls_fuzz_check(pos == hdr + sizeof(hdr));
        sls_fuzz_check(d.stream == (data[0] & 3) && d.frame_len == len);
        sls_fuzz_check(sls_stdcopy_decoder_pending(&d) == (len != 0));
    }

    return 0;
}
