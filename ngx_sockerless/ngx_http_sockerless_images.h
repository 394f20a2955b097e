
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

/*
 * The store record of image "sha256:<hex>" made from its config (the
 * image config JSON), its size and the bytes of each layer; bound to pool.
 */
cJSON *ngx_http_sockerless_image_record(ngx_pool_t *pool, const char *hex,
    cJSON *cfg, off_t size, cJSON *sizes);

/* an image event with dockerd's attributes: labels and "name" */
void ngx_http_sockerless_image_event(ngx_pool_t *pool, const char *action,
    const char *id, const char *name, cJSON *rec);

/* points tag ("repo:tag", normalized) at "sha256:<hex>", moving it */
ngx_int_t ngx_http_sockerless_tag_set(ngx_pool_t *pool, const char *tag,
    const char *id);

/* rm -rf of <data>/images/<hex> in the thread pool, after a rename */
void ngx_http_sockerless_image_files_rm(ngx_log_t *log, const char *hex);

/* rm -rf of path in the thread pool (at once without one) */
void ngx_http_sockerless_files_rm(ngx_log_t *log, const char *path);

/*
 * Unpacks the tar (or tar.gz) file into dir; with layer, OCI whiteouts
 * apply. For the thread pool: libc and libarchive only. 0, or -1 with
 * the reason in err.
 */
int ngx_http_sockerless_extract(const char *file, const char *dir,
    int layer, off_t *size, char *err, size_t errlen);

/*
 * The same from a reader instead of a file (file NULL): read() sets *buf
 * to the next bytes and returns how many, 0 at the end, -1 on failure;
 * it may block (a layer still on its way). For the thread pool.
 */
int ngx_http_sockerless_extract_from(const char *file,
    ssize_t (*read)(void *data, const void **buf), void *data,
    const char *dir, int layer, off_t *size, char *err, size_t errlen);

/*
 * The config JSON of an image flattened to one layer whose diff id is
 * diff_id, printed with cJSON's malloc (the caller frees it), or NULL;
 * thread-safe (trees.c)
 */
char *ngx_http_sockerless_flat_config(cJSON *cfg, const char *diff_id);

/* POST /images/create from a registry (pull.c) */
ngx_int_t ngx_http_sockerless_image_pull(ngx_http_request_t *r);

/* POST /images/create?fromSrc=- (trees.c) */
ngx_int_t ngx_http_sockerless_image_import(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

/* POST /images/{name}/push (pull.c) */
ngx_int_t ngx_http_sockerless_image_push(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

/* GET /images/search (pull.c) */
ngx_int_t ngx_http_sockerless_image_search(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

/* POST /auth (pull.c) */
ngx_int_t ngx_http_sockerless_auth(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

/* declares the thread pool image unpacking runs in */
ngx_int_t ngx_http_sockerless_images_init_conf(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SOCKERLESS_IMAGES_H_INCLUDED_ */
