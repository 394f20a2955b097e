
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_id: ids, dockerd's container name rule, random names
 * and reference lookup. TAP output.
 */


#include <stdio.h>
#include <string.h>
#include <sls_id.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *input;
    int          valid;
} sls_name_vector_t;


typedef struct {
    const char      *name;
    const char      *ref;
    const char      *id;
    const char      *cname;
    sls_id_match_e   match;
} sls_match_vector_t;


typedef struct {
    const char  *id;
    const char  *name;
} sls_candidate_t;


typedef struct {
    const char  *name;
    const char  *ref;
    int          rc;
    const char  *id;      /* expected id, or the error text */
} sls_resolve_vector_t;


static const sls_name_vector_t  names[] = {
    { "two letters", "ab", 1 },
    { "leading slash", "/web", 1 },
    { "dots dashes underscores", "a.b-c_d", 1 },
    { "digits first", "0abc", 1 },
    { "upper case", "WebApp", 1 },
    { "one letter is too short", "a", 0 },
    { "slash and one letter", "/a", 0 },
    { "slash only", "/", 0 },
    { "empty", "", 0 },
    { "two slashes", "//ab", 0 },
    { "leading dash", "-ab", 0 },
    { "leading dot", ".ab", 0 },
    { "leading underscore", "_ab", 0 },
    { "space", "a b", 0 },
    { "inner slash", "a/b", 0 },
    { "colon", "a:b", 0 },
    { "non-ascii", "caf\xc3\xa9", 0 },
};


#define ID1  "4f2a9c0b7d1e3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d"
#define ID2  "4f2a11111111111111111111111111111111111111111111111111111111111a"
#define ID3  "9e0000000000000000000000000000000000000000000000000000000000000b"
#define ID4  "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

static const sls_match_vector_t  matches[] = {
    { "full id", ID1, ID1, "/web", SLS_ID_MATCH_EXACT_ID },
    { "name without slash", "web", ID1, "/web", SLS_ID_MATCH_EXACT_NAME },
    { "name with slash", "/web", ID1, "/web", SLS_ID_MATCH_EXACT_NAME },
    { "stored name without slash", "/web", ID1, "web",
      SLS_ID_MATCH_EXACT_NAME },
    { "one-character prefix", "4", ID1, "/web", SLS_ID_MATCH_PREFIX },
    { "12-character prefix", "4f2a9c0b7d1e", ID1, "/web",
      SLS_ID_MATCH_PREFIX },
    { "63-character prefix",
      "4f2a9c0b7d1e3a5b6c7d8e9f0a1b2c3"
      "d4e5f60718293a4b5c6d7e8f90a1b2c3", ID1, "/web", SLS_ID_MATCH_PREFIX },
    { "id plus one character", ID1 "0", ID1, "/web", SLS_ID_MATCH_NONE },
    { "prefix of the name", "we", ID1, "/web", SLS_ID_MATCH_NONE },
    { "case differs", "4F2A", ID1, "/web", SLS_ID_MATCH_NONE },
    { "empty reference", "", ID1, "/web", SLS_ID_MATCH_NONE },
    { "slash only", "/", ID1, "/", SLS_ID_MATCH_NONE },
    { "not a prefix", "4f3", ID1, "/web", SLS_ID_MATCH_NONE },
    { "name that looks like a prefix", "4f", ID1, "/4f",
      SLS_ID_MATCH_EXACT_NAME },
};


static const sls_candidate_t  candidates[] = {
    { ID1, "/web" },
    { ID2, "/db" },
    { ID3, "/4f2a" },     /* a name that is also a prefix of ID1 and ID2 */
    { ID4, "/" ID3 },     /* a name equal to another container's id */
};


static const sls_resolve_vector_t  resolves[] = {
    { "exact id", ID1, SLS_ID_FOUND, ID1 },
    { "exact name", "db", SLS_ID_FOUND, ID2 },
    { "exact name with slash", "/web", SLS_ID_FOUND, ID1 },
    { "unique prefix", "4f2a9", SLS_ID_FOUND, ID1 },
    { "unique one-character prefix", "a", SLS_ID_FOUND, ID4 },
    { "a name beats an ambiguous prefix", "4f2a", SLS_ID_FOUND, ID3 },
    { "an id beats a name", ID3, SLS_ID_FOUND, ID3 },
    { "ambiguous prefix", "4f", SLS_ID_AMBIGUOUS,
      "multiple IDs found with provided prefix: 4f" },
    { "no match", "nope", SLS_ID_NOT_FOUND, "No such container: nope" },
    { "empty reference", "", SLS_ID_NOT_FOUND, "No such container: " },
};


static int sls_test_resolve(const sls_resolve_vector_t *v);


