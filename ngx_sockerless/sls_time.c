
/*
 * Copyright (C) sockerless contributors
 *
 * Go's time formats as the Docker API uses them. nginx-free. The calendar
 * arithmetic is the proleptic Gregorian one, in 400-year eras.
 */


#include <stdio.h>
#include <string.h>
#include <sls_time.h>


/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define SLS_TIME_MIN_SEC   (-62167219200LL)
#define SLS_TIME_MAX_SEC   253402300799LL


static size_t sls_time_format(char *buf, size_t size, int64_t sec,
    long nsec, int fixed);
static void sls_time_civil(int64_t days, int64_t *y, int *m, int *d);
static int64_t sls_time_days(int64_t y, int m, int d);
static int sls_time_digits(const char *p, size_t n, int *value);
static int sls_time_parse_int(const char *p, size_t len, int sign_ok,
    int64_t *value, char *err, size_t size);


/* days since 1970-01-01 to a civil date */
static void
sls_time_civil(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t  z, era, doe, yoe, doy, mp;

    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}


/* a civil date to days since 1970-01-01 */
static int64_t
sls_time_days(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


static size_t
sls_time_format(char *buf, size_t size, int64_t sec, long nsec, int fixed)
{
    int      m, d, n, i;
    char     frac[16];
    int64_t  days, rem, y;

    if (sec == SLS_TIME_ZERO) {
        sec = SLS_TIME_ZERO_UNIX;
        nsec = 0;
    }

    if (sec < SLS_TIME_MIN_SEC || sec > SLS_TIME_MAX_SEC
        || nsec < 0 || nsec > 999999999)
    {
        return 0;
    }

    days = sec / 86400;
    rem = sec % 86400;

    if (rem < 0) {
        rem += 86400;
        days--;
    }

    sls_time_civil(days, &y, &m, &d);

    frac[0] = '\0';

    if (fixed || nsec) {
        snprintf(frac, sizeof(frac), ".%09ld", nsec);

        if (!fixed) {
            for (i = 9; frac[i] == '0'; i--) {
                frac[i] = '\0';
            }
        }
    }

    n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", (int) y, m,
                 d, (int) (rem / 3600), (int) (rem % 3600 / 60),
                 (int) (rem % 60), frac);

    if (n < 0 || (size_t) n >= size) {
        if (size) {
            buf[0] = '\0';
        }

        return 0;
    }

    return (size_t) n;
}


size_t
sls_time_rfc3339nano(char *buf, size_t size, int64_t sec, long nsec)
{
    return sls_time_format(buf, size, sec, nsec, 0);
}


size_t
sls_time_rfc3339nano_fixed(char *buf, size_t size, int64_t sec, long nsec)
{
    return sls_time_format(buf, size, sec, nsec, 1);
}


static int
sls_time_digits(const char *p, size_t n, int *value)
{
    size_t  i;

    *value = 0;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }

        *value = *value * 10 + (p[i] - '0');
    }

    return 0;
}


int
sls_time_parse_rfc3339(const char *p, size_t len, int64_t *sec, long *nsec)
{
    int          year, mon, day, hour, min, s, oh, om, mdays, leap;
    long         ns, scale;
    size_t       i;
    int64_t      off;
    const char  *end;

    static const int  month_days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    /* "2006-01-02T15:04:05Z" is the shortest form */
    if (len < 20
        || sls_time_digits(p, 4, &year) || p[4] != '-'
        || sls_time_digits(p + 5, 2, &mon) || p[7] != '-'
        || sls_time_digits(p + 8, 2, &day) || p[10] != 'T'
        || sls_time_digits(p + 11, 2, &hour) || p[13] != ':'
        || sls_time_digits(p + 14, 2, &min) || p[16] != ':'
        || sls_time_digits(p + 17, 2, &s))
    {
        return -1;
    }

    if (mon < 1 || mon > 12 || hour > 23 || min > 59 || s > 59) {
        return -1;
    }

    leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    mdays = month_days[mon - 1] + (mon == 2 && leap);

    if (day < 1 || day > mdays) {
        return -1;
    }

    end = p + len;
    p += 19;
    ns = 0;

    if (p < end && *p == '.') {
        p++;
        scale = 100000000;

        for (i = 0; p < end && *p >= '0' && *p <= '9'; i++, p++) {
            ns += (*p - '0') * scale;
            scale /= 10;
        }

        if (i == 0) {
            return -1;
        }
    }

    if (p == end) {
        return -1;
    }

    if (*p == 'Z') {
        off = 0;
        p++;

    } else if (*p == '+' || *p == '-') {
        if (end - p < 6
            || sls_time_digits(p + 1, 2, &oh) || p[3] != ':'
            || sls_time_digits(p + 4, 2, &om)
            || oh > 23 || om > 59)
        {
            return -1;
        }

        off = (int64_t) oh * 3600 + om * 60;

        if (*p == '-') {
            off = -off;
        }

        p += 6;

    } else {
        return -1;
    }

    if (p != end) {
        return -1;
    }

    *sec = sls_time_days(year, mon, day) * 86400
           + (int64_t) hour * 3600 + min * 60 + s - off;
    *nsec = ns;

    return 0;
}


