
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_time: Go's RFC3339Nano out and in, the fixed-width
 * logs form, and dockerd's since/until values. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_time.h>
#include "test.h"


typedef struct {
    const char  *name;
    int64_t      sec;
    long         nsec;
    const char  *nano;        /* RFC3339Nano, NULL: refused */
    const char  *fixed;       /* 9-digit fraction */
} sls_format_vector_t;


typedef struct {
    const char  *name;
    const char  *input;
    int          ok;
    int64_t      sec;
    long         nsec;
} sls_parse_vector_t;


typedef struct {
    const char  *name;
    const char  *input;
    const char  *err;         /* NULL: must parse */
    int64_t      sec;
    long         nsec;
} sls_ts_vector_t;


static const sls_format_vector_t  formats[] = {
    { "epoch", 0, 0, "1970-01-01T00:00:00Z",
      "1970-01-01T00:00:00.000000000Z" },
    { "Go's reference time", 1136214245, 0, "2006-01-02T15:04:05Z",
      "2006-01-02T15:04:05.000000000Z" },
    { "all nine digits", 1136214245, 123456789,
      "2006-01-02T15:04:05.123456789Z", "2006-01-02T15:04:05.123456789Z" },
    { "trailing zeros trimmed", 1136214245, 120000000,
      "2006-01-02T15:04:05.12Z", "2006-01-02T15:04:05.120000000Z" },
    { "one nanosecond", 1795357520, 1, "2026-11-22T14:25:20.000000001Z",
      "2026-11-22T14:25:20.000000001Z" },
    { "inner zeros kept", 1795357520, 100, "2026-11-22T14:25:20.0000001Z",
      "2026-11-22T14:25:20.000000100Z" },
    { "leap day", 1709208000, 0, "2024-02-29T12:00:00Z",
      "2024-02-29T12:00:00.000000000Z" },
    { "day after a leap century's February", 951868800, 0,
      "2000-03-01T00:00:00Z", "2000-03-01T00:00:00.000000000Z" },
    { "1900 had no leap day", -2203891200LL, 0, "1900-03-01T00:00:00Z",
      "1900-03-01T00:00:00.000000000Z" },
    { "one second before the epoch", -1, 0, "1969-12-31T23:59:59Z",
      "1969-12-31T23:59:59.000000000Z" },
    { "half a second before the epoch", -1, 500000000,
      "1969-12-31T23:59:59.5Z", "1969-12-31T23:59:59.500000000Z" },
    { "1600 was a leap year", -11670912001LL, 0, "1600-02-29T23:59:59Z",
      "1600-02-29T23:59:59.000000000Z" },
    { "zero sentinel", SLS_TIME_ZERO, 5, "0001-01-01T00:00:00Z",
      "0001-01-01T00:00:00.000000000Z" },
    { "zero time in seconds", SLS_TIME_ZERO_UNIX, 0, "0001-01-01T00:00:00Z",
      "0001-01-01T00:00:00.000000000Z" },
    { "last second of 9999", 253402300799LL, 999999999,
      "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z" },
    { "year 10000 is refused", 253402300800LL, 0, NULL, NULL },
    { "year -1 is refused", -62167219201LL, 0, NULL, NULL },
    { "nsec of a second is refused", 0, 1000000000, NULL, NULL },
    { "negative nsec is refused", 0, -1, NULL, NULL },
    { "INT64_MAX is refused", INT64_MAX, 0, NULL, NULL },
    { "INT64_MIN + 1 is refused", INT64_MIN + 1, 0, NULL, NULL },
};


static const sls_parse_vector_t  parses[] = {
    { "Z", "2006-01-02T15:04:05Z", 1, 1136214245, 0 },
    { "nanoseconds", "2006-01-02T15:04:05.123456789Z", 1, 1136214245,
      123456789 },
    { "short fraction", "2006-01-02T15:04:05.5Z", 1, 1136214245,
      500000000 },
    { "long fraction truncated", "2006-01-02T15:04:05.1234567899Z", 1,
      1136214245, 123456789 },
    { "positive offset", "2006-01-02T17:34:05+02:30", 1, 1136214245, 0 },
    { "negative offset", "2006-01-02T08:04:05-07:00", 1, 1136214245, 0 },
    { "offset across a day", "2006-01-01T23:04:05-16:00", 1, 1136214245,
      0 },
    { "zero time", "0001-01-01T00:00:00Z", 1, SLS_TIME_ZERO_UNIX, 0 },
    { "leap day", "2024-02-29T12:00:00Z", 1, 1709208000, 0 },
    { "before the epoch", "1969-12-31T23:59:59.5Z", 1, -1, 500000000 },
    { "no zone", "2006-01-02T15:04:05", 0, 0, 0 },
    { "lower-case t", "2006-01-02t15:04:05Z", 0, 0, 0 },
    { "space for T", "2006-01-02 15:04:05Z", 0, 0, 0 },
    { "February 30", "2006-02-30T15:04:05Z", 0, 0, 0 },
    { "February 29 of 1900", "1900-02-29T00:00:00Z", 0, 0, 0 },
    { "month 13", "2006-13-02T15:04:05Z", 0, 0, 0 },
    { "hour 24", "2006-01-02T24:00:00Z", 0, 0, 0 },
    { "second 60", "2006-01-02T15:04:60Z", 0, 0, 0 },
    { "empty fraction", "2006-01-02T15:04:05.Z", 0, 0, 0 },
    { "offset without colon", "2006-01-02T15:04:05+0200", 0, 0, 0 },
    { "offset hour 24", "2006-01-02T15:04:05+24:00", 0, 0, 0 },
    { "trailing garbage", "2006-01-02T15:04:05Zx", 0, 0, 0 },
    { "truncated offset", "2006-01-02T15:04:05+02:", 0, 0, 0 },
    { "one-digit day", "2006-01-2T15:04:05Z", 0, 0, 0 },
    { "empty", "", 0, 0, 0 },
};


