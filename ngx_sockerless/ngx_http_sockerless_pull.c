
/*
 * Copyright (C) sockerless contributors
 *
 * "docker pull", "docker push" and "docker login" over the OCI
 * distribution API, on the libcurl bridge: manifest (index resolved to
 * linux and this machine), config and layer blobs verified by sha256,
 * layers unpacked in order in the thread pool with the code "docker load"
 * uses, and dockerd's progress stream. A push sends the flattened rootfs
 * as one gzip layer made in the thread pool, its config and a schema2
 * manifest.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_images.h>
#include <ngx_http_sockerless_curl.h>
#include <ngx_thread_pool.h>
#include <sls_registry.h>
#include <sls_tree.h>
#include <openssl/evp.h>
#include <sys/utsname.h>
#include <archive.h>
#include <zlib.h>


#define NGX_HTTP_SOCKERLESS_PULL_LAYERS  128

/* a layer's file, as the thread that unpacks it sees it */
#define NGX_HTTP_SOCKERLESS_FEED_NONE    0   /* not asked for yet */
#define NGX_HTTP_SOCKERLESS_FEED_OPEN    1   /* coming */
#define NGX_HTTP_SOCKERLESS_FEED_DONE    2   /* all there, digest right */
#define NGX_HTTP_SOCKERLESS_FEED_FAILED  3

#define NGX_HTTP_SOCKERLESS_FEED_BUF     (256 * 1024)

#define NGX_HTTP_SOCKERLESS_ACCEPT                                            \
    "Accept: application/vnd.oci.image.index.v1+json, "                      \
    "application/vnd.docker.distribution.manifest.list.v2+json, "            \
    "application/vnd.oci.image.manifest.v1+json, "                           \
    "application/vnd.docker.distribution.manifest.v2+json"


typedef enum {
    sls_pull_manifest = 0,
    sls_pull_config,
    sls_pull_layer,
    sls_pull_login,
    sls_push_head,         /* is the blob there? */
    sls_push_post,         /* start an upload */
    sls_push_put,          /* the blob */
    sls_push_manifest      /* the manifest */
} ngx_http_sockerless_pull_state_e;


typedef struct {
    off_t                              avail;      /* bytes in its file */
    ngx_uint_t                         state;      /* _FEED_* */
} ngx_http_sockerless_pull_feed_t;


/*
 * A pull, push or login lives in a pool of its own: a thread task (a
 * layer unpacked, a layer built) may still hold it when the client goes
 * and nginx frees the request; the task's end frees it then
 */

typedef struct {
    ngx_pool_t                        *pool;
    ngx_http_request_t                *request;    /* NULL: it is gone */
    ngx_log_t                         *log;        /* a copy in pool */
    ngx_http_sockerless_pull_state_e   state;

    sls_registry_ref_t                 ref;
    sls_registry_auth_t               *auth;
    char                               host[512];  /* API host[:port] */
    ngx_str_t                          scheme;     /* "http", "https" */
    ngx_str_t                          bearer;     /* "Authorization: ..." */
    ngx_str_t                          url;        /* of the last request */
    char                               what[80];   /* its tag or digest */
    ngx_uint_t                         sink;       /* its body to fd */
    ngx_uint_t                         auth_tried;
    ngx_uint_t                         basic;      /* Basic auth in use */
    ngx_http_sockerless_curl_t        *hc;

    char                               manifest_digest[72];
    cJSON                             *manifest;
    cJSON                             *cfg;
    sls_registry_blob_t                config;
    sls_registry_blob_t                layers[NGX_HTTP_SOCKERLESS_PULL_LAYERS];
    ngx_int_t                          nlayers;
    ngx_int_t                          current;    /* downloading */
    ngx_int_t                          ex;         /* unpacking */
    char                               hex[65];    /* of the config */

    char                              *data_dir;
    char                              *tmp;        /* the blobs, while here */
    ngx_fd_t                           fd;
    EVP_MD_CTX                        *md;
    ngx_msec_t                         last;       /* progress sent at */

    /* under mutex: shared with the thread */
    ngx_thread_mutex_t                 mutex;
    ngx_thread_cond_t                  cond;
    ngx_http_sockerless_pull_feed_t    feeds[NGX_HTTP_SOCKERLESS_PULL_LAYERS];
    ngx_uint_t                         abort;      /* the task stops */

    /* the thread's part: unpack one layer */
    char                              *layer_file;
    char                              *rootfs;
    off_t                              layer_size;
    ngx_int_t                          extract_rc;
    char                               error[512];
    cJSON                             *sizes;
    off_t                              size;

    /* push */
    const char                        *actions;    /* token scope */
    cJSON                             *push_cfg;   /* the image's config */
    const char                        *push_rootfs;
    char                              *cfgtext;    /* the config blob */
    char                               diff_id[72];
    char                               layer_digest[72];
    char                               cfg_digest[72];
    off_t                              layer_gz;   /* its size */
    ngx_uint_t                         blob;       /* 0: layer, 1: config */
    ngx_str_t                          location;   /* of the upload */
    ngx_str_t                          mbody;      /* the manifest */
    char                               short_id[16];

    unsigned                           headers_sent:1;
    unsigned                           sync:1;     /* mutex, cond made */
    unsigned                           busy:1;     /* a task holds ps */
    unsigned                           done:1;     /* answered */
} ngx_http_sockerless_pull_t;


/* the thread's reader of a layer that may still be coming */
typedef struct {
    ngx_http_sockerless_pull_t        *ps;
    ngx_http_sockerless_pull_feed_t   *feed;
    ngx_log_t                         *log;
    u_char                            *buf;
    off_t                              pos;
    int                                fd;
} ngx_http_sockerless_pull_reader_t;


/* the thread's gzip writer of a pushed layer */
typedef struct {
    ngx_http_sockerless_pull_t        *ps;
    EVP_MD_CTX                        *diff;       /* of the tar */
    EVP_MD_CTX                        *blob;       /* of the gzip */
    z_stream                           zs;
    int                                fd;
    off_t                              size;
    u_char                             out[65536];
} ngx_http_sockerless_gzip_t;


static ngx_int_t ngx_http_sockerless_pull_get(ngx_http_sockerless_pull_t *ps,
    const char *what, ngx_uint_t sink);
