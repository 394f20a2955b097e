
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_chunked: the decoder fed with every split of each
 * vector in two, and byte by byte. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_chunked.h>
#include "test.h"


typedef struct {
    const char   *name;
    const char   *input;
    int           rc;          /* DONE, AGAIN (the input ends) or ERROR */
    const char   *body;        /* decoded bytes */
    const char   *rest;        /* bytes left after DONE */
} sls_chunked_vector_t;


static const sls_chunked_vector_t  vectors[] = {
    { "one chunk", "5\r\nhello\r\n0\r\n\r\n", SLS_CHUNKED_DONE, "hello",
      "" },
    { "two chunks, hex, upper and lower", "a\r\n0123456789\r\nB\r\n"
      "abcdefghijk\r\n0\r\n\r\n", SLS_CHUNKED_DONE,
      "0123456789abcdefghijk", "" },
    { "extensions and a trailer", "3;name=v\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
      SLS_CHUNKED_DONE, "abc", "" },
    { "bytes after the end stay", "1\r\nz\r\n0\r\n\r\nGET /",
      SLS_CHUNKED_DONE, "z", "GET /" },
    { "empty body", "0\r\n\r\n", SLS_CHUNKED_DONE, "", "" },
    { "input ends inside a chunk", "8\r\nabcd", SLS_CHUNKED_AGAIN, "abcd",
      "" },
    { "no digits", "\r\nabc", SLS_CHUNKED_ERROR, "", "" },
    { "a bad digit", "5x\r\nhello\r\n", SLS_CHUNKED_ERROR, "", "" },
    { "no CRLF after the data", "2\r\nabX\r\n0\r\n\r\n", SLS_CHUNKED_ERROR,
      "ab", "" },
    { "a bare LF", "2\nab\r\n", SLS_CHUNKED_ERROR, "", "" },
    { "a size too large", "1000000000000000\r\n", SLS_CHUNKED_ERROR, "",
      "" },
};


static int
sls_run(const sls_chunked_vector_t *v, size_t step, size_t split, char *out,
    size_t *olen, char *rest)
{
    int                   rc;
    size_t                len, off, end;
    sls_chunked_t         ck;
    const unsigned char  *in, *p, *last, *data;

    memset(&ck, 0, sizeof(ck));
    in = (const unsigned char *) v->input;
    len = strlen(v->input);
    *olen = 0;
    rest[0] = '\0';
    rc = SLS_CHUNKED_AGAIN;

    for (off = 0; off < len; off = end) {
        end = split ? (off < split ? split : len) : off + step;
        end = end > len ? len : end;

        p = in + off;
        last = in + end;

        for ( ;; ) {
            rc = sls_chunked_decode(&ck, &p, last, &data, &olen[1]);

            if (rc == SLS_CHUNKED_DATA) {
                memcpy(out + *olen, data, olen[1]);
                *olen += olen[1];
                continue;
            }

            break;
        }

        if (rc == SLS_CHUNKED_DONE) {
            memcpy(rest, p, (size_t) (in + len - p));
            rest[in + len - p] = '\0';
            return rc;
        }

        if (rc == SLS_CHUNKED_ERROR) {
            return rc;
        }

        if (p != last) {
            return 99;
        }
    }

    return rc;
}


int
main(void)
{
    int     rc, ok;
    char    out[256], rest[64];
    size_t  i, split, len, olen[2];

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        len = strlen(vectors[i].input);
        ok = 1;

        for (split = 0; split < len && ok; split++) {
            rc = split ? sls_run(&vectors[i], 0, split, out, olen, rest)
                       : sls_run(&vectors[i], 1, 0, out, olen, rest);

            if (rc != vectors[i].rc
                || (rc != SLS_CHUNKED_ERROR
                    && (olen[0] != strlen(vectors[i].body)
                        || memcmp(out, vectors[i].body, olen[0]) != 0
                        || strcmp(rest, vectors[i].rest) != 0)))
            {
                TEST_DIAG("split %zu: rc %d, body \"%.*s\", rest \"%s\"",
                          split, rc, (int) olen[0], out, rest);
                ok = 0;
            }
        }

        TEST_OK(ok, "%s", vectors[i].name);
    }

    return TEST_DONE();
}
