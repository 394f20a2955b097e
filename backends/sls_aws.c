
/*
 * Copyright (C) sockerless contributors
 *
 * AWS helpers that need no nginx: SigV4's canonical forms, AWS errors,
 * credentials files and metadata answers. See sls_aws.h.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <sls_time.h>
#include <sls_aws.h>


static int sls_aws_unreserved(unsigned char ch);
static int sls_aws_encoded_cmp(const char *a, size_t alen, const char *b,
    size_t blen);
static int sls_aws_pair_cmp(const void *one, const void *two);
static size_t sls_aws_encoded_at(const char *s, size_t *i,
    char *out);
static void sls_aws_copy(char *dst, size_t size, const char *src,
    size_t len);
static const char *sls_aws_trim(const char *p, const char *end,
    const char **last);
static int sls_aws_set(char *dst, size_t size, const char *v, size_t len);


static const char  sls_aws_hex[] = "0123456789ABCDEF";


static int
sls_aws_unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
           || (ch >= '0' && ch <= '9')
           || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}


size_t
sls_aws_encode(char *dst, const char *src, size_t len)
{
    size_t          i, n;
    unsigned char   ch;

    n = 0;

    for (i = 0; i < len; i++) {
        ch = (unsigned char) src[i];

        if (sls_aws_unreserved(ch)) {
            if (dst) {
                dst[n] = (char) ch;
            }

            n++;
            continue;
        }

        if (dst) {
            dst[n] = '%';
            dst[n + 1] = sls_aws_hex[ch >> 4];
            dst[n + 2] = sls_aws_hex[ch & 0x0f];
        }

        n += 3;
    }

    return n;
}


/* the encoded form of s, one output byte at a time: out gets it, i moves */

static size_t
sls_aws_encoded_at(const char *s, size_t *i, char *out)
{
    unsigned char  ch;

    ch = (unsigned char) s[*i];
    (*i)++;

    if (sls_aws_unreserved(ch)) {
        out[0] = (char) ch;
        return 1;
    }

    out[0] = '%';
    out[1] = sls_aws_hex[ch >> 4];
    out[2] = sls_aws_hex[ch & 0x0f];

    return 3;
}


static int
sls_aws_encoded_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    char    ab[3], bb[3];
    size_t  ai, bi, an, bn, ap, bp;

    ai = 0;
    bi = 0;
    an = 0;
    bn = 0;
    ap = 0;
    bp = 0;

    for ( ;; ) {
        if (ap == an) {
            if (ai == alen) {
                an = 0;

            } else {
                an = sls_aws_encoded_at(a, &ai, ab);
            }

            ap = 0;
        }

        if (bp == bn) {
            if (bi == blen) {
                bn = 0;

            } else {
                bn = sls_aws_encoded_at(b, &bi, bb);
            }

            bp = 0;
        }

        if (an == 0 || bn == 0) {
            return (an != 0) - (bn != 0);
        }

        if (ab[ap] != bb[bp]) {
            return (unsigned char) ab[ap] < (unsigned char) bb[bp] ? -1 : 1;
        }

        ap++;
        bp++;
    }
}


static int
sls_aws_pair_cmp(const void *one, const void *two)
{
    int                    rc;
    const sls_aws_pair_t  *a, *b;

    a = one;
    b = two;

    rc = sls_aws_encoded_cmp(a->name, a->name_len, b->name, b->name_len);

    if (rc) {
        return rc;
    }

    return sls_aws_encoded_cmp(a->value, a->value_len, b->value,
                               b->value_len);
}


size_t
sls_aws_query(char *dst, sls_aws_pair_t *pairs, size_t n)
{
    size_t  i, len;

    if (n > 1) {
        qsort(pairs, n, sizeof(sls_aws_pair_t), sls_aws_pair_cmp);
    }

    len = 0;

    for (i = 0; i < n; i++) {
        if (i) {
            if (dst) {
                dst[len] = '&';
            }

            len++;
        }

        len += sls_aws_encode(dst ? dst + len : NULL, pairs[i].name,
                              pairs[i].name_len);

        if (dst) {
            dst[len] = '=';
        }

        len++;

        len += sls_aws_encode(dst ? dst + len : NULL, pairs[i].value,
                              pairs[i].value_len);
    }

    return len;
}


