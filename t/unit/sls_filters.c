
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_filters: both JSON forms, refusals in dockerd's words,
 * and the label, id, name and status matchers. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_filters.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *json;
    const char  *err;       /* NULL: must parse */
    const char  *dump;      /* "key=v1,v2;key2=" in input order */
} sls_parse_vector_t;


typedef struct {
    const char  *name;
    const char  *json;
    const char  *labels;
    int          match;
} sls_label_vector_t;


typedef enum {
    SLS_T_EXACT,
    SLS_T_PREFIX,
    SLS_T_REGEX
} sls_matcher_e;


typedef struct {
    const char     *name;
    sls_matcher_e   matcher;
    const char     *json;
    const char     *key;
    const char     *s;
    int             match;
} sls_match_vector_t;


typedef struct {
    const char  *name;
    const char  *json;
    int          value;     /* expected, with default 7 */
    const char  *err;
} sls_bool_vector_t;


static const sls_parse_vector_t  parses[] = {
    { "map form", "{\"label\":{\"a=b\":true,\"c\":true}}", NULL,
      "label=a=b,c;" },
    { "legacy form", "{\"label\":[\"a=b\",\"c\"]}", NULL, "label=a=b,c;" },
    { "empty text", "", NULL, "" },
    { "empty object", "{}", NULL, "" },
    { "null", " null ", NULL, "" },
    { "false values still count, as in Go",
      "{\"status\":{\"running\":false}}", NULL, "status=running;" },
    { "key with no values", "{\"label\":{}}", NULL, "label=;" },
    { "legacy, empty list", "{\"label\":[]}", NULL, "label=;" },
    { "null key value", "{\"label\":null}", NULL, "label=;" },
    { "duplicate values collapse",
      "{\"name\":[\"a\",\"a\",\"b\"]}", NULL, "name=a,b;" },
    { "repeated key: the last wins",
      "{\"name\":{\"a\":true},\"name\":{\"b\":true}}", NULL, "name=b;" },
    { "two keys", "{\"name\":{\"web\":true},\"status\":{\"exited\":true}}",
      NULL, "name=web;status=exited;" },
    { "unicode escapes", "{\"name\":[\"caf\\u00e9\"]}", NULL,
      "name=caf\xc3\xa9;" },
    { "not JSON", "label=a", "invalid filter", NULL },
    { "truncated", "{\"label\":{\"a\":true}", "invalid filter", NULL },
    { "trailing garbage", "{\"label\":[\"a\"]} x", "invalid filter", NULL },
    { "an array at the top", "[\"a\"]", "invalid filter", NULL },
    { "a string value", "{\"label\":\"a\"}", "invalid filter", NULL },
    { "string instead of bool", "{\"label\":{\"a\":\"true\"}}",
      "invalid filter", NULL },
    { "number in a list", "{\"label\":[1]}", "invalid filter", NULL },
    { "mixed forms", "{\"a\":{\"x\":true},\"b\":[\"y\"]}", "invalid filter",
      NULL },
    { "nested too deep", "{\"a\":{\"b\":{\"c\":true}}}", "invalid filter",
      NULL },
};


static const sls_label_vector_t  labels[] = {
    { "no label filter", "{}", "{\"a\":\"1\"}", 1 },
    { "key exists", "{\"label\":{\"a\":true}}", "{\"a\":\"1\"}", 1 },
    { "key missing", "{\"label\":{\"b\":true}}", "{\"a\":\"1\"}", 0 },
    { "key=value equal", "{\"label\":{\"a=1\":true}}", "{\"a\":\"1\"}", 1 },
    { "key=value differs", "{\"label\":{\"a=2\":true}}", "{\"a\":\"1\"}",
      0 },
    { "key= matches an empty value", "{\"label\":[\"a=\"]}",
      "{\"a\":\"\"}", 1 },
    { "value holds '='", "{\"label\":[\"a=b=c\"]}", "{\"a\":\"b=c\"}", 1 },
    { "all values must hold", "{\"label\":[\"a=1\",\"b\"]}",
      "{\"a\":\"1\"}", 0 },
    { "all values hold", "{\"label\":[\"a=1\",\"b\"]}",
      "{\"a\":\"1\",\"b\":\"x\"}", 1 },
    { "no labels at all", "{\"label\":[\"a\"]}", NULL, 0 },
    { "empty labels", "{\"label\":[\"a\"]}", "{}", 0 },
    { "key!=value, other value", "{\"label\":[\"a!=2\"]}", "{\"a\":\"1\"}",
      1 },
    { "key!=value, same value", "{\"label\":[\"a!=1\"]}", "{\"a\":\"1\"}",
      0 },
    { "key!=value, label absent", "{\"label\":[\"a!=1\"]}", "{}", 1 },
    { "case matters", "{\"label\":[\"A\"]}", "{\"a\":\"1\"}", 0 },
};


