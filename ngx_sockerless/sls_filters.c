
/*
 * Copyright (C) sockerless contributors
 *
 * The Docker API "filters" query parameter: parsing, key validation and the
 * matchers dockerd applies. nginx-free.
 */


#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_filters.h>


#define SLS_FILTERS_MAP     1
#define SLS_FILTERS_LEGACY  2

/* patterns larger than this, in the size estimate below, are skipped */
#define SLS_FILTERS_REGEX_MAX    20000
#define SLS_FILTERS_REGEX_DEPTH  64


static int sls_filters_form(const cJSON *root);
static int sls_filters_add_key(sls_filters_t *f, const char *key);
static int sls_filters_add_value(sls_filter_t *fl, const char *value,
    size_t *total);
static void sls_filters_clear(sls_filter_t *fl);
static int sls_filters_label(const char *cond, const cJSON *labels);
static int sls_filters_regex_large(const char *re);
static int sls_filters_match_any(const sls_filters_t *f, const char *key,
    const char *s, int prefix);
static void sls_filters_set_err(char *err, size_t size, const char *msg);


static const char  *sls_filters_states[] = {
    "created", "running", "paused", "restarting", "removing", "exited",
    "dead", NULL
};


static void
sls_filters_set_err(char *err, size_t size, const char *msg)
{
    if (size) {
        snprintf(err, size, "%s", msg);
    }
}


/* which of Go's two decodings would accept root: map form first */
static int
sls_filters_form(const cJSON *root)
{
    int           map, legacy;
    const cJSON  *item, *v;

    map = 1;
    legacy = 1;

    cJSON_ArrayForEach(item, root) {

        if (cJSON_IsNull(item)) {
            continue;
        }

        if (cJSON_IsObject(item)) {
            legacy = 0;

            cJSON_ArrayForEach(v, item) {
                if (!cJSON_IsBool(v) && !cJSON_IsNull(v)) {
                    map = 0;
                }
            }

        } else if (cJSON_IsArray(item)) {
            map = 0;

            cJSON_ArrayForEach(v, item) {
                if (!cJSON_IsString(v) && !cJSON_IsNull(v)) {
                    legacy = 0;
                }
            }

        } else {
            return 0;
        }
    }

    if (map) {
        return SLS_FILTERS_MAP;
    }

    return legacy ? SLS_FILTERS_LEGACY : 0;
}


/* returns the index of key, added (emptied when it repeats) */
static int
sls_filters_add_key(sls_filters_t *f, const char *key)
{
    size_t         i;
    sls_filter_t  *keys;

    for (i = 0; i < f->nkeys; i++) {
        if (strcmp(f->keys[i].key, key) == 0) {
            /* a repeated key replaces the earlier one, as in Go */
            sls_filters_clear(&f->keys[i]);
            return (int) i;
        }
    }

    keys = realloc(f->keys, (f->nkeys + 1) * sizeof(sls_filter_t));
    if (keys == NULL) {
        return -1;
    }

    f->keys = keys;

    keys[f->nkeys].key = strdup(key);
    if (keys[f->nkeys].key == NULL) {
        return -1;
    }

    keys[f->nkeys].values = NULL;
    keys[f->nkeys].nvalues = 0;

    return (int) f->nkeys++;
}


static int
sls_filters_add_value(sls_filter_t *fl, const char *value, size_t *total)
{
    char   **values;
    size_t   i;

    for (i = 0; i < fl->nvalues; i++) {
        if (strcmp(fl->values[i], value) == 0) {
            return 0;
        }
    }

    if (++*total > SLS_FILTERS_MAX_VALUES) {
        return 1;
    }

    values = realloc(fl->values, (fl->nvalues + 1) * sizeof(char *));
    if (values == NULL) {
        return -1;
    }

    fl->values = values;

    values[fl->nvalues] = strdup(value);
    if (values[fl->nvalues] == NULL) {
        return -1;
    }

    fl->nvalues++;

    return 0;
}


static void
sls_filters_clear(sls_filter_t *fl)
{
    size_t  i;

    for (i = 0; i < fl->nvalues; i++) {
        free(fl->values[i]);
    }

    free(fl->values);
    fl->values = NULL;
    fl->nvalues = 0;
}


