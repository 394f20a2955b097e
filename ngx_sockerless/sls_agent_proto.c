/*
 * Copyright (C) sockerless contributors
 *
 * The agent protocol (docs/agent-protocol.md): control messages, data
 * frames, and a tiny JSON reader and writer. nginx-free.
 */


#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_agent_proto.h>


typedef struct {
    const char  *p;
    const char  *end;
    char        *err;
    size_t       err_size;
} sls_json_parser_t;


typedef struct {
    char        *buf;
    size_t       size;
    size_t       len;
} sls_json_writer_t;


static sls_json_t *sls_json_value(sls_json_parser_t *jp, int depth);
static int sls_json_string(sls_json_parser_t *jp, char **out,
    size_t *out_len);
static int sls_json_number(sls_json_parser_t *jp, double *num);
static int sls_json_hex4(const char *p, unsigned *cp);
static void sls_json_ws(sls_json_parser_t *jp);
static void sls_json_fail(sls_json_parser_t *jp, const char *fmt, ...);

static int sls_agent_get_bool(const sls_json_t *obj, const char *key,
    int *out, char *err, size_t err_size);
static int sls_agent_get_str(const sls_json_t *obj, const char *key,
    char **out, char *err, size_t err_size);
static int sls_agent_get_uint(const sls_json_t *obj, const char *key,
    unsigned max, unsigned *out, char *err, size_t err_size);
static int sls_agent_get_size(const sls_json_t *obj, const char *key,
    long long *out, char *err, size_t err_size);
static int sls_agent_get_hex(const sls_json_t *obj, const char *key,
    unsigned char **out, size_t *len, char *err, size_t err_size);
static void sls_json_put_hex(sls_json_writer_t *w, const char *key,
    const unsigned char *p, size_t len);
static int sls_agent_get_strv(const sls_json_t *obj, const char *key,
    char ***out, char *err, size_t err_size);

static void sls_json_put(sls_json_writer_t *w, const char *s, size_t len);
static void sls_json_puts(sls_json_writer_t *w, const char *s);
static void sls_json_put_str(sls_json_writer_t *w, const char *key,
    const char *s);
static void sls_json_put_bool(sls_json_writer_t *w, const char *key,
    int v);
static void sls_json_put_long(sls_json_writer_t *w, const char *key,
    long v);
static void sls_json_put_strv(sls_json_writer_t *w, const char *key,
    char **v);


static const char  *sls_agent_types[] = {
    "", "attach", "exec", "stdin_close", "resize", "signal", "ping",
    "started", "error", "exit", "pong", "archive_stat", "archive_get",
    "archive_put", "stat"
};


/* JSON reader */

sls_json_t *
sls_json_parse(const char *p, size_t len, char *err, size_t err_size)
{
    sls_json_t         *j;
    sls_json_parser_t   jp;

    jp.p = p;
    jp.end = p + len;
    jp.err = err;
    jp.err_size = err_size;

    if (err_size) {
        err[0] = '\0';
    }

    j = sls_json_value(&jp, 1);
    if (j == NULL) {
        return NULL;
    }

    sls_json_ws(&jp);

    if (jp.p != jp.end) {
        sls_json_fail(&jp, "unexpected data after JSON value");
        sls_json_free(j);
        return NULL;
    }

    return j;
}


static void
sls_json_fail(sls_json_parser_t *jp, const char *fmt, ...)
{
    va_list  args;

    if (jp->err_size == 0 || jp->err[0] != '\0') {
        return;
    }

    va_start(args, fmt);
    vsnprintf(jp->err, jp->err_size, fmt, args);
    va_end(args);
}


static void
sls_json_ws(sls_json_parser_t *jp)
{
    while (jp->p < jp->end
           && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n'
               || *jp->p == '\r'))
    {
        jp->p++;
    }
}


