
/*
 * Copyright (C) sockerless contributors
 *
 * Go's time formats as the Docker API uses them: RFC 3339 with nanoseconds
 * out and in, and the since/until query values. nginx-free.
 */


#ifndef _SLS_TIME_H_INCLUDED_
#define _SLS_TIME_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * Pass sec = SLS_TIME_ZERO to format Go's zero time.Time,
 * "0001-01-01T00:00:00Z" (what dockerd shows for a container never
 * started). SLS_TIME_ZERO_UNIX is that instant in Unix seconds, which is
 * also what parsing "0001-01-01T00:00:00Z" gives.
 */
#define SLS_TIME_ZERO        INT64_MIN
#define SLS_TIME_ZERO_UNIX   (-62135596800LL)

/* enough for every output of this file, NUL included */
#define SLS_TIME_BUFSIZE     40


/*
 * Go's time.RFC3339Nano in UTC: "2006-01-02T15:04:05.999999999Z", the
 * fraction's trailing zeros trimmed and no fraction when nsec is 0.
 * Returns the length written (a NUL follows), or 0 when buf is too small,
 * nsec is outside 0..999999999, or the year is outside 0..9999 (which Go's
 * JSON encoding refuses too).
 */
size_t sls_time_rfc3339nano(char *buf, size_t size, int64_t sec, long nsec);

/*
 * The same with the fraction always 9 digits, Go's
 * "2006-01-02T15:04:05.000000000Z07:00": docker logs --timestamps.
 */
size_t sls_time_rfc3339nano_fixed(char *buf, size_t size, int64_t sec,
    long nsec);

/*
 * Parses Go's RFC3339 / RFC3339Nano: "YYYY-MM-DDTHH:MM:SS[.f+](Z|+hh:mm|
 * -hh:mm)", exactly len bytes, checked as Go checks them (day of month,
 * hours < 24, ...). Fraction digits past the ninth are dropped, as Go
 * does. Returns 0 with *sec (UTC) and *nsec set, or -1.
 */
int sls_time_parse_rfc3339(const char *p, size_t len, int64_t *sec,
    long *nsec);

/*
 * A since/until query value, as dockerd's timetypes.ParseTimestamps reads
 * it: Unix seconds (optional sign) with an optional ".fraction" (scaled to
 * nanoseconds; digits past the ninth dropped). As an extension, a value
 * holding a 'T' is parsed as RFC 3339 above. An empty value gives def_sec
 * and 0. Returns 0, or -1 with err set to Go's text, e.g.
 * `strconv.ParseInt: parsing "abc": invalid syntax` (HTTP 400). Unlike Go,
 * a sign in the fraction is refused.
 */
int sls_time_parse_timestamp(const char *p, size_t len, int64_t def_sec,
    int64_t *sec, long *nsec, char *err, size_t size);

/*
 * Go's time.Duration.String() of ns nanoseconds: "0s", "500ms", "1.5s",
 * "1m30s", "1h0m0s", "1.5µs" (as UTF-8). Returns the length written (a
 * NUL follows), or 0 when buf is too small (SLS_TIME_BUFSIZE suffices).
 */
size_t sls_time_go_duration(char *buf, size_t size, int64_t ns);


#endif /* _SLS_TIME_H_INCLUDED_ */