sls_filters_t *
sls_filters_parse(const char *p, size_t len, char *err, size_t size)
{
    int             form, rc, k;
    size_t          total;
    cJSON          *root, *item, *v;
    const char     *end, *value;
    sls_filters_t  *f;

    f = calloc(1, sizeof(sls_filters_t));
    if (f == NULL) {
        sls_filters_set_err(err, size, "out of memory");
        return NULL;
    }

    if (len == 0) {
        return f;
    }

    end = NULL;
    root = cJSON_ParseWithLengthOpts(p, len, &end, 0);

    if (root == NULL) {
        goto invalid;
    }

    /* only white space may follow the value, as for Go's decoder */
    while (end && end < p + len) {
        if (*end != ' ' && *end != '\t' && *end != '\r' && *end != '\n') {
            goto invalid;
        }

        end++;
    }

    if (cJSON_IsNull(root)) {
        cJSON_Delete(root);
        return f;
    }

    if (!cJSON_IsObject(root)) {
        goto invalid;
    }

    form = sls_filters_form(root);
    if (form == 0) {
        goto invalid;
    }

    total = 0;

    cJSON_ArrayForEach(item, root) {

        if (item->string == NULL) {
            goto invalid;
        }

        k = sls_filters_add_key(f, item->string);
        if (k < 0) {
            goto nomem;
        }

        cJSON_ArrayForEach(v, item) {

            if (form == SLS_FILTERS_MAP) {
                value = v->string;

            } else {
                value = cJSON_IsString(v) ? v->valuestring : "";
            }

            if (value == NULL) {
                goto invalid;
            }

            rc = sls_filters_add_value(&f->keys[k], value, &total);

            if (rc < 0) {
                goto nomem;
            }

            if (rc > 0) {
                goto invalid;
            }
        }
    }

    cJSON_Delete(root);

    return f;

invalid:

    sls_filters_set_err(err, size, "invalid filter");
    cJSON_Delete(root);
    sls_filters_free(f);

    return NULL;

nomem:

    sls_filters_set_err(err, size, "out of memory");
    cJSON_Delete(root);
    sls_filters_free(f);

    return NULL;
}


void
sls_filters_free(sls_filters_t *f)
{
    size_t  i;

    if (f == NULL) {
        return;
    }

    for (i = 0; i < f->nkeys; i++) {
        sls_filters_clear(&f->keys[i]);
        free(f->keys[i].key);
    }

    free(f->keys);
    free(f);
}


int
sls_filters_validate(const sls_filters_t *f, const char *const *allowed,
    char *err, size_t size)
{
    size_t              i;
    const char *const  *a;

    if (f == NULL) {
        return 0;
    }

    for (i = 0; i < f->nkeys; i++) {

        for (a = allowed; a && *a; a++) {
            if (strcmp(*a, f->keys[i].key) == 0) {
                break;
            }
        }

        if (a == NULL || *a == NULL) {
            if (size) {
                snprintf(err, size, "invalid filter '%s'", f->keys[i].key);
            }

            return -1;
        }
    }

    return 0;
}


const sls_filter_t *
sls_filters_get(const sls_filters_t *f, const char *key)
{
    size_t  i;

    if (f == NULL) {
        return NULL;
    }

    for (i = 0; i < f->nkeys; i++) {
        if (strcmp(f->keys[i].key, key) == 0) {
            return &f->keys[i];
        }
    }

    return NULL;
}


int
sls_filters_has(const sls_filters_t *f, const char *key)
{
    return sls_filters_get(f, key) != NULL;
}


size_t
sls_filters_count(const sls_filters_t *f, const char *key)
{
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, key);

    return fl ? fl->nvalues : 0;
}


const char *
sls_filters_value(const sls_filters_t *f, const char *key, size_t i)
{
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, key);

    if (fl == NULL || i >= fl->nvalues) {
        return NULL;
    }

    return fl->values[i];
}


