/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_ws: the frame header parser (and the writer
 * round trip), the message reader fed in one buffer and again in chunks
 * whose sizes come from the input (both must return the same messages),
 * and the upgrade request parser (and the client request round trip).
 *
 * Input: byte 0 configures the reader (bit 0 server, bits 1-3 the
 * max_message, bits 4-7 the chunk seed), the rest is the frame stream.
 * The request parser reads the whole input.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_ws.h>
#include "fuzz.h"


typedef struct {
    unsigned   msgs;
    uint64_t   hash;
    int        rc;
    int        close_code;
} sls_fuzz_result_t;


static void sls_fuzz_frame(const uint8_t *data, size_t size);
static void sls_fuzz_read(const uint8_t *data, size_t size, int server,
    size_t max_message, unsigned seed, sls_fuzz_result_t *r);
static void sls_fuzz_request(const uint8_t *data, size_t size);
static char *sls_fuzz_strndup(const char *p, size_t len);
static int sls_fuzz_printable(const char *p, size_t len);


static const size_t  sls_fuzz_max_message[] = {
    0, 1, 125, 126, 200, 4096, 65536, SLS_WS_MAX_MESSAGE
};


static uint64_t
sls_fuzz_hash(uint64_t h, const unsigned char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }

    return h;
}


static void
sls_fuzz_frame(const uint8_t *data, size_t size)
{
    int              rc;
    size_t           n, k;
    unsigned char    hdr[SLS_WS_MAX_HEADER], *a, *b;
    sls_ws_frame_t   f, g;

    rc = sls_ws_frame_parse(data, size, &f);

    if (rc != SLS_WS_OK) {
        sls_fuzz_check(rc == SLS_WS_AGAIN || rc == SLS_WS_ERROR);
        return;
    }

    sls_fuzz_check(f.header_len >= 2 && f.header_len <= SLS_WS_MAX_HEADER
                   && f.header_len <= size);
    sls_fuzz_check(f.len < (1ULL << 63));
    sls_fuzz_check((f.opcode & 0x08) == 0 || (f.fin && f.len <= 125));

    /* the writer's header parses back to the same frame */

    n = sls_ws_frame_header(hdr, f.fin, f.opcode, f.len,
                            f.masked ? f.mask : NULL);

    sls_fuzz_check(n <= f.header_len);
    sls_fuzz_check(sls_ws_frame_parse(hdr, n, &g) == SLS_WS_OK);
    sls_fuzz_check(g.fin == f.fin && g.opcode == f.opcode
                   && g.masked == f.masked && g.len == f.len
                   && g.header_len == n);
    sls_fuzz_check(!f.masked || memcmp(g.mask, f.mask, 4) == 0);

    /* masking in two parts at an offset is masking at once; twice: none */

    n = size - f.header_len;
    if (n > f.len) {
        n = (size_t) f.len;
    }

    a = malloc(n + 1);
    b = malloc(n + 1);
    sls_fuzz_check(a != NULL && b != NULL);

    memcpy(a, data + f.header_len, n);
    memcpy(b, data + f.header_len, n);

    k = n ? data[0] % (n + 1) : 0;

    sls_ws_mask(a, n, f.mask, 0);
    sls_ws_mask(b, k, f.mask, 0);
    sls_ws_mask(b + k, n - k, f.mask, k);
    sls_fuzz_check(memcmp(a, b, n) == 0);

    sls_ws_mask(a, n, f.mask, 0);
    sls_fuzz_check(memcmp(a, data + f.header_len, n) == 0);

    free(a);
    free(b);
}


