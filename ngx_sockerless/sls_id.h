
/*
 * Copyright (C) sockerless contributors
 *
 * Container and exec ids and names as dockerd makes, checks and looks them
 * up. nginx-free; nothing here allocates.
 */


#ifndef _SLS_ID_H_INCLUDED_
#define _SLS_ID_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_ID_LEN          64
#define SLS_ID_SHORT_LEN    12


/*
 * 32 random bytes to 64 lowercase hex digits and a NUL. dockerd draws
 * again when the short form (first 12 digits) is all decimal digits, as a
 * hostname made of it would look like a number; callers do the same:
 *
 *     do { random(rnd, 32); sls_id_hex(id, rnd); }
 *     while (sls_id_is_numeric(id));
 */
void sls_id_hex(char out[SLS_ID_LEN + 1], const unsigned char rnd[32]);

/* 1 when the first 12 characters of the NUL-terminated id are digits */
int sls_id_is_numeric(const char *id);

/* the first 12 characters of id (fewer if id is shorter) and a NUL */
void sls_id_short(char out[SLS_ID_SHORT_LEN + 1], const char *id,
    size_t len);

/* 1 when p holds exactly len lowercase hex digits, len >= 1 */
int sls_id_is_hex(const char *p, size_t len);


/* dockerd's rule: ^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$ ; returns 1 when valid */
int sls_name_valid(const char *name, size_t len);

/*
 * "adjective_surname" into buf (at least 64 bytes, always NUL-terminated
 * when size > 0), chosen by r1 and r2; like dockerd, never
 * "boring_wozniak".
 */
void sls_name_random(char *buf, size_t size, uint32_t r1, uint32_t r2);


/*
 * How a user's reference (what follows /containers/ or /exec/) matches one
 * candidate. Names compare with or without their leading '/', on both
 * sides. PREFIX: ref is a non-empty prefix of the id.
 */
typedef enum {
    SLS_ID_MATCH_NONE = 0,
    SLS_ID_MATCH_PREFIX,
    SLS_ID_MATCH_EXACT_NAME,
    SLS_ID_MATCH_EXACT_ID
} sls_id_match_e;

sls_id_match_e sls_id_match(const char *ref, size_t ref_len,
    const char *id, size_t id_len, const char *name, size_t name_len);


/*
 * Resolving a reference over all candidates, the order dockerd uses:
 * an exact id, else an exact name, else a unique id prefix; two or more
 * prefix matches are ambiguous.
 *
 *     sls_id_resolve_init(&rs, ref, ref_len);
 *     for (each candidate) {
 *         if (sls_id_resolve_add(&rs, id, id_len, name, name_len, data)) {
 *             break;                       (an exact id: nothing beats it)
 *         }
 *     }
 *     rc = sls_id_resolve_done(&rs, "container", err, sizeof(err));
 *
 * The resolver copies the chosen id (up to 127 bytes) into rs.id; "data"
 * is the caller's cookie for the chosen candidate, returned untouched in
 * rs.data (the caller keeps it valid). ref must outlive the resolver.
 */
#define SLS_ID_FOUND        0
#define SLS_ID_NOT_FOUND    1
#define SLS_ID_AMBIGUOUS    2

typedef struct {
    const char      *ref;
    size_t           ref_len;
    sls_id_match_e   best;
    unsigned         prefixes;    /* candidates matched by prefix */
    void            *data;
    size_t           id_len;
    char             id[128];     /* NUL-terminated */
} sls_id_resolver_t;

void sls_id_resolve_init(sls_id_resolver_t *rs, const char *ref,
    size_t ref_len);

/* returns 1 when this candidate is an exact id match */
int sls_id_resolve_add(sls_id_resolver_t *rs, const char *id, size_t id_len,
    const char *name, size_t name_len, void *data);

/*
 * SLS_ID_FOUND, or an error with dockerd's text in err (always
 * NUL-terminated when size > 0):
 *   SLS_ID_NOT_FOUND  "No such <what>: <ref>"        (HTTP 404)
 *   SLS_ID_AMBIGUOUS  "multiple IDs found with provided prefix: <ref>"
 *                                                      (HTTP 400)
 * what is "container", or "exec instance" for execs.
 */
int sls_id_resolve_done(sls_id_resolver_t *rs, const char *what, char *err,
    size_t size);


#endif /* _SLS_ID_H_INCLUDED_ */
