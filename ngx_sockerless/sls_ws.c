/*
 * Copyright (C) sockerless contributors
 *
 * RFC 6455 WebSocket frame codec, message reassembly and the opening
 * handshake (request parser, Sec-WebSocket-Accept). nginx-free.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sls_sha1.h>
#include <sls_ws.h>


#define SLS_WS_GUID  "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


static int sls_ws_append(sls_ws_reader_t *rd, const unsigned char *p,
    size_t len);
static void sls_ws_base64(const unsigned char *src, size_t len, char *dst);
static int sls_ws_token_in_list(const char *p, size_t len,
    const char *token);
static const char *sls_ws_trim(const char *p, const char *end,
    size_t *len);
static const char *sls_ws_find(const char *p, size_t len, const char *s,
    size_t slen);


size_t
sls_ws_frame_header(unsigned char *buf, int fin, int opcode, uint64_t len,
    const unsigned char *mask)
{
    int     i;
    size_t  n;

    buf[0] = (unsigned char) ((fin ? 0x80 : 0) | (opcode & 0x0f));

    if (len < 126) {
        buf[1] = (unsigned char) len;
        n = 2;

    } else if (len <= 0xffff) {
        buf[1] = 126;
        buf[2] = (unsigned char) (len >> 8);
        buf[3] = (unsigned char) len;
        n = 4;

    } else {
        buf[1] = 127;
        for (i = 0; i < 8; i++) {
            buf[2 + i] = (unsigned char) (len >> (56 - 8 * i));
        }
        n = 10;
    }

    if (mask) {
        buf[1] |= 0x80;
        memcpy(buf + n, mask, 4);
        n += 4;
    }

    return n;
}


void
sls_ws_mask(unsigned char *p, size_t len, const unsigned char mask[4],
    size_t offset)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        p[i] ^= mask[(offset + i) & 3];
    }
}


int
sls_ws_frame_parse(const unsigned char *p, size_t len, sls_ws_frame_t *f)
{
    int       i;
    size_t    n;
    uint64_t  l;

    if (len < 2) {
        return SLS_WS_AGAIN;
    }

    if (p[0] & 0x70) {
        return SLS_WS_ERROR;
    }

    f->fin = (p[0] & 0x80) != 0;
    f->opcode = p[0] & 0x0f;
    f->masked = (p[1] & 0x80) != 0;

    switch (f->opcode) {

    case SLS_WS_OP_CONT:
    case SLS_WS_OP_TEXT:
    case SLS_WS_OP_BINARY:
        break;

    case SLS_WS_OP_CLOSE:
    case SLS_WS_OP_PING:
    case SLS_WS_OP_PONG:
        if (!f->fin || (p[1] & 0x7f) > 125) {
            return SLS_WS_ERROR;
        }
        break;

    default:
        return SLS_WS_ERROR;
    }

    l = p[1] & 0x7f;
    n = 2;

    if (l == 126) {
        if (len < 4) {
            return SLS_WS_AGAIN;
        }

        l = (uint64_t) p[2] << 8 | p[3];
        n = 4;

    } else if (l == 127) {
        if (len < 10) {
            return SLS_WS_AGAIN;
        }

        if (p[2] & 0x80) {
            return SLS_WS_ERROR;
        }

        l = 0;
        for (i = 0; i < 8; i++) {
            l = l << 8 | p[2 + i];
        }
        n = 10;
    }

    if (f->masked) {
        if (len < n + 4) {
            return SLS_WS_AGAIN;
        }

        memcpy(f->mask, p + n, 4);
        n += 4;
    }

    f->len = l;
    f->header_len = n;

    return SLS_WS_OK;
}


int
sls_ws_read(sls_ws_reader_t *rd, unsigned char *in, size_t len,
    size_t *used, sls_ws_msg_t *msg)
{
    int             rc;
    unsigned char  *data;
    sls_ws_frame_t  f;

    *used = 0;

    for ( ;; ) {
        rc = sls_ws_frame_parse(in + *used, len - *used, &f);

        if (rc == SLS_WS_AGAIN) {
            return SLS_WS_AGAIN;
        }

        if (rc == SLS_WS_ERROR || f.masked != (rd->server != 0)) {
            rd->close_code = SLS_WS_CLOSE_PROTOCOL;
            return SLS_WS_ERROR;
        }

        if (f.len > rd->max_message) {
            rd->close_code = SLS_WS_CLOSE_TOO_BIG;
            return SLS_WS_ERROR;
        }

        if (len - *used - f.header_len < f.len) {
            return SLS_WS_AGAIN;
        }

        data = in + *used + f.header_len;

        if (f.masked) {
            sls_ws_mask(data, (size_t) f.len, f.mask, 0);
        }

        *used += f.header_len + (size_t) f.len;

        if (f.opcode & 0x08) {
            msg->opcode = f.opcode;
            msg->data = data;
            msg->len = (size_t) f.len;
            return SLS_WS_OK;
        }

        if (f.opcode == SLS_WS_OP_CONT) {
            if (rd->opcode == 0) {
                rd->close_code = SLS_WS_CLOSE_PROTOCOL;
                return SLS_WS_ERROR;
            }

            if (rd->len + f.len > rd->max_message) {
                rd->close_code = SLS_WS_CLOSE_TOO_BIG;
                return SLS_WS_ERROR;
            }

            if (sls_ws_append(rd, data, (size_t) f.len) != 0) {
                rd->close_code = SLS_WS_CLOSE_TOO_BIG;
                return SLS_WS_ERROR;
            }

            if (!f.fin) {
                continue;
            }

            msg->opcode = rd->opcode;
            msg->data = rd->buf;
            msg->len = rd->len;
            rd->opcode = 0;
            return SLS_WS_OK;
        }

        /* TEXT or BINARY */

        if (rd->opcode != 0) {
            rd->close_code = SLS_WS_CLOSE_PROTOCOL;
            return SLS_WS_ERROR;
        }

        if (f.fin) {
            msg->opcode = f.opcode;
            msg->data = data;
            msg->len = (size_t) f.len;
            return SLS_WS_OK;
        }

        rd->opcode = f.opcode;
        rd->len = 0;

        if (sls_ws_append(rd, data, (size_t) f.len) != 0) {
            rd->close_code = SLS_WS_CLOSE_TOO_BIG;
            return SLS_WS_ERROR;
        }
    }
}