static void
sls_fuzz_read(const uint8_t *data, size_t size, int server,
    size_t max_message, unsigned seed, sls_fuzz_result_t *r)
{
    int               rc;
    size_t            off, n, pend_len, used;
    unsigned char    *pend, *in;
    sls_ws_msg_t      msg;
    sls_ws_reader_t   rd;

    memset(&rd, 0, sizeof(rd));
    rd.server = server;
    rd.max_message = max_message;

    r->msgs = 0;
    r->hash = 14695981039346656037ULL;
    r->rc = SLS_WS_AGAIN;
    r->close_code = 0;

    pend = malloc(size + 1);
    sls_fuzz_check(pend != NULL);
    pend_len = 0;

    for (off = 0; off < size; off += n) {

        if (seed == 0) {
            n = size;

        } else {
            seed = seed * 1103515245 + 12345;
            n = (seed >> 16) % 23 + 1;

            if (n > size - off) {
                n = size - off;
            }
        }

        memcpy(pend + pend_len, data + off, n);
        pend_len += n;

        for ( ;; ) {
            /* an exact copy: ASan sees any access past the input */
            in = malloc(pend_len ? pend_len : 1);
            sls_fuzz_check(in != NULL);
            memcpy(in, pend, pend_len);

            rc = sls_ws_read(&rd, in, pend_len, &used, &msg);

            sls_fuzz_check(used <= pend_len);

            /* bytes not consumed are left as they were */
            sls_fuzz_check(memcmp(in + used, pend + used, pend_len - used)
                           == 0);

            if (rc == SLS_WS_OK) {
                sls_fuzz_check(msg.opcode == SLS_WS_OP_TEXT
                               || msg.opcode == SLS_WS_OP_BINARY
                               || msg.opcode == SLS_WS_OP_CLOSE
                               || msg.opcode == SLS_WS_OP_PING
                               || msg.opcode == SLS_WS_OP_PONG);
                sls_fuzz_check(msg.len <= max_message);
                sls_fuzz_check(msg.len == 0 || msg.data != NULL);

                if (msg.len && msg.data >= in && msg.data < in + pend_len) {
                    sls_fuzz_check(msg.len <= used
                                   && msg.data + msg.len <= in + used);
                }

                r->msgs++;
                r->hash = sls_fuzz_hash(r->hash,
                                        (unsigned char *) &msg.opcode, 1);
                r->hash = sls_fuzz_hash(r->hash,
                                        (unsigned char *) &msg.len,
                                        sizeof(size_t));
                r->hash = sls_fuzz_hash(r->hash, msg.data, msg.len);
            }

            free(in);

            memmove(pend, pend + used, pend_len - used);
            pend_len -= used;

            if (rc != SLS_WS_OK) {
                break;
            }
        }

        r->rc = rc;

        if (rc == SLS_WS_ERROR) {
            r->close_code = rd.close_code;
            sls_fuzz_check(rd.close_code == SLS_WS_CLOSE_PROTOCOL
                           || rd.close_code == SLS_WS_CLOSE_TOO_BIG);
            break;
        }

        sls_fuzz_check(rc == SLS_WS_AGAIN);
    }

    sls_fuzz_check(rd.len <= max_message && rd.cap <= max_message + 1);

    free(pend);
    sls_ws_reader_free(&rd);
}


static char *
sls_fuzz_strndup(const char *p, size_t len)
{
    char  *s;

    s = malloc(len + 1);
    sls_fuzz_check(s != NULL);

    memcpy(s, p, len);
    s[len] = '\0';

    return s;
}


/* no control characters and no blank at either end */
static int
sls_fuzz_printable(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }
    }

    return len == 0 || (p[0] != ' ' && p[len - 1] != ' ');
}