size_t
sls_aws_path(char *dst, const char *path, size_t len)
{
    size_t       n, seg;
    const char  *p, *end, *slash;

    p = path;
    end = path + len;
    n = 0;

    if (p < end && *p == '/') {
        p++;
    }

    if (dst) {
        dst[n] = '/';
    }

    n++;

    while (p < end) {
        slash = memchr(p, '/', end - p);
        seg = (slash ? slash : end) - p;

        if ((seg == 1 && p[0] == '.')
            || (seg == 2 && p[0] == '.' && p[1] == '.'))
        {
            return (size_t) -1;
        }

        n += sls_aws_encode(dst ? dst + n : NULL, p, seg);

        if (slash == NULL) {
            break;
        }

        if (dst) {
            dst[n] = '/';
        }

        n++;
        p = slash + 1;
    }

    return n;
}


int
sls_aws_path_signable(const char *encoded, size_t len)
{
    return memchr(encoded, '%', len) == NULL;
}


int
sls_aws_error_name(const char *s, size_t len, size_t *start, size_t *n)
{
    size_t  i, b, e;

    b = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '#') {
            b = i + 1;
        }
    }

    for (e = b; e < len && s[e] != ':'; e++) {
        /* void */
    }

    while (b < e && (s[b] == ' ' || s[b] == '\t')) {
        b++;
    }

    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) {
        e--;
    }

    if (e == b) {
        return -1;
    }

    *start = b;
    *n = e - b;

    return 0;
}


static void
sls_aws_copy(char *dst, size_t size, const char *src, size_t len)
{
    if (size == 0) {
        return;
    }

    if (len >= size) {
        len = size - 1;
    }

    memcpy(dst, src, len);
    dst[len] = '\0';
}


int
sls_aws_parse_error(const char *body, size_t len, char *type,
    size_t type_size, char *msg, size_t msg_size)
{
    int          found;
    cJSON       *root, *v;
    size_t       start, n;
    const char  *s;

    sls_aws_copy(type, type_size, "", 0);
    sls_aws_copy(msg, msg_size, "", 0);

    root = cJSON_ParseWithLength(body, len);
    if (root == NULL) {
        return -1;
    }

    found = 0;

    if (!cJSON_IsObject(root)) {
        goto done;
    }

    v = cJSON_GetObjectItemCaseSensitive(root, "__type");
    if (!cJSON_IsString(v)) {
        v = cJSON_GetObjectItemCaseSensitive(root, "code");
    }

    if (!cJSON_IsString(v)) {
        v = cJSON_GetObjectItemCaseSensitive(root, "Code");
    }

    if (cJSON_IsString(v)) {
        s = v->valuestring;

        if (sls_aws_error_name(s, strlen(s), &start, &n) == 0) {
            sls_aws_copy(type, type_size, s + start, n);
            found = 1;
        }
    }

    v = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (!cJSON_IsString(v)) {
        v = cJSON_GetObjectItemCaseSensitive(root, "Message");
    }

    if (cJSON_IsString(v)) {
        sls_aws_copy(msg, msg_size, v->valuestring, strlen(v->valuestring));
        found = 1;
    }

done:

    cJSON_Delete(root);

    return found ? 0 : -1;
}


/* p..end without blanks at either side; *last is the new end */

static const char *
sls_aws_trim(const char *p, const char *end, const char **last)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r')) {
        p++;
    }

    while (end > p
           && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
    {
        end--;
    }

    *last = end;

    return p;
}


static int
sls_aws_set(char *dst, size_t size, const char *v, size_t len)
{
    if (len >= size) {
        return -1;
    }

    memcpy(dst, v, len);
    dst[len] = '\0';

    return 0;
}