static int
sls_ws_append(sls_ws_reader_t *rd, const unsigned char *p, size_t len)
{
    size_t          cap;
    unsigned char  *buf;

    if (rd->len + len > rd->cap) {
        cap = rd->cap ? rd->cap : 4096;

        while (cap < rd->len + len) {
            cap *= 2;
        }

        if (cap > rd->max_message) {
            cap = rd->max_message;
        }

        buf = realloc(rd->buf, cap ? cap : 1);
        if (buf == NULL) {
            return -1;
        }

        rd->buf = buf;
        rd->cap = cap;
    }

    if (len) {
        memcpy(rd->buf + rd->len, p, len);
        rd->len += len;
    }

    return 0;
}


void
sls_ws_reader_free(sls_ws_reader_t *rd)
{
    free(rd->buf);
    rd->buf = NULL;
    rd->len = 0;
    rd->cap = 0;
    rd->opcode = 0;
}


static void
sls_ws_base64(const unsigned char *src, size_t len, char *dst)
{
    size_t       i;
    uint32_t     v;
    static const char  tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t) src[i] << 16 | (uint32_t) src[i + 1] << 8 | src[i + 2];
        *dst++ = tbl[v >> 18];
        *dst++ = tbl[(v >> 12) & 63];
        *dst++ = tbl[(v >> 6) & 63];
        *dst++ = tbl[v & 63];
    }

    if (len - i == 1) {
        v = (uint32_t) src[i] << 16;
        *dst++ = tbl[v >> 18];
        *dst++ = tbl[(v >> 12) & 63];
        *dst++ = '=';
        *dst++ = '=';

    } else if (len - i == 2) {
        v = (uint32_t) src[i] << 16 | (uint32_t) src[i + 1] << 8;
        *dst++ = tbl[v >> 18];
        *dst++ = tbl[(v >> 12) & 63];
        *dst++ = tbl[(v >> 6) & 63];
        *dst++ = '=';
    }

    *dst = '\0';
}


void
sls_ws_accept_key(const char *key, size_t key_len, char *accept)
{
    unsigned char  digest[SLS_SHA1_DIGEST_LEN];
    sls_sha1_t     ctx;

    sls_sha1_init(&ctx);
    sls_sha1_update(&ctx, key, key_len);
    sls_sha1_update(&ctx, SLS_WS_GUID, sizeof(SLS_WS_GUID) - 1);
    sls_sha1_final(&ctx, digest);

    sls_ws_base64(digest, sizeof(digest), accept);
}


