/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_agent_proto, all on the same input: the JSON
 * reader (the tree is checked, written back with sls_json_quote() and
 * read again to the same tree), control messages (parse, encode, parse
 * again to the same encoding; a short buffer gets a prefix), data frames
 * (parse and header round trip) and sls_json_quote() of the raw input.
 */


#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_agent_proto.h>
#include "fuzz.h"


typedef struct {
    char    *buf;
    size_t   len;
    size_t   cap;
} sls_fuzz_buf_t;


static void sls_fuzz_put(sls_fuzz_buf_t *b, const char *s, size_t len);
static void sls_fuzz_put_quoted(sls_fuzz_buf_t *b, const char *s,
    size_t len);
static int sls_fuzz_write(sls_fuzz_buf_t *b, const sls_json_t *j);
static void sls_fuzz_tree(const sls_json_t *j, int parent, int depth);
static int sls_fuzz_equal(const sls_json_t *a, const sls_json_t *b);
static void sls_fuzz_json(const char *p, size_t len);
static void sls_fuzz_msg(const char *p, size_t len, size_t cut);
static void sls_fuzz_data(const unsigned char *p, size_t len);
static void sls_fuzz_quote(const char *p, size_t len, size_t cut);


static void
sls_fuzz_put(sls_fuzz_buf_t *b, const char *s, size_t len)
{
    char    *buf;
    size_t   cap;

    if (b->len + len + 1 > b->cap) {
        cap = (b->len + len + 1) * 2;
        buf = realloc(b->buf, cap);
        sls_fuzz_check(buf != NULL);

        b->buf = buf;
        b->cap = cap;
    }

    memcpy(b->buf + b->len, s, len);
    b->len += len;
    b->buf[b->len] = '\0';
}


static void
sls_fuzz_put_quoted(sls_fuzz_buf_t *b, const char *s, size_t len)
{
    char    *buf;
    size_t   n;

    n = sls_json_quote(NULL, 0, s, len);

    sls_fuzz_check(n >= len + 2);

    if (b->len + n + 1 > b->cap) {
        buf = realloc(b->buf, (b->len + n + 1) * 2);
        sls_fuzz_check(buf != NULL);

        b->buf = buf;
        b->cap = (b->len + n + 1) * 2;
    }

    sls_fuzz_check(sls_json_quote(b->buf + b->len, n + 1, s, len) == n);
    sls_fuzz_check(strlen(b->buf + b->len) == n);

    b->len += n;
}


/* JSON text of the tree; 0 when a number has no JSON form (infinity) */
static int
sls_fuzz_write(sls_fuzz_buf_t *b, const sls_json_t *j)
{
    char               num[64];
    const sls_json_t  *c;

    switch (j->type) {

    case SLS_JSON_NULL:
        sls_fuzz_put(b, "null", 4);
        return 1;

    case SLS_JSON_FALSE:
        sls_fuzz_put(b, "false", 5);
        return 1;

    case SLS_JSON_TRUE:
        sls_fuzz_put(b, "true", 4);
        return 1;

    case SLS_JSON_NUMBER:
        if (!isfinite(j->num)) {
            return 0;
        }

        snprintf(num, sizeof(num), "%.17g", j->num);
        sls_fuzz_put(b, num, strlen(num));
        return 1;

    case SLS_JSON_STRING:
        sls_fuzz_put_quoted(b, j->str, j->len);
        return 1;

    default:
        sls_fuzz_put(b, j->type == SLS_JSON_OBJECT ? "{" : "[", 1);

        for (c = j->child; c; c = c->next) {
            if (c != j->child) {
                sls_fuzz_put(b, " , ", 3);
            }

            if (j->type == SLS_JSON_OBJECT) {
                sls_fuzz_put_quoted(b, c->key, strlen(c->key));
                sls_fuzz_put(b, ":", 1);
            }

            if (!sls_fuzz_write(b, c)) {
                return 0;
            }
        }

        sls_fuzz_put(b, j->type == SLS_JSON_OBJECT ? "}" : "]", 1);
        return 1;
    }
}


