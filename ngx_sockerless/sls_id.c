
/*
 * Copyright (C) sockerless contributors
 *
 * Container and exec ids and names as dockerd makes, checks and looks them
 * up. nginx-free.
 */


#include <stdio.h>
#include <string.h>
#include <sls_id.h>


static int sls_id_name_equal(const char *a, size_t a_len, const char *b,
    size_t b_len);


/* our own picks; "boring" and "wozniak" stay for dockerd's one exception */
static const char  *sls_adjectives[] = {
    "admiring", "agile", "amused", "ardent", "bold", "boring", "brave",
    "bright", "busy", "calm", "careful", "cheerful", "clever", "cosmic",
    "curious", "daring", "dazzling", "diligent", "eager", "earnest",
    "elated", "elegant", "epic", "fearless", "festive", "fond", "gentle",
    "gifted", "glad", "graceful", "happy", "honest", "humble", "jolly",
    "keen", "kind", "lively", "lucid", "merry", "mindful", "modest",
    "nimble", "noble", "patient", "placid", "plucky", "proud", "quiet",
    "radiant", "serene", "sharp", "shy", "steady", "sunny", "swift",
    "tender", "tidy", "upbeat", "vivid", "witty", "zesty"
};


static const char  *sls_surnames[] = {
    "agnesi", "ampere", "avogadro", "bernoulli", "bohr", "boltzmann",
    "boyle", "cantor", "cauchy", "cavendish", "copernicus", "coulomb",
    "curie", "darwin", "descartes", "dirac", "doppler", "euclid", "euler",
    "faraday", "fermi", "feynman", "fibonacci", "fourier", "franklin",
    "galileo", "galois", "gauss", "germain", "hertz", "hilbert", "hooke",
    "huygens", "joule", "kelvin", "kepler", "lagrange", "laplace",
    "lavoisier", "leibniz", "lovelace", "maxwell", "meitner", "mendel",
    "noether", "ohm", "pascal", "pauli", "planck", "poisson", "riemann",
    "rutherford", "schrodinger", "somerville", "tesla", "turing", "volta",
    "wozniak", "yukawa", "zuse"
};


#define sls_nelts(a)  (sizeof(a) / sizeof((a)[0]))


void
sls_id_hex(char out[SLS_ID_LEN + 1], const unsigned char rnd[32])
{
    size_t             i;
    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[rnd[i] >> 4];
        out[2 * i + 1] = hex[rnd[i] & 0x0f];
    }

    out[SLS_ID_LEN] = '\0';
}


int
sls_id_is_numeric(const char *id)
{
    size_t  i;

    for (i = 0; i < SLS_ID_SHORT_LEN; i++) {
        if (id[i] < '0' || id[i] > '9') {
            return 0;
        }
    }

    return 1;
}


void
sls_id_short(char out[SLS_ID_SHORT_LEN + 1], const char *id, size_t len)
{
    if (len > SLS_ID_SHORT_LEN) {
        len = SLS_ID_SHORT_LEN;
    }

    memcpy(out, id, len);
    out[len] = '\0';
}


int
sls_id_is_hex(const char *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            return 0;
        }
    }

    return 1;
}


int
sls_name_valid(const char *name, size_t len)
{
    size_t  i;
    char    ch;

    if (len && name[0] == '/') {
        name++;
        len--;
    }

    if (len < 2) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        ch = name[i];

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9'))
        {
            continue;
        }

        if (i > 0 && (ch == '_' || ch == '.' || ch == '-')) {
            continue;
        }

        return 0;
    }

    return 1;
}


void
sls_name_random(char *buf, size_t size, uint32_t r1, uint32_t r2)
{
    const char  *a, *s;

    if (size == 0) {
        return;
    }

    a = sls_adjectives[r1 % sls_nelts(sls_adjectives)];
    s = sls_surnames[r2 % sls_nelts(sls_surnames)];

    if (strcmp(a, "boring") == 0 && strcmp(s, "wozniak") == 0) {
        /* Steve Wozniak is not boring */
        s = sls_surnames[(r2 + 1) % sls_nelts(sls_surnames)];
    }

    snprintf(buf, size, "%s_%s", a, s);
}


static int
sls_id_name_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (a_len && a[0] == '/') {
        a++;
        a_len--;
    }

    if (b_len && b[0] == '/') {
        b++;
        b_len--;
    }

    return a_len && a_len == b_len && memcmp(a, b, a_len) == 0;
}


sls_id_match_e
sls_id_match(const char *ref, size_t ref_len, const char *id, size_t id_len,
    const char *name, size_t name_len)
{
    if (ref_len == 0) {
        return SLS_ID_MATCH_NONE;
    }

    if (ref_len == id_len && memcmp(ref, id, id_len) == 0) {
        return SLS_ID_MATCH_EXACT_ID;
    }

    if (name && sls_id_name_equal(ref, ref_len, name, name_len)) {
        return SLS_ID_MATCH_EXACT_NAME;
    }

    if (ref_len < id_len && memcmp(ref, id, ref_len) == 0) {
        return SLS_ID_MATCH_PREFIX;
    }

    return SLS_ID_MATCH_NONE;
}


void
sls_id_resolve_init(sls_id_resolver_t *rs, const char *ref, size_t ref_len)
{
    memset(rs, 0, sizeof(sls_id_resolver_t));

    rs->ref = ref;
    rs->ref_len = ref_len;
    rs->best = SLS_ID_MATCH_NONE;
}


int
sls_id_resolve_add(sls_id_resolver_t *rs, const char *id, size_t id_len,
    const char *name, size_t name_len, void *data)
{
    sls_id_match_e  m;

    m = sls_id_match(rs->ref, rs->ref_len, id, id_len, name, name_len);

    if (m == SLS_ID_MATCH_NONE) {
        return 0;
    }

    if (m == SLS_ID_MATCH_PREFIX) {
        rs->prefixes++;
    }

    /* the first of equal kinds is kept; prefixes count for ambiguity */
    if (m > rs->best) {
        rs->best = m;
        rs->data = data;
        rs->id_len = id_len < sizeof(rs->id) - 1 ? id_len
                                                 : sizeof(rs->id) - 1;
        memcpy(rs->id, id, rs->id_len);
        rs->id[rs->id_len] = '\0';
    }

    return m == SLS_ID_MATCH_EXACT_ID;
}


int
sls_id_resolve_done(sls_id_resolver_t *rs, const char *what, char *err,
    size_t size)
{
    int  ref_len;

    ref_len = rs->ref_len > 4096 ? 4096 : (int) rs->ref_len;

    if (rs->best == SLS_ID_MATCH_NONE) {
        if (size) {
            snprintf(err, size, "No such %s: %.*s", what, ref_len, rs->ref);
        }

        return SLS_ID_NOT_FOUND;
    }

    if (rs->best == SLS_ID_MATCH_PREFIX && rs->prefixes > 1) {
        if (size) {
            snprintf(err, size,
                     "multiple IDs found with provided prefix: %.*s",
                     ref_len, rs->ref);
        }

        return SLS_ID_AMBIGUOUS;
    }

    if (size) {
        err[0] = '\0';
    }

    return SLS_ID_FOUND;
}
