/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_callback: the agent's callback URL, its park and exit
 * requests, and the answer heads it reads. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_callback.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *url;
    const char  *host;        /* NULL: refused */
    const char  *authority;
    unsigned     port;
    const char  *prefix;
    const char  *err;         /* part of the message when refused */
} sls_url_vector_t;


typedef struct {
    const char  *name;
    const char  *head;
    int          rc;
    int          status;
    size_t       head_len;
} sls_head_vector_t;


static const sls_url_vector_t  urls[] = {
    { "host and port", "http://gw:2375", "gw", "gw:2375", 2375, "", NULL },
    { "IPv4 and a slash", "http://127.0.0.1:8080/", "127.0.0.1",
      "127.0.0.1:8080", 8080, "", NULL },
    { "a prefix", "http://gw.example.com:2375/prefix", "gw.example.com",
      "gw.example.com:2375", 2375, "/prefix", NULL },
    { "a deep prefix, slashes trimmed", "http://gw:1/a/b//", "gw", "gw:1",
      1, "/a/b", NULL },
    { "no port is 80", "http://GW-1_a/x", "GW-1_a", "GW-1_a", 80, "/x",
      NULL },
    { "upper-case scheme", "HTTP://gw:9", "gw", "gw:9", 9, "", NULL },
    { "IPv6", "http://[::1]:2375/p", "::1", "[::1]:2375", 2375, "/p",
      NULL },
    { "IPv6 without a port", "http://[fe80::1]", "fe80::1", "[fe80::1]", 80,
      "", NULL },
    { "https is refused", "https://gw:443", NULL, NULL, 0, NULL,
      "https is not supported" },
    { "another scheme", "ftp://gw:21", NULL, NULL, 0, NULL,
      "is not an http:// URL" },
    { "no scheme", "gw:2375", NULL, NULL, 0, NULL, "is not an http://" },
    { "empty host", "http://:2375", NULL, NULL, 0, NULL, "bad host" },
    { "nothing", "http://", NULL, NULL, 0, NULL, "bad host" },
    { "port zero", "http://gw:0", NULL, NULL, 0, NULL, "bad port" },
    { "port too big", "http://gw:65536", NULL, NULL, 0, NULL, "bad port" },
    { "port too long", "http://gw:0000080", NULL, NULL, 0, NULL,
      "bad port" },
    { "empty port", "http://gw:/", NULL, NULL, 0, NULL, "bad port" },
    { "port with a letter", "http://gw:8o", NULL, NULL, 0, NULL,
      "bad port" },
    { "user info", "http://u:p@gw:1", NULL, NULL, 0, NULL, "only http://" },
    { "a query", "http://gw:1/p?x=1", NULL, NULL, 0, NULL, "only http://" },
    { "a fragment", "http://gw:1/#f", NULL, NULL, 0, NULL, "only http://" },
    { "CRLF injection", "http://gw:1/p\r\nX: y", NULL, NULL, 0, NULL,
      "only http://" },
    { "a blank", "http://g w:1", NULL, NULL, 0, NULL, "only http://" },
    { "unclosed bracket", "http://[::1:2375", NULL, NULL, 0, NULL,
      "bad host" },
    { "junk after the bracket", "http://[::1]x:1", NULL, NULL, 0, NULL,
      "bad host" },
    { "a colon in a plain host", "http://a:b:1", NULL, NULL, 0, NULL,
      "bad port" },
    { "bad host character", "http://g!w:1", NULL, NULL, 0, NULL,
      "bad host" },
};


static const sls_head_vector_t  heads[] = {
    { "101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
      SLS_CB_OK, 101, 48 },
    { "bare 204", "HTTP/1.1 204\r\n\r\n", SLS_CB_OK, 204, 16 },
    { "HTTP/1.0 401", "HTTP/1.0 401 Unauthorized\r\n\r\n", SLS_CB_OK, 401,
      29 },
    { "bytes after the head", "HTTP/1.1 410 Gone\r\n\r\nGET / HTTP/1.1",
      SLS_CB_OK, 410, 21 },
    { "incomplete head", "HTTP/1.1 101 Switching Protocols\r\n",
      SLS_CB_AGAIN, 0, 0 },
    { "a few bytes", "HT", SLS_CB_AGAIN, 0, 0 },
    { "empty", "", SLS_CB_AGAIN, 0, 0 },
    { "not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", SLS_CB_ERROR, 0, 0 },
    { "not HTTP, early", "HELLO", SLS_CB_ERROR, 0, 0 },
    { "HTTP/2", "HTTP/2 200\r\n\r\n", SLS_CB_ERROR, 0, 0 },
    { "two-digit status", "HTTP/1.1 20 OK\r\n\r\n", SLS_CB_ERROR, 0, 0 },
    { "status 600", "HTTP/1.1 600 X\r\n\r\n", SLS_CB_ERROR, 0, 0 },
    { "status glued", "HTTP/1.1 2000\r\n\r\n", SLS_CB_ERROR, 0, 0 },
    { "letters", "HTTP/1.1 1x1 X\r\n\r\n", SLS_CB_ERROR, 0, 0 },
};


static void test_urls(void);
static void test_heads(void);
static void test_head_too_big(void);
static void test_requests(void);
static void test_header_safe(void);