static void
sls_fuzz_tree(const sls_json_t *j, int parent, int depth)
{
    sls_fuzz_check(depth <= SLS_JSON_MAX_DEPTH);

    for ( /* void */ ; j; j = j->next) {
        sls_fuzz_check(j->type >= SLS_JSON_NULL
                       && j->type <= SLS_JSON_OBJECT);
        sls_fuzz_check((j->key != NULL) == (parent == SLS_JSON_OBJECT));

        if (j->type == SLS_JSON_STRING) {
            sls_fuzz_check(j->str != NULL && strlen(j->str) == j->len);

        } else {
            sls_fuzz_check(j->str == NULL);
        }

        if (j->type == SLS_JSON_ARRAY || j->type == SLS_JSON_OBJECT) {
            sls_fuzz_tree(j->child, j->type, depth + 1);

        } else {
            sls_fuzz_check(j->child == NULL);
        }

        if (parent == 0) {
            sls_fuzz_check(j->next == NULL);
        }
    }
}


static int
sls_fuzz_equal(const sls_json_t *a, const sls_json_t *b)
{
    for ( /* void */ ; a && b; a = a->next, b = b->next) {
        if (a->type != b->type
            || (a->key == NULL) != (b->key == NULL)
            || (a->key && strcmp(a->key, b->key) != 0))
        {
            return 0;
        }

        if (a->type == SLS_JSON_STRING
            && (a->len != b->len || memcmp(a->str, b->str, a->len) != 0))
        {
            return 0;
        }

        if (a->type == SLS_JSON_NUMBER && a->num != b->num) {
            return 0;
        }

        if (!sls_fuzz_equal(a->child, b->child)) {
            return 0;
        }
    }

    return a == NULL && b == NULL;
}


static void
sls_fuzz_json(const char *p, size_t len)
{
    char            err[128];
    sls_json_t     *j, *j2, *c;
    sls_fuzz_buf_t  b;

    err[0] = 'x';

    j = sls_json_parse(p, len, err, sizeof(err));

    if (j == NULL) {
        sls_fuzz_check(err[0] != '\0' && strlen(err) < sizeof(err));
        return;
    }

    sls_fuzz_check(err[0] == '\0');
    sls_fuzz_tree(j, 0, 1);

    if (j->type == SLS_JSON_OBJECT) {
        for (c = j->child; c; c = c->next) {
            sls_fuzz_check(strcmp(sls_json_get(j, c->key)->key, c->key)
                           == 0);
        }
    }

    memset(&b, 0, sizeof(b));

    if (sls_fuzz_write(&b, j)) {
        j2 = sls_json_parse(b.buf, b.len, err, sizeof(err));

        sls_fuzz_check(j2 != NULL);
        sls_fuzz_check(sls_fuzz_equal(j, j2));

        sls_json_free(j2);
    }

    free(b.buf);
    sls_json_free(j);
}