static int
sls_test_resolve(const sls_resolve_vector_t *v)
{
    int                 rc;
    char                err[256];
    size_t              i;
    sls_id_resolver_t   rs;

    sls_id_resolve_init(&rs, v->ref, strlen(v->ref));

    for (i = 0; i < TEST_NELTS(candidates); i++) {
        if (sls_id_resolve_add(&rs, candidates[i].id,
                               strlen(candidates[i].id), candidates[i].name,
                               strlen(candidates[i].name),
                               (void *) &candidates[i]))
        {
            break;
        }
    }

    rc = sls_id_resolve_done(&rs, "container", err, sizeof(err));

    if (rc != v->rc) {
        TEST_DIAG("rc %d err \"%s\"", rc, err);
        return 0;
    }

    if (rc == SLS_ID_FOUND) {
        return strcmp(rs.id, v->id) == 0
               && rs.data != NULL
               && strcmp(((const sls_candidate_t *) rs.data)->id, v->id)
                  == 0;
    }

    if (strcmp(err, v->id) != 0) {
        TEST_DIAG("err \"%s\"", err);
        return 0;
    }

    return 1;
}


int
main(void)
{
    int                 ok;
    char                buf[64], id[SLS_ID_LEN + 1], s[SLS_ID_SHORT_LEN + 1];
    size_t              i, k;
    unsigned char       rnd[32];
    sls_id_resolver_t   rs;

    for (i = 0; i < 32; i++) {
        rnd[i] = (unsigned char) (i * 8 + 1);
    }

    sls_id_hex(id, rnd);
    TEST_OK(strcmp(id, "0109111921293139414951596169717981899199a1a9b1b9"
                       "c1c9d1d9e1e9f1f9") == 0
            && sls_id_is_hex(id, strlen(id)),
            "id: 32 bytes to 64 lowercase hex digits");

    TEST_OK(sls_id_is_numeric(id), "id: all-digit short form is numeric");

    rnd[5] = 0xab;
    sls_id_hex(id, rnd);
    TEST_OK(!sls_id_is_numeric(id), "id: a hex letter in the short form");

    rnd[5] = 0x29;
    rnd[6] = 0xcd;
    sls_id_hex(id, rnd);
    TEST_OK(sls_id_is_numeric(id),
            "id: letters after the short form do not count");

    sls_id_short(s, id, strlen(id));
    TEST_OK(strcmp(s, "010911192129") == 0, "id: short form is 12 chars");

    sls_id_short(s, "abc", 3);
    TEST_OK(strcmp(s, "abc") == 0, "id: short form of a short string");

    TEST_OK(!sls_id_is_hex("abcg", 4) && !sls_id_is_hex("", 0)
            && !sls_id_is_hex("ABC", 3), "id: hex check refuses g, empty, "
            "upper case");

    for (i = 0; i < TEST_NELTS(names); i++) {
        TEST_OK(sls_name_valid(names[i].input, strlen(names[i].input))
                == names[i].valid, "name rule: %s", names[i].name);
    }

    TEST_OK(sls_name_valid("ab", 1) == 0,
            "name rule: length is honoured, not the NUL");

    ok = 1;

    for (k = 0; k < 61 * 61; k++) {
        sls_name_random(buf, sizeof(buf), (uint32_t) (k / 61),
                        (uint32_t) (k % 61));

        if (!sls_name_valid(buf, strlen(buf)) || strchr(buf, '_') == NULL
            || strcmp(buf, "boring_wozniak") == 0)
        {
            TEST_DIAG("bad random name \"%s\"", buf);
            ok = 0;
        }
    }

    TEST_OK(ok, "random names: valid adjective_surname, never "
            "boring_wozniak");

    ok = 0;

    for (k = 0; k < 200000 && !ok; k++) {
        sls_name_random(buf, sizeof(buf), (uint32_t) k,
                        (uint32_t) (k * 7));
        ok = strncmp(buf, "boring_", 7) == 0;
    }

    TEST_OK(ok, "random names: boring is still used");

    memset(buf, 'x', sizeof(buf));
    sls_name_random(buf, 8, 1, 1);
    TEST_OK(strlen(buf) == 7 && buf[8] == 'x',
            "random names: a small buffer is never overrun");

    for (i = 0; i < TEST_NELTS(matches); i++) {
        TEST_OK(sls_id_match(matches[i].ref, strlen(matches[i].ref),
                             matches[i].id, strlen(matches[i].id),
                             matches[i].cname, strlen(matches[i].cname))
                == matches[i].match, "match: %s", matches[i].name);
    }

    for (i = 0; i < TEST_NELTS(resolves); i++) {
        TEST_OK(sls_test_resolve(&resolves[i]), "resolve: %s",
                resolves[i].name);
    }

    sls_id_resolve_init(&rs, "zz", 2);
    sls_id_resolve_done(&rs, "exec instance", buf, sizeof(buf));
    TEST_OK(strcmp(buf, "No such exec instance: zz") == 0,
            "resolve: the kind of object is the caller's");

    return TEST_DONE();
}
