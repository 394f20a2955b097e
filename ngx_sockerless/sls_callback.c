/*
 * Copyright (C) sockerless contributors
 *
 * The agent's reverse mode: callback URL, park and exit requests, answer
 * heads. nginx-free; see sls_callback.h.
 */


#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sls_callback.h>


static int sls_callback_host_char(int ch, int bracketed);


int
sls_callback_parse_url(const char *s, sls_callback_url_t *u, char *err,
    size_t err_size)
{
    size_t       n, hlen, alen;
    unsigned     port;
    const char  *p, *auth, *end, *host, *colon;

    memset(u, 0, sizeof(sls_callback_url_t));

    if (strncasecmp(s, "https://", 8) == 0) {
        snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: https is not "
                 "supported by the agent, use an http:// URL");
        return SLS_CB_ERROR;
    }

    if (strncasecmp(s, "http://", 7) != 0) {
        snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: \"%.256s\" is not "
                 "an http:// URL", s);
        return SLS_CB_ERROR;
    }

    for (p = s; *p; p++) {
        if ((unsigned char) *p <= 0x20 || (unsigned char) *p >= 0x7f
            || *p == '?' || *p == '#' || *p == '@')
        {
            snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: only "
                     "http://HOST[:PORT][/prefix] is accepted");
            return SLS_CB_ERROR;
        }
    }

    auth = s + 7;
    end = strchr(auth, '/');
    if (end == NULL) {
        end = auth + strlen(auth);
    }

    alen = (size_t) (end - auth);

    if (alen == 0 || alen >= sizeof(u->authority)) {
        goto bad_host;
    }

    if (*auth == '[') {
        host = auth + 1;
        colon = memchr(auth, ']', alen);

        if (colon == NULL) {
            goto bad_host;
        }

        hlen = (size_t) (colon - host);
        colon++;

        if (colon != end && *colon != ':') {
            goto bad_host;
        }

    } else {
        host = auth;
        colon = memchr(auth, ':', alen);
        hlen = colon ? (size_t) (colon - host) : alen;
    }

    if (hlen == 0 || hlen > SLS_CB_HOST_MAX) {
        goto bad_host;
    }

    for (n = 0; n < hlen; n++) {
        if (!sls_callback_host_char(host[n], *auth == '[')) {
            goto bad_host;
        }
    }

    port = 80;

    if (colon && colon != end) {
        /* colon points at ':' */
        port = 0;

        if (colon + 1 == end || end - colon > 6) {
            goto bad_port;
        }

        for (p = colon + 1; p < end; p++) {
            if (*p < '0' || *p > '9') {
                goto bad_port;
            }

            port = port * 10 + (unsigned) (*p - '0');
        }

        if (port == 0 || port > 65535) {
            goto bad_port;
        }
    }

    n = strlen(end);

    while (n && end[n - 1] == '/') {
        n--;
    }

    if (n > SLS_CB_PREFIX_MAX) {
        snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: the path is "
                 "longer than %d bytes", SLS_CB_PREFIX_MAX);
        return SLS_CB_ERROR;
    }

    memcpy(u->host, host, hlen);
    memcpy(u->authority, auth, alen);
    memcpy(u->prefix, end, n);
    u->port = port;

    return SLS_CB_OK;

bad_host:

    snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: bad host in "
             "\"%.256s\"", s);
    return SLS_CB_ERROR;

bad_port:

    snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL: bad port in "
             "\"%.256s\"", s);
    return SLS_CB_ERROR;
}


static int
sls_callback_host_char(int ch, int bracketed)
{
    if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')
        || (ch >= 'A' && ch <= 'F') || ch == '.')
    {
        return 1;
    }

    if (bracketed) {
        return ch == ':';
    }

    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || ch == '-' || ch == '_';
}


int
sls_callback_header_safe(const char *s)
{
    size_t  n;

    for (n = 0; s[n]; n++) {
        if ((unsigned char) s[n] <= 0x20 || (unsigned char) s[n] >= 0x7f
            || n >= 4096)
        {
            return 0;
        }
    }

    return n > 0;
}


size_t
sls_callback_park_request(char *buf, size_t size,
    const sls_callback_url_t *u, const char *id, const char *token,
    long pid)
{
    int  n;

    n = snprintf(buf, size,
                 "GET %s/_sockerless/agent/%s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "Authorization: Bearer %s\r\n"
                 "Connection: Upgrade\r\n"
                 "Upgrade: sockerless-agent\r\n"
                 "Sockerless-Agent-Pid: %ld\r\n"
                 "\r\n",
                 u->prefix, id, u->authority, token, pid);

    return n < 0 ? 0 : (size_t) n;
}


size_t
sls_callback_exit_request(char *buf, size_t size,
    const sls_callback_url_t *u, const char *id, const char *token,
    const char *body, size_t body_len)
{
    int     n;
    size_t  len;

    n = snprintf(buf, size,
                 "POST %s/_sockerless/agent/%s/exit HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "Authorization: Bearer %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %zu\r\n"
                 "Connection: close\r\n"
                 "\r\n",
                 u->prefix, id, u->authority, token, body_len);

    if (n < 0) {
        return 0;
    }

    len = (size_t) n;

    if (len + body_len < size) {
        memcpy(buf + len, body, body_len);
        buf[len + body_len] = '\0';
    }

    return len + body_len;
}


int
sls_callback_parse_head(const char *p, size_t len, int *status,
    size_t *head_len)
{
    size_t       i, n;
    const char  *end;

    n = len < SLS_CB_MAX_HEAD ? len : SLS_CB_MAX_HEAD;
    end = NULL;

    for (i = 0; i + 3 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r'
            && p[i + 3] == '\n')
        {
            end = p + i + 4;
            break;
        }
    }

    /* the status line can be judged before the head is complete */

    if (n >= 5 && memcmp(p, "HTTP/", 5) != 0) {
        return SLS_CB_ERROR;
    }

    if (end == NULL) {
        return (len >= SLS_CB_MAX_HEAD) ? SLS_CB_ERROR : SLS_CB_AGAIN;
    }

    /* "HTTP/1.x NNN" then a blank or the line's end */

    if (end - p < 14
        || memcmp(p, "HTTP/1.", 7) != 0
        || p[7] < '0' || p[7] > '9'
        || p[8] != ' '
        || p[9] < '1' || p[9] > '5'
        || p[10] < '0' || p[10] > '9'
        || p[11] < '0' || p[11] > '9'
        || (p[12] != ' ' && p[12] != '\r'))
    {
        return SLS_CB_ERROR;
    }

    *status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    *head_len = (size_t) (end - p);

    return SLS_CB_OK;
}