/* one condition: "k", "k=v" or "k!=v" */
static int
sls_filters_label(const char *cond, const cJSON *labels)
{
    int           negate;
    char         *name;
    size_t        n;
    const char   *eq, *value;
    const cJSON  *label;

    eq = strchr(cond, '=');
    n = eq ? (size_t) (eq - cond) : strlen(cond);
    negate = 0;

    if (eq && n > 1 && cond[n - 1] == '!') {
        negate = 1;
        n--;
    }

    name = malloc(n + 1);
    if (name == NULL) {
        return 0;
    }

    memcpy(name, cond, n);
    name[n] = '\0';

    label = labels ? cJSON_GetObjectItemCaseSensitive(labels, name) : NULL;
    free(name);

    if (negate) {
        value = cJSON_GetStringValue(label);
        return value == NULL || strcmp(value, eq + 1) != 0;
    }

    if (label == NULL) {
        return 0;
    }

    if (eq == NULL) {
        return 1;
    }

    value = cJSON_GetStringValue(label);

    return value != NULL && strcmp(value, eq + 1) == 0;
}


int
sls_filters_match_label(const sls_filters_t *f, const char *key,
    const cJSON *labels)
{
    size_t               i;
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, key);

    if (fl == NULL) {
        return 1;
    }

    if (labels != NULL && !cJSON_IsObject(labels)) {
        labels = NULL;
    }

    for (i = 0; i < fl->nvalues; i++) {
        if (!sls_filters_label(fl->values[i], labels)) {
            return 0;
        }
    }

    return 1;
}


/* 1 when key is absent or has no values, or when one value matches s */

