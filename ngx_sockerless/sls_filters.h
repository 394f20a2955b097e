
/*
 * Copyright (C) sockerless contributors
 *
 * The Docker API "filters" query parameter: parsing, key validation and the
 * matchers dockerd applies (api/types/filters). nginx-free.
 */


#ifndef _SLS_FILTERS_H_INCLUDED_
#define _SLS_FILTERS_H_INCLUDED_


#include <stddef.h>
#include <cjson/cJSON.h>


/* more values than this in one parameter is refused as "invalid filter" */
#define SLS_FILTERS_MAX_VALUES  1024


typedef struct {
    char     *key;
    char    **values;     /* a set: duplicates are dropped */
    size_t    nvalues;    /* may be 0: {"label":{}} still "has" label */
} sls_filter_t;


/*
 * Memory: sls_filters_parse() allocates the whole structure with malloc();
 * the caller owns it and releases it with sls_filters_free(). Pointers
 * returned by the accessors point into it. Every function takes NULL as
 * "no filters".
 */
typedef struct sls_filters_s {
    sls_filter_t  *keys;
    size_t         nkeys;
} sls_filters_t;


/*
 * Parses the JSON text p (len bytes, need not be NUL-terminated) in either
 * form, {"label":{"a=b":true}} or the pre-1.22 {"label":["a=b"]}; an empty
 * text is an empty set. On failure returns NULL with dockerd's message in
 * err ("invalid filter"; HTTP 400) or a note that memory ran out.
 */
sls_filters_t *sls_filters_parse(const char *p, size_t len, char *err,
    size_t size);

void sls_filters_free(sls_filters_t *f);

/*
 * Checks every key against the NULL-terminated list allowed. Returns 0,
 * or -1 with "invalid filter '<key>'" in err (HTTP 400).
 */
int sls_filters_validate(const sls_filters_t *f, const char *const *allowed,
    char *err, size_t size);

/* 1 when key is present, even with no values */
int sls_filters_has(const sls_filters_t *f, const char *key);

/* the key's entry, NULL when absent; iterate values[0 .. nvalues - 1] */
const sls_filter_t *sls_filters_get(const sls_filters_t *f, const char *key);

/* the number of values of key, and the i-th of them (NULL past the end) */
size_t sls_filters_count(const sls_filters_t *f, const char *key);
const char *sls_filters_value(const sls_filters_t *f, const char *key,
    size_t i);


/*
 * The matchers return 1 (keep the object) or 0. Like dockerd, each returns
 * 1 when key is absent or has no values.
 *
 * match_label: every value must hold (AND) against labels, a cJSON object
 * of string values (NULL = no labels): "k" the label exists, "k=v" it has
 * the value v, and, as an extension over dockerd's MatchKVList, "k!=v" it
 * is absent or has another value. For prune's "label!" key call it with
 * "label!" and drop the object when it returns 1 and the key is present.
 */
int sls_filters_match_label(const sls_filters_t *f, const char *key,
    const cJSON *labels);

/* s equals one of the values */
int sls_filters_match_exact(const sls_filters_t *f, const char *key,
    const char *s);

/* s equals or starts with one of the values (dockerd's FuzzyMatch; "id") */
int sls_filters_match_prefix(const sls_filters_t *f, const char *key,
    const char *s);

/*
 * s equals one of the values or one of them, as a POSIX extended regular
 * expression, matches anywhere in s (dockerd's Match, which uses Go's
 * regexp; "name" matches against the name with its leading '/').
 * Values that do not compile are skipped, as dockerd does.
 */
int sls_filters_match_regex(const sls_filters_t *f, const char *key,
    const char *s);

/*
 * Checks the "status" values; returns 0, or -1 with dockerd's message:
 * "invalid filter 'status=X': invalid value for state (X): must be one of
 * created, running, paused, restarting, removing, exited, dead".
 */
int sls_filters_validate_status(const sls_filters_t *f, char *err,
    size_t size);

/* 1 when s is one of dockerd's container states */
int sls_filters_status_valid(const char *s);

/*
 * dockerd's GetBoolOrDefault: *value = def when key is absent; "1"/"true"
 * and "0"/"false" otherwise. Returns 0, or -1 with "invalid filter '<key>'"
 * (no values) or "invalid filter '<key>=[v1 v2]'" (none or both kinds).
 */
int sls_filters_bool(const sls_filters_t *f, const char *key, int def,
    int *value, char *err, size_t size);


#endif /* _SLS_FILTERS_H_INCLUDED_ */
