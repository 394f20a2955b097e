/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_filters: a parsed set is checked (unique keys
 * and values, accessors agree, validate against an allowed list), run
 * through every matcher, and written back as JSON with cJSON in both
 * forms, which must parse to the same set.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_filters.h>
#include "fuzz.h"


static void sls_fuzz_set(const sls_filters_t *f);
static void sls_fuzz_match(const sls_filters_t *f, const char *key);
static char *sls_fuzz_print(const sls_filters_t *f, int legacy);
static int sls_fuzz_same(const sls_filters_t *a, const sls_filters_t *b);


static const char *const  sls_fuzz_allowed[] = {
    "label", "label!", "name", "id", "status", "dangling", "until", NULL
};


static void
sls_fuzz_set(const sls_filters_t *f)
{
    int                  rc, allowed, v;
    char                 err[64];
    size_t               i, j, k, total;
    const sls_filter_t  *fl;

    total = 0;
    allowed = 1;

    for (i = 0; i < f->nkeys; i++) {
        fl = &f->keys[i];

        sls_fuzz_check(fl->key != NULL);
        sls_fuzz_check(sls_filters_has(f, fl->key));
        sls_fuzz_check(sls_filters_get(f, fl->key) == fl);
        sls_fuzz_check(sls_filters_count(f, fl->key) == fl->nvalues);
        sls_fuzz_check(sls_filters_value(f, fl->key, fl->nvalues) == NULL);

        for (k = 0; k < i; k++) {
            sls_fuzz_check(strcmp(f->keys[k].key, fl->key) != 0);
        }

        for (j = 0; j < fl->nvalues; j++) {
            sls_fuzz_check(sls_filters_value(f, fl->key, j)
                           == fl->values[j]);

            for (k = 0; k < j; k++) {
                sls_fuzz_check(strcmp(fl->values[k], fl->values[j]) != 0);
            }
        }

        total += fl->nvalues;

        for (k = 0; sls_fuzz_allowed[k]; k++) {
            if (strcmp(sls_fuzz_allowed[k], fl->key) == 0) {
                break;
            }
        }

        if (sls_fuzz_allowed[k] == NULL) {
            allowed = 0;
        }
    }

    sls_fuzz_check(total <= SLS_FILTERS_MAX_VALUES);

    err[0] = '\0';
    rc = sls_filters_validate(f, sls_fuzz_allowed, err, sizeof(err));
    sls_fuzz_check(rc == (allowed ? 0 : -1));
    sls_fuzz_check(rc == 0 || strncmp(err, "invalid filter '", 16) == 0);

    sls_fuzz_check(sls_filters_validate(f, NULL, NULL, 0)
                   == (f->nkeys ? -1 : 0));

    err[0] = '\0';
    rc = sls_filters_validate_status(f, err, 16);
    sls_fuzz_check(rc == 0 || (rc == -1 && strlen(err) == 15));

    v = 2;
    rc = sls_filters_bool(f, "dangling", 2, &v, err, sizeof(err));
    sls_fuzz_check((rc == 0 && v >= 0 && v <= 2)
                   || (rc == -1 && strlen(err) < sizeof(err)));

    /* a 1-byte buffer takes only the NUL */
    err[0] = 'x';
    err[1] = 'y';
    rc = sls_filters_bool(f, "dangling", 0, &v, err, 1);
    sls_fuzz_check(rc == 0 || (err[0] == '\0' && err[1] == 'y'));

    for (i = 0; i < f->nkeys; i++) {
        sls_fuzz_match(f, f->keys[i].key);
    }
}