static void ngx_http_sockerless_pull_answer(ngx_http_sockerless_curl_t *hc);
static ngx_int_t ngx_http_sockerless_pull_challenge(
    ngx_http_sockerless_pull_t *ps, ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_pull_token(ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_pull_manifest(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_pull_config(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_pull_next_layer(
    ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_pull_layer(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_pull_progress(ngx_http_sockerless_curl_t *hc,
    u_char *data, size_t len);
static ngx_int_t ngx_http_sockerless_pull_extract(
    ngx_http_sockerless_pull_t *ps);
static ssize_t ngx_http_sockerless_pull_feed_read(void *data,
    const void **buf);
static ngx_uint_t ngx_http_sockerless_pull_feed_wait(
    ngx_http_sockerless_pull_reader_t *rd, ngx_uint_t all, off_t *avail);
static void ngx_http_sockerless_pull_feed_set(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_pull_feed_t *feed, off_t avail, ngx_uint_t state);
static void ngx_http_sockerless_pull_extract_thread(void *data,
    ngx_log_t *log);
static ngx_int_t ngx_http_sockerless_pull_task_back(
    ngx_http_sockerless_pull_t *ps, const char *failed);
static void ngx_http_sockerless_pull_extract_done(ngx_event_t *ev);
static void ngx_http_sockerless_pull_finish(ngx_http_sockerless_pull_t *ps,
    ngx_uint_t downloaded);
static void ngx_http_sockerless_pull_fail(ngx_http_sockerless_pull_t *ps,
    ngx_uint_t status, const char *fmt, ...);
static void ngx_http_sockerless_pull_registry_error(
    ngx_http_sockerless_pull_t *ps, ngx_http_sockerless_curl_t *hc);
static ngx_int_t ngx_http_sockerless_pull_status(
    ngx_http_sockerless_pull_t *ps, const char *status, const char *id,
    const char *progress, off_t current, off_t total);
static ngx_int_t ngx_http_sockerless_pull_headers(
    ngx_http_sockerless_pull_t *ps);
static ngx_int_t ngx_http_sockerless_pull_line(ngx_http_sockerless_pull_t *ps,
    cJSON *json);
static void ngx_http_sockerless_pull_writer(ngx_http_request_t *r);
static ngx_http_sockerless_pull_t *ngx_http_sockerless_pull_new(
    ngx_http_request_t *r);
static void ngx_http_sockerless_pull_detach(void *data);
static void ngx_http_sockerless_pull_abort(ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_pull_cleanup(void *data);
static ngx_int_t ngx_http_sockerless_pull_sha256(EVP_MD_CTX *md,
    const char *digest);
static ngx_int_t ngx_http_sockerless_pull_setup(ngx_http_request_t *r,
    ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_login_answer(ngx_http_sockerless_curl_t *hc);
static ngx_str_t *ngx_http_sockerless_pull_req_header(ngx_http_request_t *r,
    const char *name);
static ngx_int_t ngx_http_sockerless_pull_again(ngx_http_sockerless_pull_t *ps);
static ngx_int_t ngx_http_sockerless_pull_auth_headers(
    ngx_http_sockerless_pull_t *ps, ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_push_hex(EVP_MD_CTX *md, char out[72]);
static void ngx_http_sockerless_push_build(void *data, ngx_log_t *log);
static la_ssize_t ngx_http_sockerless_push_gzip(struct archive *a,
    void *data, const void *buf, size_t len);
static int ngx_http_sockerless_push_deflate(
    ngx_http_sockerless_gzip_t *gz, int flush);
static void ngx_http_sockerless_push_built(ngx_event_t *ev);
static ngx_int_t ngx_http_sockerless_push_send(ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_push_answer(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_push_progress(ngx_http_sockerless_curl_t *hc,
    u_char *data, size_t len);
static void ngx_http_sockerless_push_next(ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_push_done(ngx_http_sockerless_pull_t *ps);
static void ngx_http_sockerless_push_error(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc);


static ngx_str_t *
ngx_http_sockerless_pull_req_header(ngx_http_request_t *r, const char *name)
{
    size_t            len;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == len
            && ngx_strncasecmp(h[i].key.data, (u_char *) name, len) == 0)
        {
            return &h[i].value;
        }
    }

    return NULL;
}


/*
 * The pull's own pool, with a copy of the connection's log that does not
 * reach into the request; the request's end detaches it
 */

static ngx_http_sockerless_pull_t *
ngx_http_sockerless_pull_new(ngx_http_request_t *r)
{
    ngx_log_t                   *log;
    ngx_pool_t                  *pool;
    ngx_pool_cleanup_t          *cln, *rcln;
    ngx_http_sockerless_pull_t  *ps;

    rcln = ngx_pool_cleanup_add(r->pool, 0);
    if (rcln == NULL) {
        return NULL;
    }

    pool = ngx_create_pool(4096, r->connection->log);
    if (pool == NULL) {
        return NULL;
    }

    ps = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_pull_t));
    log = ngx_palloc(pool, sizeof(ngx_log_t));
    cln = ngx_pool_cleanup_add(pool, 0);

    if (ps == NULL || log == NULL || cln == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    *log = *r->connection->log;
    log->handler = NULL;
    log->data = NULL;
    log->action = NULL;
    pool->log = log;

    ps->pool = pool;
    ps->request = r;
    ps->log = log;
    ps->fd = NGX_INVALID_FILE;
    ps->actions = "pull";

    cln->handler = ngx_http_sockerless_pull_cleanup;
    cln->data = ps;

    if (ngx_thread_mutex_create(&ps->mutex, log) != NGX_OK) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    if (ngx_thread_cond_create(&ps->cond, log) != NGX_OK) {
        (void) ngx_thread_mutex_destroy(&ps->mutex, log);
        ngx_destroy_pool(pool);
        return NULL;
    }

    ps->sync = 1;

    rcln->handler = ngx_http_sockerless_pull_detach;
    rcln->data = ps;

    return ps;
}


/*
 * The request's end: what is in flight stops; a thread task still
 * running is told to stop and its end frees the pull (extract_done,
 * push_built)
 */

static void
ngx_http_sockerless_pull_detach(void *data)
{
    ngx_http_sockerless_pull_t *ps = data;

    ps->request = NULL;
    ps->done = 1;

    if (ps->hc) {
        ngx_http_sockerless_curl_cancel(ps->hc);
        ps->hc = NULL;
    }

    if (ps->busy) {
        ngx_http_sockerless_pull_abort(ps);
        return;
    }

    ngx_destroy_pool(ps->pool);
}


static void
ngx_http_sockerless_pull_abort(ngx_http_sockerless_pull_t *ps)
{
    (void) ngx_thread_mutex_lock(&ps->mutex, ps->log);

    ps->abort = 1;
    (void) ngx_thread_cond_signal(&ps->cond, ps->log);

    (void) ngx_thread_mutex_unlock(&ps->mutex, ps->log);
}


/* the scheme: http for loopback names and insecure registries */

static ngx_int_t
ngx_http_sockerless_pull_setup(ngx_http_request_t *r,
    ngx_http_sockerless_pull_t *ps)
{
    size_t                            len;
    ngx_str_t                        *ins;
    ngx_uint_t                        i, insecure;
    const char                       *host;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    host = sls_registry_api_host(ps->ref.domain);
    ngx_cpystrn((u_char *) ps->host, (u_char *) host, sizeof(ps->host));

    len = ngx_strlen(ps->host);
    insecure = 0;

    if ((len >= 9 && ngx_strncmp(ps->host, "127.0.0.1", 9) == 0
         && (len == 9 || ps->host[9] == ':'))
        || (len >= 9 && ngx_strncmp(ps->host, "localhost", 9) == 0
            && (len == 9 || ps->host[9] == ':')))
    {
        insecure = 1;
    }

    if (smcf->insecure_registries) {
        ins = smcf->insecure_registries->elts;

        for (i = 0; i < smcf->insecure_registries->nelts; i++) {
            if (ins[i].len == len
                && ngx_strncmp(ins[i].data, ps->host, len) == 0)
            {
                insecure = 1;
            }
        }
    }

    if (insecure) {
        ngx_str_set(&ps->scheme, "http");

    } else {
        ngx_str_set(&ps->scheme, "https");
    }

    ps->data_dir = ngx_http_sockerless_cstr(ps->pool, &smcf->data_dir);
    if (ps->data_dir == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* POST /images/create?fromImage=&tag=&platform= */

ngx_int_t
ngx_http_sockerless_image_pull(ngx_http_request_t *r)
{
    char                         err[256], *name, *tag;
    ngx_str_t                    from, t, *xra;
    ngx_http_sockerless_pull_t  *ps;

    if (ngx_http_sockerless_arg(r, "fromImage", &from) != NGX_OK
        || from.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid reference format");
    }

    if (ngx_http_sockerless_arg(r, "tag", &t) != NGX_OK) {
        ngx_str_set(&t, "");
    }

    ps = ngx_http_sockerless_pull_new(r);
    name = ngx_http_sockerless_cstr(r->pool, &from);
    tag = ngx_http_sockerless_cstr(r->pool, &t);

    if (ps == NULL || name == NULL || tag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (from.len > 255
        || sls_registry_parse_ref(name, tag, &ps->ref, err, sizeof(err)) != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              from.len > 255
                                              ? "invalid reference format"
                                              : err);
    }

    ps->auth = ngx_pcalloc(ps->pool, sizeof(sls_registry_auth_t));
    if (ps->auth == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    xra = ngx_http_sockerless_pull_req_header(r, "X-Registry-Auth");

    if (xra && sls_registry_decode_auth((char *) xra->data, xra->len,
                                        ps->auth)
               != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid X-Registry-Auth header");
    }

    if (ngx_http_sockerless_pull_setup(r, ps) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ps->auth->registrytoken[0]) {
        ps->bearer.data = ngx_pnalloc(ps->pool,
                                      ngx_strlen(ps->auth->registrytoken)
                                      + 32);
        if (ps->bearer.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ps->bearer.len = ngx_sprintf(ps->bearer.data,
                                     "Authorization: Bearer %s",
                                     ps->auth->registrytoken)
                         - ps->bearer.data;
    }

    ps->state = sls_pull_manifest;

    if (ngx_http_sockerless_pull_get(ps, ps->ref.digest[0] ? ps->ref.digest
                                                           : ps->ref.tag, 0)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;
    r->write_event_handler = ngx_http_sockerless_pull_writer;

    if (!r->discard_body) {
        /* a client that goes stops the pull (or push) at once */
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_DONE;
}


/*
 * One registry request: "manifests/<what>" in sls_pull_manifest,
 * "blobs/<digest>" otherwise; sink writes the body to ps->fd.
 */

static ngx_int_t
ngx_http_sockerless_pull_get(ngx_http_sockerless_pull_t *ps,
    const char *what, ngx_uint_t sink)
{
    ngx_str_t                        *h;
    ngx_http_request_t               *r;
    ngx_http_sockerless_curl_t       *hc;
    ngx_http_sockerless_main_conf_t  *smcf;

    r = ps->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    hc = ngx_http_sockerless_curl_create(ps->pool, ps->log);
    if (hc == NULL) {
        return NGX_ERROR;
    }

    hc->url.data = ngx_pnalloc(ps->pool, ngx_strlen(ps->host)
                               + ngx_strlen(ps->ref.path)
                               + ngx_strlen(what) + 64);
    if (hc->url.data == NULL) {
        return NGX_ERROR;
    }

    if (what != ps->what) {
        ngx_cpystrn((u_char *) ps->what, (u_char *) what, sizeof(ps->what));
    }

    ps->sink = sink;

    if (sink) {
        /*
         * a retry after a challenge starts the blob again; only a 2xx
         * body is sunk, so the thread has read nothing of it yet
         */
        if (ftruncate(ps->fd, 0) != 0
            || lseek(ps->fd, 0, SEEK_SET) != 0
            || EVP_DigestInit_ex(ps->md, EVP_sha256(), NULL) != 1)
        {
            ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                          "sockerless ftruncate() of a blob failed");
            return NGX_ERROR;
        }
    }

    hc->url.len = ngx_sprintf(hc->url.data, "%V://%s/v2/%s/%s/%s",
                              &ps->scheme, ps->host, ps->ref.path,
                              ps->state == sls_pull_manifest ? "manifests"
                                                             : "blobs",
                              what)
                  - hc->url.data;

    hc->headers = ngx_array_create(ps->pool, 2, sizeof(ngx_str_t));
    if (hc->headers == NULL) {
        return NGX_ERROR;
    }

    if (ps->state == sls_pull_manifest) {
        h = ngx_array_push(hc->headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(h, NGX_HTTP_SOCKERLESS_ACCEPT);
        hc->max_body = 4 * 1024 * 1024;

    } else {
        hc->max_body = 8 * 1024 * 1024;
    }

    if (ngx_http_sockerless_pull_auth_headers(ps, hc) != NGX_OK) {
        return NGX_ERROR;
    }

    hc->stall = smcf->registry_timeout;
    hc->connect_timeout = smcf->registry_timeout;
    hc->follow = 1;
    hc->handler = ngx_http_sockerless_pull_answer;
    hc->data = ps;

    if (sink) {
        hc->sink = 1;
        hc->sink_fd = ps->fd;
        hc->progress = ngx_http_sockerless_pull_progress;
    }

    ps->hc = hc;
    ps->url = hc->url;

    return ngx_http_sockerless_curl_start(hc);
}


/* the credentials of the session: the token or Basic */

static ngx_int_t
ngx_http_sockerless_pull_auth_headers(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    ngx_str_t  *h;

    if (ps->bearer.len) {
        h = ngx_array_push(hc->headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ps->bearer;
    }

    if (ps->basic) {
        hc->basic.data = ngx_pnalloc(hc->pool, 1024);
        if (hc->basic.data == NULL) {
            return NGX_ERROR;
        }

        hc->basic.len = ngx_snprintf(hc->basic.data, 1024, "%s:%s",
                                     ps->auth->username, ps->auth->password)
                        - hc->basic.data;
    }

    return NGX_OK;
}


/* the last request again, now with credentials */

static ngx_int_t
ngx_http_sockerless_pull_again(ngx_http_sockerless_pull_t *ps)
{
    if (ps->state >= sls_push_head) {
        return ngx_http_sockerless_push_send(ps);
    }

    return ngx_http_sockerless_pull_get(ps, ps->what, ps->sink);
}


static void
ngx_http_sockerless_pull_answer(ngx_http_sockerless_curl_t *hc)
{
    ngx_http_sockerless_pull_t *ps = hc->data;

    ngx_int_t  rc;

    ps->hc = NULL;

    if (hc->result != CURLE_OK) {
        if (hc->result == CURLE_OPERATION_TIMEDOUT) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "Get \"%V\": net/http: request canceled "
                              "(the registry sent nothing for %M ms)",
                              &hc->url, hc->stall);
            return;
        }

        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "Get \"%V\": %V", &hc->url,
                                      &hc->error);
        return;
    }

    if (hc->status == NGX_HTTP_UNAUTHORIZED && !ps->auth_tried) {
        ps->auth_tried = 1;

        rc = ngx_http_sockerless_pull_challenge(ps, hc);

        if (rc == NGX_OK || rc == NGX_DONE) {
            return;
        }
    }

    if (ps->state >= sls_push_head) {
        ngx_http_sockerless_push_answer(ps, hc);
        return;
    }

    if (hc->status < 200 || hc->status >= 300) {
        ngx_http_sockerless_pull_registry_error(ps, hc);
        return;
    }

    switch (ps->state) {

    case sls_pull_manifest:
        ngx_http_sockerless_pull_manifest(ps, hc);
        return;

    case sls_pull_config:
        ngx_http_sockerless_pull_config(ps, hc);
        return;

    default:
        ngx_http_sockerless_pull_layer(ps, hc);
        return;
    }
}


/*
 * A 401: a Bearer challenge gets a token (anonymous, or with the
 * credentials), a Basic one is answered with the credentials. NGX_OK:
 * a request is on its way; NGX_DONE: the pull failed and was answered;
 * NGX_DECLINED: the 401 stands.
 */

static ngx_int_t
ngx_http_sockerless_pull_challenge(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    u_char                           *p;
    size_t                            len;
    ngx_str_t                        *www, *h;
    ngx_http_request_t               *r;
    sls_registry_challenge_t          ch;
    ngx_http_sockerless_curl_t       *tc;
    ngx_http_sockerless_main_conf_t  *smcf;

    r = ps->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    www = ngx_http_sockerless_curl_header(hc, "WWW-Authenticate");

    if (www == NULL
        || sls_registry_parse_challenge((char *) www->data, www->len, &ch)
           != 0)
    {
        return NGX_DECLINED;
    }

    if (ch.scheme == SLS_REGISTRY_AUTH_BASIC) {
        if (ps->auth->username[0] == '\0') {
            /* dockerd's is an unknown error, not a 401 (that would make
             * the CLI ask for a login) */
            ngx_http_sockerless_pull_fail(ps,
                      NGX_HTTP_INTERNAL_SERVER_ERROR,
                      "Head \"%V\": no basic auth credentials", &hc->url);
            return NGX_DONE;
        }

        ps->basic = 1;

    } else {
        tc = ngx_http_sockerless_curl_create(ps->pool, ps->log);
        if (tc == NULL) {
            return NGX_DECLINED;
        }

        len = ngx_strlen(ch.realm) + 3 * ngx_strlen(ch.service)
              + 3 * ngx_strlen(ps->ref.path) + 3 * ngx_strlen(ps->actions)
              + 64;

        p = ngx_pnalloc(ps->pool, len);
        if (p == NULL) {
            return NGX_DECLINED;
        }

        tc->url.data = p;
        p = ngx_sprintf(p, "%s%s", ch.realm,
                        ngx_strchr(ch.realm, '?') ? "&" : "?");

        if (ch.service[0]) {
            p = ngx_cpymem(p, "service=", 8);
            p = (u_char *) ngx_escape_uri(p, (u_char *) ch.service,
                                          ngx_strlen(ch.service),
                                          NGX_ESCAPE_ARGS);
            *p++ = '&';
        }

        p = ngx_sprintf(p, "scope=repository%%3A");
        p = (u_char *) ngx_escape_uri(p, (u_char *) ps->ref.path,
                                      ngx_strlen(ps->ref.path),
                                      NGX_ESCAPE_ARGS);
        p = ngx_sprintf(p, "%%3A");
        p = (u_char *) ngx_escape_uri(p, (u_char *) ps->actions,
                                      ngx_strlen(ps->actions),
                                      NGX_ESCAPE_ARGS);
        tc->url.len = p - tc->url.data;

        if (ps->auth->username[0]) {
            tc->basic.data = ngx_pnalloc(ps->pool, 1024);
            if (tc->basic.data == NULL) {
                return NGX_DECLINED;
            }

            tc->basic.len = ngx_sprintf(tc->basic.data, "%s:%s",
                                        ps->auth->username,
                                        ps->auth->password)
                            - tc->basic.data;

        } else if (ps->auth->identitytoken[0]) {
            tc->headers = ngx_array_create(ps->pool, 1, sizeof(ngx_str_t));
            h = tc->headers ? ngx_array_push(tc->headers) : NULL;
            p = ngx_pnalloc(ps->pool, ngx_strlen(ps->auth->identitytoken)
                            + len + 128);
            if (h == NULL || p == NULL) {
                return NGX_DECLINED;
            }

            ngx_str_set(h, "Content-Type: application/x-www-form-urlencoded");

            tc->body.data = p;
            p = ngx_sprintf(p, "grant_type=refresh_token&client_id=docker"
                            "&service=%s&scope=repository:%s:%s"
                            "&refresh_token=%s", ch.service, ps->ref.path,
                            ps->actions, ps->auth->identitytoken);
            tc->body.len = p - tc->body.data;
            tc->url.len = ngx_strlen(ch.realm);
        }

        tc->stall = smcf->registry_timeout;
        tc->connect_timeout = smcf->registry_timeout;
        tc->max_body = 1024 * 1024;
        tc->handler = ngx_http_sockerless_pull_token;
        tc->data = ps;

        if (ngx_http_sockerless_curl_start(tc) != NGX_OK) {
            return NGX_DECLINED;
        }

        ps->hc = tc;

        return NGX_OK;
    }

    ps->url = hc->url;

    if (ngx_http_sockerless_pull_again(ps) != NGX_OK) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_pull_token(ngx_http_sockerless_curl_t *hc)
{
    ngx_http_sockerless_pull_t *ps = hc->data;

    cJSON       *json;
    const char  *token;

    ps->hc = NULL;

    if (hc->result != CURLE_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "Get \"%V\": %V", &hc->url,
                                      &hc->error);
        return;
    }

    if (hc->status != NGX_HTTP_OK) {
        ngx_http_sockerless_pull_registry_error(ps, hc);
        return;
    }

    json = ngx_http_sockerless_json_parse(hc->pool, hc->body_out.data,
                                          hc->body_out.len);
    token = ngx_http_sockerless_json_str(json, "token");

    if (token == NULL || token[0] == '\0') {
        token = ngx_http_sockerless_json_str(json, "access_token");
    }

    if (token == NULL || token[0] == '\0' || ngx_strlen(token) > 65536) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "Get \"%V\": the token server sent "
                                      "no token", &hc->url);
        return;
    }

    ps->bearer.data = ngx_pnalloc(hc->pool, ngx_strlen(token) + 32);
    if (ps->bearer.data == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ps->bearer.len = ngx_sprintf(ps->bearer.data, "Authorization: Bearer %s",
                                 token)
                     - ps->bearer.data;

    if (ngx_http_sockerless_pull_again(ps) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
    }
}


static ngx_int_t
ngx_http_sockerless_pull_sha256(EVP_MD_CTX *md, const char *digest)
{
    u_char         hex[65];
    unsigned int   len;
    unsigned char  dgst[EVP_MAX_MD_SIZE];

    if (EVP_DigestFinal_ex(md, dgst, &len) != 1 || len != 32) {
        return NGX_ERROR;
    }

    ngx_hex_dump(hex, dgst, 32);

    return ngx_strncmp(hex, digest + 7, 64) == 0 ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_sockerless_pull_body_digest(ngx_str_t *body, char out[72])
{
    u_char         hex[65];
    unsigned int   len;
    unsigned char  dgst[EVP_MAX_MD_SIZE];

    if (EVP_Digest(body->data, body->len, dgst, &len, EVP_sha256(), NULL)
        != 1)
    {
        return NGX_ERROR;
    }

    ngx_hex_dump(hex, dgst, 32);
    hex[64] = '\0';
    ngx_sprintf((u_char *) out, "sha256:%s%Z", hex);

    return NGX_OK;
}


static void
ngx_http_sockerless_pull_manifest(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    int                 kind;
    char                digest[72], err[256];
    cJSON              *doc;
    ngx_str_t          *ct;
    const char         *arch, *variant, *d;
    struct utsname      u;

    doc = ngx_http_sockerless_json_parse(hc->pool, hc->body_out.data,
                                         hc->body_out.len);
    ct = ngx_http_sockerless_curl_header(hc, "Content-Type");

    if (ngx_http_sockerless_pull_body_digest(&hc->body_out, digest)
        != NGX_OK)
    {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot hash the manifest");
        return;
    }

    /* what was asked by digest must be what came */

    if (ngx_strncmp(ps->what, "sha256:", 7) == 0
        && ngx_strcmp(ps->what, digest) != 0)
    {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "manifest verification failed for "
                                      "digest %s", ps->what);
        return;
    }

    if (doc == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "invalid manifest for %s: not valid "
                                      "JSON", ps->ref.familiar);
        return;
    }

    kind = sls_registry_manifest_kind(ct ? (char *) ct->data : NULL, doc,
                                      err, sizeof(err));
    if (kind == -1) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "%s", err);
        return;
    }

    if (ps->manifest_digest[0] == '\0') {
        /* the top digest is the one "docker images --digests" shows */
        ngx_memcpy(ps->manifest_digest, digest, sizeof(digest));
    }

    if (kind == SLS_REGISTRY_INDEX) {
        if (ps->manifest) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "invalid manifest list: it "
                                          "points at another list");
            return;
        }

        ps->manifest = doc;

        arch = "amd64";
        variant = "";

        if (uname(&u) == 0) {
            arch = sls_registry_arch(u.machine, &variant);
        }

        d = sls_registry_select(doc, "linux", arch, variant);
        if (d == NULL) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_NOT_FOUND,
                                          "no matching manifest for "
                                          "linux/%s in the manifest list "
                                          "entries", arch);
            return;
        }

        if (ngx_http_sockerless_pull_get(ps, d, 0) != NGX_OK) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "cannot start a registry "
                                          "request");
        }

        return;
    }

    ps->manifest = doc;

    ps->nlayers = sls_registry_manifest_blobs(doc, &ps->config, ps->layers,
                                          NGX_HTTP_SOCKERLESS_PULL_LAYERS,
                                          err, sizeof(err));
    if (ps->nlayers < 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "%s", err);
        return;
    }

    ngx_sprintf((u_char *) err, "Pulling from %s%Z", ps->ref.path);

    if (ngx_http_sockerless_pull_status(ps, err,
                                        ps->ref.digest[0] ? ps->ref.digest
                                                          : ps->ref.tag,
                                        NULL, -1, 0)
        != NGX_OK)
    {
        ngx_http_sockerless_pull_fail(ps, 0, "");
        return;
    }

    ps->state = sls_pull_config;

    if (ngx_http_sockerless_pull_get(ps, ps->config.digest, 0) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
    }
}


static void
ngx_http_sockerless_pull_config(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    char                digest[72], *key, *path;
    cJSON              *rec;
    ngx_int_t           i;
    ngx_file_info_t     fi;
    ngx_http_request_t *r;

    r = ps->request;

    if (ngx_http_sockerless_pull_body_digest(&hc->body_out, digest)
        != NGX_OK
        || ngx_strcmp(digest, ps->config.digest) != 0)
    {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "image config verification failed "
                                      "for digest %s", ps->config.digest);
        return;
    }

    ps->cfg = ngx_http_sockerless_json_parse(ps->pool, hc->body_out.data,
                                             hc->body_out.len);
    if (!cJSON_IsObject(ps->cfg)) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "invalid image config %s: not a "
                                      "JSON object", ps->config.digest);
        return;
    }

    ngx_memcpy(ps->hex, ps->config.digest + 7, 64);
    ps->hex[64] = '\0';

    key = ngx_pnalloc(r->pool, 80);
    path = ngx_pnalloc(r->pool, ngx_strlen(ps->data_dir) + 128);
    if (key == NULL || path == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ngx_sprintf((u_char *) key, "i/%s%Z", ps->hex);
    ngx_sprintf((u_char *) path, "%s/images/%s/rootfs%Z", ps->data_dir,
                ps->hex);

    rec = ngx_http_sockerless_store_get(r->pool, key);

    if (rec && ngx_file_info(path, &fi) == 0) {
        ngx_http_sockerless_pull_finish(ps, 0);
        return;
    }

    if (ps->nlayers == 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "the image has no layers");
        return;
    }

    for (i = 0; i < ps->nlayers; i++) {
        ngx_sprintf((u_char *) digest, "%*s%Z", (size_t) 12,
                    ps->layers[i].digest + 7);

        if (ngx_http_sockerless_pull_status(ps, "Pulling fs layer", digest,
                                            NULL, 0, 0)
            != NGX_OK)
        {
            ngx_http_sockerless_pull_fail(ps, 0, "");
            return;
        }
    }

    for (i = 1; i < ps->nlayers; i++) {
        ngx_sprintf((u_char *) digest, "%*s%Z", (size_t) 12,
                    ps->layers[i].digest + 7);

        (void) ngx_http_sockerless_pull_status(ps, "Waiting", digest, NULL,
                                               0, 0);
    }

    ps->tmp = ngx_pnalloc(ps->pool, ngx_strlen(ps->data_dir) + 64);
    ps->md = EVP_MD_CTX_new();

    if (ps->tmp == NULL || ps->md == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ngx_sprintf((u_char *) ps->tmp, "%s/tmp%Z", ps->data_dir);
    (void) mkdir(ps->tmp, 0700);
    ngx_sprintf((u_char *) ps->tmp, "%s/tmp/pull-XXXXXX%Z", ps->data_dir);

    if (mkdtemp(ps->tmp) == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                      "sockerless mkdtemp() \"%s\" failed", ps->tmp);
        ps->tmp = NULL;
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot make a temporary directory");
        return;
    }

    ps->state = sls_pull_layer;
    ps->current = 0;
    ps->ex = 0;

    ngx_http_sockerless_pull_next_layer(ps);
}