static sls_json_t *
sls_json_value(sls_json_parser_t *jp, int depth)
{
    size_t       n;
    sls_json_t  *j, *item, **last;

    if (depth > SLS_JSON_MAX_DEPTH) {
        sls_json_fail(jp, "JSON nested too deeply");
        return NULL;
    }

    sls_json_ws(jp);

    if (jp->p == jp->end) {
        sls_json_fail(jp, "unexpected end of JSON input");
        return NULL;
    }

    j = calloc(1, sizeof(sls_json_t));
    if (j == NULL) {
        sls_json_fail(jp, "out of memory");
        return NULL;
    }

    switch (*jp->p) {

    case '{':
    case '[':
        j->type = (*jp->p == '{') ? SLS_JSON_OBJECT : SLS_JSON_ARRAY;
        jp->p++;
        last = &j->child;

        sls_json_ws(jp);
        if (jp->p < jp->end && *jp->p == (j->type == SLS_JSON_OBJECT
                                          ? '}' : ']'))
        {
            jp->p++;
            return j;
        }

        for ( ;; ) {
            char    *key;

            key = NULL;

            if (j->type == SLS_JSON_OBJECT) {
                sls_json_ws(jp);

                if (jp->p == jp->end || *jp->p != '"') {
                    sls_json_fail(jp, "expected a member name");
                    goto failed;
                }

                if (sls_json_string(jp, &key, &n) != 0) {
                    goto failed;
                }

                sls_json_ws(jp);

                if (jp->p == jp->end || *jp->p != ':') {
                    free(key);
                    sls_json_fail(jp, "expected ':'");
                    goto failed;
                }

                jp->p++;
            }

            item = sls_json_value(jp, depth + 1);
            if (item == NULL) {
                free(key);
                goto failed;
            }

            item->key = key;
            *last = item;
            last = &item->next;

            sls_json_ws(jp);

            if (jp->p == jp->end) {
                sls_json_fail(jp, "unexpected end of JSON input");
                goto failed;
            }

            if (*jp->p == ',') {
                jp->p++;
                continue;
            }

            if (*jp->p == (j->type == SLS_JSON_OBJECT ? '}' : ']')) {
                jp->p++;
                return j;
            }

            sls_json_fail(jp, "expected ',' or '%c'",
                          j->type == SLS_JSON_OBJECT ? '}' : ']');
            goto failed;
        }

    case '"':
        j->type = SLS_JSON_STRING;

        if (sls_json_string(jp, &j->str, &j->len) != 0) {
            goto failed;
        }

        return j;

    case 't':
        if (jp->end - jp->p >= 4 && memcmp(jp->p, "true", 4) == 0) {
            j->type = SLS_JSON_TRUE;
            jp->p += 4;
            return j;
        }
        break;

    case 'f':
        if (jp->end - jp->p >= 5 && memcmp(jp->p, "false", 5) == 0) {
            j->type = SLS_JSON_FALSE;
            jp->p += 5;
            return j;
        }
        break;

    case 'n':
        if (jp->end - jp->p >= 4 && memcmp(jp->p, "null", 4) == 0) {
            j->type = SLS_JSON_NULL;
            jp->p += 4;
            return j;
        }
        break;

    default:
        if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
            j->type = SLS_JSON_NUMBER;

            if (sls_json_number(jp, &j->num) != 0) {
                goto failed;
            }

            return j;
        }
    }

    sls_json_fail(jp, "invalid character '%c' looking for a value",
                  *jp->p);

failed:

    sls_json_free(j);
    return NULL;
}