static const sls_ts_vector_t  stamps[] = {
    { "empty gives the default", "", NULL, 42, 0 },
    { "seconds", "1136214245", NULL, 1136214245, 0 },
    { "with nanoseconds", "1136214245.000000001", NULL, 1136214245, 1 },
    { "short fraction is scaled", "1136214245.5", NULL, 1136214245,
      500000000 },
    { "long fraction is truncated", "1.1234567891", NULL, 1, 123456789 },
    { "negative seconds", "-5", NULL, -5, 0 },
    { "plus sign", "+5", NULL, 5, 0 },
    { "zero", "0", NULL, 0, 0 },
    { "int64 max", "9223372036854775807", NULL, INT64_MAX, 0 },
    { "int64 min", "-9223372036854775808", NULL, INT64_MIN, 0 },
    { "RFC 3339 (extension)", "2006-01-02T15:04:05.25Z", NULL, 1136214245,
      250000000 },
    { "letters", "abc", "strconv.ParseInt: parsing \"abc\": invalid syntax",
      0, 0 },
    { "empty seconds", ".5", "strconv.ParseInt: parsing \"\": invalid syntax",
      0, 0 },
    { "empty fraction", "5.",
      "strconv.ParseInt: parsing \"\": invalid syntax", 0, 0 },
    { "two dots", "1.2.3",
      "strconv.ParseInt: parsing \"2.3\": invalid syntax", 0, 0 },
    { "sign only", "-", "strconv.ParseInt: parsing \"-\": invalid syntax",
      0, 0 },
    { "signed fraction", "1.-5",
      "strconv.ParseInt: parsing \"-5\": invalid syntax", 0, 0 },
    { "duration", "10m",
      "strconv.ParseInt: parsing \"10m\": invalid syntax", 0, 0 },
    { "overflow", "9223372036854775808",
      "strconv.ParseInt: parsing \"9223372036854775808\": value out of "
      "range", 0, 0 },
    { "overflow then a letter", "99999999999999999999x",
      "strconv.ParseInt: parsing \"99999999999999999999x\": value out "
      "of range", 0, 0 },
    { "a letter then overflow", "x99999999999999999999",
      "strconv.ParseInt: parsing \"x99999999999999999999\": invalid "
      "syntax", 0, 0 },
    { "fraction overflow", "1.99999999999999999999",
      "strconv.ParseInt: parsing \"99999999999999999999\": value out of "
      "range", 0, 0 },
    { "a bad RFC 3339 time", "2006-01-02T25:00:00Z",
      "parsing time \"2006-01-02T25:00:00Z\": not an RFC 3339 time", 0, 0 },
};


typedef struct {
    const char  *name;
    int64_t      ns;
    const char  *expect;
} sls_dur_vector_t;


/* the examples of Go's time/time_test.go durationTests */
static const sls_dur_vector_t  durations[] = {
    { "zero", 0, "0s" },
    { "1ns", 1, "1ns" },
    { "1.1us", 1100, "1.1\xc2\xb5s" },
    { "2.2ms", 2200000, "2.2ms" },
    { "3.3s", 3300000000LL, "3.3s" },
    { "4m5s", 245000000000LL, "4m5s" },
    { "4m5.001s", 245001000000LL, "4m5.001s" },
    { "5h6m7.001s", 18367001000000LL, "5h6m7.001s" },
    { "8m0.000000001s", 480000000001LL, "8m0.000000001s" },
    { "one hour", 3600000000000LL, "1h0m0s" },
    { "thirty seconds", 30000000000LL, "30s" },
    { "half a second", 500000000LL, "500ms" },
    { "negative", -1000000000LL, "-1s" },
    { "max", INT64_MAX, "2562047h47m16.854775807s" },
};