static const char *
sls_ws_trim(const char *p, const char *end, size_t *len)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    *len = (size_t) (end - p);

    return p;
}


/* memmem() without _GNU_SOURCE, which the module build does not set */

static const char *
sls_ws_find(const char *p, size_t len, const char *s, size_t slen)
{
    const char  *end;

    if (len < slen) {
        return NULL;
    }

    for (end = p + len - slen; p <= end; p++) {
        if (*p == *s && memcmp(p, s, slen) == 0) {
            return p;
        }
    }

    return NULL;
}


static int
sls_ws_token_in_list(const char *p, size_t len, const char *token)
{
    size_t       n, tlen;
    const char  *end, *comma, *t;

    end = p + len;
    tlen = strlen(token);

    while (p < end) {
        comma = memchr(p, ',', (size_t) (end - p));
        if (comma == NULL) {
            comma = end;
        }

        t = sls_ws_trim(p, comma, &n);

        if (n == tlen && strncasecmp(t, token, n) == 0) {
            return 1;
        }

        p = comma + 1;
    }

    return 0;
}


int
sls_ws_parse_request(const char *p, size_t len, sls_ws_request_t *req)
{
    size_t       n, vlen;
    const char  *end, *line, *eol, *colon, *sp, *v;

    memset(req, 0, sizeof(sls_ws_request_t));

    end = sls_ws_find(p, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return len > SLS_WS_MAX_REQUEST ? SLS_WS_ERROR : SLS_WS_AGAIN;
    }

    req->header_len = (size_t) (end - p) + 4;
    if (req->header_len > SLS_WS_MAX_REQUEST) {
        return SLS_WS_ERROR;
    }

    end += 2;

    /* request line: METHOD SP path SP HTTP/1.x */

    eol = sls_ws_find(p, (size_t) (end - p), "\r\n", 2);
    sp = memchr(p, ' ', (size_t) (eol - p));
    if (sp == NULL) {
        return SLS_WS_ERROR;
    }

    req->get = (sp - p == 3 && memcmp(p, "GET", 3) == 0);

    req->path = sp + 1;
    sp = memchr(req->path, ' ', (size_t) (eol - req->path));
    if (sp == NULL || eol - sp < 9 || memcmp(sp + 1, "HTTP/1.", 7) != 0) {
        return SLS_WS_ERROR;
    }

    req->path_len = (size_t) (sp - req->path);

    for (line = eol + 2; line < end; line = eol + 2) {
        eol = sls_ws_find(line, (size_t) (end - line), "\r\n", 2);
        colon = memchr(line, ':', (size_t) (eol - line));
        if (colon == NULL || colon == line) {
            return SLS_WS_ERROR;
        }

        n = (size_t) (colon - line);
        v = sls_ws_trim(colon + 1, eol, &vlen);

        if (n == 7 && strncasecmp(line, "Upgrade", n) == 0) {
            req->upgrade = sls_ws_token_in_list(v, vlen, "websocket");

        } else if (n == 10 && strncasecmp(line, "Connection", n) == 0) {
            req->connection = sls_ws_token_in_list(v, vlen, "upgrade");

        } else if (n == 17 && strncasecmp(line, "Sec-WebSocket-Key", n) == 0)
        {
            req->key = v;
            req->key_len = vlen;

        } else if (n == 21
                   && strncasecmp(line, "Sec-WebSocket-Version", n) == 0)
        {
            req->version = (vlen == 2 && memcmp(v, "13", 2) == 0) ? 13 : -1;

        } else if (n == 13 && strncasecmp(line, "Authorization", n) == 0) {
            req->auth = v;
            req->auth_len = vlen;
        }
    }

    return SLS_WS_OK;
}


size_t
sls_ws_client_request(char *buf, size_t size, const char *path,
    const char *host, const char *key, const char *token)
{
    int  n;

    n = snprintf(buf, size,
                 "GET %s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "Upgrade: websocket\r\n"
                 "Connection: Upgrade\r\n"
                 "Sec-WebSocket-Key: %s\r\n"
                 "Sec-WebSocket-Version: 13\r\n"
                 "%s%s%s"
                 "\r\n",
                 path, host, key,
                 token ? "Authorization: Bearer " : "",
                 token ? token : "", token ? "\r\n" : "");

    return n < 0 ? 0 : (size_t) n;
}