static int
sls_json_number(sls_json_parser_t *jp, double *num)
{
    char         buf[64];
    size_t       n;
    const char  *p;

    p = jp->p;

    if (p < jp->end && *p == '-') {
        p++;
    }

    if (p == jp->end || *p < '0' || *p > '9') {
        sls_json_fail(jp, "invalid number");
        return -1;
    }

    if (*p == '0') {
        p++;

    } else {
        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < jp->end && *p == '.') {
        p++;
        if (p == jp->end || *p < '0' || *p > '9') {
            sls_json_fail(jp, "invalid number");
            return -1;
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < jp->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < jp->end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == jp->end || *p < '0' || *p > '9') {
            sls_json_fail(jp, "invalid number");
            return -1;
        }

        while (p < jp->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    n = (size_t) (p - jp->p);
    if (n >= sizeof(buf)) {
        sls_json_fail(jp, "number too long");
        return -1;
    }

    memcpy(buf, jp->p, n);
    buf[n] = '\0';

    *num = strtod(buf, NULL);
    jp->p = p;

    return 0;
}


static int
sls_json_hex4(const char *p, unsigned *cp)
{
    int       i;
    unsigned  v;

    v = 0;

    for (i = 0; i < 4; i++) {
        v <<= 4;

        if (p[i] >= '0' && p[i] <= '9') {
            v |= (unsigned) (p[i] - '0');

        } else if (p[i] >= 'a' && p[i] <= 'f') {
            v |= (unsigned) (p[i] - 'a' + 10);

        } else if (p[i] >= 'A' && p[i] <= 'F') {
            v |= (unsigned) (p[i] - 'A' + 10);

        } else {
            return -1;
        }
    }

    *cp = v;

    return 0;
}


static int
sls_json_string(sls_json_parser_t *jp, char **out, size_t *out_len)
{
    char         *s, *d;
    unsigned      cp, lo;
    const char   *p;

    /* the decoded string is never longer than the source */

    p = jp->p + 1;

    s = malloc((size_t) (jp->end - p) + 1);
    if (s == NULL) {
        sls_json_fail(jp, "out of memory");
        return -1;
    }

    d = s;

    for ( ;; ) {
        if (p == jp->end) {
            sls_json_fail(jp, "unterminated string");
            goto failed;
        }

        if (*p == '"') {
            p++;
            break;
        }

        if ((unsigned char) *p < 0x20) {
            sls_json_fail(jp, "control character in string");
            goto failed;
        }

        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        p++;
        if (p == jp->end) {
            sls_json_fail(jp, "unterminated string");
            goto failed;
        }

        switch (*p++) {
        case '"':  *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/':  *d++ = '/'; break;
        case 'b':  *d++ = '\b'; break;
        case 'f':  *d++ = '\f'; break;
        case 'n':  *d++ = '\n'; break;
        case 'r':  *d++ = '\r'; break;
        case 't':  *d++ = '\t'; break;

        case 'u':
            if (jp->end - p < 4 || sls_json_hex4(p, &cp) != 0) {
                sls_json_fail(jp, "invalid \\u escape");
                goto failed;
            }

            p += 4;

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                sls_json_fail(jp, "lone surrogate in \\u escape");
                goto failed;
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (jp->end - p < 6 || p[0] != '\\' || p[1] != 'u'
                    || sls_json_hex4(p + 2, &lo) != 0
                    || lo < 0xdc00 || lo > 0xdfff)
                {
                    sls_json_fail(jp, "lone surrogate in \\u escape");
                    goto failed;
                }

                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }

            if (cp == 0) {
                sls_json_fail(jp, "\\u0000 in string is not supported");
                goto failed;
            }

            /* 6 source bytes always yield at most 4 UTF-8 bytes */

            if (cp < 0x80) {
                *d++ = (char) cp;

            } else if (cp < 0x800) {
                *d++ = (char) (0xc0 | (cp >> 6));
                *d++ = (char) (0x80 | (cp & 0x3f));

            } else if (cp < 0x10000) {
                *d++ = (char) (0xe0 | (cp >> 12));
                *d++ = (char) (0x80 | ((cp >> 6) & 0x3f));
                *d++ = (char) (0x80 | (cp & 0x3f));

            } else {
                *d++ = (char) (0xf0 | (cp >> 18));
                *d++ = (char) (0x80 | ((cp >> 12) & 0x3f));
                *d++ = (char) (0x80 | ((cp >> 6) & 0x3f));
                *d++ = (char) (0x80 | (cp & 0x3f));
            }

            break;

        default:
            sls_json_fail(jp, "invalid escape in string");
            goto failed;
        }
    }

    *d = '\0';
    *out = s;
    *out_len = (size_t) (d - s);
    jp->p = p;

    return 0;

failed:

    free(s);
    return -1;
}


void
sls_json_free(sls_json_t *j)
{
    sls_json_t  *next;

    while (j) {
        next = j->next;
        sls_json_free(j->child);
        free(j->key);
        free(j->str);
        free(j);
        j = next;
    }
}


sls_json_t *
sls_json_get(const sls_json_t *obj, const char *key)
{
    sls_json_t  *j;

    if (obj == NULL || obj->type != SLS_JSON_OBJECT) {
        return NULL;
    }

    for (j = obj->child; j; j = j->next) {
        if (strcmp(j->key, key) == 0) {
            return j;
        }
    }

    return NULL;
}


/* JSON writer */

static void
sls_json_put(sls_json_writer_t *w, const char *s, size_t len)
{
    size_t  n;

    if (w->len < w->size) {
        n = w->size - w->len;
        memcpy(w->buf + w->len, s, len < n ? len : n);
    }

    w->len += len;
}


static void
sls_json_puts(sls_json_writer_t *w, const char *s)
{
    sls_json_put(w, s, strlen(s));
}


size_t
sls_json_quote(char *dst, size_t size, const char *s, size_t len)
{
    char                esc[8];
    size_t              i;
    unsigned char       c;
    sls_json_writer_t   w;

    w.buf = dst;
    w.size = size;
    w.len = 0;

    sls_json_put(&w, "\"", 1);

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        switch (c) {
        case '"':  sls_json_put(&w, "\\\"", 2); break;
        case '\\': sls_json_put(&w, "\\\\", 2); break;
        case '\n': sls_json_put(&w, "\\n", 2); break;
        case '\r': sls_json_put(&w, "\\r", 2); break;
        case '\t': sls_json_put(&w, "\\t", 2); break;

        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                sls_json_put(&w, esc, 6);

            } else {
                sls_json_put(&w, (const char *) &s[i], 1);
            }
        }
    }

    sls_json_put(&w, "\"", 1);

    if (size) {
        dst[w.len < size ? w.len : size - 1] = '\0';
    }

    return w.len;
}