/*
 * The layers come one after another, each into its own file; each is
 * unpacked, in order, while it comes: the thread reads what the sink
 * wrote so far (the feed) and waits for more
 */

static void
ngx_http_sockerless_pull_next_layer(ngx_http_sockerless_pull_t *ps)
{
    char  *file;

    if (ps->fd != NGX_INVALID_FILE) {
        ngx_close_file(ps->fd);
        ps->fd = NGX_INVALID_FILE;
    }

    if (ps->current == ps->nlayers) {
        /* all here: the unpacking goes on */
        return;
    }

    file = ngx_pnalloc(ps->pool, ngx_strlen(ps->tmp) + 32);
    if (file == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ngx_sprintf((u_char *) file, "%s/%i%Z", ps->tmp, ps->current);

    ps->fd = ngx_open_file(file, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE,
                           NGX_FILE_DEFAULT_ACCESS);
    if (ps->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", file);
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot store a layer");
        return;
    }

    ps->last = 0;

    if (ngx_http_sockerless_pull_get(ps, ps->layers[ps->current].digest, 1)
        != NGX_OK)
    {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
        return;
    }

    ngx_http_sockerless_pull_feed_set(ps, &ps->feeds[ps->current], 0,
                                      NGX_HTTP_SOCKERLESS_FEED_OPEN);

    (void) ngx_http_sockerless_pull_extract(ps);
}


/* what the thread may read of a layer, and whether more comes */

static void
ngx_http_sockerless_pull_feed_set(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_pull_feed_t *feed, off_t avail, ngx_uint_t state)
{
    (void) ngx_thread_mutex_lock(&ps->mutex, ps->log);

    feed->avail = avail;
    feed->state = state;

    (void) ngx_thread_cond_signal(&ps->cond, ps->log);
    (void) ngx_thread_mutex_unlock(&ps->mutex, ps->log);
}


/* a piece of a layer: hashed as it comes, progress at most every 100ms */

static void
ngx_http_sockerless_pull_progress(ngx_http_sockerless_curl_t *hc,
    u_char *data, size_t len)
{
    ngx_http_sockerless_pull_t *ps = hc->data;

    off_t                 total;
    char                  id[16], bar[128];
    sls_registry_blob_t  *l;

    EVP_DigestUpdate(ps->md, data, len);

    ngx_http_sockerless_pull_feed_set(ps, &ps->feeds[ps->current],
                                      hc->received,
                                      NGX_HTTP_SOCKERLESS_FEED_OPEN);

    if (ps->last && ngx_current_msec - ps->last < 100) {
        return;
    }

    ps->last = ngx_current_msec ? ngx_current_msec : 1;

    l = &ps->layers[ps->current];
    total = l->size > 0 ? (off_t) l->size : hc->total;

    ngx_sprintf((u_char *) id, "%*s%Z", (size_t) 12, l->digest + 7);
    sls_registry_progress_bar(hc->received, total, bar, sizeof(bar));

    (void) ngx_http_sockerless_pull_status(ps, "Downloading", id, bar,
                                           hc->received, total);
}


static void
ngx_http_sockerless_pull_layer(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    char                  id[16];
    sls_registry_blob_t  *l;

    l = &ps->layers[ps->current];

    ngx_sprintf((u_char *) id, "%*s%Z", (size_t) 12, l->digest + 7);

    (void) ngx_http_sockerless_pull_status(ps, "Verifying Checksum", id,
                                           NULL, 0, 0);

    if (ngx_http_sockerless_pull_sha256(ps->md, l->digest) != NGX_OK) {
        ngx_http_sockerless_pull_feed_set(ps, &ps->feeds[ps->current],
                                          hc->received,
                                          NGX_HTTP_SOCKERLESS_FEED_FAILED);

        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "filesystem layer verification failed "
                                      "for digest %s", l->digest);
        return;
    }

    ngx_http_sockerless_pull_feed_set(ps, &ps->feeds[ps->current],
                                      hc->received,
                                      NGX_HTTP_SOCKERLESS_FEED_DONE);

    (void) ngx_http_sockerless_pull_status(ps, "Download complete", id,
                                           NULL, 0, 0);

    ps->current++;

    ngx_http_sockerless_pull_next_layer(ps);
}