static void
sls_fuzz_request(const uint8_t *data, size_t size)
{
    int                rc;
    char              *p, *path, *key, *token, *buf, accept[32];
    size_t             n;
    sls_ws_request_t   req, req2;

    p = malloc(size ? size : 1);
    sls_fuzz_check(p != NULL);
    memcpy(p, data, size);

    rc = sls_ws_parse_request(p, size, &req);

    if (rc != SLS_WS_OK) {
        sls_fuzz_check(rc == SLS_WS_AGAIN || rc == SLS_WS_ERROR);
        sls_fuzz_check(rc == SLS_WS_ERROR || size <= SLS_WS_MAX_REQUEST);
        free(p);
        return;
    }

    sls_fuzz_check(req.header_len >= 4 && req.header_len <= size
                   && req.header_len <= SLS_WS_MAX_REQUEST);
    sls_fuzz_check(memcmp(p + req.header_len - 4, "\r\n\r\n", 4) == 0);
    sls_fuzz_check(req.path > p
                   && req.path + req.path_len <= p + req.header_len);
    sls_fuzz_check(req.key == NULL
                   || (req.key > p
                       && req.key + req.key_len <= p + req.header_len));
    sls_fuzz_check(req.auth == NULL
                   || (req.auth > p
                       && req.auth + req.auth_len <= p + req.header_len));
    sls_fuzz_check(req.version == 0 || req.version == 13
                   || req.version == -1);

    if (req.key) {
        sls_ws_accept_key(req.key, req.key_len, accept);
        sls_fuzz_check(strlen(accept) == SLS_WS_ACCEPT_LEN);
    }

    /* what the client writes for this path and key parses back */

    if (!sls_fuzz_printable(req.path, req.path_len)
        || memchr(req.path, ' ', req.path_len) != NULL
        || (req.key && !sls_fuzz_printable(req.key, req.key_len))
        || (req.auth && !sls_fuzz_printable(req.auth, req.auth_len)))
    {
        free(p);
        return;
    }

    path = sls_fuzz_strndup(req.path, req.path_len);
    key = sls_fuzz_strndup(req.key ? req.key : "", req.key_len);
    token = req.auth_len ? sls_fuzz_strndup(req.auth, req.auth_len) : NULL;

    n = sls_ws_client_request(NULL, 0, path, "localhost", key, token);

    buf = malloc(n + 1);
    sls_fuzz_check(buf != NULL);

    sls_fuzz_check(sls_ws_client_request(buf, n + 1, path, "localhost", key,
                                         token) == n);
    sls_fuzz_check(strlen(buf) == n);

    rc = sls_ws_parse_request(buf, n, &req2);

    if (n > SLS_WS_MAX_REQUEST) {
        sls_fuzz_check(rc == SLS_WS_ERROR);
        goto done;
    }

    sls_fuzz_check(rc == SLS_WS_OK);
    sls_fuzz_check(req2.header_len == n && req2.get && req2.upgrade
                   && req2.connection && req2.version == 13);
    sls_fuzz_check(req2.path_len == req.path_len
                   && memcmp(req2.path, path, req.path_len) == 0);
    sls_fuzz_check(req2.key_len == req.key_len
                   && memcmp(req2.key, key, req.key_len) == 0);

    if (token) {
        sls_fuzz_check(req2.auth_len == 7 + req.auth_len
                       && memcmp(req2.auth, "Bearer ", 7) == 0
                       && memcmp(req2.auth + 7, token, req.auth_len) == 0);

    } else {
        sls_fuzz_check(req2.auth == NULL);
    }

done:

    free(buf);
    free(token);
    free(key);
    free(path);
    free(p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 server;
    size_t              max_message;
    unsigned            seed;
    sls_fuzz_result_t   whole, chunked;

    sls_fuzz_request(data, size);

    if (size < 1) {
        return 0;
    }

    server = data[0] & 1;
    max_message = sls_fuzz_max_message[(data[0] >> 1) & 7];
    seed = (data[0] >> 4) | 0x10;

    data++;
    size--;

    sls_fuzz_frame(data, size);

    sls_fuzz_read(data, size, server, max_message, 0, &whole);
    sls_fuzz_read(data, size, server, max_message, seed, &chunked);

    sls_fuzz_check(whole.msgs == chunked.msgs && whole.hash == chunked.hash
                   && whole.rc == chunked.rc
                   && whole.close_code == chunked.close_code);

    return 0;
}