int
sls_aws_parse_profile(const char *text, size_t len, const char *profile,
    sls_aws_creds_t *creds, char *err, size_t err_size)
{
    int          in, seen, rc;
    size_t       plen, klen, vlen;
    const char  *p, *end, *eol, *line, *last, *eq, *k, *kend, *v, *vend;

    memset(creds, 0, sizeof(sls_aws_creds_t));

    plen = strlen(profile);
    p = text;
    end = text + len;
    in = 0;
    seen = 0;

    while (p < end) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        line = sls_aws_trim(p, eol, &last);
        p = eol + (eol < end);

        if (line == last || *line == '#' || *line == ';') {
            continue;
        }

        if (*line == '[') {
            if (last[-1] != ']') {
                in = 0;
                continue;
            }

            k = sls_aws_trim(line + 1, last - 1, &kend);

            if ((size_t) (kend - k) > 8 && memcmp(k, "profile", 7) == 0
                && (k[7] == ' ' || k[7] == '\t'))
            {
                k = sls_aws_trim(k + 8, kend, &kend);
            }

            in = ((size_t) (kend - k) == plen && memcmp(k, profile, plen) == 0);
            seen |= in;
            continue;
        }

        if (!in) {
            continue;
        }

        eq = memchr(line, '=', last - line);
        if (eq == NULL) {
            continue;
        }

        k = sls_aws_trim(line, eq, &kend);
        v = sls_aws_trim(eq + 1, last, &vend);
        klen = kend - k;
        vlen = vend - v;

#define SLS_AWS_KEY(name)                                                   \
        (klen == sizeof(name) - 1 && memcmp(k, name, klen) == 0)

        if (SLS_AWS_KEY("aws_access_key_id")) {
            rc = sls_aws_set(creds->key_id, SLS_AWS_KEY_ID_SIZE, v, vlen);

        } else if (SLS_AWS_KEY("aws_secret_access_key")) {
            rc = sls_aws_set(creds->secret, SLS_AWS_SECRET_SIZE, v, vlen);

        } else if (SLS_AWS_KEY("aws_session_token")
                   || SLS_AWS_KEY("aws_security_token"))
        {
            rc = sls_aws_set(creds->token, SLS_AWS_TOKEN_SIZE, v, vlen);

        } else {
            rc = 0;
        }

#undef SLS_AWS_KEY

        if (rc != 0) {
            snprintf(err, err_size, "a value of profile \"%s\" is too long",
                     profile);
            return -1;
        }
    }

    if (!seen) {
        snprintf(err, err_size, "no profile \"%s\"", profile);
        return -1;
    }

    if (creds->key_id[0] == '\0') {
        snprintf(err, err_size, "profile \"%s\" has no aws_access_key_id",
                 profile);
        return -1;
    }

    if (creds->secret[0] == '\0') {
        snprintf(err, err_size,
                 "profile \"%s\" has no aws_secret_access_key", profile);
        return -1;
    }

    return 0;
}


int
sls_aws_parse_creds_json(const char *body, size_t len,
    sls_aws_creds_t *creds, char *err, size_t err_size)
{
    int       rc;
    long      nsec;
    cJSON    *root, *id, *secret, *token, *exp, *code;
    int64_t   sec;

    memset(creds, 0, sizeof(sls_aws_creds_t));

    root = cJSON_ParseWithLength(body, len);

    if (!cJSON_IsObject(root)) {
        snprintf(err, err_size, "the credentials are not a JSON object");
        cJSON_Delete(root);
        return -1;
    }

    rc = -1;

    code = cJSON_GetObjectItemCaseSensitive(root, "Code");
    if (code && !(cJSON_IsString(code)
                  && strcmp(code->valuestring, "Success") == 0))
    {
        snprintf(err, err_size, "the credentials' Code is not \"Success\"");
        goto done;
    }

    id = cJSON_GetObjectItemCaseSensitive(root, "AccessKeyId");
    secret = cJSON_GetObjectItemCaseSensitive(root, "SecretAccessKey");
    token = cJSON_GetObjectItemCaseSensitive(root, "Token");
    exp = cJSON_GetObjectItemCaseSensitive(root, "Expiration");

    if (!cJSON_IsString(id) || id->valuestring[0] == '\0'
        || !cJSON_IsString(secret) || secret->valuestring[0] == '\0')
    {
        snprintf(err, err_size,
                 "the credentials lack AccessKeyId or SecretAccessKey");
        goto done;
    }

    if (token && !cJSON_IsString(token)) {
        snprintf(err, err_size, "the credentials' Token is not a string");
        goto done;
    }

    if (sls_aws_set(creds->key_id, SLS_AWS_KEY_ID_SIZE, id->valuestring,
                    strlen(id->valuestring)) != 0
        || sls_aws_set(creds->secret, SLS_AWS_SECRET_SIZE,
                       secret->valuestring, strlen(secret->valuestring))
           != 0
        || (token && sls_aws_set(creds->token, SLS_AWS_TOKEN_SIZE,
                                 token->valuestring,
                                 strlen(token->valuestring)) != 0))
    {
        snprintf(err, err_size, "a credentials value is too long");
        goto done;
    }

    if (exp) {
        if (!cJSON_IsString(exp)
            || sls_time_parse_rfc3339(exp->valuestring,
                                      strlen(exp->valuestring), &sec, &nsec)
               != 0)
        {
            snprintf(err, err_size,
                     "the credentials' Expiration is not RFC 3339");
            goto done;
        }

        creds->expiration = sec;
    }

    rc = 0;

done:

    if (rc != 0) {
        memset(creds, 0, sizeof(sls_aws_creds_t));
    }

    cJSON_Delete(root);

    return rc;
}