/*
 * The next layer to unpack, once the one before is and its own comes.
 * NGX_ERROR: the pull failed and was answered (ps may be gone).
 */

static ngx_int_t
ngx_http_sockerless_pull_extract(ngx_http_sockerless_pull_t *ps)
{
    ngx_str_t           name;
    ngx_uint_t          state;
    ngx_thread_task_t  *task;
    ngx_thread_pool_t  *tp;

    if (ps->busy || ps->done || ps->ex >= ps->nlayers) {
        return NGX_OK;
    }

    state = ps->feeds[ps->ex].state;

    if (state == NGX_HTTP_SOCKERLESS_FEED_NONE) {
        return NGX_OK;
    }

    /* images_init_conf() declares it: without it nothing unpacks */

    ngx_str_set(&name, "default");
    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);

    if (tp == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "no thread pool to unpack layers in");
        return NGX_ERROR;
    }

    if (ps->rootfs == NULL) {
        ps->rootfs = ngx_pnalloc(ps->pool, ngx_strlen(ps->data_dir) + 128);
        ps->layer_file = ngx_pnalloc(ps->pool, ngx_strlen(ps->tmp) + 32);
        ps->sizes = ngx_http_sockerless_json_bind(ps->pool,
                                                  cJSON_CreateArray());

        if (ps->rootfs == NULL || ps->layer_file == NULL
            || ps->sizes == NULL)
        {
            ngx_http_sockerless_pull_fail(ps,
                                          NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "out of memory");
            return NGX_ERROR;
        }

        /*
         * one of its own: a pull of the same image that another client
         * runs, or one that ended and whose files still go, has another
         */
        ngx_sprintf((u_char *) ps->rootfs, "%s/images%Z", ps->data_dir);
        (void) mkdir(ps->rootfs, 0700);
        ngx_sprintf((u_char *) ps->rootfs, "%s/images/%s.tmp-%s%Z",
                    ps->data_dir, ps->hex,
                    ps->tmp + ngx_strlen(ps->tmp) - 6);
    }

    ngx_sprintf((u_char *) ps->layer_file, "%s/%i%Z", ps->tmp, ps->ex);

    task = ngx_thread_task_alloc(ps->pool, 0);
    if (task == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return NGX_ERROR;
    }

    task->ctx = ps;
    task->handler = ngx_http_sockerless_pull_extract_thread;
    task->event.handler = ngx_http_sockerless_pull_extract_done;
    task->event.data = ps;

    ps->busy = 1;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        ps->busy = 0;
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot unpack the layer");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * In the thread: the bytes of the layer after rd->pos, once there are
 * some; with all, until nothing more comes. The state it ended in:
 * FAILED also when the pull stops.
 */

static ngx_uint_t
ngx_http_sockerless_pull_feed_wait(ngx_http_sockerless_pull_reader_t *rd,
    ngx_uint_t all, off_t *avail)
{
    ngx_uint_t                   state;
    ngx_http_sockerless_pull_t  *ps;

    ps = rd->ps;

    (void) ngx_thread_mutex_lock(&ps->mutex, rd->log);

    while (!ps->abort
           && rd->feed->state == NGX_HTTP_SOCKERLESS_FEED_OPEN
           && (all || rd->feed->avail <= rd->pos))
    {
        if (ngx_thread_cond_wait(&ps->cond, &ps->mutex, rd->log) != NGX_OK) {
            break;
        }
    }

    *avail = rd->feed->avail;
    state = ps->abort ? NGX_HTTP_SOCKERLESS_FEED_FAILED : rd->feed->state;

    (void) ngx_thread_mutex_unlock(&ps->mutex, rd->log);

    return state;
}


/* libarchive's reader of a layer that may still be coming */

static ssize_t
ngx_http_sockerless_pull_feed_read(void *data, const void **buf)
{
    ngx_http_sockerless_pull_reader_t *rd = data;

    off_t       avail;
    ssize_t     n;
    ngx_uint_t  state;

    state = ngx_http_sockerless_pull_feed_wait(rd, 0, &avail);

    if (state == NGX_HTTP_SOCKERLESS_FEED_FAILED) {
        return -1;
    }

    if (avail <= rd->pos) {
        return 0;
    }

    n = pread(rd->fd, rd->buf,
              (size_t) ngx_min(avail - rd->pos,
                               (off_t) NGX_HTTP_SOCKERLESS_FEED_BUF),
              rd->pos);

    if (n <= 0) {
        return -1;
    }

    rd->pos += n;
    *buf = rd->buf;

    return n;
}


/* in the thread pool: libc, libarchive and the "docker load" code only */

static void
ngx_http_sockerless_pull_extract_thread(void *data, ngx_log_t *log)
{
    ngx_http_sockerless_pull_t *ps = data;

    off_t                               avail;
    size_t                              len;
    ngx_uint_t                          state;
    ngx_http_sockerless_pull_reader_t   rd;
    char                                path[PATH_MAX + 64];
    char                                prev[PATH_MAX + 64];

    ps->layer_size = 0;
    ps->error[0] = '\0';
    ps->extract_rc = -1;

    rd.ps = ps;
    rd.feed = &ps->feeds[ps->ex];
    rd.log = log;
    rd.pos = 0;

    len = strlen(ps->rootfs);

    if (len + 8 > sizeof(path)) {
        snprintf(ps->error, sizeof(ps->error), "the data path is too long");
        goto done;
    }

    snprintf(path, sizeof(path), "%s/rootfs", ps->rootfs);

    if (ps->ex == 0) {
        (void) mkdir(ps->rootfs, 0700);
        (void) mkdir(path, 0755);

    } else {
        /*
         * the file of the layer before goes now, not before the event
         * that says it is unpacked: the blocks of a blob are freed (and
         * discarded) at once, which takes a while; the last one goes
         * with the pull's files
         */
        snprintf(prev, sizeof(prev), "%s/%d", ps->tmp, (int) ps->ex - 1);
        (void) unlink(prev);
    }

    rd.fd = open(ps->layer_file, O_RDONLY|O_CLOEXEC);
    rd.buf = malloc(NGX_HTTP_SOCKERLESS_FEED_BUF);

    if (rd.fd == -1 || rd.buf == NULL) {
        snprintf(ps->error, sizeof(ps->error), "cannot read the layer: %s",
                 strerror(errno));

    } else {
        ps->extract_rc = ngx_http_sockerless_extract_from(NULL,
                                     ngx_http_sockerless_pull_feed_read, &rd,
                                     path, 1, &ps->layer_size, ps->error,
                                     sizeof(ps->error));
    }

    if (rd.fd != -1) {
        close(rd.fd);
    }

    free(rd.buf);

done:

    /*
     * the layer counts once all of it came and matched its digest; a
     * layer that is not a tar because it is not the one asked for fails
     * as the digest's
     */

    state = ngx_http_sockerless_pull_feed_wait(&rd, 1, &avail);

    if (state != NGX_HTTP_SOCKERLESS_FEED_DONE) {
        ps->extract_rc = -1;
        snprintf(ps->error, sizeof(ps->error), "the pull stopped");
    }
}