static const sls_match_vector_t  matches[] = {
    { "exact: absent key keeps all", SLS_T_EXACT, "{}", "id", "abc", 1 },
    { "exact: empty value set keeps all", SLS_T_EXACT, "{\"id\":[]}", "id",
      "abc", 1 },
    { "exact: equal", SLS_T_EXACT, "{\"id\":[\"abc\"]}", "id", "abc", 1 },
    { "exact: prefix is not enough", SLS_T_EXACT, "{\"id\":[\"ab\"]}", "id",
      "abc", 0 },
    { "prefix: id prefix", SLS_T_PREFIX, "{\"id\":[\"4f2\"]}", "id",
      "4f2a9c", 1 },
    { "prefix: one of two", SLS_T_PREFIX, "{\"id\":[\"zz\",\"4f\"]}", "id",
      "4f2a9c", 1 },
    { "prefix: not a prefix", SLS_T_PREFIX, "{\"id\":[\"f2a\"]}", "id",
      "4f2a9c", 0 },
    { "prefix: longer than the id", SLS_T_PREFIX, "{\"id\":[\"4f2a9c0\"]}",
      "id", "4f2a9c", 0 },
    { "regex: substring", SLS_T_REGEX, "{\"name\":[\"eb\"]}", "name",
      "/web", 1 },
    { "regex: anchored", SLS_T_REGEX, "{\"name\":[\"^/web$\"]}", "name",
      "/web", 1 },
    { "regex: anchored, longer name", SLS_T_REGEX, "{\"name\":[\"^/web$\"]}",
      "name", "/web2", 0 },
    { "regex: alternation", SLS_T_REGEX, "{\"name\":[\"^/(db|web)\"]}",
      "name", "/db1", 1 },
    { "regex: no match", SLS_T_REGEX, "{\"name\":[\"api\"]}", "name",
      "/web", 0 },
    { "regex: a bad pattern is skipped", SLS_T_REGEX,
      "{\"name\":[\"(\",\"we\"]}", "name", "/web", 1 },
    { "regex: a bad pattern alone matches nothing", SLS_T_REGEX,
      "{\"name\":[\"(\"]}", "name", "/web", 0 },
    { "regex: an exact value that is a bad pattern", SLS_T_REGEX,
      "{\"name\":[\"a(\"]}", "name", "a(", 1 },
    /* found by fuzzing: glibc's regcomp() took 1.6 GB on this one */
    { "regex: nested repetitions too large are skipped", SLS_T_REGEX,
      "{\"name\":[\"((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)"
      "+)+)+\",\"we\"]}", "name", "/web", 1 },
    { "regex: chained repetitions too large are skipped", SLS_T_REGEX,
      "{\"name\":[\"w+++++++++++++++++++++++++++++\"]}", "name", "/web",
      0 },
    { "regex: repeat count over 1000 is skipped", SLS_T_REGEX,
      "{\"name\":[\"(w{1001}){1001}\"]}", "name", "/web", 0 },
    { "regex: nested repetitions within the limit", SLS_T_REGEX,
      "{\"name\":[\"^/((w+)+e+)+[[:alpha:]]{1,3}$\"]}", "name", "/web",
      1 },
    { "regex: brackets and escapes", SLS_T_REGEX,
      "{\"name\":[\"^/[]a-z[.-.]]+\\\\.?$\"]}", "name", "/web", 1 },
    { "regex: a back-reference is skipped, as dockerd has none",
      SLS_T_REGEX, "{\"name\":[\"^/(w)\\\\1\"]}", "name", "/ww", 0 },
    { "regex: an escaped character is not a back-reference",
      SLS_T_REGEX, "{\"name\":[\"^/w\\\\.\"]}", "name", "/w.", 1 },
};


