
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_stdcopy: frame headers and the incremental decoder fed
 * with every chunking of each vector. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_stdcopy.h>
#include "test.h"


typedef struct {
    const char           *name;
    int                   stream;
    uint32_t              len;
    const unsigned char   hdr[8];
} sls_header_vector_t;


typedef struct {
    const char   *name;
    const char   *input;       /* raw bytes */
    size_t        len;
    uint32_t      max_frame;
    int           error;       /* 1: decoding must fail */
    const char   *err;         /* expected error text */
    const char   *out[4];      /* expected payload per stream */
    unsigned      frames;      /* expected frames (pieces with last) */
    int           pending;     /* input ends inside a frame */
} sls_decode_vector_t;


typedef struct {
    char          out[4][256];
    size_t        out_len[4];
    unsigned      frames;
    int           rc;
    int           pending;
    char          err[80];
} sls_decode_result_t;


static const sls_header_vector_t  headers[] = {
    { "stdin, empty", 0, 0, { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "stdout, 5 bytes", 1, 5, { 1, 0, 0, 0, 0, 0, 0, 5 } },
    { "stderr, 0x01020304", 2, 0x01020304,
      { 2, 0, 0, 0, 1, 2, 3, 4 } },
    { "systemerr, 4 GiB - 1", 3, 0xffffffff,
      { 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff } },
};


#define S(s)  s, sizeof(s) - 1

static const sls_decode_vector_t  vectors[] = {
    { "one stdout frame",
      S("\1\0\0\0\0\0\0\5hello"), 0, 0, NULL,
      { "", "hello", "", "" }, 1, 0 },
    { "stdout then stderr",
      S("\1\0\0\0\0\0\0\3out\2\0\0\0\0\0\0\3err"), 0, 0, NULL,
      { "", "out", "err", "" }, 2, 0 },
    { "empty frame between two",
      S("\1\0\0\0\0\0\0\1a\1\0\0\0\0\0\0\0\1\0\0\0\0\0\0\1b"), 0, 0, NULL,
      { "", "ab", "", "" }, 3, 0 },
    { "stdin and systemerr streams",
      S("\0\0\0\0\0\0\0\2in\3\0\0\0\0\0\0\4oops"), 0, 0, NULL,
      { "in", "", "", "oops" }, 2, 0 },
    { "bytes 1-3 are ignored",
      S("\1\7\7\7\0\0\0\2ok"), 0, 0, NULL,
      { "", "ok", "", "" }, 1, 0 },
    { "frame exactly at the limit",
      S("\2\0\0\0\0\0\0\4abcd"), 4, 0, NULL,
      { "", "", "abcd", "" }, 1, 0 },
    { "truncated header",
      S("\1\0\0\0\0\0\0\2hi\1\0\0"), 0, 0, NULL,
      { "", "hi", "", "" }, 1, 1 },
    { "truncated payload",
      S("\1\0\0\0\0\0\0\5hel"), 0, 0, NULL,
      { "", "hel", "", "" }, 0, 1 },
    { "stream 4 is refused",
      S("\4\0\0\0\0\0\0\1x"), 0, 1, "unrecognized input header: 4",
      { "", "", "", "" }, 0, 0 },
    { "ASCII '1' of a chunk size is refused",
      S("\1\0\0\0\0\0\0\1a" "1a\r\nhello\r\n"), 0, 1,
      "unrecognized input header: 49",
      { "", "a", "", "" }, 1, 0 },
    { "stream 255 is refused",
      S("\377\0\0\0\0\0\0\0"), 0, 1, "unrecognized input header: 255",
      { "", "", "", "" }, 0, 0 },
    { "frame over the limit",
      S("\1\0\0\0\0\0\0\5hello"), 4, 1,
      "stream frame of 5 bytes exceeds the limit of 4",
      { "", "", "", "" }, 0, 0 },
    { "4 GiB frame header with a 1 MiB limit",
      S("\1\0\0\0\377\377\377\377"), 1048576, 1,
      "stream frame of 4294967295 bytes exceeds the limit of 1048576",
      { "", "", "", "" }, 0, 0 },
};


static void sls_decode_run(const sls_decode_vector_t *v, size_t step,
    sls_decode_result_t *res);
static int sls_decode_check(const sls_decode_vector_t *v,
    const sls_decode_result_t *res);
static int sls_decode_random(void);


static void
sls_decode_run(const sls_decode_vector_t *v, size_t step,
    sls_decode_result_t *res)
{
    int                     rc;
    size_t                  off, n;
    unsigned char           chunk[256];
    sls_stdcopy_piece_t     piece;
    const unsigned char    *pos, *end;
    sls_stdcopy_decoder_t   d;

    memset(res, 0, sizeof(sls_decode_result_t));
    sls_stdcopy_decoder_init(&d, v->max_frame);

    rc = SLS_STDCOPY_AGAIN;

    for (off = 0; off < v->len; off += n) {
        n = v->len - off < step ? v->len - off : step;

        /* a copy of exactly n bytes, so that ASan sees any overread */
        memcpy(chunk, v->input + off, n);
        pos = chunk;
        end = chunk + n;

        for ( ;; ) {
            rc = sls_stdcopy_decode(&d, &pos, end, &piece);

            if (rc != SLS_STDCOPY_PIECE) {
                break;
            }

            if (res->out_len[piece.stream] + piece.len
                < sizeof(res->out[0]))
            {
                memcpy(res->out[piece.stream] + res->out_len[piece.stream],
                       piece.data, piece.len);
                res->out_len[piece.stream] += piece.len;
            }

            res->frames += piece.last;
        }

        if (rc == SLS_STDCOPY_ERROR) {
            break;
        }
    }

    res->rc = rc;
    res->pending = sls_stdcopy_decoder_pending(&d);
    memcpy(res->err, d.err, sizeof(res->err));

    if (rc == SLS_STDCOPY_ERROR) {
        /* the failure is sticky */
        pos = (const unsigned char *) "";
        if (sls_stdcopy_decode(&d, &pos, pos + 1, &piece)
            != SLS_STDCOPY_ERROR)
        {
            res->rc = 99;
        }
    }
}


static int
sls_decode_check(const sls_decode_vector_t *v,
    const sls_decode_result_t *res)
{
    int  i;

    if (v->error) {
        if (res->rc != SLS_STDCOPY_ERROR || strcmp(res->err, v->err) != 0) {
            TEST_DIAG("rc %d err \"%s\"", res->rc, res->err);
            return 0;
        }

    } else if (res->rc != SLS_STDCOPY_AGAIN || res->pending != v->pending) {
        TEST_DIAG("rc %d pending %d", res->rc, res->pending);
        return 0;
    }

    for (i = 0; i < 4; i++) {
        if (res->out_len[i] != strlen(v->out[i])
            || memcmp(res->out[i], v->out[i], res->out_len[i]) != 0)
        {
            TEST_DIAG("stream %d: \"%.*s\"", i, (int) res->out_len[i],
                      res->out[i]);
            return 0;
        }
    }

    if (res->frames != v->frames) {
        TEST_DIAG("frames %u", res->frames);
        return 0;
    }

    return 1;
}


/* arbitrary bytes: pieces stay inside the input and add up */
static int
sls_decode_random(void)
{
    int                     rc;
    size_t                  i, k, n, total;
    uint32_t                seed;
    unsigned char          *buf;
    sls_stdcopy_piece_t     piece;
    const unsigned char    *pos, *end;
    sls_stdcopy_decoder_t   d;

    seed = 12345;

    for (k = 0; k < 2000; k++) {
        n = 1 + k % 97;
        buf = malloc(n);
        if (buf == NULL) {
            return 0;
        }

        for (i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            buf[i] = (unsigned char) (seed >> 16);

            /* mostly valid stream bytes and small lengths */
            if (i % 8 == 0 && (seed & 0x100)) {
                buf[i] &= 3;
            }

            if (i % 8 >= 4 && i % 8 <= 6 && (seed & 0x200)) {
                buf[i] = 0;
            }
        }

        sls_stdcopy_decoder_init(&d, 64);
        pos = buf;
        end = buf + n;
        total = 0;

        while ((rc = sls_stdcopy_decode(&d, &pos, end, &piece))
               == SLS_STDCOPY_PIECE)
        {
            if (piece.data < buf || piece.data + piece.len > end
                || piece.stream < 0 || piece.stream > 3
                || piece.len > piece.frame_len || piece.frame_len > 64)
            {
                free(buf);
                return 0;
            }

            total += piece.len;
        }

        free(buf);

        if (total > n || (rc == SLS_STDCOPY_AGAIN && pos != end)) {
            return 0;
        }
    }

    return 1;
}


int
main(void)
{
    int                   ok;
    size_t                i, step;
    unsigned char         hdr[8];
    sls_decode_result_t   res;

    for (i = 0; i < TEST_NELTS(headers); i++) {
        memset(hdr, 0xee, sizeof(hdr));
        sls_stdcopy_header(hdr, headers[i].stream, headers[i].len);
        TEST_OK(memcmp(hdr, headers[i].hdr, 8) == 0, "header: %s",
                headers[i].name);
    }

    for (i = 0; i < TEST_NELTS(vectors); i++) {
        ok = 1;

        for (step = 1; ok && step <= vectors[i].len; step++) {
            sls_decode_run(&vectors[i], step, &res);

            if (!sls_decode_check(&vectors[i], &res)) {
                TEST_DIAG("chunks of %zu bytes", step);
                ok = 0;
            }
        }

        TEST_OK(ok, "decode, every chunk size: %s", vectors[i].name);
    }

    TEST_OK(sls_decode_random(), "decode: arbitrary bytes stay in bounds");

    return TEST_DONE();
}
