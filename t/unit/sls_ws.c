/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_ws (frames, reassembly, handshake) and sls_sha1,
 * with the examples of RFC 6455 and FIPS 180. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_sha1.h>
#include <sls_ws.h>


#define ASSERT(name, cond)                                                    \
    do {                                                                      \
        n++;                                                                  \
        if (cond) {                                                           \
            printf("ok %d - %s\n", n, name);                                  \
        } else {                                                              \
            printf("not ok %d - %s\n", n, name);                              \
            failed++;                                                         \
        }                                                                     \
    } while (0)


static int  n, failed;


/* frames: hex strings with spaces, as written in RFC 6455 section 5.7 */

typedef struct {
    const char  *name;
    const char  *hex;             /* input bytes */
    int          server;          /* reader expects masked frames */
    int          rc;              /* of the first sls_ws_read() */
    int          opcode;
    const char  *payload;         /* expected message, NULL: don't check */
    int          close_code;
} sls_ws_read_vector_t;


static const sls_ws_read_vector_t  reads[] = {
    { "RFC 6455 unmasked Hello (client side)",
      "81 05 48 65 6c 6c 6f", 0, 0, 1, "Hello", 0 },
    { "RFC 6455 masked Hello",
      "81 85 37 fa 21 3d 7f 9f 4d 51 58", 1, 0, 1, "Hello", 0 },
    { "RFC 6455 fragmented Hel + lo (client side)",
      "01 03 48 65 6c 80 02 6c 6f", 0, 0, 1, "Hello", 0 },
    { "RFC 6455 unmasked ping",
      "89 05 48 65 6c 6c 6f", 0, 0, 9, "Hello", 0 },
    { "RFC 6455 masked pong",
      "8a 85 37 fa 21 3d 7f 9f 4d 51 58", 1, 0, 10, "Hello", 0 },
    { "ping between fragments comes first",
      "01 03 48 65 6c 89 00 80 02 6c 6f", 0, 0, 9, "", 0 },
    { "close with code 1000",
      "88 02 03 e8", 0, 0, 8, "\x03\xe8", 0 },
    { "empty binary",
      "82 00", 0, 0, 2, "", 0 },
    { "unmasked frame to a server",
      "81 05 48 65 6c 6c 6f", 1, -1, 0, NULL, 1002 },
    { "masked frame to a client",
      "81 85 37 fa 21 3d 7f 9f 4d 51 58", 0, -1, 0, NULL, 1002 },
    { "reserved bit set",
      "c1 00", 0, -1, 0, NULL, 1002 },
    { "unknown opcode 3",
      "83 00", 0, -1, 0, NULL, 1002 },
    { "unknown control opcode 0xb",
      "8b 00", 0, -1, 0, NULL, 1002 },
    { "fragmented ping",
      "09 00", 0, -1, 0, NULL, 1002 },
    { "ping of 126 bytes",
      "89 7e 00 7e", 0, -1, 0, NULL, 1002 },
    { "continuation without a start",
      "80 01 41", 0, -1, 0, NULL, 1002 },
    { "new text inside a fragmented message",
      "01 01 41 81 01 42", 0, -1, 0, NULL, 1002 },
    { "64-bit length with the top bit",
      "82 7f 80 00 00 00 00 00 00 00", 0, -1, 0, NULL, 1002 },
    { "frame larger than the maximum",
      "82 7f 00 00 00 00 00 10 01 01", 0, -1, 0, NULL, 1009 },
    { "incomplete header",
      "82 7e 01", 0, 1, 0, NULL, 0 },
    { "incomplete payload",
      "81 05 48 65", 0, 1, 0, NULL, 0 },
};


static size_t sls_ws_hex(const char *hex, unsigned char *out);
static void sls_ws_test_reads(void);
static void sls_ws_test_split(void);
static void sls_ws_test_big(void);
static void sls_ws_test_headers(void);
static void sls_ws_test_sha1(void);
static void sls_ws_test_handshake(void);


