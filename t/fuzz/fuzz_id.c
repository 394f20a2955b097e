/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_id.  The input is lines: a reference, then
 * candidates as pairs of lines, id and name (an empty name is none).
 * The resolver must agree with a plain reading of dockerd's order; names
 * are checked against dockerd's regular expression; the id and name
 * makers run on bytes of the input.
 */


#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_id.h>
#include "fuzz.h"


#define SLS_FUZZ_MAX_FIELDS  64


typedef struct {
    char    *p;          /* an exact malloc()ed copy, not NUL-terminated */
    size_t   len;
} sls_fuzz_field_t;


static void sls_fuzz_name(const char *p, size_t len);
static void sls_fuzz_resolve(sls_fuzz_field_t *f, size_t n, size_t size);
static void sls_fuzz_makers(const uint8_t *data, size_t size);


static void
sls_fuzz_name(const char *p, size_t len)
{
    int             valid;
    char           *s;
    static int      compiled;
    static regex_t  re;

    valid = sls_name_valid(p, len);

    if (memchr(p, '\0', len) != NULL) {
        sls_fuzz_check(!valid);
        return;
    }

    if (!compiled) {
        sls_fuzz_check(regcomp(&re, "^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$",
                               REG_EXTENDED | REG_NOSUB) == 0);
        compiled = 1;
    }

    s = malloc(len + 1);
    sls_fuzz_check(s != NULL);

    memcpy(s, p, len);
    s[len] = '\0';

    sls_fuzz_check(valid == (regexec(&re, s, 0, NULL, 0) == 0));

    free(s);
}


static void
sls_fuzz_resolve(sls_fuzz_field_t *f, size_t n, size_t size)
{
    int                 rc, exact, found;
    char               *err;
    size_t              i, prefixes, id_len, best_i;
    sls_id_match_e      m, best;
    sls_id_resolver_t   rs;
    sls_fuzz_field_t   *ref, *id, *name;

    ref = &f[0];

    sls_id_resolve_init(&rs, ref->p, ref->len);

    best = SLS_ID_MATCH_NONE;
    best_i = 0;
    prefixes = 0;

    for (i = 1; i + 1 < n; i += 2) {
        id = &f[i];
        name = &f[i + 1];

        m = sls_id_match(ref->p, ref->len, id->p, id->len,
                         name->len ? name->p : NULL, name->len);

        /* what each kind of match means */

        switch (m) {

        case SLS_ID_MATCH_EXACT_ID:
            sls_fuzz_check(ref->len == id->len
                           && memcmp(ref->p, id->p, id->len) == 0);
            break;

        case SLS_ID_MATCH_EXACT_NAME:
            sls_fuzz_check(name->len && ref->len);
            sls_fuzz_check(ref->len - (ref->p[0] == '/')
                           == name->len - (name->p[0] == '/'));
            break;

        case SLS_ID_MATCH_PREFIX:
            sls_fuzz_check(ref->len && ref->len < id->len
                           && memcmp(ref->p, id->p, ref->len) == 0);
            break;

        default:
            sls_fuzz_check(m == SLS_ID_MATCH_NONE);
            sls_fuzz_check(ref->len == 0 || ref->len >= id->len
                           || memcmp(ref->p, id->p, ref->len) != 0);
        }

        /* the plain reading: exact id, else first exact name, else one
         * prefix */

        if (m == SLS_ID_MATCH_PREFIX) {
            prefixes++;
        }

        if (m > best) {
            best = m;
            best_i = i;
        }

        exact = sls_id_resolve_add(&rs, id->p, id->len,
                                   name->len ? name->p : NULL, name->len,
                                   &f[i]);

        sls_fuzz_check(exact == (m == SLS_ID_MATCH_EXACT_ID));

        if (exact) {
            break;
        }
    }

    err = malloc(size ? size : 1);
    sls_fuzz_check(err != NULL);

    rc = sls_id_resolve_done(&rs, "container", err, size);

    if (size) {
        sls_fuzz_check(memchr(err, '\0', size) != NULL);
    }

    found = best != SLS_ID_MATCH_NONE
            && !(best == SLS_ID_MATCH_PREFIX && prefixes > 1);

    if (best == SLS_ID_MATCH_NONE) {
        sls_fuzz_check(rc == SLS_ID_NOT_FOUND);
        sls_fuzz_check(size < 10 || memcmp(err, "No such c", 9) == 0);

    } else if (!found) {
        sls_fuzz_check(rc == SLS_ID_AMBIGUOUS);
        sls_fuzz_check(size < 10 || memcmp(err, "multiple ", 9) == 0);

    } else {
        sls_fuzz_check(rc == SLS_ID_FOUND);
        sls_fuzz_check(size == 0 || err[0] == '\0');
        sls_fuzz_check(rs.data == &f[best_i] && rs.best == best);

        id_len = f[best_i].len < 127 ? f[best_i].len : 127;

        sls_fuzz_check(rs.id_len == id_len
                       && memcmp(rs.id, f[best_i].p, id_len) == 0
                       && rs.id[id_len] == '\0');
    }

    free(err);
}


