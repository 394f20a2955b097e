
/*
 * Copyright (C) sockerless contributors
 *
 * The libcurl bridge (DESIGN.md D4): one curl multi per worker, driven by
 * nginx's events and a timer, never blocking. A call is one HTTP request
 * whose answer is collected in the caller's pool, or, in sink mode, a 2xx
 * answer's body is written to a file as it arrives (registry blobs); in
 * source mode the request body is read from a file as curl sends it
 * (registry uploads).
 */


#ifndef _NGX_HTTP_SOCKERLESS_CURL_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_CURL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <curl/curl.h>


#define NGX_HTTP_SOCKERLESS_CURL_MAX_BODY  (64 * 1024 * 1024)

/* what a sunk body may bring in one turn of the event loop */
#define NGX_HTTP_SOCKERLESS_CURL_SLICE     (1024 * 1024)


typedef struct ngx_http_sockerless_curl_s  ngx_http_sockerless_curl_t;

typedef void (*ngx_http_sockerless_curl_handler_pt)(
    ngx_http_sockerless_curl_t *hc);

/*
 * each piece of a sunk body, once written, or of a sourced body, once
 * read (hc->sent counts it); never calls into the bridge
 */
typedef void (*ngx_http_sockerless_curl_progress_pt)(
    ngx_http_sockerless_curl_t *hc, u_char *data, size_t len);


/*
 * Everything a call allocates comes from its pool, which the caller owns
 * and destroys; a pool cleanup releases curl's handle (and takes it out
 * of the multi when still in flight). The request fields are copied by
 * start(): they may change or go once it returns.
 */

struct ngx_http_sockerless_curl_s {
    ngx_pool_t                          *pool;
    ngx_log_t                           *log;

    /* request */
    ngx_str_t                            method;   /* "": GET, or POST with
                                                      a body */
    ngx_str_t                            url;
    ngx_array_t                         *headers;  /* ngx_str_t "N: v" */
    ngx_str_t                            body;     /* data NULL: none */
    ngx_msec_t                           timeout;  /* whole call; 0: none */
    ngx_str_t                            sigv4;    /* CURLOPT_AWS_SIGV4 */
    ngx_str_t                            user;     /* with sigv4: key id */
    ngx_str_t                            password; /* with sigv4: secret */
    ngx_str_t                            ca_file;  /* "": system CAs */
    size_t                               max_body; /* 0: the default max */
    ngx_msec_t                           stall;    /* no byte for that
                                                      long fails; 0: none */
    ngx_msec_t                           connect_timeout; /* 0: curl's */
    ngx_str_t                            basic;    /* "user:password" for
                                                      Basic auth, or "" */
    ngx_fd_t                             sink_fd;  /* with sink */
    ngx_fd_t                             source_fd; /* with source */
    off_t                                source_size;
    ngx_http_sockerless_curl_progress_pt progress; /* with sink or source,
                                                      or NULL */
    unsigned                             sink:1;   /* 2xx body to sink_fd */
    unsigned                             source:1; /* the body is
                                                      source_size bytes of
                                                      source_fd from its
                                                      start; method "":
                                                      PUT */
    unsigned                             follow:1; /* follow redirects */
    unsigned                             detached:1; /* a stopping worker
                                                        does not wait for
                                                        it (a long call) */

    ngx_http_sockerless_curl_handler_pt  handler;  /* once, never from
                                                      inside start() */
    void                                *data;

    /* answer, valid in the handler */
    ngx_uint_t                           status;   /* 0: none */
    ngx_array_t                          headers_out; /* ngx_keyval_t */
    ngx_str_t                            body_out; /* NUL-terminated */
    ngx_int_t                            result;   /* CURLcode */
    ngx_str_t                            error;    /* curl's text or "" */
    off_t                                received; /* bytes sunk so far */
    off_t                                sent;     /* bytes sourced */
    off_t                                total;    /* Content-Length of a
                                                      sunk body; < 0: not
                                                      known */

    /* private */
    CURL                                *easy;
    struct curl_slist                   *slist;
    ngx_queue_t                          queue;
    ngx_event_t                          resume;   /* posted: unpause */
    size_t                               slice;    /* sunk this turn */
    size_t                               body_size;
    char                                 errbuf[CURL_ERROR_SIZE];
    unsigned                             active:1;
};


/* NULL on failure; the call lives in pool */
ngx_http_sockerless_curl_t *ngx_http_sockerless_curl_create(ngx_pool_t *pool,
    ngx_log_t *log);

/* NGX_OK: the handler will be called; NGX_ERROR: it will not */
ngx_int_t ngx_http_sockerless_curl_start(ngx_http_sockerless_curl_t *hc);

/* in flight: stops the call, the handler is not called */
void ngx_http_sockerless_curl_cancel(ngx_http_sockerless_curl_t *hc);

/* an answer header, name case-insensitive, or NULL */
ngx_str_t *ngx_http_sockerless_curl_header(ngx_http_sockerless_curl_t *hc,
    const char *name);


#endif /* _NGX_HTTP_SOCKERLESS_CURL_H_INCLUDED_ */