static void
sls_json_put_str(sls_json_writer_t *w, const char *key, const char *s)
{
    size_t  n;

    sls_json_puts(w, ",\"");
    sls_json_puts(w, key);
    sls_json_puts(w, "\":");

    n = sls_json_quote(NULL, 0, s, strlen(s));

    /* what fits, so that a short buffer holds the start of the text */
    if (w->len < w->size) {
        sls_json_quote(w->buf + w->len, w->size - w->len, s, strlen(s));
    }

    w->len += n;
}


static void
sls_json_put_bool(sls_json_writer_t *w, const char *key, int v)
{
    sls_json_puts(w, ",\"");
    sls_json_puts(w, key);
    sls_json_puts(w, v ? "\":true" : "\":false");
}


static void
sls_json_put_long(sls_json_writer_t *w, const char *key, long v)
{
    char  num[32];

    snprintf(num, sizeof(num), "%ld", v);

    sls_json_puts(w, ",\"");
    sls_json_puts(w, key);
    sls_json_puts(w, "\":");
    sls_json_puts(w, num);
}


static void
sls_json_put_hex(sls_json_writer_t *w, const char *key,
    const unsigned char *p, size_t len)
{
    char                hex[2];
    size_t              i;
    static const char   digits[] = "0123456789abcdef";

    sls_json_puts(w, ",\"");
    sls_json_puts(w, key);
    sls_json_puts(w, "\":\"");

    for (i = 0; i < len; i++) {
        hex[0] = digits[p[i] >> 4];
        hex[1] = digits[p[i] & 0xf];
        sls_json_put(w, hex, 2);
    }

    sls_json_put(w, "\"", 1);
}


static void
sls_json_put_strv(sls_json_writer_t *w, const char *key, char **v)
{
    size_t  i, n;

    sls_json_puts(w, ",\"");
    sls_json_puts(w, key);
    sls_json_puts(w, "\":[");

    for (i = 0; v && v[i]; i++) {
        if (i) {
            sls_json_put(w, ",", 1);
        }

        n = sls_json_quote(NULL, 0, v[i], strlen(v[i]));

        if (w->len < w->size) {
            sls_json_quote(w->buf + w->len, w->size - w->len, v[i],
                           strlen(v[i]));
        }

        w->len += n;
    }

    sls_json_put(w, "]", 1);
}


/* control messages */

static int
sls_agent_get_bool(const sls_json_t *obj, const char *key, int *out,
    char *err, size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        *out = 0;
        return 0;
    }

    if (j->type != SLS_JSON_TRUE && j->type != SLS_JSON_FALSE) {
        snprintf(err, err_size, "\"%s\" must be a boolean", key);
        return -1;
    }

    *out = (j->type == SLS_JSON_TRUE);

    return 0;
}


static int
sls_agent_get_str(const sls_json_t *obj, const char *key, char **out,
    char *err, size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_STRING) {
        snprintf(err, err_size, "\"%s\" must be a string", key);
        return -1;
    }

    *out = strdup(j->str);
    if (*out == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    return 0;
}


