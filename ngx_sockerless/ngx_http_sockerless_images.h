
/*
 * Copyright (C) sockerless contributors
 *
 * The image store: references, lookups and "docker load".
 */


#ifndef _NGX_HTTP_SOCKERLESS_IMAGES_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_IMAGES_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


/*
 * The image record "i/<hex>" for "sha256:<hex>", a unique hex prefix, or
 * a name[:tag] (docker.io/library/ prefixes and a missing ":latest" are
 * normalized); bound to pool, NULL when there is none.
 */
cJSON *ngx_http_sockerless_image_find(ngx_pool_t *pool, ngx_str_t *ref);

/* "repo:tag" for a reference, or NGX_ERROR when it is not one */
ngx_int_t ngx_http_sockerless_image_normalize(ngx_pool_t *pool,
    ngx_str_t *ref, ngx_str_t *out);

/* declares the thread pool image unpacking runs in */
ngx_int_t ngx_http_sockerless_images_init_conf(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SOCKERLESS_IMAGES_H_INCLUDED_ */
