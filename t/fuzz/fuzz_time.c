/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_time: the RFC 3339 and since/until parsers on
 * the input, each result formatted and parsed back to the same instant;
 * and the formatters on a time taken from the input's bytes, parsed back
 * too, with buffers of every size.
 */


#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_time.h>
#include "fuzz.h"


static void sls_fuzz_format(int64_t sec, long nsec, size_t size);
static void sls_fuzz_rfc3339(const char *p, size_t len);
static void sls_fuzz_timestamp(const char *p, size_t len);


/* both formatters, into a buffer of exactly size bytes; parsed back */
static void
sls_fuzz_format(int64_t sec, long nsec, size_t size)
{
    int      fixed;
    char    *buf;
    long     nsec2;
    size_t   n;
    int64_t  sec2;

    buf = malloc(size ? size : 1);
    sls_fuzz_check(buf != NULL);

    for (fixed = 0; fixed < 2; fixed++) {
        n = fixed ? sls_time_rfc3339nano_fixed(buf, size, sec, nsec)
                  : sls_time_rfc3339nano(buf, size, sec, nsec);

        if (n == 0) {
            /* out of range, or the buffer is too small */
            continue;
        }

        sls_fuzz_check(n < size && n < SLS_TIME_BUFSIZE
                       && strlen(buf) == n);
        sls_fuzz_check(n >= 20 && buf[n - 1] == 'Z');
        sls_fuzz_check(!fixed || n == 30);

        sls_fuzz_check(sls_time_parse_rfc3339(buf, n, &sec2, &nsec2) == 0);

        if (sec == SLS_TIME_ZERO) {
            sls_fuzz_check(sec2 == SLS_TIME_ZERO_UNIX && nsec2 == 0);

        } else {
            sls_fuzz_check(sec2 == sec && nsec2 == nsec);
        }
    }

    free(buf);
}


static void
sls_fuzz_rfc3339(const char *p, size_t len)
{
    char     buf[SLS_TIME_BUFSIZE];
    long     nsec, nsec2;
    size_t   n;
    int64_t  sec, sec2;

    if (sls_time_parse_rfc3339(p, len, &sec, &nsec) != 0) {
        return;
    }

    sls_fuzz_check(nsec >= 0 && nsec <= 999999999);

    /* years 0000 to 9999, shifted by an offset of less than a day */
    sls_fuzz_check(sec >= -62167219200LL - 86400
                   && sec <= 253402300799LL + 86400);

    /* in UTC it formats (unless the offset left the years) and reads back */

    n = sls_time_rfc3339nano(buf, sizeof(buf), sec, nsec);

    if (n) {
        sls_fuzz_check(sls_time_parse_rfc3339(buf, n, &sec2, &nsec2) == 0);
        sls_fuzz_check(sec2 == sec && nsec2 == nsec);

        /* a "Z" time of at most 9 fraction digits comes out as it came */
        if (p[len - 1] == 'Z' && len <= 30 && p[len - 2] != '0') {
            sls_fuzz_check(n == len && memcmp(buf, p, n) == 0);
        }
    }

    /* a since/until value holding a 'T' is the same time */

    sls_fuzz_check(sls_time_parse_timestamp(p, len, 0, &sec2, &nsec2,
                                            NULL, 0) == 0);
    sls_fuzz_check(sec2 == sec && nsec2 == nsec);
}


static void
sls_fuzz_timestamp(const char *p, size_t len)
{
    int      rc;
    char     err[300], buf[64];
    long     nsec, nsec2;
    int64_t  sec, sec2;

    err[0] = '\0';

    rc = sls_time_parse_timestamp(p, len, 1234, &sec, &nsec, err,
                                  sizeof(err));

    if (rc != 0) {
        sls_fuzz_check(rc == -1 && strlen(err) < sizeof(err));
        sls_fuzz_check(strncmp(err, "strconv.ParseInt: parsing \"", 27)
                       == 0
                       || strncmp(err, "parsing time \"", 14) == 0);
        return;
    }

    sls_fuzz_check(nsec >= 0 && nsec <= 999999999);

    if (len == 0) {
        sls_fuzz_check(sec == 1234 && nsec == 0);
        return;
    }

    if (memchr(p, 'T', len) != NULL) {
        return;
    }

    /* seconds and nanoseconds read back the same from a plain number */

    snprintf(buf, sizeof(buf), "%" PRId64 ".%09ld", sec, nsec);

    sls_fuzz_check(sls_time_parse_timestamp(buf, strlen(buf), 0, &sec2,
                                            &nsec2, err, sizeof(err)) == 0);
    sls_fuzz_check(sec2 == sec && nsec2 == nsec);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char     *p;
    long      nsec;
    int64_t   sec;
    uint64_t  u;
    size_t    i;

    /* an exact copy: ASan sees any read past the input */
    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    sls_fuzz_rfc3339(p, size);
    sls_fuzz_timestamp(p, size);

    free(p);

    /* a time from the bytes: 8 for the seconds, 4 for the nanoseconds */

    if (size >= 13) {
        u = 0;
        for (i = 0; i < 8; i++) {
            u = u << 8 | data[i];
        }

        /* mostly years 0 to 9999, at times anything */
        sec = (data[12] & 1) ? (int64_t) u
                             : (int64_t) (u % 315569520000ULL)
                               - 62167219200LL;

        nsec = (long) ((uint32_t) data[8] << 24 | (uint32_t) data[9] << 16
                       | (uint32_t) data[10] << 8 | data[11]);

        if (data[12] & 2) {
            nsec %= 1000000000;
        }

        sls_fuzz_format(sec, nsec, data[12] >> 2);
        sls_fuzz_format(sec, nsec, SLS_TIME_BUFSIZE);
        sls_fuzz_format(SLS_TIME_ZERO, nsec, SLS_TIME_BUFSIZE);
    }

    return 0;
}