static int
sls_agent_get_uint(const sls_json_t *obj, const char *key, unsigned max,
    unsigned *out, char *err, size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type != SLS_JSON_NUMBER
        || j->num < 0 || j->num > max || j->num != (double) (long) j->num)
    {
        snprintf(err, err_size, "\"%s\" must be an integer from 0 to %u",
                 key, max);
        return -1;
    }

    *out = (unsigned) j->num;

    return 0;
}


/* a byte count: an integer from 0 to 2^53; absent leaves *out alone */

static int
sls_agent_get_size(const sls_json_t *obj, const char *key, long long *out,
    char *err, size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_NUMBER || j->num < 0
        || j->num > 9007199254740992.0 || j->num != (double) (long long) j->num)
    {
        snprintf(err, err_size, "\"%s\" must be a byte count", key);
        return -1;
    }

    *out = (long long) j->num;

    return 0;
}


/* bytes as a string of hex digits, into a malloc()ed buffer */

static int
sls_agent_get_hex(const sls_json_t *obj, const char *key,
    unsigned char **out, size_t *len, char *err, size_t err_size)
{
    size_t         i;
    unsigned       hi, lo;
    sls_json_t    *j;
    unsigned char  ch;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_STRING || j->len % 2) {
        goto invalid;
    }

    *out = malloc(j->len / 2 + 1);
    if (*out == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    for (i = 0; i < j->len; i += 2) {
        ch = (unsigned char) j->str[i];
        hi = (ch >= '0' && ch <= '9') ? ch - '0'
             : ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
               ? (ch | 0x20) - 'a' + 10 : 16;
        ch = (unsigned char) j->str[i + 1];
        lo = (ch >= '0' && ch <= '9') ? ch - '0'
             : ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
               ? (ch | 0x20) - 'a' + 10 : 16;

        if (hi > 15 || lo > 15) {
            free(*out);
            *out = NULL;
            goto invalid;
        }

        (*out)[i / 2] = (unsigned char) (hi << 4 | lo);
    }

    *len = j->len / 2;

    return 0;

invalid:

    snprintf(err, err_size, "\"%s\" must be a string of hex digits", key);

    return -1;
}


static int
sls_agent_get_strv(const sls_json_t *obj, const char *key, char ***out,
    char *err, size_t err_size)
{
    size_t       n;
    char       **v;
    sls_json_t  *j, *e;

    j = sls_json_get(obj, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_ARRAY) {
        snprintf(err, err_size, "\"%s\" must be an array of strings", key);
        return -1;
    }

    n = 0;
    for (e = j->child; e; e = e->next) {
        if (e->type != SLS_JSON_STRING) {
            snprintf(err, err_size, "\"%s\" must be an array of strings",
                     key);
            return -1;
        }

        n++;
    }

    v = calloc(n + 1, sizeof(char *));
    if (v == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    *out = v;

    for (e = j->child; e; e = e->next) {
        *v = strdup(e->str);
        if (*v == NULL) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }

        v++;
    }

    return 0;
}