int
main(void)
{
    test_urls();
    test_heads();
    test_head_too_big();
    test_requests();
    test_header_safe();

    return TEST_DONE();
}


static void
test_urls(void)
{
    int                      rc;
    char                     err[512];
    size_t                   i;
    sls_callback_url_t       u;
    const sls_url_vector_t  *v;

    for (i = 0; i < TEST_NELTS(urls); i++) {
        v = &urls[i];
        err[0] = '\0';

        rc = sls_callback_parse_url(v->url, &u, err, sizeof(err));

        if (v->host == NULL) {
            if (!TEST_OK(rc == SLS_CB_ERROR && strstr(err, v->err),
                         "url: %s", v->name))
            {
                TEST_DIAG("rc %d err \"%s\"", rc, err);
            }

            continue;
        }

        if (!TEST_OK(rc == SLS_CB_OK && strcmp(u.host, v->host) == 0
                     && strcmp(u.authority, v->authority) == 0
                     && u.port == v->port
                     && strcmp(u.prefix, v->prefix) == 0,
                     "url: %s", v->name))
        {
            TEST_DIAG("rc %d host \"%s\" authority \"%s\" port %u "
                      "prefix \"%s\" err \"%s\"", rc, u.host, u.authority,
                      u.port, u.prefix, err);
        }
    }
}


static void
test_heads(void)
{
    int                       rc, status;
    size_t                    i, head_len;
    const sls_head_vector_t  *v;

    for (i = 0; i < TEST_NELTS(heads); i++) {
        v = &heads[i];
        status = 0;
        head_len = 0;

        rc = sls_callback_parse_head(v->head, strlen(v->head), &status,
                                     &head_len);

        if (!TEST_OK(rc == v->rc
                     && (rc != SLS_CB_OK
                         || (status == v->status
                             && head_len == v->head_len)),
                     "head: %s", v->name))
        {
            TEST_DIAG("rc %d status %d head_len %zu", rc, status, head_len);
        }
    }
}


static void
test_head_too_big(void)
{
    int     rc, status;
    char   *p;
    size_t  head_len, n;

    n = SLS_CB_MAX_HEAD + 100;
    p = malloc(n);
    if (p == NULL) {
        abort();
    }

    memset(p, 'x', n);
    memcpy(p, "HTTP/1.1 101 OK\r\nX: ", 20);
    memcpy(p + n - 4, "\r\n\r\n", 4);

    rc = sls_callback_parse_head(p, SLS_CB_MAX_HEAD - 1, &status, &head_len);
    TEST_OK(rc == SLS_CB_AGAIN, "head: one byte short of the limit waits");

    rc = sls_callback_parse_head(p, n, &status, &head_len);
    TEST_OK(rc == SLS_CB_ERROR, "head: larger than 8 KiB is refused");

    free(p);
}


static void
test_requests(void)
{
    char                 buf[1024], small[16];
    size_t               n;
    const char          *want;
    sls_callback_url_t   u;

    if (sls_callback_parse_url("http://gw:2375/pre", &u, buf, sizeof(buf))
        != SLS_CB_OK)
    {
        abort();
    }

    want = "GET /pre/_sockerless/agent/abc HTTP/1.1\r\n"
           "Host: gw:2375\r\n"
           "Authorization: Bearer tok\r\n"
           "Connection: Upgrade\r\n"
           "Upgrade: sockerless-agent\r\n"
           "Sockerless-Agent-Pid: 42\r\n"
           "\r\n";

    n = sls_callback_park_request(buf, sizeof(buf), &u, "abc", "tok", 42);
    TEST_OK(n == strlen(want) && strcmp(buf, want) == 0,
            "park request, byte for byte");

    n = sls_callback_park_request(small, sizeof(small), &u, "abc", "tok",
                                  42);
    TEST_OK(n == strlen(want), "park request: the length it needs");

    want = "POST /pre/_sockerless/agent/abc/exit HTTP/1.1\r\n"
           "Host: gw:2375\r\n"
           "Authorization: Bearer tok\r\n"
           "Content-Type: application/json\r\n"
           "Content-Length: 13\r\n"
           "Connection: close\r\n"
           "\r\n"
           "{\"exitCode\":3";

    n = sls_callback_exit_request(buf, sizeof(buf), &u, "abc", "tok",
                                  "{\"exitCode\":3}", 13);
    TEST_OK(n == strlen(want) && strcmp(buf, want) == 0,
            "exit request, byte for byte, body by length");

    n = sls_callback_exit_request(small, sizeof(small), &u, "abc", "tok",
                                  "{}", 2);
    TEST_OK(n > sizeof(small) && small[sizeof(small) - 1] == '\0',
            "exit request: the length it needs, truncated safely");
}


static void
test_header_safe(void)
{
    char  big[5000];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';

    TEST_OK(sls_callback_header_safe("tok-123_ABC.="), "header-safe token");
    TEST_OK(!sls_callback_header_safe(""), "empty is not header-safe");
    TEST_OK(!sls_callback_header_safe("a b"), "a blank is not header-safe");
    TEST_OK(!sls_callback_header_safe("a\r\nX: y"),
            "CRLF is not header-safe");
    TEST_OK(!sls_callback_header_safe("\x80"), "8-bit is not header-safe");
    TEST_OK(!sls_callback_header_safe(big), "5000 bytes is too long");
}