static size_t
sls_ws_hex(const char *hex, unsigned char *out)
{
    size_t        len;
    unsigned int  v;

    len = 0;

    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }

        sscanf(hex, "%2x", &v);
        out[len++] = (unsigned char) v;
        hex += 2;
    }

    return len;
}


static void
sls_ws_test_reads(void)
{
    int              rc;
    char             name[160];
    size_t           i, len, used;
    unsigned char    buf[256];
    sls_ws_msg_t     msg;
    sls_ws_reader_t  rd;

    for (i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        memset(&rd, 0, sizeof(rd));
        rd.server = reads[i].server;
        rd.max_message = SLS_WS_MAX_MESSAGE;

        len = sls_ws_hex(reads[i].hex, buf);
        rc = sls_ws_read(&rd, buf, len, &used, &msg);

        snprintf(name, sizeof(name), "read: %s", reads[i].name);

        if (reads[i].rc == 0) {
            ASSERT(name, rc == SLS_WS_OK && msg.opcode == reads[i].opcode
                         && msg.len == strlen(reads[i].payload)
                         && memcmp(msg.data, reads[i].payload, msg.len) == 0);

        } else if (reads[i].rc == 1) {
            ASSERT(name, rc == SLS_WS_AGAIN && used == 0);

        } else {
            ASSERT(name, rc == SLS_WS_ERROR
                         && rd.close_code == reads[i].close_code);
        }

        sls_ws_reader_free(&rd);
    }

    /* the rest of the fragmented message after the interleaved ping */

    memset(&rd, 0, sizeof(rd));
    rd.max_message = SLS_WS_MAX_MESSAGE;

    len = sls_ws_hex("01 03 48 65 6c 89 00 80 02 6c 6f", buf);
    rc = sls_ws_read(&rd, buf, len, &used, &msg);

    ASSERT("read: ping consumed with the first fragment",
           rc == SLS_WS_OK && used == 7);

    rc = sls_ws_read(&rd, buf + used, len - used, &used, &msg);

    ASSERT("read: then the reassembled text",
           rc == SLS_WS_OK && msg.opcode == SLS_WS_OP_TEXT && msg.len == 5
           && memcmp(msg.data, "Hello", 5) == 0 && used == 4);

    sls_ws_reader_free(&rd);
}


/* a masked, fragmented message delivered one byte more at a time */

static void
sls_ws_test_split(void)
{
    int              rc, ok;
    size_t           len, avail, off, used, h;
    unsigned char    buf[256], mask[4] = { 1, 2, 3, 4 };
    sls_ws_msg_t     msg;
    sls_ws_reader_t  rd;

    len = 0;
    h = sls_ws_frame_header(buf, 0, SLS_WS_OP_BINARY, 3, mask);
    memcpy(buf + h, "abc", 3);
    sls_ws_mask(buf + h, 3, mask, 0);
    len = h + 3;

    h = sls_ws_frame_header(buf + len, 1, SLS_WS_OP_CONT, 200, mask);
    memset(buf + len + h, 'z', 200);
    sls_ws_mask(buf + len + h, 200, mask, 0);
    len += h + 200;

    memset(&rd, 0, sizeof(rd));
    rd.server = 1;
    rd.max_message = SLS_WS_MAX_MESSAGE;

    off = 0;
    ok = 1;
    rc = SLS_WS_AGAIN;

    for (avail = 1; avail <= len; avail++) {
        rc = sls_ws_read(&rd, buf + off, avail - off, &used, &msg);
        off += used;

        if (rc == SLS_WS_OK) {
            break;
        }

        if (rc != SLS_WS_AGAIN) {
            ok = 0;
            break;
        }
    }

    ASSERT("split input: message only after the last byte",
           ok && rc == SLS_WS_OK && avail == len && off == len);
    ASSERT("split input: reassembled and unmasked",
           rc == SLS_WS_OK && msg.opcode == SLS_WS_OP_BINARY
           && msg.len == 203 && memcmp(msg.data, "abc", 3) == 0
           && msg.data[3] == 'z' && msg.data[202] == 'z');

    sls_ws_reader_free(&rd);
}