int
sls_agent_msg_parse(const char *p, size_t len, sls_agent_msg_t *msg,
    char *err, size_t err_size)
{
    int          t;
    unsigned     u;
    sls_json_t  *root, *j;

    memset(msg, 0, sizeof(sls_agent_msg_t));

    root = sls_json_parse(p, len, err, err_size);
    if (root == NULL) {
        return -1;
    }

    if (root->type != SLS_JSON_OBJECT) {
        snprintf(err, err_size, "message is not a JSON object");
        goto failed;
    }

    j = sls_json_get(root, "type");
    if (j == NULL || j->type != SLS_JSON_STRING) {
        snprintf(err, err_size, "message has no \"type\"");
        goto failed;
    }

    for (t = 1; t <= SLS_AGENT_MSG_LAST; t++) {
        if (strcmp(j->str, sls_agent_types[t]) == 0) {
            break;
        }
    }

    if (t > SLS_AGENT_MSG_LAST) {
        snprintf(err, err_size, "unknown message type \"%.64s\"", j->str);
        goto failed;
    }

    msg->type = t;

    if (t != SLS_AGENT_MSG_PING && t != SLS_AGENT_MSG_PONG) {
        j = sls_json_get(root, "id");

        if (j == NULL || j->type != SLS_JSON_STRING || j->len == 0
            || j->len > SLS_AGENT_ID_MAX)
        {
            snprintf(err, err_size,
                     "\"id\" must be a string of 1 to %d bytes",
                     SLS_AGENT_ID_MAX);
            goto failed;
        }

        memcpy(msg->id, j->str, j->len + 1);
    }

    switch (t) {

    case SLS_AGENT_MSG_ATTACH:
        if (sls_agent_get_bool(root, "stdin", &msg->attach_stdin,
                               err, err_size) != 0
            || sls_agent_get_bool(root, "stdout", &msg->attach_stdout,
                                  err, err_size) != 0
            || sls_agent_get_bool(root, "stderr", &msg->attach_stderr,
                                  err, err_size) != 0
            || sls_agent_get_bool(root, "logs", &msg->logs,
                                  err, err_size) != 0)
        {
            goto failed;
        }
        break;

    case SLS_AGENT_MSG_EXEC:
        if (sls_agent_get_strv(root, "cmd", &msg->cmd, err, err_size) != 0
            || sls_agent_get_strv(root, "env", &msg->env, err, err_size)
               != 0
            || sls_agent_get_str(root, "workdir", &msg->workdir,
                                 err, err_size) != 0
            || sls_agent_get_str(root, "user", &msg->user, err, err_size)
               != 0
            || sls_agent_get_bool(root, "tty", &msg->tty, err, err_size)
               != 0
            || sls_agent_get_bool(root, "stdin", &msg->attach_stdin,
                                  err, err_size) != 0
            || sls_agent_get_bool(root, "direct", &msg->direct,
                                  err, err_size) != 0
            || sls_agent_get_bool(root, "privileged", &msg->privileged,
                                  err, err_size) != 0)
        {
            goto failed;
        }

        if (msg->cmd == NULL || msg->cmd[0] == NULL) {
            snprintf(err, err_size, "\"cmd\" must not be empty");
            goto failed;
        }

        msg->attach_stdout = 1;
        msg->attach_stderr = 1;
        break;

    case SLS_AGENT_MSG_RESIZE:
        if (sls_agent_get_uint(root, "height", 65535, &msg->height,
                               err, err_size) != 0
            || sls_agent_get_uint(root, "width", 65535, &msg->width,
                                  err, err_size) != 0)
        {
            goto failed;
        }
        break;

    case SLS_AGENT_MSG_SIGNAL:
        if (sls_agent_get_uint(root, "signal", 64, &u, err, err_size) != 0
            || u == 0)
        {
            snprintf(err, err_size,
                     "\"signal\" must be an integer from 1 to 64");
            goto failed;
        }

        msg->signal = (int) u;
        break;

    case SLS_AGENT_MSG_STARTED:
        j = sls_json_get(root, "pid");
        if (j == NULL || j->type != SLS_JSON_NUMBER || j->num < 1
            || j->num >= (double) LONG_MAX)
        {
            snprintf(err, err_size, "\"pid\" must be a positive integer");
            goto failed;
        }

        msg->pid = (long) j->num;

        if (sls_agent_get_bool(root, "direct", &msg->direct, err, err_size)
            != 0)
        {
            goto failed;
        }

        break;

    case SLS_AGENT_MSG_EXIT:
        j = sls_json_get(root, "exitCode");
        if (j == NULL || j->type != SLS_JSON_NUMBER
            || j->num < -2147483648.0 || j->num > 2147483647.0)
        {
            snprintf(err, err_size, "\"exitCode\" must be an integer");
            goto failed;
        }

        msg->exit_code = (int) j->num;
        break;

    case SLS_AGENT_MSG_ERROR:
        if (sls_agent_get_str(root, "message", &msg->message,
                              err, err_size) != 0)
        {
            goto failed;
        }

        if (sls_json_get(root, "status")) {
            if (sls_agent_get_uint(root, "status", 599, &u, err, err_size)
                != 0)
            {
                goto failed;
            }

            msg->status = (int) u;
        }

        break;

    case SLS_AGENT_MSG_ARCHIVE_STAT:
    case SLS_AGENT_MSG_ARCHIVE_GET:
    case SLS_AGENT_MSG_ARCHIVE_PUT:
        if (sls_agent_get_str(root, "path", &msg->path, err, err_size) != 0
            || sls_agent_get_bool(root, "noOverwriteDirNonDir",
                                  &msg->no_overwrite, err, err_size) != 0
            || sls_agent_get_bool(root, "copyUIDGID", &msg->copy_uidgid,
                                  err, err_size) != 0)
        {
            goto failed;
        }

        if (msg->path == NULL || msg->path[0] == '\0') {
            snprintf(err, err_size, "\"path\" must not be empty");
            goto failed;
        }

        if (sls_json_get(root, "maxEntries")
            && sls_agent_get_uint(root, "maxEntries", SLS_AGENT_ENTRIES_MAX,
                                  &msg->max_entries, err, err_size) != 0)
        {
            goto failed;
        }

        if (sls_agent_get_bool(root, "direct", &msg->direct, err, err_size)
            != 0
            || sls_agent_get_bool(root, "chunked", &msg->chunked,
                                  err, err_size) != 0
            || sls_agent_get_size(root, "length", &msg->length,
                                  err, err_size) != 0
            || sls_agent_get_size(root, "maxBody", &msg->max_body,
                                  err, err_size) != 0
            || sls_agent_get_size(root, "maxBytes", &msg->max_bytes,
                                  err, err_size) != 0
            || sls_agent_get_hex(root, "preread", &msg->preread,
                                 &msg->preread_len, err, err_size) != 0)
        {
            goto failed;
        }

        if (sls_json_get(root, "length") == NULL) {
            msg->length = -1;
        }

        break;

    case SLS_AGENT_MSG_STAT:
        if (sls_agent_get_str(root, "name", &msg->name, err, err_size) != 0
            || sls_agent_get_str(root, "linkTarget", &msg->link_target,
                                 err, err_size) != 0
            || sls_agent_get_str(root, "mtime", &msg->mtime, err, err_size)
               != 0)
        {
            goto failed;
        }

        j = sls_json_get(root, "size");
        if (j == NULL || j->type != SLS_JSON_NUMBER || j->num < 0) {
            snprintf(err, err_size, "\"size\" must be a number");
            goto failed;
        }

        msg->size = (long long) j->num;

        j = sls_json_get(root, "mode");
        if (j == NULL || j->type != SLS_JSON_NUMBER || j->num < 0
            || j->num > 4294967295.0)
        {
            snprintf(err, err_size, "\"mode\" must be a 32-bit number");
            goto failed;
        }

        msg->mode = (unsigned) j->num;
        break;

    default:
        break;
    }

    sls_json_free(root);

    return 0;

failed:

    sls_json_free(root);
    sls_agent_msg_free(msg);

    return -1;
}