static const sls_bool_vector_t  bools[] = {
    { "absent: default", "{}", 7, NULL },
    { "true", "{\"dangling\":[\"true\"]}", 1, NULL },
    { "1", "{\"dangling\":[\"1\"]}", 1, NULL },
    { "false", "{\"dangling\":{\"false\":true}}", 0, NULL },
    { "0 and false", "{\"dangling\":[\"0\",\"false\"]}", 0, NULL },
    { "no values", "{\"dangling\":[]}", 7, "invalid filter 'dangling'" },
    { "neither", "{\"dangling\":[\"maybe\"]}", 7,
      "invalid filter 'dangling=[maybe]'" },
    { "both", "{\"dangling\":[\"true\",\"0\"]}", 7,
      "invalid filter 'dangling=[true 0]'" },
};


static void sls_dump(const sls_filters_t *f, char *buf, size_t size);
static sls_filters_t *sls_parse(const char *json);


static void
sls_dump(const sls_filters_t *f, char *buf, size_t size)
{
    size_t  i, j, n;

    n = 0;
    buf[0] = '\0';

    for (i = 0; i < f->nkeys && n < size; i++) {
        n += (size_t) snprintf(buf + n, size - n, "%s=", f->keys[i].key);

        for (j = 0; j < f->keys[i].nvalues && n < size; j++) {
            n += (size_t) snprintf(buf + n, size - n, "%s%s", j ? "," : "",
                                   f->keys[i].values[j]);
        }

        if (n < size) {
            n += (size_t) snprintf(buf + n, size - n, ";");
        }
    }
}


/* parses from an exact-size heap copy without a NUL, for ASan */
static sls_filters_t *
sls_parse(const char *json)
{
    char           *p, err[128];
    size_t          len;
    sls_filters_t  *f;

    len = strlen(json);
    p = malloc(len + 1);
    if (p == NULL) {
        return NULL;
    }

    memcpy(p, json, len);
    f = sls_filters_parse(p, len, err, sizeof(err));
    free(p);

    return f;
}