static void
sls_ws_test_big(void)
{
    int              rc;
    size_t           h, used, max;
    unsigned char   *buf;
    sls_ws_msg_t     msg;
    sls_ws_reader_t  rd;

    max = SLS_WS_MAX_MESSAGE;
    buf = calloc(1, max + 64);
    if (buf == NULL) {
        return;
    }

    /* exactly the maximum in one frame */

    memset(&rd, 0, sizeof(rd));
    rd.max_message = max;

    h = sls_ws_frame_header(buf, 1, SLS_WS_OP_BINARY, max, NULL);
    rc = sls_ws_read(&rd, buf, h + max, &used, &msg);

    ASSERT("max message in one frame",
           rc == SLS_WS_OK && msg.len == max && used == h + max);

    /* maximum + 1 over two fragments */

    h = sls_ws_frame_header(buf, 0, SLS_WS_OP_BINARY, max / 2, NULL);
    h += max / 2;
    used = sls_ws_frame_header(buf + h, 1, SLS_WS_OP_CONT,
                               max - max / 2 + 1, NULL);
    h += used + max - max / 2 + 1;

    rc = sls_ws_read(&rd, buf, h, &used, &msg);

    ASSERT("fragments over the maximum: 1009",
           rc == SLS_WS_ERROR && rd.close_code == SLS_WS_CLOSE_TOO_BIG);

    sls_ws_reader_free(&rd);
    free(buf);
}


typedef struct {
    const char   *name;
    int           fin;
    int           opcode;
    uint64_t      len;
    int           masked;
    const char   *hex;
} sls_ws_header_vector_t;


static const sls_ws_header_vector_t  headers[] = {
    { "text 5", 1, 1, 5, 0, "81 05" },
    { "binary 125", 1, 2, 125, 0, "82 7d" },
    { "binary 126 (16-bit length)", 1, 2, 126, 0, "82 7e 00 7e" },
    { "RFC 6455 256 bytes", 1, 2, 256, 0, "82 7e 01 00" },
    { "binary 65535", 1, 2, 65535, 0, "82 7e ff ff" },
    { "RFC 6455 64 KiB (64-bit length)", 1, 2, 65536, 0,
      "82 7f 00 00 00 00 00 01 00 00" },
    { "non-final text", 0, 1, 3, 0, "01 03" },
    { "masked close", 1, 8, 2, 1, "88 82 37 fa 21 3d" },
};


static void
sls_ws_test_headers(void)
{
    int             rc;
    char            name[160];
    size_t          i, len, elen;
    unsigned char   buf[16], exp[16], mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
    sls_ws_frame_t  f;

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        len = sls_ws_frame_header(buf, headers[i].fin, headers[i].opcode,
                                  headers[i].len,
                                  headers[i].masked ? mask : NULL);
        elen = sls_ws_hex(headers[i].hex, exp);

        snprintf(name, sizeof(name), "header encode: %s", headers[i].name);
        ASSERT(name, len == elen && memcmp(buf, exp, len) == 0);

        rc = sls_ws_frame_parse(exp, elen, &f);

        snprintf(name, sizeof(name), "header parse: %s", headers[i].name);
        ASSERT(name, rc == SLS_WS_OK && f.fin == headers[i].fin
                     && f.opcode == headers[i].opcode
                     && f.len == headers[i].len
                     && f.masked == headers[i].masked
                     && f.header_len == elen);
    }
}


