
/*
 * Copyright (C) sockerless contributors
 *
 * AWS calls for the cloud backends: a JSON 1.1 or REST request, signed
 * with SigV4 by curl on the worker's multi, retried with backoff, its
 * answer parsed. Region, endpoints, credentials, timeout and retries are
 * the directives of ngx_http_sockerless_aws_module.
 */


#ifndef _NGX_HTTP_SOCKERLESS_AWS_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_AWS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <cjson/cJSON.h>
#include <ngx_http_sockerless_curl.h>


typedef struct ngx_http_sockerless_aws_call_s  ngx_http_sockerless_aws_call_t;

typedef void (*ngx_http_sockerless_aws_handler_pt)(
    ngx_http_sockerless_aws_call_t *ac);


struct ngx_http_sockerless_aws_call_s {
    ngx_pool_t                         *pool;      /* the call's own */
    ngx_log_t                          *log;

    /* request, set between create and start */
    ngx_str_t                           target;    /* JSON 1.1 X-Amz-Target;
                                                      set: POST / with
                                                      application/
                                                      x-amz-json-1.1 */
    ngx_str_t                           method;    /* REST */
    ngx_str_t                           path;      /* REST, unencoded,
                                                      '/'-separated */
    ngx_array_t                        *query;     /* REST: ngx_keyval_t,
                                                      unencoded */
    cJSON                              *body;      /* serialized at start;
                                                      not taken */
    ngx_msec_t                          timeout;   /* per attempt; 0: conf */
    ngx_int_t                           retries;   /* -1: conf */
    ngx_uint_t                          detached;  /* a stopping worker
                                                      drops it (long) */

    ngx_http_sockerless_aws_handler_pt  handler;   /* exactly once, never
                                                      from inside start() */
    void                               *data;

    /* answer, valid in the handler */
    ngx_uint_t                          status;    /* 0: no HTTP answer */
    ngx_str_t                           body_out;  /* raw, NUL-terminated */
    cJSON                              *json;      /* parsed object or NULL */
    ngx_str_t                           error_type;/* "ThrottlingException",
                                                      "ClientException", ...;
                                                      transport:
                                                      "RequestTimeout" or
                                                      "ConnectionError";
                                                      "MissingCredentials" */
    ngx_str_t                           message;   /* AWS's or curl's text */
    ngx_uint_t                          attempts;

    /* private members after this */
    void                               *amcf;
    ngx_str_t                           service;
    ngx_str_t                           url;
    ngx_str_t                           payload;
    ngx_http_sockerless_curl_t         *hc;
    ngx_event_t                         ev;        /* backoff, or the
                                                      handler posted */
    ngx_queue_t                         queue;     /* awaiting credentials */
    ngx_int_t                           max_retries;
    unsigned                            waiting:1;
    unsigned                            started:1;
    unsigned                            refreshed:1;
};


/* NULL on failure; service: "ecs", "logs", "lambda", ... */
ngx_http_sockerless_aws_call_t *ngx_http_sockerless_aws_create(
    ngx_log_t *log, const char *service);

/* NGX_OK: handler will be called; NGX_ERROR: it will not (free the call) */
ngx_int_t ngx_http_sockerless_aws_start(ngx_http_sockerless_aws_call_t *ac);

/* an answer header (case-insensitive), or NULL */
ngx_str_t *ngx_http_sockerless_aws_header(ngx_http_sockerless_aws_call_t *ac,
    const char *name);

/* in flight: cancels, the handler is not called; then frees the pool */
void ngx_http_sockerless_aws_free(ngx_http_sockerless_aws_call_t *ac);

/*
 * The configured region (the default when no directive set it), or NULL
 * when there is no http{} configuration at all.
 */
ngx_str_t *ngx_http_sockerless_aws_region(void);


#endif /* _NGX_HTTP_SOCKERLESS_AWS_H_INCLUDED_ */
