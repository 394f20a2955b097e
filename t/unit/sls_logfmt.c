/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_logfmt: container log record headers. TAP output.
 */


#include <stdio.h>
#include <string.h>
#include <sls_logfmt.h>


#define ASSERT(name, cond)                                                    \
    do {                                                                      \
        n++;                                                                  \
        if (cond) {                                                           \
            printf("ok %d - %s\n", n, name);                                  \
        } else {                                                              \
            printf("not ok %d - %s\n", n, name);                              \
            failed++;                                                         \
        }                                                                     \
    } while (0)


typedef struct {
    const char           *name;
    int                   stream;
    uint32_t              len;
    uint64_t              ns;
    const unsigned char   hdr[16];
} sls_logfmt_vector_t;


static const sls_logfmt_vector_t  vectors[] = {
    { "stdout, small", 1, 3, 1,
      { 1, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1 } },
    { "stderr, 1 MiB, 2026 timestamp", 2, 1048576, 0x1879f3c5a1b2c3d4ULL,
      { 2, 0, 0, 0, 0, 0x10, 0, 0,
        0x18, 0x79, 0xf3, 0xc5, 0xa1, 0xb2, 0xc3, 0xd4 } },
    { "empty payload", 1, 0, 0,
      { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
};


typedef struct {
    const char           *name;
    const unsigned char   hdr[16];
} sls_logfmt_bad_t;


static const sls_logfmt_bad_t  bad[] = {
    { "stream 0", { 0, 0, 0, 0, 0, 0, 0, 1 } },
    { "stream 3", { 3, 0, 0, 0, 0, 0, 0, 1 } },
    { "non-zero pad", { 1, 0, 1, 0, 0, 0, 0, 1 } },
    { "length 1 MiB + 1", { 1, 0, 0, 0, 0, 0x10, 0, 1 } },
    { "length 4 GiB - 1", { 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff } },
};


int
main(void)
{
    int            n, failed, stream, rc;
    char           name[128];
    size_t         i, len;
    uint32_t       l;
    uint64_t       ns;
    unsigned char  hdr[16];

    n = 0;
    failed = 0;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        memset(hdr, 0xee, sizeof(hdr));
        len = sls_logfmt_encode_header(hdr, vectors[i].stream,
                                       vectors[i].len, vectors[i].ns);

        snprintf(name, sizeof(name), "encode: %s", vectors[i].name);
        ASSERT(name, len == 16 && memcmp(hdr, vectors[i].hdr, 16) == 0);

        rc = sls_logfmt_decode_header(vectors[i].hdr, &stream, &l, &ns);

        snprintf(name, sizeof(name), "decode: %s", vectors[i].name);
        ASSERT(name, rc == 0 && stream == vectors[i].stream
                     && l == vectors[i].len && ns == vectors[i].ns);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        stream = -1;
        rc = sls_logfmt_decode_header(bad[i].hdr, &stream, &l, &ns);

        snprintf(name, sizeof(name), "malformed: %s", bad[i].name);
        ASSERT(name, rc == -1 && stream == -1);
    }

    printf("1..%d\n", n);

    return failed ? 1 : 0;
}