int
main(void)
{
    int       ok, rc;
    char      buf[SLS_TIME_BUFSIZE], err[256], *p;
    long      nsec;
    size_t    i, n, len;
    int64_t   sec;

    for (i = 0; i < TEST_NELTS(formats); i++) {
        memset(buf, 'x', sizeof(buf));
        n = sls_time_rfc3339nano(buf, sizeof(buf), formats[i].sec,
                                 formats[i].nsec);

        if (formats[i].nano) {
            ok = n == strlen(formats[i].nano)
                 && strcmp(buf, formats[i].nano) == 0;

        } else {
            ok = n == 0;
        }

        if (!ok) {
            TEST_DIAG("got %zu \"%.*s\"", n, (int) sizeof(buf), buf);
        }

        TEST_OK(ok, "RFC3339Nano: %s", formats[i].name);

        n = sls_time_rfc3339nano_fixed(buf, sizeof(buf), formats[i].sec,
                                       formats[i].nsec);

        if (formats[i].fixed) {
            ok = n == strlen(formats[i].fixed)
                 && strcmp(buf, formats[i].fixed) == 0;

        } else {
            ok = n == 0;
        }

        TEST_OK(ok, "fixed: %s", formats[i].name);
    }

    memset(buf, 'x', sizeof(buf));
    n = sls_time_rfc3339nano(buf, 20, 1136214245, 0);
    TEST_OK(n == 0 && buf[19] == '\0' && buf[20] == 'x',
            "RFC3339Nano: a buffer one byte short fails without overrun");

    n = sls_time_rfc3339nano(buf, 21, 1136214245, 0);
    TEST_OK(n == 20, "RFC3339Nano: an exact buffer is enough");

    for (i = 0; i < TEST_NELTS(parses); i++) {
        len = strlen(parses[i].input);
        p = malloc(len ? len : 1);
        if (p == NULL) {
            return 1;
        }

        memcpy(p, parses[i].input, len);
        sec = 7;
        nsec = 7;
        rc = sls_time_parse_rfc3339(p, len, &sec, &nsec);
        free(p);

        if (parses[i].ok) {
            ok = rc == 0 && sec == parses[i].sec && nsec == parses[i].nsec;

        } else {
            ok = rc == -1;
        }

        if (!ok) {
            TEST_DIAG("rc %d sec %lld nsec %ld", rc, (long long) sec, nsec);
        }

        TEST_OK(ok, "parse: %s", parses[i].name);
    }

    ok = 1;

    for (sec = SLS_TIME_ZERO_UNIX; sec < 253402300799LL;
         sec += 86400 * 7 + 3601)
    {
        long     ns;
        int64_t  back;

        ns = (long) ((sec * 7919) % 1000000000);
        ns = ns < 0 ? -ns : ns;

        if (sls_time_rfc3339nano(buf, sizeof(buf), sec, ns) == 0
            || sls_time_parse_rfc3339(buf, strlen(buf), &back, &nsec) != 0
            || back != sec || nsec != ns)
        {
            TEST_DIAG("round trip of %lld.%09ld: \"%s\"", (long long) sec, ns,
                      buf);
            ok = 0;
            break;
        }
    }

    TEST_OK(ok, "round trip: a date every week from year 1 to 9999");

    for (i = 0; i < TEST_NELTS(stamps); i++) {
        len = strlen(stamps[i].input);
        p = malloc(len ? len : 1);
        if (p == NULL) {
            return 1;
        }

        memcpy(p, stamps[i].input, len);
        sec = 7;
        nsec = 7;
        err[0] = '\0';
        rc = sls_time_parse_timestamp(p, len, 42, &sec, &nsec, err,
                                      sizeof(err));
        free(p);

        if (stamps[i].err == NULL) {
            ok = rc == 0 && sec == stamps[i].sec && nsec == stamps[i].nsec;

        } else {
            ok = rc == -1 && strcmp(err, stamps[i].err) == 0;
        }

        if (!ok) {
            TEST_DIAG("rc %d sec %lld nsec %ld err \"%s\"", rc,
                      (long long) sec, nsec, err);
        }

        TEST_OK(ok, "since/until: %s", stamps[i].name);
    }

    for (i = 0; i < TEST_NELTS(durations); i++) {
        n = sls_time_go_duration(buf, sizeof(buf), durations[i].ns);
        ok = n == strlen(durations[i].expect)
             && strcmp(buf, durations[i].expect) == 0;

        if (!ok) {
            TEST_DIAG("got \"%s\"", n ? buf : "");
        }

        TEST_OK(ok, "go duration: %s", durations[i].name);
    }

    TEST_OK(sls_time_go_duration(buf, 3, 30000000000LL) == 0,
            "go duration: a buffer too small");

    return TEST_DONE();
}