void
sls_agent_msg_free(sls_agent_msg_t *msg)
{
    char  **v;

    for (v = msg->cmd; v && *v; v++) {
        free(*v);
    }

    for (v = msg->env; v && *v; v++) {
        free(*v);
    }

    free(msg->cmd);
    free(msg->env);
    free(msg->workdir);
    free(msg->user);
    free(msg->message);
    free(msg->path);
    free(msg->name);
    free(msg->link_target);
    free(msg->mtime);
    free(msg->preread);

    msg->preread = NULL;
    msg->preread_len = 0;
    msg->path = NULL;
    msg->name = NULL;
    msg->link_target = NULL;
    msg->mtime = NULL;
    msg->cmd = NULL;
    msg->env = NULL;
    msg->workdir = NULL;
    msg->user = NULL;
    msg->message = NULL;
}


size_t
sls_agent_msg_encode(const sls_agent_msg_t *msg, char *buf, size_t size)
{
    int                 t;
    sls_json_writer_t   w;

    w.buf = buf;
    w.size = size;
    w.len = 0;

    t = msg->type;
    if (t < 1 || t > SLS_AGENT_MSG_LAST) {
        t = SLS_AGENT_MSG_ERROR;
    }

    sls_json_puts(&w, "{\"type\":\"");
    sls_json_puts(&w, sls_agent_types[t]);
    sls_json_puts(&w, "\"");

    if (t != SLS_AGENT_MSG_PING && t != SLS_AGENT_MSG_PONG) {
        sls_json_put_str(&w, "id", msg->id);
    }

    switch (t) {

    case SLS_AGENT_MSG_ATTACH:
        sls_json_put_bool(&w, "stdin", msg->attach_stdin);
        sls_json_put_bool(&w, "stdout", msg->attach_stdout);
        sls_json_put_bool(&w, "stderr", msg->attach_stderr);
        sls_json_put_bool(&w, "logs", msg->logs);
        break;

    case SLS_AGENT_MSG_EXEC:
        sls_json_put_strv(&w, "cmd", msg->cmd);
        sls_json_put_strv(&w, "env", msg->env);
        sls_json_put_str(&w, "workdir", msg->workdir ? msg->workdir : "");
        sls_json_put_str(&w, "user", msg->user ? msg->user : "");
        sls_json_put_bool(&w, "tty", msg->tty);
        sls_json_put_bool(&w, "stdin", msg->attach_stdin);

        if (msg->direct) {
            sls_json_put_bool(&w, "direct", 1);
        }

        if (msg->privileged) {
            sls_json_put_bool(&w, "privileged", 1);
        }

        break;

    case SLS_AGENT_MSG_RESIZE:
        sls_json_put_long(&w, "height", (long) msg->height);
        sls_json_put_long(&w, "width", (long) msg->width);
        break;

    case SLS_AGENT_MSG_SIGNAL:
        sls_json_put_long(&w, "signal", msg->signal);
        break;

    case SLS_AGENT_MSG_STARTED:
        sls_json_put_long(&w, "pid", msg->pid);

        if (msg->direct) {
            sls_json_put_bool(&w, "direct", 1);
        }

        break;

    case SLS_AGENT_MSG_EXIT:
        sls_json_put_long(&w, "exitCode", msg->exit_code);
        break;

    case SLS_AGENT_MSG_ERROR:
        sls_json_put_str(&w, "message", msg->message ? msg->message : "");

        if (msg->status) {
            sls_json_put_long(&w, "status", msg->status);
        }

        break;

    case SLS_AGENT_MSG_ARCHIVE_STAT:
    case SLS_AGENT_MSG_ARCHIVE_GET:
    case SLS_AGENT_MSG_ARCHIVE_PUT:
        sls_json_put_str(&w, "path", msg->path ? msg->path : "");

        if (t == SLS_AGENT_MSG_ARCHIVE_PUT) {
            sls_json_put_bool(&w, "noOverwriteDirNonDir", msg->no_overwrite);
            sls_json_put_bool(&w, "copyUIDGID", msg->copy_uidgid);

            if (msg->max_entries) {
                sls_json_put_long(&w, "maxEntries", (long) msg->max_entries);
            }

            if (msg->max_bytes) {
                sls_json_put_long(&w, "maxBytes", (long) msg->max_bytes);
            }

            if (msg->direct && msg->length >= 0) {
                sls_json_put_long(&w, "length", (long) msg->length);
            }

            if (msg->direct) {
                sls_json_put_long(&w, "maxBody", (long) msg->max_body);
                sls_json_put_hex(&w, "preread", msg->preread,
                                 msg->preread_len);
            }
        }

        if (msg->direct) {
            sls_json_put_bool(&w, "direct", 1);
            sls_json_put_bool(&w, "chunked", msg->chunked);
        }

        break;

    case SLS_AGENT_MSG_STAT:
        sls_json_put_str(&w, "name", msg->name ? msg->name : "");
        sls_json_put_long(&w, "size", (long) msg->size);
        sls_json_put_long(&w, "mode", (long) msg->mode);
        sls_json_put_str(&w, "mtime", msg->mtime ? msg->mtime : "");
        sls_json_put_str(&w, "linkTarget",
                         msg->link_target ? msg->link_target : "");
        break;

    default:
        break;
    }

    sls_json_put(&w, "}", 1);

    if (size) {
        buf[w.len < size ? w.len : size - 1] = '\0';
    }

    return w.len;
}


/* data frames */

size_t
sls_agent_data_header(unsigned char *buf, int stream, const char *id,
    size_t id_len)
{
    if (stream < 0 || stream > 2 || id_len == 0 || id_len > SLS_AGENT_ID_MAX)
    {
        return 0;
    }

    buf[0] = (unsigned char) stream;
    buf[1] = (unsigned char) id_len;
    memcpy(buf + 2, id, id_len);

    return 2 + id_len;
}


int
sls_agent_data_parse(const unsigned char *p, size_t len,
    sls_agent_data_t *d)
{
    if (len < 3 || p[0] > 2 || p[1] == 0 || p[1] > SLS_AGENT_ID_MAX
        || len < (size_t) 2 + p[1])
    {
        return -1;
    }

    d->stream = p[0];
    d->id = (const char *) p + 2;
    d->id_len = p[1];
    d->data = p + 2 + p[1];
    d->len = len - 2 - p[1];

    return 0;
}