static void
sls_ws_test_sha1(void)
{
    int            i;
    char           hex[41];
    unsigned char  d[20];
    sls_sha1_t     ctx;

    static const struct {
        const char  *name;
        const char  *in;
        const char  *out;
    } v[] = {
        { "sha1 empty", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
        { "sha1 abc", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
        { "sha1 448 bits",
          "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
    };

    for (i = 0; i < 3; i++) {
        sls_sha1(v[i].in, strlen(v[i].in), d);

        for (int j = 0; j < 20; j++) {
            snprintf(hex + 2 * j, 3, "%02x", d[j]);
        }

        ASSERT(v[i].name, strcmp(hex, v[i].out) == 0);
    }

    /* a million 'a' in odd-sized pieces */

    sls_sha1_init(&ctx);

    for (i = 0; i < 1000000; i += 7) {
        sls_sha1_update(&ctx, "aaaaaaa", i + 7 <= 1000000 ? 7 : 1000000 - i);
    }

    sls_sha1_final(&ctx, d);

    for (i = 0; i < 20; i++) {
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }

    ASSERT("sha1 million a, split updates",
           strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") == 0);
}


static void
sls_ws_test_handshake(void)
{
    int               rc;
    char              accept[SLS_WS_ACCEPT_LEN + 1], buf[512];
    size_t            len;
    sls_ws_request_t  req;

    static const char  good[] =
        "GET /chat HTTP/1.1\r\n"
        "Host: server.example.com\r\n"
        "upgrade: WebSocket\r\n"
        "Connection: keep-alive, Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Authorization:   Bearer abc  \r\n"
        "\r\n"
        "\x81\x85";

    sls_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);
    ASSERT("RFC 6455 accept key example",
           strcmp(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == 0);

    rc = sls_ws_parse_request(good, sizeof(good) - 1, &req);
    ASSERT("request: parsed", rc == SLS_WS_OK);
    ASSERT("request: fields",
           req.get && req.upgrade && req.connection && req.version == 13
           && req.path_len == 5 && memcmp(req.path, "/chat", 5) == 0
           && req.key_len == 24
           && memcmp(req.key, "dGhlIHNhbXBsZSBub25jZQ==", 24) == 0
           && req.auth_len == 10 && memcmp(req.auth, "Bearer abc", 10) == 0);
    ASSERT("request: header_len stops at the empty line",
           req.header_len == sizeof(good) - 3);

    rc = sls_ws_parse_request(good, 40, &req);
    ASSERT("request: partial is AGAIN", rc == SLS_WS_AGAIN);

    rc = sls_ws_parse_request("GARBAGE\r\n\r\n", 11, &req);
    ASSERT("request: malformed request line", rc == SLS_WS_ERROR);

    rc = sls_ws_parse_request("GET / HTTP/1.1\r\nNoColon\r\n\r\n", 27, &req);
    ASSERT("request: header without a colon", rc == SLS_WS_ERROR);

    rc = sls_ws_parse_request("POST / HTTP/1.1\r\nUpgrade: h2c\r\n"
                              "Connection: close\r\n"
                              "Sec-WebSocket-Version: 8\r\n\r\n", 79, &req);
    ASSERT("request: not an upgrade",
           rc == SLS_WS_OK && !req.get && !req.upgrade && !req.connection
           && req.version == -1);

    len = sls_ws_client_request(buf, sizeof(buf), "/v1", "agent",
                                "dGhlIHNhbXBsZSBub25jZQ==", "tok");
    rc = sls_ws_parse_request(buf, len, &req);
    ASSERT("client request round trip",
           len == strlen(buf) && rc == SLS_WS_OK && req.get && req.upgrade
           && req.connection && req.version == 13 && req.key_len == 24
           && req.auth_len == 10 && memcmp(req.auth, "Bearer tok", 10) == 0
           && req.header_len == len);

    len = sls_ws_client_request(buf, 10, "/v1", "agent",
                                "dGhlIHNhbXBsZSBub25jZQ==", NULL);
    ASSERT("client request: needed length reported, no token",
           len > 10 && strlen(buf) == 9);
}


int
main(void)
{
    sls_ws_test_reads();
    sls_ws_test_split();
    sls_ws_test_big();
    sls_ws_test_headers();
    sls_ws_test_sha1();
    sls_ws_test_handshake();

    printf("1..%d\n", n);

    return failed ? 1 : 0;
}