/*
 * A layer's thread task (unpack, or push's build) came back: NGX_OK to go
 * on; else the pull is over, the pool gone when the client went meanwhile
 */

static ngx_int_t
ngx_http_sockerless_pull_task_back(ngx_http_sockerless_pull_t *ps,
    const char *failed)
{
    ps->busy = 0;

    if (ps->request == NULL) {
        ngx_destroy_pool(ps->pool);
        return NGX_DONE;
    }

    if (ps->done) {
        return NGX_DONE;
    }

    if (ps->extract_rc != 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "%s: %s", failed, ps->error);
        return NGX_DONE;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_pull_extract_done(ngx_event_t *ev)
{
    ngx_http_sockerless_pull_t *ps = ev->data;

    char   id[16], bar[128], *final;
    off_t  total;

    if (ngx_http_sockerless_pull_task_back(ps, "failed to register layer")
        != NGX_OK)
    {
        return;
    }

    ngx_sprintf((u_char *) id, "%*s%Z", (size_t) 12,
                ps->layers[ps->ex].digest + 7);

    total = (off_t) ps->layers[ps->ex].size;
    sls_registry_progress_bar(total, total, bar, sizeof(bar));

    (void) ngx_http_sockerless_pull_status(ps, "Extracting", id, bar, total,
                                           total);
    (void) ngx_http_sockerless_pull_status(ps, "Pull complete", id, NULL,
                                           0, 0);

    cJSON_AddItemToArray(ps->sizes,
                         cJSON_CreateNumber((double) ps->layer_size));
    ps->size += ps->layer_size;
    ps->ex++;

    if (ps->ex < ps->nlayers) {
        (void) ngx_http_sockerless_pull_extract(ps);
        return;
    }

    final = ngx_pnalloc(ps->request->pool, ngx_strlen(ps->data_dir) + 128);
    if (final == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ngx_sprintf((u_char *) final, "%s/images/%s%Z", ps->data_dir, ps->hex);

    /* another pull of the same image may have finished first */
    ngx_http_sockerless_rm_rf(final);

    if (rename(ps->rootfs, final) != 0) {
        ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                      "sockerless rename() \"%s\" failed", ps->rootfs);
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot store the image");
        return;
    }

    ps->rootfs = NULL;

    ngx_http_sockerless_pull_finish(ps, 1);
}


static ngx_int_t
ngx_http_sockerless_pull_has(cJSON *list, const char *s)
{
    cJSON  *t;

    cJSON_ArrayForEach(t, list) {
        if (cJSON_IsString(t) && ngx_strcmp(t->valuestring, s) == 0) {
            return 1;
        }
    }

    return 0;
}


/* the image record, its tag and digest, and the last lines */

static void
ngx_http_sockerless_pull_finish(ngx_http_sockerless_pull_t *ps,
    ngx_uint_t downloaded)
{
    char                *key, *line, *tag, *rd;
    cJSON               *rec, *old, *t;
    ngx_str_t            ref, norm;
    ngx_uint_t           updated;
    const char          *oid;
    ngx_http_request_t  *r;
    char                 id[80], refstr[800];

    r = ps->request;

    key = ngx_pnalloc(r->pool, 80);
    line = ngx_pnalloc(r->pool, 1024);
    rd = ngx_pnalloc(r->pool, 1024);
    if (key == NULL || line == NULL || rd == NULL) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "out of memory");
        return;
    }

    ngx_sprintf((u_char *) key, "i/%s%Z", ps->hex);
    ngx_sprintf((u_char *) id, "sha256:%s%Z", ps->hex);
    ngx_sprintf((u_char *) rd, "%s@%s%Z", ps->ref.familiar,
                ps->manifest_digest);

    old = ngx_http_sockerless_store_get(r->pool, key);
    updated = downloaded;

    if (downloaded || old == NULL) {
        rec = ngx_http_sockerless_image_record(r->pool, ps->hex, ps->cfg,
                                               ps->size, ps->sizes);
        if (rec == NULL) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "cannot record the image");
            return;
        }

        /* an image pulled again keeps the names it had */
        if (old) {
            t = cJSON_GetObjectItemCaseSensitive(old, "RepoTags");
            if (cJSON_IsArray(t)) {
                cJSON_ReplaceItemInObjectCaseSensitive(rec, "RepoTags",
                                                   cJSON_Duplicate(t, 1));
            }

            t = cJSON_GetObjectItemCaseSensitive(old, "RepoDigests");
            if (cJSON_IsArray(t)) {
                cJSON_ReplaceItemInObjectCaseSensitive(rec, "RepoDigests",
                                                   cJSON_Duplicate(t, 1));
            }
        }

    } else {
        rec = old;
    }

    t = cJSON_GetObjectItemCaseSensitive(rec, "RepoDigests");
    if (!cJSON_IsArray(t)) {
        cJSON_DeleteItemFromObjectCaseSensitive(rec, "RepoDigests");
        t = cJSON_AddArrayToObject(rec, "RepoDigests");
    }

    if (!ngx_http_sockerless_pull_has(t, rd)) {
        cJSON_AddItemToArray(t, cJSON_CreateString(rd));
        updated = updated || ps->ref.tag[0] == '\0';
    }

    if (ngx_http_sockerless_store_put(key, rec) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot record the image");
        return;
    }

    if (ps->ref.tag[0]) {
        ngx_sprintf((u_char *) line, "%s:%s%Z", ps->ref.familiar,
                    ps->ref.tag);
        ref.data = (u_char *) line;
        ref.len = ngx_strlen(line);

        if (ngx_http_sockerless_image_normalize(r->pool, &ref, &norm)
            == NGX_OK
            && (tag = ngx_http_sockerless_cstr(r->pool, &norm)) != NULL)
        {
            ngx_sprintf((u_char *) key, "t/%*s%Z",
                        ngx_min(norm.len, (size_t) 70), norm.data);
            old = ngx_http_sockerless_store_get(r->pool, key);
            oid = ngx_http_sockerless_json_str(old, "Id");

            if (oid == NULL || ngx_strcmp(oid, id) != 0
                || norm.len > 70)
            {
                updated = 1;
            }

            if (ngx_http_sockerless_tag_set(r->pool, tag, id) != NGX_OK) {
                ngx_http_sockerless_pull_fail(ps,
                                              NGX_HTTP_INTERNAL_SERVER_ERROR,
                                              "cannot tag the image");
                return;
            }
        }
    }

    sls_registry_ref_string(&ps->ref, refstr, sizeof(refstr));

    /* dockerd: the reference as the id, its name without tag as "name" */
    ngx_http_sockerless_image_event(r->pool, "pull", refstr,
                                    ps->ref.familiar, rec);

    ngx_sprintf((u_char *) line, "Digest: %s%Z", ps->manifest_digest);
    (void) ngx_http_sockerless_pull_status(ps, line, NULL, NULL, -1, 0);

    ngx_snprintf((u_char *) line, 1024, "Status: %s %s%Z",
                 updated ? "Downloaded newer image for"
                         : "Image is up to date for",
                 refstr);
    (void) ngx_http_sockerless_pull_status(ps, line, NULL, NULL, -1, 0);

    ps->done = 1;

    /* the stream ends */
    ngx_http_finalize_request(r, ngx_http_send_special(r, NGX_HTTP_LAST));
}


/*
 * Before any line went out the error is dockerd's HTTP answer; after,
 * it is the last line of the stream. status 0: the client is gone.
 */

static void
ngx_http_sockerless_pull_fail(ngx_http_sockerless_pull_t *ps,
    ngx_uint_t status, const char *fmt, ...)
{
    u_char              *p;
    cJSON               *json, *detail;
    size_t               len;
    va_list              args;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;
    u_char               msg[1024];

    r = ps->request;

    /* nothing more goes on: what is in flight stops */

    ps->done = 1;

    if (ps->hc) {
        ngx_http_sockerless_curl_cancel(ps->hc);
        ps->hc = NULL;
    }

    if (ps->busy) {
        ngx_http_sockerless_pull_abort(ps);
    }

    if (status == 0) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg) - 1, fmt, args);
    va_end(args);

    *p = '\0';

    ngx_log_error(NGX_LOG_INFO, ps->log, 0,
                  "sockerless: %s of \"%s\" failed: %s",
                  ps->state >= sls_push_head ? "push" : "pull",
                  ps->ref.familiar, msg);

    if (!ps->headers_sent) {
        ngx_http_finalize_request(r,
                         ngx_http_sockerless_send_error(r, status, "%s",
                                                        msg));
        return;
    }

    json = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (json == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    detail = cJSON_AddObjectToObject(json, "errorDetail");
    cJSON_AddStringToObject(detail, "message", (char *) msg);
    cJSON_AddStringToObject(json, "error", (char *) msg);

    p = ngx_http_sockerless_json_print(r->pool, json, &len);
    b = p ? ngx_create_temp_buf(r->pool, len + 1) : NULL;
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->last, p, len);
    *b->last++ = '\n';
    b->last_buf = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
}


/* a registry's error answer in dockerd's words (distribution/errors.go) */

static void
ngx_http_sockerless_pull_registry_error(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    char  code[64], text[512], refstr[800];

    sls_registry_ref_string(&ps->ref, refstr, sizeof(refstr));

    if (sls_registry_error_text((char *) hc->body_out.data,
                                hc->body_out.len, code, sizeof(code), text,
                                sizeof(text))
        != 0)
    {
        ngx_http_sockerless_pull_fail(ps,
                         hc->status == NGX_HTTP_NOT_FOUND
                         ? NGX_HTTP_NOT_FOUND
                         : NGX_HTTP_INTERNAL_SERVER_ERROR,
                         "%s \"%V\": unexpected status from the registry: "
                         "%ui", ps->state == sls_pull_manifest
                                ? "Head" : "Get", &hc->url, hc->status);
        return;
    }

    if (ngx_strcmp(code, "MANIFEST_UNKNOWN") == 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_NOT_FOUND,
                                      "manifest for %s not found: %s",
                                      refstr, text);
        return;
    }

    if (ngx_strcmp(code, "NAME_UNKNOWN") == 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_NOT_FOUND,
                                      "repository %s not found: %s",
                                      ps->ref.familiar, text);
        return;
    }

    if (ngx_strcmp(code, "DENIED") == 0) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_NOT_FOUND,
                                      "pull access denied for %s, "
                                      "repository does not exist or may "
                                      "require 'docker login': %s",
                                      ps->ref.familiar, text);
        return;
    }

    ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "%s \"%V\": %s",
                                  ps->state == sls_pull_manifest
                                  ? "Head" : "Get", &hc->url, text);
}