static void
sls_fuzz_msg(const char *p, size_t len, size_t cut)
{
    int               rc;
    char              err[128], *buf, *buf2, *part;
    size_t            n, n2, k;
    sls_agent_msg_t   m, m2;

    err[0] = '\0';

    rc = sls_agent_msg_parse(p, len, &m, err, sizeof(err));

    if (rc != 0) {
        sls_fuzz_check(rc == -1 && err[0] != '\0' && m.cmd == NULL
                       && m.env == NULL && m.workdir == NULL
                       && m.user == NULL && m.message == NULL);
        return;
    }

    sls_fuzz_check(m.type >= SLS_AGENT_MSG_ATTACH
                   && m.type <= SLS_AGENT_MSG_PONG);
    sls_fuzz_check(strlen(m.id) <= SLS_AGENT_ID_MAX);
    sls_fuzz_check(m.type != SLS_AGENT_MSG_EXEC
                   || (m.cmd != NULL && m.cmd[0] != NULL));
    sls_fuzz_check(m.height <= 65535 && m.width <= 65535);
    sls_fuzz_check(m.type != SLS_AGENT_MSG_SIGNAL
                   || (m.signal >= 1 && m.signal <= 64));

    /* encode, parse again, encode again: the same text */

    n = sls_agent_msg_encode(&m, NULL, 0);

    buf = malloc(n + 1);
    sls_fuzz_check(buf != NULL);

    sls_fuzz_check(sls_agent_msg_encode(&m, buf, n + 1) == n);
    sls_fuzz_check(strlen(buf) == n);

    rc = sls_agent_msg_parse(buf, n, &m2, err, sizeof(err));
    sls_fuzz_check(rc == 0);
    sls_fuzz_check(m2.type == m.type && strcmp(m2.id, m.id) == 0);

    n2 = sls_agent_msg_encode(&m2, NULL, 0);
    sls_fuzz_check(n2 == n);

    buf2 = malloc(n2 + 1);
    sls_fuzz_check(buf2 != NULL);

    sls_agent_msg_encode(&m2, buf2, n2 + 1);
    sls_fuzz_check(memcmp(buf, buf2, n + 1) == 0);

    /* a short buffer gets the NUL-terminated start, like snprintf() */

    k = cut % (n + 1) + 1;

    part = malloc(k);
    sls_fuzz_check(part != NULL);

    sls_fuzz_check(sls_agent_msg_encode(&m, part, k) == n);
    sls_fuzz_check(part[k - 1] == '\0' && memcmp(part, buf, k - 1) == 0);

    free(part);
    free(buf2);
    free(buf);

    sls_agent_msg_free(&m2);
    sls_agent_msg_free(&m);
}


static void
sls_fuzz_data(const unsigned char *p, size_t len)
{
    size_t            n;
    unsigned char     hdr[SLS_AGENT_DATA_HEADER];
    sls_agent_data_t  d;

    if (sls_agent_data_parse(p, len, &d) != 0) {
        return;
    }

    sls_fuzz_check(d.stream >= 0 && d.stream <= 2);
    sls_fuzz_check(d.id_len >= 1 && d.id_len <= SLS_AGENT_ID_MAX);
    sls_fuzz_check((const unsigned char *) d.id == p + 2);
    sls_fuzz_check(d.data == p + 2 + d.id_len
                   && d.data + d.len == p + len);

    n = sls_agent_data_header(hdr, d.stream, d.id, d.id_len);

    sls_fuzz_check(n == 2 + d.id_len && memcmp(hdr, p, n) == 0);
}


static void
sls_fuzz_quote(const char *p, size_t len, size_t cut)
{
    char        *q, *part, err[128];
    size_t       n, k;
    sls_json_t  *j;

    n = sls_json_quote(NULL, 0, p, len);

    q = malloc(n + 1);
    sls_fuzz_check(q != NULL);

    sls_fuzz_check(sls_json_quote(q, n + 1, p, len) == n);
    sls_fuzz_check(strlen(q) == n);

    k = cut % (n + 1) + 1;

    part = malloc(k);
    sls_fuzz_check(part != NULL);

    sls_fuzz_check(sls_json_quote(part, k, p, len) == n);
    sls_fuzz_check(part[k - 1] == '\0' && memcmp(part, q, k - 1) == 0);

    free(part);

    /* the reader refuses "\u0000", so only NUL-free text comes back */

    if (memchr(p, '\0', len) == NULL) {
        j = sls_json_parse(q, n, err, sizeof(err));

        sls_fuzz_check(j != NULL && j->type == SLS_JSON_STRING
                       && j->len == len && memcmp(j->str, p, len) == 0);

        sls_json_free(j);
    }

    free(q);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *p;

    /* an exact copy: ASan sees any read past the input */
    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    sls_fuzz_json(p, size);
    sls_fuzz_msg(p, size, size ? (unsigned char) p[0] : 0);
    sls_fuzz_data((const unsigned char *) p, size);
    sls_fuzz_quote(p, size, size ? (unsigned char) p[size - 1] : 0);

    free(p);

    return 0;
}