int
main(void)
{
    int                  ok, v;
    char                 err[256], buf[512], *p;
    size_t               i, len;
    sls_filters_t       *f;
    const sls_filter_t  *fl;
    cJSON               *lb;

    static const char *const  allowed[] = {
        "label", "name", "id", "status", NULL
    };

    for (i = 0; i < TEST_NELTS(parses); i++) {
        len = strlen(parses[i].json);
        p = malloc(len ? len : 1);
        if (p == NULL) {
            return 1;
        }

        memcpy(p, parses[i].json, len);
        strcpy(err, "unset");
        f = sls_filters_parse(p, len, err, sizeof(err));
        free(p);

        if (parses[i].err) {
            ok = f == NULL && strcmp(err, parses[i].err) == 0;

        } else {
            ok = f != NULL;

            if (ok) {
                sls_dump(f, buf, sizeof(buf));
                ok = strcmp(buf, parses[i].dump) == 0;
                if (!ok) {
                    TEST_DIAG("got \"%s\"", buf);
                }
            }
        }

        TEST_OK(ok, "parse: %s", parses[i].name);
        sls_filters_free(f);
    }

    f = sls_parse("{\"label\":[\"a\"],\"status\":[\"running\"]}");
    TEST_OK(f && sls_filters_validate(f, allowed, err, sizeof(err)) == 0,
            "validate: allowed keys");
    TEST_OK(sls_filters_has(f, "label") && !sls_filters_has(f, "name")
            && sls_filters_count(f, "status") == 1
            && strcmp(sls_filters_value(f, "status", 0), "running") == 0
            && sls_filters_value(f, "status", 1) == NULL
            && sls_filters_get(f, "nope") == NULL,
            "accessors: has, count, value, get");
    sls_filters_free(f);

    f = sls_parse("{\"label\":[\"a\"],\"bogus\":[\"1\"]}");
    TEST_OK(f && sls_filters_validate(f, allowed, err, sizeof(err)) == -1
            && strcmp(err, "invalid filter 'bogus'") == 0,
            "validate: unknown key in dockerd's words");
    sls_filters_free(f);

    TEST_OK(sls_filters_validate(NULL, allowed, err, sizeof(err)) == 0
            && !sls_filters_has(NULL, "label")
            && sls_filters_match_exact(NULL, "id", "x")
            && sls_filters_match_regex(NULL, "name", "x")
            && sls_filters_match_label(NULL, "label", NULL),
            "NULL filters keep everything");

    for (i = 0; i < TEST_NELTS(labels); i++) {
        f = sls_parse(labels[i].json);
        lb = labels[i].labels ? cJSON_Parse(labels[i].labels) : NULL;
        TEST_OK(f && sls_filters_match_label(f, "label", lb)
                     == labels[i].match, "label: %s", labels[i].name);
        cJSON_Delete(lb);
        sls_filters_free(f);
    }

    for (i = 0; i < TEST_NELTS(matches); i++) {
        f = sls_parse(matches[i].json);
        ok = f != NULL;

        if (ok) {
            switch (matches[i].matcher) {
            case SLS_T_EXACT:
                v = sls_filters_match_exact(f, matches[i].key, matches[i].s);
                break;
            case SLS_T_PREFIX:
                v = sls_filters_match_prefix(f, matches[i].key,
                                             matches[i].s);
                break;
            default:
                v = sls_filters_match_regex(f, matches[i].key, matches[i].s);
            }

            ok = v == matches[i].match;
        }

        TEST_OK(ok, "match %s", matches[i].name);
        sls_filters_free(f);
    }

    f = sls_parse("{\"status\":[\"running\",\"exited\",\"created\","
                  "\"paused\",\"restarting\",\"removing\",\"dead\"]}");
    TEST_OK(f && sls_filters_validate_status(f, err, sizeof(err)) == 0,
            "status: all seven states");
    sls_filters_free(f);

    f = sls_parse("{\"status\":[\"running\",\"stopped\"]}");
    TEST_OK(f && sls_filters_validate_status(f, err, sizeof(err)) == -1
            && strcmp(err, "invalid filter 'status=stopped': invalid value "
                      "for state (stopped): must be one of created, "
                      "running, paused, restarting, removing, exited, dead")
               == 0, "status: stopped in dockerd's words");
    sls_filters_free(f);

    f = sls_parse("{\"status\":[\"Running\"]}");
    TEST_OK(f && sls_filters_validate_status(f, err, 16) == -1
            && strlen(err) == 15, "status: case matters; error truncated "
            "to the buffer");
    sls_filters_free(f);

    for (i = 0; i < TEST_NELTS(bools); i++) {
        f = sls_parse(bools[i].json);
        err[0] = '\0';
        ok = f != NULL;

        if (ok) {
            ok = sls_filters_bool(f, "dangling", 7, &v, err, sizeof(err))
                 == (bools[i].err ? -1 : 0)
                 && v == bools[i].value
                 && (bools[i].err == NULL || strcmp(err, bools[i].err) == 0);
        }

        TEST_OK(ok, "bool: %s", bools[i].name);
        sls_filters_free(f);
    }

    p = malloc(20 * (SLS_FILTERS_MAX_VALUES + 1) + 16);
    if (p == NULL) {
        return 1;
    }

    len = (size_t) sprintf(p, "{\"name\":[");
    for (i = 0; i <= SLS_FILTERS_MAX_VALUES; i++) {
        len += (size_t) sprintf(p + len, "%s\"v%zu\"", i ? "," : "", i);
    }
    len += (size_t) sprintf(p + len, "]}");

    f = sls_filters_parse(p, len, err, sizeof(err));
    TEST_OK(f == NULL && strcmp(err, "invalid filter") == 0,
            "parse: more than %d values is refused", SLS_FILTERS_MAX_VALUES);
    sls_filters_free(f);

    /* one fewer is fine */
    strcpy(strrchr(p, ',') ? strrchr(p, ',') : p, "]}");
    f = sls_filters_parse(p, strlen(p), err, sizeof(err));
    fl = sls_filters_get(f, "name");
    TEST_OK(fl && fl->nvalues == SLS_FILTERS_MAX_VALUES,
            "parse: %d values are accepted", SLS_FILTERS_MAX_VALUES);
    sls_filters_free(f);
    free(p);

    return TEST_DONE();
}