static void
sls_fuzz_makers(const uint8_t *data, size_t size)
{
    char      id[SLS_ID_LEN + 1], sh[SLS_ID_SHORT_LEN + 1], *buf;
    size_t    i, n, len;
    uint32_t  r1, r2;

    if (size < 32) {
        return;
    }

    sls_id_hex(id, data);

    sls_fuzz_check(strlen(id) == SLS_ID_LEN && sls_id_is_hex(id, 64));

    n = 0;
    for (i = 0; i < SLS_ID_SHORT_LEN; i++) {
        n += id[i] >= '0' && id[i] <= '9';
    }

    sls_fuzz_check(sls_id_is_numeric(id) == (n == SLS_ID_SHORT_LEN));

    len = data[0] % (SLS_ID_LEN + 1);
    sls_id_short(sh, id, len);

    sls_fuzz_check(strlen(sh) == (len < 12 ? len : 12)
                   && memcmp(sh, id, strlen(sh)) == 0);

    /* a random name in a buffer of 0 to 80 bytes */

    r1 = (uint32_t) data[1] << 24 | (uint32_t) data[2] << 16
         | (uint32_t) data[3] << 8 | data[4];
    r2 = (uint32_t) data[5] << 24 | (uint32_t) data[6] << 16
         | (uint32_t) data[7] << 8 | data[8];
    n = data[9] % 81;

    buf = malloc(n ? n : 1);
    sls_fuzz_check(buf != NULL);

    sls_name_random(buf, n, r1, r2);

    if (n) {
        sls_fuzz_check(memchr(buf, '\0', n) != NULL);
    }

    if (n >= 64) {
        sls_fuzz_check(sls_name_valid(buf, strlen(buf)));
        sls_fuzz_check(strchr(buf, '_') != NULL);
        sls_fuzz_check(strcmp(buf, "boring_wozniak") != 0);
    }

    free(buf);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t             i, n, start;
    const uint8_t     *nl;
    sls_fuzz_field_t   f[SLS_FUZZ_MAX_FIELDS];

    n = 0;
    start = 0;

    while (n < SLS_FUZZ_MAX_FIELDS) {
        nl = memchr(data + start, '\n', size - start);

        f[n].len = nl ? (size_t) (nl - data) - start : size - start;

        /* an exact copy: ASan sees any read past the field */
        f[n].p = malloc(f[n].len ? f[n].len : 1);
        sls_fuzz_check(f[n].p != NULL);
        memcpy(f[n].p, data + start, f[n].len);

        n++;

        if (nl == NULL) {
            break;
        }

        start = (size_t) (nl - data) + 1;
    }

    for (i = 0; i < n; i++) {
        sls_fuzz_name(f[i].p, f[i].len);
        (void) sls_id_is_hex(f[i].p, f[i].len);
    }

    sls_fuzz_resolve(f, n, size % 97);
    sls_fuzz_makers(data, size);

    for (i = 0; i < n; i++) {
        free(f[i].p);
    }

    return 0;
}
