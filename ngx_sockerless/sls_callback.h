/*
 * Copyright (C) sockerless contributors
 *
 * The agent's reverse mode: the callback URL, the requests it sends to
 * the gateway (park, exit report) and the answer heads it reads. nginx-free.
 */


#ifndef _SLS_CALLBACK_H_INCLUDED_
#define _SLS_CALLBACK_H_INCLUDED_


#include <stddef.h>


#define SLS_CB_OK               0
#define SLS_CB_AGAIN            1
#define SLS_CB_ERROR            -1

/* the largest answer head the agent reads */
#define SLS_CB_MAX_HEAD         8192

#define SLS_CB_HOST_MAX         255
#define SLS_CB_PREFIX_MAX       1024


/* a parsed http://HOST[:PORT][/prefix]; everything is NUL-terminated */
typedef struct {
    char            host[SLS_CB_HOST_MAX + 1];     /* no brackets */
    char            authority[SLS_CB_HOST_MAX + 8]; /* for Host: as given */
    char            prefix[SLS_CB_PREFIX_MAX + 1]; /* "" or "/p", no "/" */
    unsigned        port;
} sls_callback_url_t;


/*
 * Parses the callback URL s into u.  Only "http://" is accepted; the
 * port defaults to 80; an IPv6 host is written in brackets.  A query, a
 * fragment, user info, blanks and control characters are refused.
 * Returns SLS_CB_OK, or SLS_CB_ERROR with a message in err.
 */
int sls_callback_parse_url(const char *s, sls_callback_url_t *u, char *err,
    size_t err_size);

/*
 * 1 when s can go into a header: 1 to 4096 visible ASCII characters
 * (the token, the container id)
 */
int sls_callback_header_safe(const char *s);

/*
 * Writes the park request (GET <prefix>/_sockerless/agent/<id>, Upgrade:
 * sockerless-agent) into buf; returns the length it needs, like
 * snprintf().  id and token must be header-safe.
 */
size_t sls_callback_park_request(char *buf, size_t size,
    const sls_callback_url_t *u, const char *id, const char *token,
    long pid);

/*
 * Writes the exit report (POST <prefix>/_sockerless/agent/<id>/exit with
 * body as application/json) into buf; returns the length it needs, like
 * snprintf().
 */
size_t sls_callback_exit_request(char *buf, size_t size,
    const sls_callback_url_t *u, const char *id, const char *token,
    const char *body, size_t body_len);

/*
 * Parses an HTTP/1.x answer head at p[0..len).  SLS_CB_OK: *status and
 * *head_len (through the empty line) are set; SLS_CB_AGAIN: no empty
 * line yet; SLS_CB_ERROR: not an HTTP/1.x status line, or no empty line
 * within SLS_CB_MAX_HEAD bytes.
 */
int sls_callback_parse_head(const char *p, size_t len, int *status,
    size_t *head_len);


#endif /* _SLS_CALLBACK_H_INCLUDED_ */