static int
sls_filters_match_any(const sls_filters_t *f, const char *key,
    const char *s, int prefix)
{
    size_t               i;
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, key);

    if (fl == NULL || fl->nvalues == 0) {
        return 1;
    }

    for (i = 0; i < fl->nvalues; i++) {
        if (prefix ? strncmp(s, fl->values[i], strlen(fl->values[i])) == 0
                   : strcmp(fl->values[i], s) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
sls_filters_match_exact(const sls_filters_t *f, const char *key,
    const char *s)
{
    return sls_filters_match_any(f, key, s, 0);
}


int
sls_filters_match_prefix(const sls_filters_t *f, const char *key,
    const char *s)
{
    return sls_filters_match_any(f, key, s, 1);
}


/*
 * glibc's regcomp() copies a repeated expression for "+" and "{n,m}", so
 * nested repetitions take exponential memory: "((((a+)+)+)...)" of 20
 * levels, 61 bytes, takes 1.6 GB. This estimates the size the pattern
 * compiles to (an atom 1, X+ 2X + 1, X{n,m} X * (max(n, m) + 1) + 1) and
 * returns 1 when it is over SLS_FILTERS_REGEX_MAX, or when it has a
 * back-reference. Go refuses such patterns too ("expression too large",
 * "invalid repeat count", "invalid escape sequence").
 */
static int
sls_filters_regex_large(const char *re)
{
    int            depth, repeat;
    unsigned long  total[SLS_FILTERS_REGEX_DEPTH], last, n, m, size;
    const char    *p, *q;

    depth = 0;
    total[0] = 0;
    last = 0;

    for (p = re; *p; p++) {

        size = 1;
        repeat = 0;

        switch (*p) {

        case '(':
            if (++depth == SLS_FILTERS_REGEX_DEPTH) {
                return 1;
            }

            total[depth] = 0;
            last = 0;
            continue;

        case ')':
            if (depth == 0) {
                break;
            }

            size = total[depth--] + 1;
            break;

        case '|':
            total[depth]++;
            last = 0;
            continue;

        case '*':
        case '?':
            size = last + 1;
            repeat = 1;
            break;

        case '+':
            size = 2 * last + 1;
            repeat = 1;
            break;

        case '{':
            n = 0;
            for (q = p + 1; *q >= '0' && *q <= '9' && n < 100000; q++) {
                n = n * 10 + (unsigned long) (*q - '0');
            }

            m = n;

            if (*q == ',') {
                m = 0;
                for (q++; *q >= '0' && *q <= '9' && m < 100000; q++) {
                    m = m * 10 + (unsigned long) (*q - '0');
                }

                m = m > n ? m : n;
            }

            if (q == p + 1 || *q != '}') {
                /* not an interval: a literal "{" */
                break;
            }

            if (n > 1000 || m > 1000) {
                return 1;
            }

            p = q;
            size = last * (m + 1) + 1;
            repeat = 1;
            break;

        case '[':
            /* a bracket expression: "]" first is literal, [:x:] etc. */
            q = p + 1;
            q += (*q == '^');
            q += (*q == ']');

            while (*q && *q != ']') {
                if (*q == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.'))
                {
                    q = strchr(q + 2, q[1]);
                    if (q == NULL || q[1] != ']') {
                        return 1;
                    }

                    q++;
                }

                q++;
            }

            if (*q == '\0') {
                return 1;
            }

            p = q;
            break;

        case '\\':
            if (p[1] >= '1' && p[1] <= '9') {
                /*
                 * a back-reference: Go's regexp (dockerd's) has none, and
                 * glibc may take exponential time matching one
                 */
                return 1;
            }

            if (p[1]) {
                p++;
            }

            break;

        default:
            break;
        }

        if (repeat) {
            /* a repetition replaces what it repeats */
            total[depth] += size - last;

        } else {
            total[depth] += size;
        }

        last = size;

        if (last > SLS_FILTERS_REGEX_MAX
            || total[depth] > SLS_FILTERS_REGEX_MAX)
        {
            return 1;
        }
    }

    return 0;
}


int
sls_filters_match_regex(const sls_filters_t *f, const char *key,
    const char *s)
{
    int                  rc;
    size_t               i;
    regex_t              re;
    const sls_filter_t  *fl;

    if (sls_filters_match_exact(f, key, s)) {
        return 1;
    }

    fl = sls_filters_get(f, key);

    for (i = 0; i < fl->nvalues; i++) {
        if (sls_filters_regex_large(fl->values[i])
            || regcomp(&re, fl->values[i], REG_EXTENDED | REG_NOSUB) != 0)
        {
            continue;
        }

        rc = regexec(&re, s, 0, NULL, 0);
        regfree(&re);

        if (rc == 0) {
            return 1;
        }
    }

    return 0;
}


int
sls_filters_status_valid(const char *s)
{
    const char  **st;

    for (st = sls_filters_states; *st; st++) {
        if (strcmp(*st, s) == 0) {
            return 1;
        }
    }

    return 0;
}


int
sls_filters_validate_status(const sls_filters_t *f, char *err, size_t size)
{
    size_t               i;
    const sls_filter_t  *fl;

    fl = sls_filters_get(f, "status");

    if (fl == NULL) {
        return 0;
    }

    for (i = 0; i < fl->nvalues; i++) {
        if (sls_filters_status_valid(fl->values[i])) {
            continue;
        }

        if (size) {
            snprintf(err, size, "invalid filter 'status=%s': invalid value "
                     "for state (%s): must be one of created, running, "
                     "paused, restarting, removing, exited, dead",
                     fl->values[i], fl->values[i]);
        }

        return -1;
    }

    return 0;
}


int
sls_filters_bool(const sls_filters_t *f, const char *key, int def,
    int *value, char *err, size_t size)
{
    int                  yes, no;
    size_t               i, n;
    const char          *v;
    const sls_filter_t  *fl;

    *value = def;

    fl = sls_filters_get(f, key);

    if (fl == NULL) {
        return 0;
    }

    if (fl->nvalues == 0) {
        if (size) {
            snprintf(err, size, "invalid filter '%s'", key);
        }

        return -1;
    }

    yes = 0;
    no = 0;

    for (i = 0; i < fl->nvalues; i++) {
        v = fl->values[i];
        yes |= strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
        no |= strcmp(v, "0") == 0 || strcmp(v, "false") == 0;
    }

    if (yes != no) {
        *value = yes;
        return 0;
    }

    if (size) {
        n = (size_t) snprintf(err, size, "invalid filter '%s=[", key);

        for (i = 0; i < fl->nvalues && n < size; i++) {
            n += (size_t) snprintf(err + n, size - n, "%s%s", i ? " " : "",
                                   fl->values[i]);
        }

        if (n < size) {
            snprintf(err + n, size - n, "]'");
        }
    }

    return -1;
}