static void
sls_fuzz_match(const sls_filters_t *f, const char *key)
{
    int                  regex;
    size_t               i;
    cJSON               *labels;
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, key);

    /*
     * back-references, a glibc extension to EREs (Go has none), can take
     * exponential time in regexec(); that is not what is tested
     */
    regex = 1;

    for (i = 0; i < fl->nvalues; i++) {
        if (strchr(fl->values[i], '\\')) {
            regex = 0;
        }
    }

    /* every value matches itself and is a prefix of itself */

    for (i = 0; i < fl->nvalues; i++) {
        sls_fuzz_check(sls_filters_match_exact(f, key, fl->values[i]));
        sls_fuzz_check(sls_filters_match_prefix(f, key, fl->values[i]));

        if (regex) {
            sls_fuzz_check(sls_filters_match_regex(f, key, fl->values[i]));
        }
    }

    /* with no values everything matches */

    if (fl->nvalues == 0) {
        sls_fuzz_check(sls_filters_match_exact(f, key, "x"));
        sls_fuzz_check(sls_filters_match_prefix(f, key, "x"));
        sls_fuzz_check(sls_filters_match_regex(f, key, "x"));
    }

    if (regex) {
        (void) sls_filters_match_regex(f, key, "/fuzzy_name");
    }

    /* labels: none, and an object made of the values themselves */

    (void) sls_filters_match_label(f, key, NULL);

    labels = cJSON_CreateObject();
    sls_fuzz_check(labels != NULL);

    for (i = 0; i < fl->nvalues; i++) {
        cJSON_AddStringToObject(labels, fl->values[i], "v");
    }

    cJSON_AddStringToObject(labels, "a", "b");

    (void) sls_filters_match_label(f, key, labels);
    (void) sls_filters_match_label(f, key, cJSON_GetObjectItem(labels, "a"));

    cJSON_Delete(labels);

    /* an absent key keeps everything */

    sls_fuzz_check(sls_filters_match_exact(f, "\x01no such key", "x"));
    sls_fuzz_check(sls_filters_match_label(f, "\x01no such key", NULL));
}


/* the set as JSON: {"k":{"v":true}} or the legacy {"k":["v"]} */
static char *
sls_fuzz_print(const sls_filters_t *f, int legacy)
{
    char                *s;
    size_t               i, j;
    cJSON               *root, *item;
    const sls_filter_t  *fl;

    root = cJSON_CreateObject();
    sls_fuzz_check(root != NULL);

    for (i = 0; i < f->nkeys; i++) {
        fl = &f->keys[i];

        item = legacy ? cJSON_CreateArray() : cJSON_CreateObject();
        sls_fuzz_check(item != NULL);

        for (j = 0; j < fl->nvalues; j++) {
            if (legacy) {
                cJSON_AddItemToArray(item,
                                     cJSON_CreateString(fl->values[j]));

            } else {
                cJSON_AddTrueToObject(item, fl->values[j]);
            }
        }

        cJSON_AddItemToObject(root, fl->key, item);
    }

    s = cJSON_PrintUnformatted(root);
    sls_fuzz_check(s != NULL);

    cJSON_Delete(root);

    return s;
}


static int
sls_fuzz_same(const sls_filters_t *a, const sls_filters_t *b)
{
    size_t  i, j;

    if (a->nkeys != b->nkeys) {
        return 0;
    }

    for (i = 0; i < a->nkeys; i++) {
        if (strcmp(a->keys[i].key, b->keys[i].key) != 0
            || a->keys[i].nvalues != b->keys[i].nvalues)
        {
            return 0;
        }

        for (j = 0; j < a->keys[i].nvalues; j++) {
            if (strcmp(a->keys[i].values[j], b->keys[i].values[j]) != 0) {
                return 0;
            }
        }
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             legacy;
    char           *p, *s, err[64];
    sls_filters_t  *f, *f2;

    /* an exact copy: ASan sees any read past the input */
    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    err[0] = '\0';
    f = sls_filters_parse(p, size, err, sizeof(err));

    if (f == NULL) {
        sls_fuzz_check(strcmp(err, "invalid filter") == 0
                       || strcmp(err, "out of memory") == 0);
        free(p);
        return 0;
    }

    sls_fuzz_set(f);

    for (legacy = 0; legacy < 2; legacy++) {
        s = sls_fuzz_print(f, legacy);

        f2 = sls_filters_parse(s, strlen(s), err, sizeof(err));

        /* a key with no values reads back in either form */
        sls_fuzz_check(f2 != NULL);
        sls_fuzz_check(sls_fuzz_same(f, f2));

        sls_filters_free(f2);
        cJSON_free(s);
    }

    /* NULL is "no filters" everywhere */

    sls_fuzz_check(sls_filters_validate(NULL, NULL, NULL, 0) == 0);
    sls_fuzz_check(!sls_filters_has(NULL, "label"));

    sls_filters_free(f);
    free(p);

    return 0;
}