/* Go's strconv.ParseInt(s, 10, 64), with its error text */
static int
sls_time_parse_int(const char *p, size_t len, int sign_ok, int64_t *value,
    char *err, size_t size)
{
    int          neg;
    size_t       i;
    uint64_t     v, max;
    const char  *why;

    neg = 0;
    i = 0;
    v = 0;
    why = "invalid syntax";

    if (sign_ok && len && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }

    if (i == len) {
        goto failed;
    }

    max = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;

    for ( /* void */ ; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            goto failed;
        }

        if (v > (max - (uint64_t) (p[i] - '0')) / 10) {
            /* like Go, stop at the overflow, whatever follows */
            why = "value out of range";
            goto failed;
        }

        v = v * 10 + (uint64_t) (p[i] - '0');
    }

    *value = neg ? (int64_t) (0 - v) : (int64_t) v;

    return 0;

failed:

    if (size) {
        snprintf(err, size, "strconv.ParseInt: parsing \"%.*s\": %s",
                 len > 256 ? 256 : (int) len, p, why);
    }

    return -1;
}


int
sls_time_parse_timestamp(const char *p, size_t len, int64_t def_sec,
    int64_t *sec, long *nsec, char *err, size_t size)
{
    size_t       n;
    int64_t      s, f;
    const char  *dot;

    if (len == 0) {
        *sec = def_sec;
        *nsec = 0;
        return 0;
    }

    if (memchr(p, 'T', len) != NULL) {
        if (sls_time_parse_rfc3339(p, len, sec, nsec) == 0) {
            return 0;
        }

        if (size) {
            snprintf(err, size, "parsing time \"%.*s\": not an RFC 3339 time",
                     len > 256 ? 256 : (int) len, p);
        }

        return -1;
    }

    dot = memchr(p, '.', len);
    n = dot ? (size_t) (dot - p) : len;

    if (sls_time_parse_int(p, n, 1, &s, err, size) != 0) {
        return -1;
    }

    f = 0;

    if (dot) {
        p = dot + 1;
        n = len - n - 1;

        if (sls_time_parse_int(p, n, 0, &f, err, size) != 0) {
            return -1;
        }

        /* scale to nanoseconds; past 9 digits the extra ones drop */
        for ( /* void */ ; n < 9; n++) {
            f *= 10;
        }

        for ( /* void */ ; n > 9; n--) {
            f /= 10;
        }
    }

    *sec = s;
    *nsec = (long) f;

    return 0;
}


/*
 * Go's algorithm: below a second the largest unit that keeps an integer
 * part (ns, µs, ms) with the fraction's trailing zeros trimmed; from a
 * second on "[Hh][Mm]S[.f]s", hours and minutes shown once they start
 */

size_t
sls_time_go_duration(char *buf, size_t size, int64_t ns)
{
    int          neg, prec, i, trimmed;
    char         tmp[SLS_TIME_BUFSIZE], *p, *e;
    size_t       len;
    uint64_t     u, frac, unit, h, m;
    const char  *suffix;

    neg = ns < 0;
    u = neg ? (uint64_t) 0 - (uint64_t) ns : (uint64_t) ns;

    e = tmp + sizeof(tmp);
    p = e;

    if (u == 0) {
        p -= 2;
        memcpy(p, "0s", 2);
        goto done;
    }

    if (u < 1000000000ULL) {
        if (u < 1000) {
            unit = 1;
            prec = 0;
            suffix = "ns";

        } else if (u < 1000000) {
            unit = 1000;
            prec = 3;
            suffix = "\xc2\xb5s";

        } else {
            unit = 1000000;
            prec = 6;
            suffix = "ms";
        }

        len = strlen(suffix);
        p -= len;
        memcpy(p, suffix, len);

    } else {
        unit = 1000000000ULL;
        prec = 9;
        *--p = 's';
    }

    frac = u % unit;
    u /= unit;

    /* the fraction, trailing zeros dropped */

    trimmed = 0;

    for (i = 0; i < prec; i++) {
        if (!trimmed && frac % 10 == 0) {
            frac /= 10;
            continue;
        }

        trimmed = 1;
        *--p = (char) ('0' + frac % 10);
        frac /= 10;
    }

    if (trimmed) {
        *--p = '.';
    }

    if (unit < 1000000000ULL) {
        do {
            *--p = (char) ('0' + u % 10);
            u /= 10;
        } while (u);

        goto done;
    }

    h = u / 3600;
    m = (u / 60) % 60;
    u %= 60;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (h || m) {
        *--p = 'm';

        do {
            *--p = (char) ('0' + m % 10);
            m /= 10;
        } while (m);
    }

    if (h) {
        *--p = 'h';

        do {
            *--p = (char) ('0' + h % 10);
            h /= 10;
        } while (h);
    }

done:

    if (neg) {
        *--p = '-';
    }

    len = (size_t) (e - p);

    if (len + 1 > size) {
        return 0;
    }

    memcpy(buf, p, len);
    buf[len] = '\0';

    return len;
}