static ngx_int_t
ngx_http_sockerless_pull_headers(ngx_http_sockerless_pull_t *ps)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = ps->request;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return NGX_ERROR;
    }

    ps->headers_sent = 1;

    return NGX_OK;
}


/* one line: {"status","progressDetail","progress","id"}; current -1: no
 * progressDetail */

static ngx_int_t
ngx_http_sockerless_pull_status(ngx_http_sockerless_pull_t *ps,
    const char *status, const char *id, const char *progress, off_t current,
    off_t total)
{
    cJSON  *json, *detail;

    json = ngx_http_sockerless_json_bind(ps->request->pool,
                                         cJSON_CreateObject());
    if (json == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(json, "status", status);

    if (current >= 0 && id) {
        detail = cJSON_AddObjectToObject(json, "progressDetail");

        if (progress) {
            cJSON_AddNumberToObject(detail, "current", (double) current);

            if (total > 0) {
                cJSON_AddNumberToObject(detail, "total", (double) total);
            }
        }
    }

    if (progress) {
        cJSON_AddStringToObject(json, "progress", progress);
    }

    if (id) {
        cJSON_AddStringToObject(json, "id", id);
    }

    return ngx_http_sockerless_pull_line(ps, json);
}


/* one JSON line of the progress stream, flushed */

static ngx_int_t
ngx_http_sockerless_pull_line(ngx_http_sockerless_pull_t *ps, cJSON *json)
{
    u_char              *p;
    size_t               len;
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = ps->request;

    if (!ps->headers_sent && ngx_http_sockerless_pull_headers(ps) != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_http_sockerless_json_print(r->pool, json, &len);
    b = p ? ngx_create_temp_buf(r->pool, len + 1) : NULL;
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, p, len);
    *b->last++ = '\n';
    b->flush = 1;

    out.buf = b;
    out.next = NULL;

    rc = ngx_http_output_filter(r, &out);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_AGAIN
        && ngx_handle_write_event(r->connection->write, 0) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the progress lines blocked on the client; one that stopped reading or
 * went ends the pull */

static void
ngx_http_sockerless_pull_writer(ngx_http_request_t *r)
{
    if (r->connection->write->timedout) {
        r->connection->timedout = 1;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR
        || ngx_handle_write_event(r->connection->write, 0) != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_pull_cleanup(void *data)
{
    ngx_http_sockerless_pull_t *ps = data;

    if (ps->hc) {
        ngx_http_sockerless_curl_cancel(ps->hc);
        ps->hc = NULL;
    }

    if (ps->fd != NGX_INVALID_FILE) {
        ngx_close_file(ps->fd);
        ps->fd = NGX_INVALID_FILE;
    }

    if (ps->md) {
        EVP_MD_CTX_free(ps->md);
        ps->md = NULL;
    }

    if (ps->cfgtext) {
        free(ps->cfgtext);
        ps->cfgtext = NULL;
    }

    if (ps->tmp) {
        /* unlinking a blob of many MiB frees (and discards) its blocks */
        ngx_http_sockerless_files_rm(ps->log, ps->tmp);
        ps->tmp = NULL;
    }

    if (ps->rootfs) {
        /* a layer that failed: the half-made rootfs goes in the pool */
        ngx_http_sockerless_image_files_rm(ps->log,
                             ps->rootfs + ngx_strlen(ps->data_dir) + 8);
        ps->rootfs = NULL;
    }

    if (ps->sync) {
        (void) ngx_thread_cond_destroy(&ps->cond, ps->log);
        (void) ngx_thread_mutex_destroy(&ps->mutex, ps->log);
        ps->sync = 0;
    }
}


/*
 * POST /auth: GET /v2/ of the registry; a Basic challenge is answered
 * with the credentials, a Bearer one by asking its token server for a
 * token with them. dockerd's answers and words.
 */

ngx_int_t
ngx_http_sockerless_auth(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                             host[512];
    ngx_http_sockerless_pull_t      *ps;
    ngx_http_sockerless_curl_t      *hc;
    ngx_http_sockerless_main_conf_t *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    ps = ngx_http_sockerless_pull_new(r);
    if (ps == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->auth = ngx_pcalloc(ps->pool, sizeof(sls_registry_auth_t));
    if (ps->auth == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (args->body == NULL
        || sls_registry_auth_from_json(args->body, ps->auth) != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid login request");
    }

    sls_registry_server_host(ps->auth->serveraddress, host, sizeof(host));
    ngx_cpystrn((u_char *) ps->ref.domain, (u_char *) host,
                sizeof(ps->ref.domain));

    if (ngx_http_sockerless_pull_setup(r, ps) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->state = sls_pull_login;

    hc = ngx_http_sockerless_curl_create(ps->pool, ps->log);
    if (hc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hc->url.data = ngx_pnalloc(ps->pool, ngx_strlen(ps->host) + 32);
    if (hc->url.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hc->url.len = ngx_sprintf(hc->url.data, "%V://%s/v2/", &ps->scheme,
                              ps->host)
                  - hc->url.data;

    hc->stall = smcf->registry_timeout;
    hc->connect_timeout = smcf->registry_timeout;
    hc->max_body = 1024 * 1024;
    hc->handler = ngx_http_sockerless_login_answer;
    hc->data = ps;

    if (ngx_http_sockerless_curl_start(hc) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->hc = hc;
    ps->url = hc->url;

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_sockerless_login_answer(ngx_http_sockerless_curl_t *hc)
{
    ngx_http_sockerless_pull_t *ps = hc->data;

    u_char                          *p;
    cJSON                           *json, *out;
    ngx_str_t                       *www;
    const char                      *token;
    ngx_http_request_t              *r;
    sls_registry_challenge_t         ch;
    ngx_http_sockerless_curl_t      *tc;

    r = ps->request;
    ps->hc = NULL;

    if (hc->result != CURLE_OK) {
        ngx_http_finalize_request(r,
                 ngx_http_sockerless_send_error(r,
                                       NGX_HTTP_INTERNAL_SERVER_ERROR,
                                       "Get \"%V\": %V", &hc->url,
                                       &hc->error));
        return;
    }

    if (hc->status == NGX_HTTP_OK) {
        out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
        if (out == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        json = ngx_http_sockerless_json_parse(hc->pool, hc->body_out.data,
                                              hc->body_out.len);
        token = ps->auth_tried
                ? ngx_http_sockerless_json_str(json, "refresh_token") : NULL;

        cJSON_AddStringToObject(out, "Status", "Login Succeeded");
        cJSON_AddStringToObject(out, "IdentityToken", token ? token : "");

        ngx_http_finalize_request(r,
                          ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out));
        return;
    }

    www = ngx_http_sockerless_curl_header(hc, "WWW-Authenticate");

    if (hc->status != NGX_HTTP_UNAUTHORIZED || ps->auth_tried
        || www == NULL
        || sls_registry_parse_challenge((char *) www->data, www->len, &ch)
           != 0)
    {
        ngx_http_finalize_request(r,
                 ngx_http_sockerless_send_error(r,
                          hc->status == NGX_HTTP_UNAUTHORIZED
                          || hc->status == NGX_HTTP_FORBIDDEN
                          ? NGX_HTTP_UNAUTHORIZED
                          : NGX_HTTP_INTERNAL_SERVER_ERROR,
                          "login attempt to %V failed with status: %ui %s",
                          &ps->url, hc->status,
                          hc->status == NGX_HTTP_UNAUTHORIZED
                          ? "Unauthorized"
                          : hc->status == NGX_HTTP_FORBIDDEN
                          ? "Forbidden" : ""));
        return;
    }

    ps->auth_tried = 1;

    tc = ngx_http_sockerless_curl_create(ps->pool, ps->log);
    if (tc == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ch.scheme == SLS_REGISTRY_AUTH_BASIC) {
        tc->url = hc->url;

    } else {
        p = ngx_pnalloc(ps->pool, ngx_strlen(ch.realm)
                        + 3 * ngx_strlen(ch.service)
                        + 3 * ngx_strlen(ps->auth->username) + 64);
        if (p == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        tc->url.data = p;
        p = ngx_sprintf(p, "%s%sservice=", ch.realm,
                        ngx_strchr(ch.realm, '?') ? "&" : "?");
        p = (u_char *) ngx_escape_uri(p, (u_char *) ch.service,
                                      ngx_strlen(ch.service),
                                      NGX_ESCAPE_ARGS);
        p = ngx_cpymem(p, "&account=", 9);
        p = (u_char *) ngx_escape_uri(p, (u_char *) ps->auth->username,
                                      ngx_strlen(ps->auth->username),
                                      NGX_ESCAPE_ARGS);
        tc->url.len = p - tc->url.data;
        ps->url = tc->url;
    }

    tc->basic.data = ngx_pnalloc(ps->pool, 1024);
    if (tc->basic.data == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    tc->basic.len = ngx_sprintf(tc->basic.data, "%s:%s",
                                ps->auth->username, ps->auth->password)
                    - tc->basic.data;

    tc->stall = hc->stall;
    tc->connect_timeout = hc->connect_timeout;
    tc->max_body = 1024 * 1024;
    tc->handler = ngx_http_sockerless_login_answer;
    tc->data = ps;

    if (ngx_http_sockerless_curl_start(tc) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ps->hc = tc;
}


/*
 * POST /images/{name}/push?tag=: the layer (the flattened rootfs as a
 * gzip tar made in the thread pool), then the config, each skipped when
 * the registry has it (HEAD) and else uploaded monolithically (POST, PUT
 * from the file), then the schema2 manifest. An empty tag pushes
 * "latest", not every tag of the repository as dockerd does.
 */

ngx_int_t
ngx_http_sockerless_image_push(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                         err[256], *name, *tag, refstr[800];
    cJSON                       *rec, *sls;
    ngx_str_t                    t, ref, *xra;
    ngx_thread_task_t           *task;
    ngx_thread_pool_t           *tp;
    ngx_http_sockerless_pull_t  *ps;

    if (ngx_http_sockerless_arg(r, "tag", &t) != NGX_OK || t.len == 0) {
        ngx_str_set(&t, "latest");
    }

    ps = ngx_http_sockerless_pull_new(r);
    if (ps == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    name = ngx_http_sockerless_cstr(r->pool, &args->id);
    tag = ngx_http_sockerless_cstr(r->pool, &t);
    ps->auth = ngx_pcalloc(ps->pool, sizeof(sls_registry_auth_t));

    if (name == NULL || tag == NULL || ps->auth == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (args->id.len > 255
        || sls_registry_parse_ref(name, tag, &ps->ref, err, sizeof(err)) != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              args->id.len > 255
                                              ? "invalid reference format"
                                              : err);
    }

    if (ps->ref.tag[0] == '\0') {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "cannot push a digest reference");
    }

    ngx_snprintf((u_char *) refstr, sizeof(refstr), "%s:%s%Z",
                 ps->ref.familiar, ps->ref.tag);
    ref.data = (u_char *) refstr;
    ref.len = ngx_strlen(refstr);

    rec = ngx_http_sockerless_image_find(ps->pool, &ref);
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    ps->push_rootfs = ngx_http_sockerless_json_str(sls, "rootfs");
    ps->push_cfg = cJSON_GetObjectItemCaseSensitive(sls, "config");

    if (rec == NULL || ps->push_rootfs == NULL || ps->push_cfg == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                            "An image does not exist locally with the tag: "
                            "%s", ps->ref.familiar);
    }

    ps->cfg = rec;

    xra = ngx_http_sockerless_pull_req_header(r, "X-Registry-Auth");

    if (xra && sls_registry_decode_auth((char *) xra->data, xra->len,
                                        ps->auth)
               != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "invalid X-Registry-Auth header");
    }

    if (ngx_http_sockerless_pull_setup(r, ps) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->actions = "pull,push";
    ps->state = sls_push_head;

    if (ps->auth->registrytoken[0]) {
        ps->bearer.data = ngx_pnalloc(ps->pool,
                                      ngx_strlen(ps->auth->registrytoken)
                                      + 32);
        if (ps->bearer.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ps->bearer.len = ngx_sprintf(ps->bearer.data,
                                     "Authorization: Bearer %s",
                                     ps->auth->registrytoken)
                         - ps->bearer.data;
    }

    ps->tmp = ngx_pnalloc(ps->pool, ngx_strlen(ps->data_dir) + 64);
    ps->layer_file = ngx_pnalloc(ps->pool, ngx_strlen(ps->data_dir) + 96);
    if (ps->tmp == NULL || ps->layer_file == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) ps->tmp, "%s/tmp%Z", ps->data_dir);
    (void) mkdir(ps->tmp, 0700);
    ngx_sprintf((u_char *) ps->tmp, "%s/tmp/push-XXXXXX%Z", ps->data_dir);

    if (mkdtemp(ps->tmp) == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                      "sockerless mkdtemp() \"%s\" failed", ps->tmp);
        ps->tmp = NULL;
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) ps->layer_file, "%s/layer.tar.gz%Z", ps->tmp);

    ngx_snprintf((u_char *) err, sizeof(err),
                 "The push refers to repository [%s/%s]%Z", ps->ref.domain,
                 ps->ref.path);

    if (ngx_http_sockerless_pull_status(ps, err, NULL, NULL, -1, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    task = ngx_thread_task_alloc(ps->pool, 0);
    if (task == NULL) {
        return NGX_ERROR;
    }

    task->ctx = ps;
    task->handler = ngx_http_sockerless_push_build;
    task->event.handler = ngx_http_sockerless_push_built;
    task->event.data = ps;

    r->main->count++;
    r->write_event_handler = ngx_http_sockerless_pull_writer;

    if (!r->discard_body) {
        /* a client that goes stops the pull (or push) at once */
        r->read_event_handler = ngx_http_test_reading;
    }

    ngx_str_set(&t, "default");
    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &t);

    ps->busy = 1;

    if (tp == NULL) {
        ngx_http_sockerless_push_build(ps, ps->log);
        ngx_http_sockerless_push_built(&task->event);
        return NGX_DONE;
    }

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        ps->busy = 0;
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot make the layer");
    }

    return NGX_DONE;
}


static void
ngx_http_sockerless_push_hex(EVP_MD_CTX *md, char out[72])
{
    u_char         *p;
    unsigned int    i, len;
    unsigned char   dgst[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    len = 0;
    (void) EVP_DigestFinal_ex(md, dgst, &len);

    p = (u_char *) ngx_cpymem(out, "sha256:", 7);

    for (i = 0; i < len && i < 32; i++) {
        *p++ = digits[dgst[i] >> 4];
        *p++ = digits[dgst[i] & 0xf];
    }

    *p = '\0';
}


/*
 * In the thread pool: the rootfs as a tar (as "docker save" writes it)
 * through zlib into the layer file, hashing both the tar (the diff id)
 * and the gzip (the blob digest) as they pass; then the config
 */

static void
ngx_http_sockerless_push_build(void *data, ngx_log_t *log)
{
    ngx_http_sockerless_pull_t *ps = data;

    char                         cfghex[72];
    struct archive              *a;
    EVP_MD_CTX                  *md;
    ngx_http_sockerless_gzip_t  *gz;

    ps->extract_rc = -1;
    ps->error[0] = '\0';
    a = NULL;

    gz = calloc(1, sizeof(ngx_http_sockerless_gzip_t));
    if (gz == NULL) {
        snprintf(ps->error, sizeof(ps->error), "out of memory");
        return;
    }

    gz->ps = ps;

    gz->fd = open(ps->layer_file, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600);
    gz->diff = EVP_MD_CTX_new();
    gz->blob = EVP_MD_CTX_new();

    if (gz->fd == -1 || gz->diff == NULL || gz->blob == NULL
        || EVP_DigestInit_ex(gz->diff, EVP_sha256(), NULL) != 1
        || EVP_DigestInit_ex(gz->blob, EVP_sha256(), NULL) != 1
        || deflateInit2(&gz->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
                        Z_DEFAULT_STRATEGY)
           != Z_OK)
    {
        snprintf(ps->error, sizeof(ps->error), "cannot open the layer: %s",
                 strerror(errno));
        goto done;
    }

    a = archive_write_new();
    if (a == NULL) {
        snprintf(ps->error, sizeof(ps->error), "out of memory");
        goto done;
    }

    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);

    if (archive_write_open(a, gz, NULL, ngx_http_sockerless_push_gzip, NULL)
        != ARCHIVE_OK
        || sls_tree_write(a, ps->push_rootfs, NULL, NULL, SLS_TREE_MERGED,
                          ps->error, sizeof(ps->error))
           != 0
        || archive_write_close(a) != ARCHIVE_OK
        || ngx_http_sockerless_push_deflate(gz, Z_FINISH) != 0)
    {
        if (ps->error[0] == '\0') {
            snprintf(ps->error, sizeof(ps->error), "%s",
                     archive_error_string(a) ? archive_error_string(a)
                                             : "cannot write the layer");
        }

        goto done;
    }

    ngx_http_sockerless_push_hex(gz->diff, ps->diff_id);
    ngx_http_sockerless_push_hex(gz->blob, ps->layer_digest);
    ps->layer_gz = gz->size;

    ps->cfgtext = ngx_http_sockerless_flat_config(ps->push_cfg, ps->diff_id);
    md = EVP_MD_CTX_new();

    if (ps->cfgtext == NULL || md == NULL
        || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
    {
        EVP_MD_CTX_free(md);
        snprintf(ps->error, sizeof(ps->error), "out of memory");
        goto done;
    }

    EVP_DigestUpdate(md, ps->cfgtext, strlen(ps->cfgtext));
    ngx_http_sockerless_push_hex(md, cfghex);
    EVP_MD_CTX_free(md);

    memcpy(ps->cfg_digest, cfghex, sizeof(cfghex));
    ps->extract_rc = 0;

done:

    if (a) {
        archive_write_free(a);
    }

    (void) deflateEnd(&gz->zs);
    EVP_MD_CTX_free(gz->diff);
    EVP_MD_CTX_free(gz->blob);

    if (gz->fd != -1) {
        close(gz->fd);
    }

    free(gz);
}


/* libarchive's writer: the tar bytes hashed and compressed */

static la_ssize_t
ngx_http_sockerless_push_gzip(struct archive *a, void *data, const void *buf,
    size_t len)
{
    ngx_http_sockerless_gzip_t *gz = data;

    ngx_uint_t  abort;

    (void) ngx_thread_mutex_lock(&gz->ps->mutex, gz->ps->log);
    abort = gz->ps->abort;
    (void) ngx_thread_mutex_unlock(&gz->ps->mutex, gz->ps->log);

    if (abort) {
        archive_set_error(a, ECANCELED, "the push stopped");
        return -1;
    }

    EVP_DigestUpdate(gz->diff, buf, len);

    gz->zs.next_in = (u_char *) buf;
    gz->zs.avail_in = len;

    if (ngx_http_sockerless_push_deflate(gz, Z_NO_FLUSH) != 0) {
        archive_set_error(a, errno ? errno : EIO, "cannot write the layer");
        return -1;
    }

    return len;
}


static int
ngx_http_sockerless_push_deflate(ngx_http_sockerless_gzip_t *gz, int flush)
{
    int       rc;
    size_t    n, done;
    ssize_t   w;

    do {
        gz->zs.next_out = gz->out;
        gz->zs.avail_out = sizeof(gz->out);

        rc = deflate(&gz->zs, flush);
        if (rc == Z_STREAM_ERROR) {
            return -1;
        }

        n = sizeof(gz->out) - gz->zs.avail_out;

        EVP_DigestUpdate(gz->blob, gz->out, n);
        gz->size += n;

        for (done = 0; done < n; done += w) {
            w = write(gz->fd, gz->out + done, n - done);

            if (w == -1) {
                if (errno == EINTR) {
                    w = 0;
                    continue;
                }

                return -1;
            }
        }

    } while (gz->zs.avail_out == 0
             || (flush == Z_FINISH && rc != Z_STREAM_END));

    return 0;
}


static void
ngx_http_sockerless_push_built(ngx_event_t *ev)
{
    ngx_http_sockerless_pull_t *ps = ev->data;

    if (ngx_http_sockerless_pull_task_back(ps, "cannot make the layer")
        != NGX_OK)
    {
        return;
    }

    ngx_sprintf((u_char *) ps->short_id, "%*s%Z", (size_t) 12,
                ps->diff_id + 7);

    (void) ngx_http_sockerless_pull_status(ps, "Preparing", ps->short_id,
                                           NULL, 0, 0);
    (void) ngx_http_sockerless_pull_status(ps, "Waiting", ps->short_id,
                                           NULL, 0, 0);

    ps->blob = 0;
    ps->state = sls_push_head;

    if (ngx_http_sockerless_push_send(ps) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
    }
}


/* the request of the current state */

static ngx_int_t
ngx_http_sockerless_push_send(ngx_http_sockerless_pull_t *ps)
{
    u_char                           *p;
    size_t                            len;
    ngx_str_t                        *h;
    const char                       *digest;
    ngx_http_request_t               *r;
    ngx_http_sockerless_curl_t       *hc;
    ngx_http_sockerless_main_conf_t  *smcf;

    r = ps->request;
    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    hc = ngx_http_sockerless_curl_create(ps->pool, ps->log);
    if (hc == NULL) {
        return NGX_ERROR;
    }

    hc->headers = ngx_array_create(ps->pool, 2, sizeof(ngx_str_t));
    if (hc->headers == NULL) {
        return NGX_ERROR;
    }

    digest = ps->blob == 0 ? ps->layer_digest : ps->cfg_digest;

    len = ngx_strlen(ps->host) + ngx_strlen(ps->ref.path) + ps->location.len
          + 256;

    p = ngx_pnalloc(ps->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    hc->url.data = p;

    switch (ps->state) {

    case sls_push_head:
        p = ngx_sprintf(p, "%V://%s/v2/%s/blobs/%s", &ps->scheme, ps->host,
                        ps->ref.path, digest);
        ngx_str_set(&hc->method, "HEAD");
        hc->follow = 1;
        break;

    case sls_push_post:
        p = ngx_sprintf(p, "%V://%s/v2/%s/blobs/uploads/", &ps->scheme,
                        ps->host, ps->ref.path);
        ngx_str_set(&hc->method, "POST");
        ngx_str_set(&hc->body, "");
        break;

    case sls_push_put:
        if (ps->location.len && ps->location.data[0] == '/') {
            p = ngx_sprintf(p, "%V://%s", &ps->scheme, ps->host);
        }

        p = ngx_sprintf(p, "%V%sdigest=", &ps->location,
                        ngx_strlchr(ps->location.data,
                                    ps->location.data + ps->location.len,
                                    '?')
                        ? "&" : "?");
        p = (u_char *) ngx_escape_uri(p, (u_char *) digest,
                                      ngx_strlen(digest), NGX_ESCAPE_ARGS);
        ngx_str_set(&hc->method, "PUT");

        h = ngx_array_push(hc->headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(h, "Content-Type: application/octet-stream");

        if (ps->blob == 0) {
            hc->source = 1;
            hc->source_fd = ps->fd;
            hc->source_size = ps->layer_gz;
            hc->progress = ngx_http_sockerless_push_progress;

        } else {
            hc->body.data = (u_char *) ps->cfgtext;
            hc->body.len = ngx_strlen(ps->cfgtext);
        }

        break;

    default: /* sls_push_manifest */
        p = ngx_sprintf(p, "%V://%s/v2/%s/manifests/%s", &ps->scheme,
                        ps->host, ps->ref.path, ps->ref.tag);
        ngx_str_set(&hc->method, "PUT");
        hc->body = ps->mbody;

        h = ngx_array_push(hc->headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(h, "Content-Type: "
                    "application/vnd.docker.distribution.manifest.v2+json");
        break;
    }

    hc->url.len = p - hc->url.data;

    if (ngx_http_sockerless_pull_auth_headers(ps, hc) != NGX_OK) {
        return NGX_ERROR;
    }

    hc->max_body = 1024 * 1024;
    hc->stall = smcf->registry_timeout;
    hc->connect_timeout = smcf->registry_timeout;
    hc->handler = ngx_http_sockerless_pull_answer;
    hc->data = ps;

    ps->hc = hc;
    ps->url = hc->url;
    ps->last = 0;

    return ngx_http_sockerless_curl_start(hc);
}


static void
ngx_http_sockerless_push_answer(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    ngx_str_t  *loc;

    switch (ps->state) {

    case sls_push_head:
        if (hc->status == NGX_HTTP_OK) {
            if (ps->blob == 0) {
                (void) ngx_http_sockerless_pull_status(ps,
                                            "Layer already exists",
                                            ps->short_id, NULL, 0, 0);
            }

            ngx_http_sockerless_push_next(ps);
            return;
        }

        if (hc->status != NGX_HTTP_NOT_FOUND) {
            ngx_http_sockerless_push_error(ps, hc);
            return;
        }

        ps->state = sls_push_post;
        break;

    case sls_push_post:
        loc = ngx_http_sockerless_curl_header(hc, "Location");

        if (hc->status != 202 || loc == NULL || loc->len == 0) {
            ngx_http_sockerless_push_error(ps, hc);
            return;
        }

        ps->location.data = ngx_pstrdup(ps->pool, loc);
        if (ps->location.data == NULL) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "out of memory");
            return;
        }

        ps->location.len = loc->len;

        if (ps->blob == 0) {
            ps->fd = ngx_open_file(ps->layer_file, NGX_FILE_RDONLY,
                                   NGX_FILE_OPEN, 0);
            if (ps->fd == NGX_INVALID_FILE) {
                ngx_log_error(NGX_LOG_ALERT, ps->log, ngx_errno,
                              ngx_open_file_n " \"%s\" failed",
                              ps->layer_file);
                ngx_http_sockerless_pull_fail(ps,
                                              NGX_HTTP_INTERNAL_SERVER_ERROR,
                                              "cannot read the layer");
                return;
            }
        }

        ps->state = sls_push_put;
        break;

    case sls_push_put:
        if (hc->status != 201) {
            ngx_http_sockerless_push_error(ps, hc);
            return;
        }

        if (ps->blob == 0) {
            ngx_close_file(ps->fd);
            ps->fd = NGX_INVALID_FILE;

            (void) ngx_http_sockerless_pull_status(ps, "Pushed",
                                                   ps->short_id, NULL, 0, 0);
        }

        ngx_http_sockerless_push_next(ps);
        return;

    default: /* sls_push_manifest */
        if (hc->status != 201) {
            ngx_http_sockerless_push_error(ps, hc);
            return;
        }

        ngx_http_sockerless_push_done(ps);
        return;
    }

    if (ngx_http_sockerless_push_send(ps) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
    }
}


/* a piece of the layer sent: "Pushing" at most every 100ms */

static void
ngx_http_sockerless_push_progress(ngx_http_sockerless_curl_t *hc,
    u_char *data, size_t len)
{
    ngx_http_sockerless_pull_t *ps = hc->data;

    char  bar[128];

    if (ps->last && ngx_current_msec - ps->last < 100) {
        return;
    }

    ps->last = ngx_current_msec ? ngx_current_msec : 1;

    sls_registry_progress_bar(hc->sent, ps->layer_gz, bar, sizeof(bar));

    (void) ngx_http_sockerless_pull_status(ps, "Pushing", ps->short_id, bar,
                                           hc->sent, ps->layer_gz);
}


/* the next blob, or the manifest after the config */

static void
ngx_http_sockerless_push_next(ngx_http_sockerless_pull_t *ps)
{
    u_char  *p;
    size_t   len;

    ps->blob++;

    if (ps->blob == 1) {
        ps->state = sls_push_head;

    } else {
        len = 512 + 3 * 72;

        p = ngx_pnalloc(ps->pool, len);
        if (p == NULL) {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "out of memory");
            return;
        }

        ps->mbody.data = p;
        ps->mbody.len = ngx_snprintf(p, len,
            "{\"schemaVersion\":2,\"mediaType\":"
            "\"application/vnd.docker.distribution.manifest.v2+json\","
            "\"config\":{\"mediaType\":"
            "\"application/vnd.docker.container.image.v1+json\","
            "\"size\":%uz,\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
            "\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
            "\"size\":%O,\"digest\":\"%s\"}]}",
            ngx_strlen(ps->cfgtext), ps->cfg_digest, ps->layer_gz,
            ps->layer_digest) - p;

        if (ngx_http_sockerless_pull_body_digest(&ps->mbody,
                                                 ps->manifest_digest)
            != NGX_OK)
        {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "cannot hash the manifest");
            return;
        }

        ps->state = sls_push_manifest;
    }

    if (ngx_http_sockerless_push_send(ps) != NGX_OK) {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "cannot start a registry request");
    }
}


/* dockerd's last lines, the pushed digest in RepoDigests, the event */

static void
ngx_http_sockerless_push_done(ngx_http_sockerless_pull_t *ps)
{
    char                *key;
    cJSON               *json, *aux, *rec, *t;
    const char          *id;
    ngx_http_request_t  *r;
    char                 line[1024], rd[800];

    r = ps->request;

    ngx_snprintf((u_char *) line, sizeof(line), "%s: digest: %s size: %uz%Z",
                 ps->ref.tag, ps->manifest_digest, ps->mbody.len);
    (void) ngx_http_sockerless_pull_status(ps, line, NULL, NULL, -1, 0);

    json = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (json) {
        cJSON_AddObjectToObject(json, "progressDetail");
        aux = cJSON_AddObjectToObject(json, "aux");
        cJSON_AddStringToObject(aux, "Tag", ps->ref.tag);
        cJSON_AddStringToObject(aux, "Digest", ps->manifest_digest);
        cJSON_AddNumberToObject(aux, "Size", (double) ps->mbody.len);
        (void) ngx_http_sockerless_pull_line(ps, json);
    }

    /* the record again: it may have changed while the layer was made */

    rec = NULL;
    id = ngx_http_sockerless_json_str(ps->cfg, "Id");
    key = ngx_pnalloc(r->pool, 80);

    if (id && key && ngx_strlen(id) == 71) {
        ngx_sprintf((u_char *) key, "i/%s%Z", id + 7);
        rec = ngx_http_sockerless_store_get(r->pool, key);
        t = cJSON_GetObjectItemCaseSensitive(rec, "RepoDigests");

        if (rec && !cJSON_IsArray(t)) {
            cJSON_DeleteItemFromObjectCaseSensitive(rec, "RepoDigests");
            t = cJSON_AddArrayToObject(rec, "RepoDigests");
        }

        ngx_snprintf((u_char *) rd, sizeof(rd), "%s@%s%Z", ps->ref.familiar,
                     ps->manifest_digest);

        if (rec && t && !ngx_http_sockerless_pull_has(t, rd)) {
            cJSON_AddItemToArray(t, cJSON_CreateString(rd));

            if (ngx_http_sockerless_store_put(key, rec) != NGX_OK) {
                ngx_log_error(NGX_LOG_ERR, ps->log, 0,
                              "sockerless: cannot record the digest of "
                              "\"%s\"", ps->ref.familiar);
            }
        }
    }

    ngx_snprintf((u_char *) line, sizeof(line), "%s:%s%Z", ps->ref.familiar,
                 ps->ref.tag);

    ngx_http_sockerless_image_event(r->pool, "push", line, ps->ref.familiar,
                                    rec);

    /* the stream ends */
    ngx_http_finalize_request(r, ngx_http_send_special(r, NGX_HTTP_LAST));
}


/* a registry's refusal: its own words, as dockerd passes them on */

static void
ngx_http_sockerless_push_error(ngx_http_sockerless_pull_t *ps,
    ngx_http_sockerless_curl_t *hc)
{
    char  code[64], text[512];

    if (sls_registry_error_text((char *) hc->body_out.data,
                                hc->body_out.len, code, sizeof(code), text,
                                sizeof(text))
        == 0)
    {
        if (ngx_strcmp(code, "DENIED") == 0
            || ngx_strcmp(code, "UNAUTHORIZED") == 0)
        {
            ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                          "denied: requested access to the "
                                          "resource is denied");
            return;
        }

        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "%s", text);
        return;
    }

    if (hc->status == NGX_HTTP_UNAUTHORIZED
        || hc->status == NGX_HTTP_FORBIDDEN)
    {
        ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "denied: requested access to the "
                                      "resource is denied");
        return;
    }

    ngx_http_sockerless_pull_fail(ps, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                  "%V \"%V\": unexpected status from the "
                                  "registry: %ui", &hc->method, &hc->url,
                                  hc->status);
}


/*
 * GET /images/search: dockerd asks the index's /v1/search, which only
 * Docker Hub serves (a registry v2 has none); sockerless talks to no
 * index, so the answer is a clear 501
 */

ngx_int_t
ngx_http_sockerless_image_search(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_str_t  term;

    ngx_http_discard_request_body(r);

    if (ngx_http_sockerless_arg(r, "term", &term) != NGX_OK
        || term.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "term is required");
    }

    return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                 "image search is not supported by sockerless: it talks to "
                 "registries over the distribution API (v2), which has no "
                 "search; search the registry's own catalog or web UI");
}
