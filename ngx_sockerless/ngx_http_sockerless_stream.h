
/*
 * Copyright (C) sockerless contributors
 *
 * Streams: logs, attach, exec start and resize (DESIGN.md D5).
 */


#ifndef _NGX_HTTP_SOCKERLESS_STREAM_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_STREAM_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


ngx_int_t ngx_http_sockerless_container_attach(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_container_logs(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_container_resize(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_exec_start(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_exec_resize(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);


#endif /* _NGX_HTTP_SOCKERLESS_STREAM_H_INCLUDED_ */
