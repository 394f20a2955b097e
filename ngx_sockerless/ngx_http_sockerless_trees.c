
/*
 * Copyright (C) sockerless contributors
 *
 * The endpoints that read or write whole file trees: system df, container
 * changes, export and commit, and image save. The trees are walked in
 * nginx's thread pool (sls_tree.c); tar streams reach the client through
 * a pipe, with back-pressure, never whole in memory.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_images.h>
#include <ngx_http_sockerless_curl.h>
#include <sls_registry.h>
#include <sls_tree.h>
#include <ngx_thread_pool.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <sys/utsname.h>


#define NGX_HTTP_SOCKERLESS_PIPE_BUF  65536


typedef struct ngx_http_sockerless_job_s  ngx_http_sockerless_job_t;

typedef void (*ngx_http_sockerless_job_pt)(ngx_http_sockerless_job_t *job);


/* one du of "df": the figure goes to obj[field] */

typedef struct {
    char                          *path;
    cJSON                         *obj;
    const char                    *field;
    int64_t                        size;
} ngx_http_sockerless_du_t;


/*
 * Work in a thread for a request. The job lives in its own pool: the
 * request may end (client gone) while the thread runs; whichever of the
 * two ends last destroys it. The thread sees only the job's plain fields
 * and malloc'd cJSON, never a pool.
 */

struct ngx_http_sockerless_job_s {
    ngx_pool_t                    *pool;
    ngx_http_request_t            *request;   /* NULL once it is gone */
    ngx_http_sockerless_job_pt     run;       /* in a thread */
    ngx_http_sockerless_job_pt     done;      /* in the worker */
    ngx_connection_t              *pipe;      /* the read end, streams */
    ngx_chain_t                   *free;
    ngx_chain_t                   *busy;
    int                            fd;        /* the write end: thread's */
    char                          *lower;
    char                          *upper;
    char                          *dir;       /* data dir */
    cJSON                         *in;        /* bound to the pool */
    cJSON                         *out;       /* made by the thread */
    cJSON                         *saved;     /* save: ids for events */
    ngx_http_sockerless_du_t      *du;
    ngx_uint_t                     ndu;
    char                           err[512];
    unsigned                       finished:1;
    unsigned                       eof:1;
};


static ngx_int_t ngx_http_sockerless_system_df(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_changes(
    ngx_http_request_t *r, ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_export(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_save(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_commit(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

static ngx_http_sockerless_job_t *ngx_http_sockerless_job(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_job_post(ngx_http_sockerless_job_t *job);
static void ngx_http_sockerless_job_thread(void *data, ngx_log_t *log);
static void ngx_http_sockerless_job_event(ngx_event_t *ev);
static void ngx_http_sockerless_job_detach(void *data);
static ngx_int_t ngx_http_sockerless_job_stream(
    ngx_http_sockerless_job_t *job, const char *type);
static void ngx_http_sockerless_job_pipe_read(ngx_event_t *ev);
static void ngx_http_sockerless_job_pipe_write(ngx_http_request_t *r);
static void ngx_http_sockerless_job_pump(ngx_http_sockerless_job_t *job);
static ngx_int_t ngx_http_sockerless_import_fetch(
    ngx_http_sockerless_job_t *job, ngx_str_t *src);
static void ngx_http_sockerless_import_fetched(
    ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_job_stream_done(
    ngx_http_sockerless_job_t *job);
static ngx_int_t ngx_http_sockerless_args_all(ngx_http_request_t *r,
    const char *name, cJSON *values);
static cJSON *ngx_http_sockerless_layers(ngx_http_request_t *r,
    cJSON *rec);


ngx_http_sockerless_route_t  ngx_http_sockerless_tree_routes[] = {

    { NGX_HTTP_GET, ngx_string("/system/df"),
      ngx_null_string, 0,
      ngx_http_sockerless_system_df },

    { NGX_HTTP_GET, ngx_string("/containers/"),
      ngx_string("changes"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_changes },

    { NGX_HTTP_GET, ngx_string("/containers/"),
      ngx_string("export"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_export },

    { NGX_HTTP_GET, ngx_string("/images/get"),
      ngx_null_string, 0,
      ngx_http_sockerless_image_save },

    { NGX_HTTP_GET, ngx_string("/images/"),
      ngx_string("get"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_save },

    { NGX_HTTP_POST, ngx_string("/commit"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_commit },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* jobs */

static ngx_http_sockerless_job_t *
ngx_http_sockerless_job(ngx_http_request_t *r)
{
    ngx_pool_t                 *pool;
    ngx_pool_cleanup_t         *cln;
    ngx_http_sockerless_job_t  *job;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    job = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_job_t));
    if (job == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    job->pool = pool;
    job->request = r;
    job->fd = -1;

    /* not running: the request's end destroys it */
    job->finished = 1;

    cln->handler = ngx_http_sockerless_job_detach;
    cln->data = job;

    return job;
}


static ngx_int_t
ngx_http_sockerless_job_post(ngx_http_sockerless_job_t *job)
{
    ngx_str_t           name;
    ngx_thread_task_t  *task;
    ngx_thread_pool_t  *tp;

    task = ngx_thread_task_alloc(job->pool, sizeof(void *));
    if (task == NULL) {
        return NGX_ERROR;
    }

    *(ngx_http_sockerless_job_t **) task->ctx = job;
    task->handler = ngx_http_sockerless_job_thread;
    task->event.handler = ngx_http_sockerless_job_event;
    task->event.data = job;

    ngx_str_set(&name, "default");
    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);

    if (tp == NULL || ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_ERROR;
    }

    job->finished = 0;

    return NGX_OK;
}


static void
ngx_http_sockerless_job_thread(void *data, ngx_log_t *log)
{
    ngx_http_sockerless_job_t *job = *(ngx_http_sockerless_job_t **) data;

    job->run(job);

    if (job->fd != -1) {
        /* the reader sees the end of the stream */
        close(job->fd);
        job->fd = -1;
    }
}


static void
ngx_http_sockerless_job_event(ngx_event_t *ev)
{
    ngx_http_sockerless_job_t *job = ev->data;

    job->finished = 1;

    if (job->request == NULL) {
        ngx_destroy_pool(job->pool);
        return;
    }

    if (job->out && ngx_http_sockerless_json_bind(job->pool, job->out)
                    == NULL)
    {
        job->out = NULL;
    }

    /* the last use of job here: done() may end the request */
    job->done(job);
}


static void
ngx_http_sockerless_job_detach(void *data)
{
    ngx_http_sockerless_job_t *job = data;

    job->request = NULL;

    if (job->pipe) {
        ngx_close_connection(job->pipe);
        job->pipe = NULL;
    }

    if (job->finished) {
        if (job->fd != -1) {
            close(job->fd);
        }

        ngx_destroy_pool(job->pool);
    }
}


static void
ngx_http_sockerless_job_json_done(ngx_http_sockerless_job_t *job)
{
    ngx_http_request_t  *r;

    r = job->request;

    if (job->out == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "sockerless: %s", job->err[0] ? job->err
                                                    : "out of memory");
        ngx_http_finalize_request(r,
                ngx_http_sockerless_send_error(r,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR, "%s",
                                     job->err[0] ? job->err
                                                 : "out of memory"));
        return;
    }

    ngx_http_finalize_request(r,
                ngx_http_sockerless_send_json(r, NGX_HTTP_OK, job->out));
}


/*
 * A tar stream: the thread writes into a pipe (blocking, in the thread),
 * the worker reads it without blocking and passes it on, reading no more
 * while the client has not taken what was sent
 */

static ngx_int_t
ngx_http_sockerless_job_stream(ngx_http_sockerless_job_t *job,
    const char *type)
{
    int                         fds[2];
    ngx_int_t                   rc;
    ngx_connection_t           *c;
    ngx_http_request_t         *r;
    ngx_http_sockerless_ctx_t  *ctx;

    r = job->request;

    if (pipe2(fds, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "pipe2() failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    c = ngx_get_connection(fds[0], r->connection->log);
    if (c == NULL) {
        close(fds[0]);
        close(fds[1]);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->pipe = c;
    job->fd = fds[1];

    if (ngx_nonblocking(fds[0]) == -1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    c->data = job;
    c->read->handler = ngx_http_sockerless_job_pipe_read;
    c->read->log = r->connection->log;
    c->write->log = r->connection->log;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ctx->data = job;

    job->done = ngx_http_sockerless_job_stream_done;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    r->write_event_handler = ngx_http_sockerless_job_pipe_write;
    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_sockerless_job_pipe_read(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ngx_http_sockerless_job_pump(c->data);
}


static void
ngx_http_sockerless_job_pipe_write(ngx_http_request_t *r)
{
    ngx_http_sockerless_ctx_t  *ctx;
    ngx_http_sockerless_job_t  *job;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    job = ctx->data;

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    ngx_chain_update_chains(r->pool, &job->free, &job->busy, NULL,
                            (ngx_buf_tag_t) &ngx_http_sockerless_module);

    ngx_http_sockerless_job_pump(job);
}


static void
ngx_http_sockerless_job_pump(ngx_http_sockerless_job_t *job)
{
    ssize_t              n;
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_request_t  *r;

    r = job->request;

    while (!job->eof) {

        if (job->busy) {
            /* the client has not taken it all: the write event resumes */
            if (ngx_handle_write_event(r->connection->write, 0) != NGX_OK) {
                ngx_http_finalize_request(r, NGX_ERROR);
            }

            return;
        }

        cl = ngx_chain_get_free_buf(r->pool, &job->free);
        if (cl == NULL) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }

        b = cl->buf;

        if (b->start == NULL) {
            b->start = ngx_palloc(r->pool, NGX_HTTP_SOCKERLESS_PIPE_BUF);
            if (b->start == NULL) {
                ngx_http_finalize_request(r, NGX_ERROR);
                return;
            }

            b->end = b->start + NGX_HTTP_SOCKERLESS_PIPE_BUF;
            b->tag = (ngx_buf_tag_t) &ngx_http_sockerless_module;
            b->temporary = 1;
        }

        b->pos = b->start;
        b->last = b->start;
        b->flush = 1;

        n = read(job->pipe->fd, b->start, b->end - b->start);

        if (n == -1 && ngx_errno == NGX_EAGAIN) {
            cl->next = job->free;
            job->free = cl;

            if (ngx_handle_read_event(job->pipe->read, 0) != NGX_OK) {
                ngx_http_finalize_request(r, NGX_ERROR);
            }

            return;
        }

        if (n <= 0) {
            cl->next = job->free;
            job->free = cl;

            job->eof = 1;
            ngx_close_connection(job->pipe);
            job->pipe = NULL;
            break;
        }

        b->last += n;

        rc = ngx_http_output_filter(r, cl);

        ngx_chain_update_chains(r->pool, &job->free, &job->busy, &cl,
                                (ngx_buf_tag_t) &ngx_http_sockerless_module);

        if (rc == NGX_ERROR) {
            ngx_http_finalize_request(r, NGX_ERROR);
            return;
        }
    }

    if (job->finished) {
        ngx_http_sockerless_job_stream_done(job);
    }
}


static void
ngx_http_sockerless_job_stream_done(ngx_http_sockerless_job_t *job)
{
    cJSON               *t;
    ngx_http_request_t  *r;

    if (!job->eof) {
        /* the pump ends it when the pipe is drained */
        return;
    }

    r = job->request;

    if (job->err[0]) {
        /* the status is sent: a cut stream is all the client can see */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "sockerless: tar stream failed: %s", job->err);
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    /* dockerd logs "save" for each image written */

    cJSON_ArrayForEach(t, job->saved) {
        ngx_http_sockerless_image_event(r->pool, "save", t->valuestring,
                                        t->valuestring, NULL);
    }

    ngx_http_finalize_request(r, ngx_http_send_special(r, NGX_HTTP_LAST));
}


/* every value of a repeated query parameter, unescaped, as strings */

static ngx_int_t
ngx_http_sockerless_args_all(ngx_http_request_t *r, const char *name,
    cJSON *values)
{
    u_char  *p, *last, *end, *dst, *src, *v, *raw;
    size_t   len, n;

    len = ngx_strlen(name);
    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        end = ngx_strlchr(p, last, '&');
        end = end ? end : last;

        if ((size_t) (end - p) > len && ngx_strncmp(p, name, len) == 0
            && p[len] == '=')
        {
            /* '+' is a space, "%2B" a plus */

            v = ngx_pnalloc(r->pool, 2 * (end - p) + 2);
            if (v == NULL) {
                return NGX_ERROR;
            }

            raw = v + (end - p) + 1;
            n = 0;

            for (src = p + len + 1; src < end; src++) {
                raw[n++] = (*src == '+') ? ' ' : *src;
            }

            src = raw;
            dst = v;
            ngx_unescape_uri(&dst, &src, n, NGX_UNESCAPE_URI);
            *dst = '\0';

            cJSON_AddItemToArray(values, cJSON_CreateString((char *) v));
        }

        p = end + 1;
    }

    return NGX_OK;
}


/* the backend's lower and upper directories of a container, or NULL */

static cJSON *
ngx_http_sockerless_layers(ngx_http_request_t *r, cJSON *rec)
{
    ngx_http_sockerless_op_t        op;
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();

    if (be->container_layers == NULL) {
        return NULL;
    }

    ngx_memzero(&op, sizeof(ngx_http_sockerless_op_t));
    op.request = r;
    op.pool = r->pool;
    op.log = r->connection->log;
    op.conf = ngx_http_sockerless_backend_conf();
    op.container = rec;

    if (be->op_state_size) {
        op.state = ngx_pcalloc(r->pool, be->op_state_size);
        if (op.state == NULL) {
            return NULL;
        }
    }

    if (be->container_layers(&op) != NGX_OK) {
        return NULL;
    }

    return op.result;
}


/*
 * GET /system/df: images, containers and volumes with the sizes of their
 * files (du in a thread); no build cache exists, so BuildCache is empty.
 * Images are unpacked flat, one tree each: no bytes are shared, and
 * SharedSize is 0. "type" (API 1.42) limits what is computed; the
 * others are null, as dockerd answers.
 */

typedef struct {
    ngx_http_request_t            *request;
    ngx_uint_t                     want;      /* 1 images 2 containers 4 v */
    cJSON                         *images;
    cJSON                         *containers;
    cJSON                         *volumes;
    cJSON                         *users;     /* image id -> containers */
    cJSON                         *refs;      /* volume name -> containers */
    ngx_array_t                   *du;
} ngx_http_sockerless_df_t;


static ngx_int_t
ngx_http_sockerless_df_du(ngx_http_sockerless_df_t *df, const char *path,
    cJSON *obj, const char *field)
{
    size_t                     len;
    ngx_http_sockerless_du_t  *d;

    d = ngx_array_push(df->du);
    if (d == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(path);
    d->path = ngx_pnalloc(df->du->pool, len + 1);
    if (d->path == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(d->path, path, len + 1);
    d->obj = obj;
    d->field = field;
    d->size = 0;

    return NGX_OK;
}


static void
ngx_http_sockerless_count(cJSON *counts, const char *key)
{
    cJSON  *n;

    n = cJSON_GetObjectItemCaseSensitive(counts, key);

    if (n) {
        cJSON_SetNumberValue(n, cJSON_GetNumberValue(n) + 1);

    } else {
        cJSON_AddNumberToObject(counts, key, 1);
    }
}


static ngx_int_t
ngx_http_sockerless_df_container(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_df_t *df = data;

    cJSON       *b, *item, *img;
    u_char      *upper;
    ngx_str_t    ref;
    const char  *s, *id;
    double       size;
    char         name[256];

    s = ngx_http_sockerless_json_str(rec, "Image");
    if (s) {
        ngx_http_sockerless_count(df->users, s);
    }

    /* the volumes it mounts, by name */

    item = ngx_http_sockerless_mounts_list(df->request->pool, rec);

    cJSON_ArrayForEach(b, item) {
        s = ngx_http_sockerless_json_str(b, "Name");

        if (s && *s && ngx_strlen(s) < sizeof(name)) {
            ngx_cpystrn((u_char *) name, (u_char *) s, sizeof(name));
            ngx_http_sockerless_count(df->refs, name);
        }
    }

    s = ngx_http_sockerless_json_str(rec, "Image");

    if (!(df->want & 2)) {
        return NGX_OK;
    }

    item = ngx_http_sockerless_list_item(df->request->pool, rec, 0);
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(df->containers, item);

    /* SizeRootFs: the image's bytes now, SizeRw added when known */

    size = 0;

    if (s) {
        ref.data = (u_char *) s;
        ref.len = ngx_strlen(s);
        img = ngx_http_sockerless_image_find(df->request->pool, &ref);
        size = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(img,
                                                                    "Size"));
        size = (size == size) ? size : 0;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(item, "SizeRw");
    cJSON_DeleteItemFromObjectCaseSensitive(item, "SizeRootFs");
    cJSON_AddNumberToObject(item, "SizeRw", 0);
    cJSON_AddNumberToObject(item, "SizeRootFs", size);

    id = ngx_http_sockerless_json_str(rec, "Id");
    upper = id ? ngx_http_sockerless_container_path(df->request->pool, id,
                                                    "upper")
               : NULL;

    if (upper
        && ngx_http_sockerless_df_du(df, (char *) upper, item, "SizeRw")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_df_image(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_df_t *df = data;

    cJSON       *item, *t, *labels;
    const char  *id, *rootfs;
    double       n;

    id = ngx_http_sockerless_json_str(rec, "Id");
    rootfs = ngx_http_sockerless_json_str(
                 cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "rootfs");

    if (id == NULL) {
        return NGX_OK;
    }

    item = cJSON_CreateObject();
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(df->images, item);

    t = cJSON_GetObjectItemCaseSensitive(rec, "RepoTags");
    labels = cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(rec, "Config"), "Labels");
    n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(df->users,
                                                              id));

    cJSON_AddStringToObject(item, "Id", id);
    cJSON_AddStringToObject(item, "ParentId", "");
    cJSON_AddItemToObject(item, "RepoTags", cJSON_IsArray(t)
                                            ? cJSON_Duplicate(t, 1)
                                            : cJSON_CreateArray());
    cJSON_AddItemToObject(item, "RepoDigests", cJSON_CreateArray());
    cJSON_AddNumberToObject(item, "Created",
                    (double) ngx_http_sockerless_parse_time(
                                 ngx_http_sockerless_json_str(rec,
                                                              "Created")));
    cJSON_AddNumberToObject(item, "Size", 0);
    cJSON_AddNumberToObject(item, "SharedSize", 0);
    cJSON_AddItemToObject(item, "Labels", cJSON_IsObject(labels)
                                          ? cJSON_Duplicate(labels, 1)
                                          : cJSON_CreateObject());
    cJSON_AddNumberToObject(item, "Containers", (n == n) ? n : 0);

    if (rootfs && ngx_http_sockerless_df_du(df, rootfs, item, "Size")
                  != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_df_volume(void *data, const char *key, cJSON *v)
{
    ngx_http_sockerless_df_t *df = data;

    cJSON       *item, *usage;
    const char  *name, *mp;
    double       n;

    name = ngx_http_sockerless_json_str(v, "Name");
    mp = ngx_http_sockerless_json_str(v, "Mountpoint");

    if (name == NULL) {
        return NGX_OK;
    }

    item = cJSON_Duplicate(v, 1);
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(item, "_sls");
    cJSON_DeleteItemFromObjectCaseSensitive(item, "UsageData");
    cJSON_AddItemToArray(df->volumes, item);

    n = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(df->refs,
                                                              name));

    usage = cJSON_AddObjectToObject(item, "UsageData");
    cJSON_AddNumberToObject(usage, "Size", 0);
    cJSON_AddNumberToObject(usage, "RefCount", (n == n) ? n : 0);

    if (mp && ngx_http_sockerless_df_du(df, mp, usage, "Size") != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_df_run(ngx_http_sockerless_job_t *job)
{
    int64_t     n;
    ngx_uint_t  i;

    for (i = 0; i < job->ndu; i++) {
        n = sls_tree_du(job->du[i].path);
        job->du[i].size = (n > 0) ? n : 0;
    }
}


static void
ngx_http_sockerless_df_done(ngx_http_sockerless_job_t *job)
{
    cJSON                     *ans, *n, *item;
    double                     layers;
    ngx_uint_t                 i;
    ngx_http_sockerless_du_t  *d;

    ans = job->in;

    for (i = 0; i < job->ndu; i++) {
        d = &job->du[i];
        n = cJSON_GetObjectItemCaseSensitive(d->obj, d->field);
        cJSON_SetNumberValue(n, cJSON_GetNumberValue(n) + d->size);

        if (ngx_strcmp(d->field, "SizeRw") == 0) {
            n = cJSON_GetObjectItemCaseSensitive(d->obj, "SizeRootFs");
            cJSON_SetNumberValue(n, cJSON_GetNumberValue(n) + d->size);
        }
    }

    layers = 0;

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(ans,
                                                              "Images"))
    {
        layers += cJSON_GetNumberValue(
                      cJSON_GetObjectItemCaseSensitive(item, "Size"));
    }

    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(ans, "LayersSize"),
                         layers);

    job->out = NULL;

    ngx_http_finalize_request(job->request,
                ngx_http_sockerless_send_json(job->request, NGX_HTTP_OK,
                                              ans));
}


static ngx_int_t
ngx_http_sockerless_system_df(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                      *ans, *types, *t;
    ngx_uint_t                  i;
    ngx_http_sockerless_df_t    df;
    ngx_http_sockerless_job_t  *job;

    static const char  *known[] = {
        "image", "container", "volume", "build-cache", NULL
    };

    ngx_memzero(&df, sizeof(ngx_http_sockerless_df_t));
    df.request = r;
    df.want = 15;

    types = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (types == NULL
        || ngx_http_sockerless_args_all(r, "type", types) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (args->api_minor >= 42 && cJSON_GetArraySize(types)) {
        df.want = 0;

        cJSON_ArrayForEach(t, types) {
            for (i = 0; known[i]; i++) {
                if (ngx_strcmp(known[i], t->valuestring) == 0) {
                    df.want |= 1 << i;
                    break;
                }
            }

            if (known[i] == NULL) {
                return ngx_http_sockerless_send_error(r,
                                          NGX_HTTP_BAD_REQUEST,
                                          "unknown object type: %s",
                                          t->valuestring);
            }
        }
    }

    job = ngx_http_sockerless_job(r);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ans = ngx_http_sockerless_json_bind(job->pool, cJSON_CreateObject());
    df.du = ngx_array_create(job->pool, 16,
                             sizeof(ngx_http_sockerless_du_t));
    df.users = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    df.refs = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());

    if (ans == NULL || df.du == NULL || df.users == NULL || df.refs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddNumberToObject(ans, "LayersSize", 0);

    df.images = (df.want & 1) ? cJSON_AddArrayToObject(ans, "Images")
                              : cJSON_AddNullToObject(ans, "Images");
    df.containers = (df.want & 2)
                    ? cJSON_AddArrayToObject(ans, "Containers")
                    : cJSON_AddNullToObject(ans, "Containers");
    df.volumes = (df.want & 4) ? cJSON_AddArrayToObject(ans, "Volumes")
                               : cJSON_AddNullToObject(ans, "Volumes");

    if (df.want & 8) {
        cJSON_AddArrayToObject(ans, "BuildCache");

    } else {
        cJSON_AddNullToObject(ans, "BuildCache");
    }

    if (ngx_http_sockerless_store_scan(r->pool, "c/",
                                       ngx_http_sockerless_df_container, &df)
        == NGX_ERROR
        || ((df.want & 1)
            && ngx_http_sockerless_store_scan(r->pool, "i/",
                                       ngx_http_sockerless_df_image, &df)
               == NGX_ERROR)
        || ((df.want & 4)
            && ngx_http_sockerless_store_scan(r->pool, "v/",
                                       ngx_http_sockerless_df_volume, &df)
               == NGX_ERROR))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->in = ans;
    job->du = df.du->elts;
    job->ndu = df.du->nelts;
    job->run = ngx_http_sockerless_df_run;
    job->done = ngx_http_sockerless_df_done;

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/* the container of a request and its directories, or an answer sent */

static ngx_int_t
ngx_http_sockerless_tree_job(ngx_http_request_t *r, ngx_str_t *ref,
    ngx_http_sockerless_job_t **jobp, cJSON **recp)
{
    cJSON                      *rec, *layers;
    ngx_str_t                   s;
    ngx_uint_t                  ambiguous;
    const char                 *v;
    ngx_http_sockerless_job_t  *job;

    /* on an answer sent, *jobp stays NULL and its code is returned */
    *jobp = NULL;

    ambiguous = 0;
    rec = ngx_http_sockerless_container_lookup(r->pool, ref, &ambiguous);

    if (rec == NULL) {
        if (ambiguous) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                 "multiple IDs found with provided prefix: "
                                 "%V", ref);
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V", ref);
    }

    if (ngx_http_sockerless_backend()->container_layers == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "the files of containers are not reachable with the "
                        "%V backend", &ngx_http_sockerless_backend()->name);
    }

    layers = ngx_http_sockerless_layers(r, rec);
    if (layers == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "the files of container %V are not available (its "
                        "image is gone)", ref);
    }

    job = ngx_http_sockerless_job(r);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v = ngx_http_sockerless_json_str(layers, "lower");
    s.data = (u_char *) (v ? v : "");
    s.len = ngx_strlen(s.data);
    job->lower = s.len ? ngx_http_sockerless_cstr(job->pool, &s) : NULL;

    v = ngx_http_sockerless_json_str(layers, "upper");
    s.data = (u_char *) (v ? v : "");
    s.len = ngx_strlen(s.data);
    job->upper = s.len ? ngx_http_sockerless_cstr(job->pool, &s) : NULL;

    *jobp = job;
    *recp = rec;

    return NGX_OK;
}


/*
 * GET /containers/{id}/changes: the overlay upper directory against the
 * image, as dockerd's overlay2 driver reports it; the files the agent
 * writes itself are left out as dockerd's own bind mounts are
 */

static int
ngx_http_sockerless_change(void *data, const char *path, int kind)
{
    cJSON  *list = data;
    cJSON  *item;

    item = cJSON_CreateObject();
    if (item == NULL) {
        return -1;
    }

    cJSON_AddStringToObject(item, "Path", path);
    cJSON_AddNumberToObject(item, "Kind", kind);
    cJSON_AddItemToArray(list, item);

    return 0;
}


static void
ngx_http_sockerless_changes_run(ngx_http_sockerless_job_t *job)
{
    cJSON  *list;

    static const char  *hide[] = {
        "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", NULL
    };

    list = cJSON_CreateArray();
    if (list == NULL) {
        return;
    }

    if (sls_tree_changes(job->lower, job->upper, hide,
                         ngx_http_sockerless_change, list, job->err,
                         sizeof(job->err))
        != 0)
    {
        cJSON_Delete(list);
        return;
    }

    job->out = list;
}


static ngx_int_t
ngx_http_sockerless_container_changes(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                      *rec;
    ngx_int_t                   rc;
    ngx_http_sockerless_job_t  *job;

    rc = ngx_http_sockerless_tree_job(r, &args->id, &job, &rec);
    if (job == NULL) {
        return rc;
    }

    job->run = ngx_http_sockerless_changes_run;
    job->done = ngx_http_sockerless_job_json_done;

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/* GET /containers/{id}/export: the merged view as a tar, running or not */

static void
ngx_http_sockerless_export_run(ngx_http_sockerless_job_t *job)
{
    struct archive  *a;

    a = archive_write_new();
    if (a == NULL) {
        ngx_cpystrn((u_char *) job->err, (u_char *) "out of memory",
                    sizeof(job->err));
        return;
    }

    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);

    if (archive_write_open_fd(a, job->fd) != ARCHIVE_OK) {
        snprintf(job->err, sizeof(job->err), "%s", archive_error_string(a));

    } else if (sls_tree_write(a, job->lower, job->upper, NULL,
                              SLS_TREE_MERGED, job->err, sizeof(job->err))
               == 0
               && archive_write_close(a) != ARCHIVE_OK)
    {
        snprintf(job->err, sizeof(job->err), "%s", archive_error_string(a));
    }

    archive_write_free(a);
}


static ngx_int_t
ngx_http_sockerless_container_export(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                      *rec;
    ngx_int_t                   rc;
    ngx_http_sockerless_job_t  *job;

    ngx_http_discard_request_body(r);

    rc = ngx_http_sockerless_tree_job(r, &args->id, &job, &rec);
    if (job == NULL) {
        return rc;
    }

    job->run = ngx_http_sockerless_export_run;

    return ngx_http_sockerless_job_stream(job, "application/x-tar");
}


/* the digest so far, as 64 hex digits */

static void
ngx_http_sockerless_md_hex(EVP_MD_CTX *md, char hex[65])
{
    unsigned int   i, dlen;
    u_char         dgst[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    dlen = 0;
    EVP_DigestFinal_ex(md, dgst, &dlen);

    for (i = 0; i < dlen && i < 32; i++) {
        hex[2 * i] = digits[dgst[i] >> 4];
        hex[2 * i + 1] = digits[dgst[i] & 0xf];
    }

    hex[64] = '\0';
}


/* sha256 of a file or of bytes, as hex */

static int
ngx_http_sockerless_sha256(const char *path, const u_char *data, size_t len,
    char hex[65])
{
    int            fd;
    ssize_t        n;
    EVP_MD_CTX    *md;
    u_char         buf[16384];

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return -1;
    }

    n = 0;

    if (path) {
        fd = open(path, O_RDONLY|O_CLOEXEC);
        if (fd == -1) {
            EVP_MD_CTX_free(md);
            return -1;
        }

        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            EVP_DigestUpdate(md, buf, n);
        }

        close(fd);

    } else {
        EVP_DigestUpdate(md, data, len);
    }

    ngx_http_sockerless_md_hex(md, hex);
    EVP_MD_CTX_free(md);

    return (n < 0) ? -1 : 0;
}


/* one regular file entry from memory (path NULL) or from a file */

static int
ngx_http_sockerless_tar_add(struct archive *a, const char *name,
    const char *path, const char *data, size_t len, char *buf)
{
    int                    fd, rc;
    ssize_t                n;
    struct stat            st;
    struct archive_entry  *e;

    fd = -1;

    if (path) {
        fd = open(path, O_RDONLY|O_CLOEXEC);
        if (fd == -1 || fstat(fd, &st) == -1) {
            if (fd != -1) {
                close(fd);
            }

            return -1;
        }

        len = st.st_size;
    }

    e = archive_entry_new();
    if (e == NULL) {
        if (fd != -1) {
            close(fd);
        }

        return -1;
    }

    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, len);
    archive_entry_set_mtime(e, time(NULL), 0);

    rc = -1;

    if (archive_write_header(a, e) != ARCHIVE_OK) {
        goto done;
    }

    if (fd == -1) {
        if (len && archive_write_data(a, data, len) < 0) {
            goto done;
        }

    } else {
        while ((n = read(fd, buf, 65536)) > 0) {
            if (archive_write_data(a, buf, n) < 0) {
                goto done;
            }
        }

        if (n < 0) {
            goto done;
        }
    }

    rc = 0;

done:

    if (fd != -1) {
        close(fd);
    }

    archive_entry_free(e);

    return rc;
}


/*
 * The config of a flattened image: its layers are one, so every history
 * row that made a layer but the last is marked empty_layer (save, push)
 */

char *
ngx_http_sockerless_flat_config(cJSON *cfg, const char *diff_id)
{
    char   *text;
    cJSON  *c, *rootfs, *ids, *h, *last;

    c = cJSON_Duplicate(cfg, 1);
    if (c == NULL) {
        return NULL;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(c, "rootfs");
    rootfs = cJSON_AddObjectToObject(c, "rootfs");
    cJSON_AddStringToObject(rootfs, "type", "layers");
    ids = cJSON_AddArrayToObject(rootfs, "diff_ids");
    cJSON_AddItemToArray(ids, cJSON_CreateString(diff_id));

    last = NULL;

    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(c, "history")) {
        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h,
                                                           "empty_layer")))
        {
            if (last) {
                cJSON_DeleteItemFromObjectCaseSensitive(last, "empty_layer");
                cJSON_AddTrueToObject(last, "empty_layer");
            }

            last = h;
        }
    }

    text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);

    return text;
}


/*
 * GET /images/get and /images/{name}/get: a docker-archive tarball
 * (manifest.json, the configs, one layer each of the flattened rootfs,
 * repositories). A layer is written to a temporary file first: its size
 * goes in the tar header before its bytes and its digest in the config.
 * Flattened, a multi-layer image comes back with one layer, a new config
 * and so a new id.
 */

static void
ngx_http_sockerless_save_run(ngx_http_sockerless_job_t *job)
{
    int              i, n;
    char            *tmp, *layer, *cfgtext, *text, *name, *buf;
    cJSON           *img, *manifest, *m, *repos, *tags, *t, *r;
    struct archive  *a, *out;
    char             hex[65], cfghex[65], id[80];
    const char      *rootfs, *colon;

    tmp = malloc(strlen(job->dir) + 64);
    layer = malloc(strlen(job->dir) + 128);
    name = malloc(256);
    buf = malloc(65536);
    manifest = cJSON_CreateArray();
    repos = cJSON_CreateObject();
    out = NULL;

    if (tmp == NULL || layer == NULL || name == NULL || buf == NULL
        || manifest == NULL || repos == NULL)
    {
        snprintf(job->err, sizeof(job->err), "out of memory");
        goto failed;
    }

    sprintf(tmp, "%s/tmp/save-XXXXXX", job->dir);

    if (mkdtemp(tmp) == NULL) {
        snprintf(job->err, sizeof(job->err), "mkdtemp: %s", strerror(errno));
        tmp[0] = '\0';
        goto failed;
    }

    out = archive_write_new();
    if (out == NULL) {
        goto failed;
    }

    archive_write_set_format_pax_restricted(out);
    archive_write_set_bytes_in_last_block(out, 1);

    if (archive_write_open_fd(out, job->fd) != ARCHIVE_OK) {
        goto failed;
    }

    n = cJSON_GetArraySize(job->in);

    for (i = 0; i < n; i++) {
        img = cJSON_GetArrayItem(job->in, i);
        rootfs = cJSON_GetStringValue(cJSON_GetObjectItem(img, "rootfs"));
        sprintf(layer, "%s/%d.tar", tmp, i);

        a = archive_write_new();
        if (a == NULL) {
            goto failed;
        }

        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);

        if (archive_write_open_filename(a, layer) != ARCHIVE_OK
            || sls_tree_write(a, rootfs, NULL, NULL, SLS_TREE_MERGED,
                              job->err, sizeof(job->err))
               != 0
            || archive_write_close(a) != ARCHIVE_OK)
        {
            if (job->err[0] == '\0') {
                snprintf(job->err, sizeof(job->err), "%s",
                         archive_error_string(a));
            }

            archive_write_free(a);
            goto failed;
        }

        archive_write_free(a);

        if (ngx_http_sockerless_sha256(layer, NULL, 0, hex) != 0) {
            goto failed;
        }

        snprintf(id, sizeof(id), "sha256:%s", hex);

        cfgtext = ngx_http_sockerless_flat_config(
                      cJSON_GetObjectItem(img, "config"), id);
        if (cfgtext == NULL
            || ngx_http_sockerless_sha256(NULL, (u_char *) cfgtext,
                                          strlen(cfgtext), cfghex) != 0)
        {
            free(cfgtext);
            goto failed;
        }

        snprintf(name, 256, "%s.json", cfghex);
        if (ngx_http_sockerless_tar_add(out, name, NULL, cfgtext,
                                        strlen(cfgtext), buf) != 0)
        {
            free(cfgtext);
            goto failed;
        }

        free(cfgtext);

        snprintf(name, 256, "%s/layer.tar", hex);
        if (ngx_http_sockerless_tar_add(out, name, layer, NULL, 0, buf) != 0)
        {
            goto failed;
        }

        (void) unlink(layer);

        m = cJSON_CreateObject();
        cJSON_AddItemToArray(manifest, m);
        snprintf(name, 256, "%s.json", cfghex);
        cJSON_AddStringToObject(m, "Config", name);
        tags = cJSON_GetObjectItem(img, "tags");
        cJSON_AddItemToObject(m, "RepoTags", cJSON_Duplicate(tags, 1));
        t = cJSON_AddArrayToObject(m, "Layers");
        snprintf(name, 256, "%s/layer.tar", hex);
        cJSON_AddItemToArray(t, cJSON_CreateString(name));

        cJSON_ArrayForEach(t, tags) {
            colon = strrchr(t->valuestring, ':');
            if (colon == NULL || (size_t) (colon - t->valuestring) >= 200) {
                continue;
            }

            snprintf(name, 256, "%.*s", (int) (colon - t->valuestring),
                     t->valuestring);

            r = cJSON_GetObjectItem(repos, name);
            if (r == NULL) {
                r = cJSON_AddObjectToObject(repos, name);
            }

            cJSON_AddStringToObject(r, colon + 1, hex);
        }
    }

    text = cJSON_PrintUnformatted(manifest);
    if (text == NULL
        || ngx_http_sockerless_tar_add(out, "manifest.json", NULL, text,
                                       strlen(text), buf) != 0)
    {
        free(text);
        goto failed;
    }

    free(text);

    text = cJSON_PrintUnformatted(repos);
    if (text == NULL
        || ngx_http_sockerless_tar_add(out, "repositories", NULL, text,
                                       strlen(text), buf) != 0)
    {
        free(text);
        goto failed;
    }

    free(text);

    if (archive_write_close(out) != ARCHIVE_OK) {
        goto failed;
    }

    goto done;

failed:

    if (job->err[0] == '\0') {
        snprintf(job->err, sizeof(job->err), "%s",
                 out ? archive_error_string(out) : "out of memory");
    }

done:

    if (out) {
        archive_write_free(out);
    }

    if (tmp && tmp[0]) {
        ngx_http_sockerless_rm_rf(tmp);
    }

    cJSON_Delete(manifest);
    cJSON_Delete(repos);
    free(tmp);
    free(layer);
    free(name);
    free(buf);
}


static ngx_int_t
ngx_http_sockerless_image_save(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                            *names, *list, *item, *rec, *sls, *t;
    cJSON                            *tags, *tg;
    ngx_str_t                         ref, norm;
    const char                       *rootfs;
    ngx_http_sockerless_job_t        *job;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    names = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (names == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (args->id.len) {
        cJSON_AddItemToArray(names, cJSON_CreateString(
                       ngx_http_sockerless_cstr(r->pool, &args->id)));

    } else if (ngx_http_sockerless_args_all(r, "names", names) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cJSON_GetArraySize(names) == 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "no images specified");
    }

    job = ngx_http_sockerless_job(r);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    list = ngx_http_sockerless_json_bind(job->pool, cJSON_CreateArray());
    job->saved = ngx_http_sockerless_json_bind(job->pool,
                                               cJSON_CreateArray());
    job->dir = ngx_http_sockerless_cstr(job->pool, &smcf->data_dir);
    if (list == NULL || job->saved == NULL || job->dir == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_ArrayForEach(t, names) {
        ref.data = (u_char *) t->valuestring;
        ref.len = ngx_strlen(t->valuestring);

        rec = ngx_http_sockerless_image_find(r->pool, &ref);
        sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
        rootfs = ngx_http_sockerless_json_str(sls, "rootfs");

        if (rec == NULL || rootfs == NULL) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                                  "No such image: %V", &ref);
        }

        item = cJSON_CreateObject();
        if (item == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(list, item);
        cJSON_AddItemToArray(job->saved, cJSON_CreateString(
                             ngx_http_sockerless_json_str(rec, "Id")));
        cJSON_AddStringToObject(item, "rootfs", rootfs);
        cJSON_AddItemToObject(item, "config", cJSON_Duplicate(
                        cJSON_GetObjectItemCaseSensitive(sls, "config"), 1));
        tags = cJSON_AddArrayToObject(item, "tags");

        /* by name the archive carries that tag; by id none, as dockerd */

        if (ngx_http_sockerless_image_normalize(r->pool, &ref, &norm)
            == NGX_OK)
        {
            cJSON_ArrayForEach(tg, cJSON_GetObjectItemCaseSensitive(rec,
                                                              "RepoTags"))
            {
                if (cJSON_IsString(tg)
                    && ngx_strlen(tg->valuestring) == norm.len
                    && ngx_strncmp(tg->valuestring, norm.data, norm.len)
                       == 0)
                {
                    cJSON_AddItemToArray(tags,
                                 cJSON_CreateString(tg->valuestring));
                }
            }
        }
    }

    job->in = list;
    job->run = ngx_http_sockerless_save_run;

    ngx_http_discard_request_body(r);

    return ngx_http_sockerless_job_stream(job, "application/x-tar");
}


/*
 * POST /commit: a new image whose rootfs is the container's merged view
 * (unpacked flat like every image), whose config is the container's
 * config with the body's fields and the "changes" instructions applied,
 * and whose history gains a row for the new layer. The container is not
 * paused while its files are read.
 */

static la_ssize_t
ngx_http_sockerless_digest_write(struct archive *a, void *data,
    const void *buf, size_t len)
{
    EVP_MD_CTX  *md = data;

    EVP_DigestUpdate(md, buf, len);

    return len;
}


/*
 * After a new layer's digest (md): its diff id joins the config's, the
 * image id is the config's digest (hex) and final its directory. 1 when
 * it is not there yet: tmp is then an empty directory with tmp/rootfs
 * (tmp's value) to fill; 0 when it is; -1 with job->err on a failure
 */

static int
ngx_http_sockerless_job_ids(ngx_http_sockerless_job_t *job, EVP_MD_CTX *md,
    cJSON *cfg, char hex[65], char *tmp, char *final)
{
    char         *text;
    struct stat   st;
    char          diff[80];

    ngx_http_sockerless_md_hex(md, hex);
    snprintf(diff, sizeof(diff), "sha256:%s", hex);

    cJSON_AddItemToArray(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg,
                                                                 "rootfs"),
                                             "diff_ids"),
                         cJSON_CreateString(diff));

    text = cJSON_PrintUnformatted(cfg);
    if (text == NULL
        || ngx_http_sockerless_sha256(NULL, (u_char *) text, strlen(text),
                                      hex)
           != 0)
    {
        free(text);
        snprintf(job->err, sizeof(job->err), "out of memory");
        return -1;
    }

    free(text);

    sprintf(final, "%s/images/%s", job->dir, hex);
    sprintf(tmp, "%s/images/%s.tmp", job->dir, hex);

    if (stat(final, &st) == 0) {
        return 0;
    }

    ngx_http_sockerless_rm_rf(tmp);
    (void) mkdir(tmp, 0700);
    strcat(tmp, "/rootfs");
    (void) mkdir(tmp, 0755);

    return 1;
}


/* tmp/rootfs filled (ok) or not: renamed to final, or removed */

static int
ngx_http_sockerless_job_store(ngx_http_sockerless_job_t *job, char *tmp,
    const char *final, ngx_uint_t ok)
{
    tmp[strlen(tmp) - sizeof("/rootfs") + 1] = '\0';

    if (ok && rename(tmp, final) == 0) {
        return 0;
    }

    if (ok) {
        snprintf(job->err, sizeof(job->err), "cannot store the image: %s",
                 strerror(errno));
    }

    ngx_http_sockerless_rm_rf(tmp);

    return -1;
}


/*
 * job->out of a commit or an import: the image id, the bytes of its
 * rootfs (final/rootfs) and of its new layer (the upper directory of a
 * commit, the whole rootfs of an import)
 */

static void
ngx_http_sockerless_job_result(ngx_http_sockerless_job_t *job,
    const char *hex, char *final, ngx_uint_t whole)
{
    cJSON    *res;
    int64_t   size;

    strcat(final, "/rootfs");

    res = cJSON_CreateObject();
    if (res == NULL) {
        return;
    }

    cJSON_AddStringToObject(res, "hex", hex);
    size = sls_tree_du(final);
    cJSON_AddNumberToObject(res, "size", (double) (size > 0 ? size : 0));
    size = whole ? size : (job->upper ? sls_tree_du(job->upper) : 0);
    cJSON_AddNumberToObject(res, "layer", (double) (size > 0 ? size : 0));

    job->out = res;
}


static void
ngx_http_sockerless_commit_run(ngx_http_sockerless_job_t *job)
{
    int              flags, ok;
    char            *tmp, *final;
    cJSON           *cfg;
    EVP_MD_CTX      *md;
    struct archive  *a;
    char             hex[65];

    cfg = job->in;
    tmp = malloc(strlen(job->dir) + 128);
    final = malloc(strlen(job->dir) + 128);
    md = EVP_MD_CTX_new();
    a = NULL;

    if (tmp == NULL || final == NULL || md == NULL
        || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
    {
        snprintf(job->err, sizeof(job->err), "out of memory");
        goto done;
    }

    /* the new layer's digest: the upper directory as a layer tar */

    a = archive_write_new();
    if (a == NULL) {
        goto done;
    }

    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);

    if (archive_write_open(a, md, NULL, ngx_http_sockerless_digest_write,
                           NULL)
        != ARCHIVE_OK
        || sls_tree_write(a, NULL, job->upper, NULL, SLS_TREE_DIFF,
                          job->err, sizeof(job->err))
           != 0
        || archive_write_close(a) != ARCHIVE_OK)
    {
        if (job->err[0] == '\0') {
            snprintf(job->err, sizeof(job->err), "%s",
                     archive_error_string(a));
        }

        goto done;
    }

    archive_write_free(a);
    a = NULL;

    /* the rootfs: the merged view written out, then renamed in place */

    switch (ngx_http_sockerless_job_ids(job, md, cfg, hex, tmp, final)) {

    case -1:
        goto done;

    case 1:
        a = archive_write_disk_new();
        if (a == NULL) {
            (void) ngx_http_sockerless_job_store(job, tmp, final, 0);
            goto done;
        }

        flags = ARCHIVE_EXTRACT_TIME|ARCHIVE_EXTRACT_PERM
                |ARCHIVE_EXTRACT_SECURE_NODOTDOT
                |ARCHIVE_EXTRACT_SECURE_SYMLINKS|ARCHIVE_EXTRACT_UNLINK;

        if (geteuid() == 0) {
            flags |= ARCHIVE_EXTRACT_OWNER;
        }

        archive_write_disk_set_options(a, flags);

        ok = sls_tree_write(a, job->lower, job->upper, tmp, SLS_TREE_MERGED,
                            job->err, sizeof(job->err))
             == 0
             && archive_write_close(a) == ARCHIVE_OK;

        if (!ok && job->err[0] == '\0') {
            snprintf(job->err, sizeof(job->err), "%s",
                     archive_error_string(a));
        }

        if (ngx_http_sockerless_job_store(job, tmp, final, ok) != 0) {
            goto done;
        }

        break;

    default:
        break;
    }

    ngx_http_sockerless_job_result(job, hex, final, 0);

done:

    if (job->out == NULL && job->err[0] == '\0') {
        snprintf(job->err, sizeof(job->err), "out of memory");
    }

    if (a) {
        archive_write_free(a);
    }

    EVP_MD_CTX_free(md);
    free(tmp);
    free(final);
}


/* Dockerfile arguments: a JSON array, or the shell form */

static cJSON *
ngx_http_sockerless_change_args(const char *v, ngx_uint_t shell)
{
    cJSON  *a;

    if (*v == '[') {
        a = cJSON_Parse(v);
        if (cJSON_IsArray(a)) {
            return a;
        }

        cJSON_Delete(a);
    }

    a = cJSON_CreateArray();
    if (a == NULL) {
        return NULL;
    }

    if (shell) {
        cJSON_AddItemToArray(a, cJSON_CreateString("/bin/sh"));
        cJSON_AddItemToArray(a, cJSON_CreateString("-c"));
    }

    cJSON_AddItemToArray(a, cJSON_CreateString(v));

    return a;
}


/* applies one "changes" line; NGX_DECLINED for what cannot be */

static ngx_int_t
ngx_http_sockerless_change_apply(cJSON *conf, char *line)
{
    char   *v, *eq, *p, *k, *val;
    cJSON  *o;

    v = line;
    while (*v && *v != ' ' && *v != '\t') {
        v++;
    }

    if (*v) {
        *v++ = '\0';
    }

    while (*v == ' ' || *v == '\t') {
        v++;
    }

    if (ngx_strcasecmp((u_char *) line, (u_char *) "CMD") == 0) {
        ngx_http_sockerless_json_set(conf, "Cmd",
                                  ngx_http_sockerless_change_args(v, 1));

    } else if (ngx_strcasecmp((u_char *) line, (u_char *) "ENTRYPOINT")
               == 0)
    {
        ngx_http_sockerless_json_set(conf, "Entrypoint",
                                  ngx_http_sockerless_change_args(v, 1));

    } else if (ngx_strcasecmp((u_char *) line, (u_char *) "WORKDIR") == 0) {
        ngx_http_sockerless_json_set(conf, "WorkingDir",
                                     cJSON_CreateString(v));

    } else if (ngx_strcasecmp((u_char *) line, (u_char *) "USER") == 0) {
        ngx_http_sockerless_json_set(conf, "User", cJSON_CreateString(v));

    } else if (ngx_strcasecmp((u_char *) line, (u_char *) "ENV") == 0
               || ngx_strcasecmp((u_char *) line, (u_char *) "LABEL") == 0
               || ngx_strcasecmp((u_char *) line, (u_char *) "EXPOSE") == 0)
    {
        /* key=value pairs (or "ENV key value"), ports */

        o = cJSON_GetObjectItemCaseSensitive(conf,
                       line[0] == 'E' || line[0] == 'e'
                       ? (line[1] == 'N' || line[1] == 'n' ? "Env"
                                                          : "ExposedPorts")
                       : "Labels");

        if (o == NULL) {
            o = (line[1] == 'N' || line[1] == 'n')
                ? cJSON_AddArrayToObject(conf, "Env")
                : cJSON_AddObjectToObject(conf, (line[0] == 'L'
                                                 || line[0] == 'l')
                                                ? "Labels" : "ExposedPorts");
        }

        if (line[1] == 'N' || line[1] == 'n') {
            eq = strchr(v, '=');
            p = strchr(v, ' ');

            if (p && (eq == NULL || p < eq)) {
                *p = '=';
            }

            if (strchr(v, '=') == NULL) {
                return NGX_DECLINED;
            }

            cJSON_AddItemToArray(o, cJSON_CreateString(v));
            return NGX_OK;
        }

        for (k = strtok_r(v, " \t", &p); k; k = strtok_r(NULL, " \t", &p)) {
            if (line[0] == 'L' || line[0] == 'l') {
                eq = strchr(k, '=');
                if (eq == NULL) {
                    return NGX_DECLINED;
                }

                *eq = '\0';
                val = eq + 1;
                cJSON_DeleteItemFromObjectCaseSensitive(o, k);
                cJSON_AddStringToObject(o, k, val);

            } else {
                char  port[64];

                snprintf(port, sizeof(port), "%s%s", k,
                         strchr(k, '/') ? "" : "/tcp");
                cJSON_DeleteItemFromObjectCaseSensitive(o, port);
                cJSON_AddObjectToObject(o, port);
            }
        }

    } else {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/*
 * the "changes" query parameters (each may hold several lines) applied
 * to conf; NGX_OK, or the request's status after an error sent
 */

static ngx_int_t
ngx_http_sockerless_changes(ngx_http_request_t *r, cJSON *conf)
{
    char   *line, *next;
    cJSON  *changes, *c;

    changes = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (changes == NULL
        || ngx_http_sockerless_args_all(r, "changes", changes) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_ArrayForEach(c, changes) {
        for (line = c->valuestring; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) {
                *next++ = '\0';
            }

            if (*line == '\0') {
                continue;
            }

            if (ngx_http_sockerless_change_apply(conf, line) != NGX_OK) {
                return ngx_http_sockerless_send_error(r,
                                  NGX_HTTP_BAD_REQUEST,
                                  "%s is not a valid change command", line);
            }
        }
    }

    return NGX_OK;
}


/*
 * "repo" and "tag" as one normalized reference into norm (empty when
 * no repo); the docker CLI's import sends "repo=name:tag" and no tag
 */

static ngx_int_t
ngx_http_sockerless_repo_tag(ngx_http_request_t *r, ngx_str_t *norm)
{
    ngx_str_t  repo, tag, v;

    ngx_str_null(norm);

    if (ngx_http_sockerless_arg(r, "repo", &repo) != NGX_OK
        || repo.len == 0)
    {
        return NGX_OK;
    }

    if (ngx_http_sockerless_arg(r, "tag", &tag) != NGX_OK) {
        ngx_str_null(&tag);
    }

    v.data = ngx_pnalloc(r->pool, repo.len + tag.len + 2);
    if (v.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    v.len = (tag.len ? ngx_sprintf(v.data, "%V:%V", &repo, &tag)
                     : ngx_sprintf(v.data, "%V", &repo))
            - v.data;

    if (ngx_http_sockerless_image_normalize(r->pool, &v, norm) != NGX_OK
        || ngx_strlchr(norm->data, norm->data + norm->len, ' '))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid reference format");
    }

    return NGX_OK;
}


/*
 * The image a commit or an import made (job->out: "hex", "size" and
 * "layer", the bytes of the new layer; the config is job->in[0]):
 * recorded with sizes (the layers below, taken) and the new layer's,
 * tagged when tag; its id into id, its record returned, or NULL
 */

static cJSON *
ngx_http_sockerless_job_image(ngx_http_sockerless_job_t *job, cJSON *sizes,
    const char *tag, char id[80])
{
    char                *key;
    cJSON               *rec;
    double               size, layer;
    const char          *hex;
    ngx_http_request_t  *r;

    r = job->request;

    hex = ngx_http_sockerless_json_str(job->out, "hex");
    size = cJSON_GetNumberValue(cJSON_GetObjectItem(job->out, "size"));
    layer = cJSON_GetNumberValue(cJSON_GetObjectItem(job->out, "layer"));

    sizes = ngx_http_sockerless_json_bind(r->pool, sizes);
    key = ngx_pnalloc(r->pool, 80);

    if (hex == NULL || sizes == NULL || key == NULL) {
        return NULL;
    }

    cJSON_AddItemToArray(sizes, cJSON_CreateNumber(layer));

    rec = ngx_http_sockerless_image_record(r->pool, hex,
                                           cJSON_GetArrayItem(job->in, 0),
                                           (off_t) size, sizes);

    ngx_sprintf((u_char *) key, "i/%s%Z", hex);
    ngx_sprintf((u_char *) id, "sha256:%s%Z", hex);

    if (rec == NULL || ngx_http_sockerless_store_put(key, rec) != NGX_OK) {
        return NULL;
    }

    if (tag) {
        (void) ngx_http_sockerless_tag_set(r->pool, tag, id);
    }

    return rec;
}


static void
ngx_http_sockerless_commit_done(ngx_http_sockerless_job_t *job)
{
    char                *tag;
    cJSON               *img, *sizes, *attrs, *ans;
    const char          *cid;
    ngx_http_request_t  *r;
    char                 id[80];

    r = job->request;

    if (job->out == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "sockerless: commit failed: %s", job->err);
        ngx_http_finalize_request(r,
                ngx_http_sockerless_send_error(r,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR, "%s",
                                     job->err));
        return;
    }

    img = cJSON_GetArrayItem(job->in, 1);
    sizes = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(img, "_sls"),
                     "layer_sizes"), 1);
    sizes = sizes ? sizes : cJSON_CreateArray();

    tag = (char *) ngx_http_sockerless_json_str(
                       cJSON_GetArrayItem(job->in, 2), "tag");

    if (ngx_http_sockerless_job_image(job, sizes, tag, id) == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cid = ngx_http_sockerless_json_str(cJSON_GetArrayItem(job->in, 2), "id");

    attrs = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (attrs && cid) {
        cJSON_AddStringToObject(attrs, "imageID", id);
        cJSON_AddStringToObject(attrs, "imageRef", tag ? tag : id);
        (void) ngx_http_sockerless_event("container", "commit", cid, attrs);
    }

    if (tag) {
        ngx_http_sockerless_image_event(r->pool, "tag", id, tag, NULL);
    }

    ans = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (ans == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cJSON_AddStringToObject(ans, "Id", id);

    ngx_http_finalize_request(r,
                  ngx_http_sockerless_send_json(r, NGX_HTTP_CREATED, ans));
}


static ngx_int_t
ngx_http_sockerless_commit(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                             *cmdline;
    cJSON                            *rec, *img, *base, *cfg, *conf, *f, *h;
    cJSON                            *meta, *rootfs, *body;
    u_char                           *p;
    ngx_int_t                         rc;
    ngx_str_t                         ref, v, norm;
    const char                       *s;
    ngx_http_sockerless_job_t        *job;
    ngx_http_sockerless_main_conf_t  *smcf;
    char                              now[64];

    smcf = ngx_http_sockerless_conf();

    if (ngx_http_sockerless_arg(r, "container", &ref) != NGX_OK
        || ref.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: ");
    }

    rc = ngx_http_sockerless_repo_tag(r, &norm);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_sockerless_tree_job(r, &ref, &job, &rec);
    if (job == NULL) {
        return rc;
    }

    s = ngx_http_sockerless_json_str(rec, "Image");
    v.data = (u_char *) (s ? s : "");
    v.len = ngx_strlen(v.data);

    img = ngx_http_sockerless_image_find(r->pool, &v);
    if (img == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                              "the image of container %V is "
                                              "gone", &ref);
    }

    base = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(img, "_sls"), "config");

    job->in = ngx_http_sockerless_json_bind(job->pool, cJSON_CreateArray());
    cfg = base ? cJSON_Duplicate(base, 1) : cJSON_CreateObject();
    job->dir = ngx_http_sockerless_cstr(job->pool, &smcf->data_dir);

    if (job->in == NULL || cfg == NULL || job->dir == NULL) {
        cJSON_Delete(cfg);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddItemToArray(job->in, cfg);
    cJSON_AddItemToArray(job->in, cJSON_Duplicate(img, 1));
    meta = cJSON_CreateObject();
    cJSON_AddItemToArray(job->in, meta);

    if (meta == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(meta, "id", ngx_http_sockerless_json_str(rec,
                                                                    "Id"));

    if (norm.len) {
        cJSON_AddStringToObject(meta, "tag",
                                ngx_http_sockerless_cstr(r->pool, &norm));
    }

    /* the container's config; the body's set fields; the changes */

    conf = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                           1);
    conf = conf ? conf : cJSON_CreateObject();
    ngx_http_sockerless_json_set(cfg, "config", conf);

    body = cJSON_IsObject(args->body) ? args->body : NULL;

    cJSON_ArrayForEach(f, body) {
        if (cJSON_IsNull(f) || cJSON_IsFalse(f)
            || (cJSON_IsString(f) && f->valuestring[0] == '\0')
            || ((cJSON_IsArray(f) || cJSON_IsObject(f)) && f->child == NULL)
            || (cJSON_IsNumber(f) && f->valuedouble == 0))
        {
            continue;
        }

        ngx_http_sockerless_json_set(conf, f->string,
                                     cJSON_Duplicate(f, 1));
    }

    rc = ngx_http_sockerless_changes(r, conf);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_sockerless_now(now, sizeof(now));

    ngx_http_sockerless_json_set(cfg, "created", cJSON_CreateString(now));
    ngx_http_sockerless_json_set(cfg, "container",
                  cJSON_CreateString(ngx_http_sockerless_json_str(rec,
                                                                  "Id")));
    ngx_http_sockerless_json_set(cfg, "parent",
                  cJSON_CreateString(ngx_http_sockerless_json_str(img,
                                                                  "Id")));

    if (ngx_http_sockerless_arg(r, "author", &v) == NGX_OK && v.len) {
        ngx_http_sockerless_json_set(cfg, "author",
                  cJSON_CreateString(ngx_http_sockerless_cstr(r->pool, &v)));
    }

    ngx_str_null(&v);
    (void) ngx_http_sockerless_arg(r, "comment", &v);
    ngx_http_sockerless_json_set(cfg, "comment",
              cJSON_CreateString(v.len ? ngx_http_sockerless_cstr(r->pool,
                                                                  &v)
                                       : ""));

    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(cfg, "history"))) {
        ngx_http_sockerless_json_set(cfg, "history", cJSON_CreateArray());
    }

    h = cJSON_CreateObject();
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(cfg, "history"), h);
    cJSON_AddStringToObject(h, "created", now);

    /* dockerd: the container's command, joined */

    cmdline = ngx_pnalloc(r->pool, 4096);
    if (cmdline == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = (u_char *) cmdline;

    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                              "Cmd"))
    {
        if (cJSON_IsString(f)) {
            p = ngx_slprintf(p, (u_char *) cmdline + 4095, "%s%s",
                             p == (u_char *) cmdline ? "" : " ",
                             f->valuestring);
        }
    }

    *p = '\0';
    cJSON_AddStringToObject(h, "created_by", cmdline);

    if (v.len) {
        cJSON_AddStringToObject(h, "comment",
                                ngx_http_sockerless_cstr(r->pool, &v));
    }

    rootfs = cJSON_GetObjectItemCaseSensitive(cfg, "rootfs");
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rootfs,
                                                        "diff_ids")))
    {
        rootfs = cJSON_CreateObject();
        ngx_http_sockerless_json_set(cfg, "rootfs", rootfs);
        cJSON_AddStringToObject(rootfs, "type", "layers");
        cJSON_AddArrayToObject(rootfs, "diff_ids");
    }

    job->run = ngx_http_sockerless_commit_run;
    job->done = ngx_http_sockerless_commit_done;

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * POST /images/create?fromSrc=- (docker import): the body is a tar of a
 * file system (compressed or not), made an image of one layer whose
 * config has the "changes" applied, as dockerd's ImportImage: its diff
 * id the digest of the uncompressed tar, "comment" the message
 */

static void
ngx_http_sockerless_import_run(ngx_http_sockerless_job_t *job)
{
    int                    r;
    char                  *tmp, *final, *file;
    cJSON                 *cfg;
    off_t                  size;
    size_t                 bsize;
    la_int64_t             off;
    EVP_MD_CTX            *md;
    const void            *buf;
    struct archive        *a;
    struct archive_entry  *e;
    char                   hex[65];

    cfg = cJSON_GetArrayItem(job->in, 0);
    file = (char *) ngx_http_sockerless_json_str(cJSON_GetArrayItem(job->in,
                                                                    1),
                                                 "file");
    tmp = malloc(strlen(job->dir) + 128);
    final = malloc(strlen(job->dir) + 128);
    md = EVP_MD_CTX_new();
    a = archive_read_new();

    if (tmp == NULL || final == NULL || md == NULL || a == NULL
        || file == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
    {
        snprintf(job->err, sizeof(job->err), "out of memory");
        goto done;
    }

    /* the diff id: the digest of the tar, decompressed */

    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);

    if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK
        || archive_read_next_header(a, &e) != ARCHIVE_OK)
    {
        snprintf(job->err, sizeof(job->err), "invalid archive: %s",
                 archive_error_string(a));
        goto done;
    }

    for ( ;; ) {
        r = archive_read_data_block(a, &buf, &bsize, &off);

        if (r == ARCHIVE_EOF) {
            break;
        }

        if (r != ARCHIVE_OK) {
            snprintf(job->err, sizeof(job->err), "invalid archive: %s",
                     archive_error_string(a));
            goto done;
        }

        EVP_DigestUpdate(md, buf, bsize);
    }

    /* the rootfs: unpacked as "docker load" does, then renamed in place */

    size = 0;

    switch (ngx_http_sockerless_job_ids(job, md, cfg, hex, tmp, final)) {

    case -1:
        goto done;

    case 1:
        if (ngx_http_sockerless_job_store(job, tmp, final,
                        ngx_http_sockerless_extract(file, tmp, 0, &size,
                                                    job->err,
                                                    sizeof(job->err))
                        == 0)
            != 0)
        {
            goto done;
        }

        break;

    default:
        break;
    }

    ngx_http_sockerless_job_result(job, hex, final, 1);

done:

    if (job->out == NULL && job->err[0] == '\0') {
        snprintf(job->err, sizeof(job->err), "out of memory");
    }

    archive_read_free(a);
    EVP_MD_CTX_free(md);
    free(tmp);
    free(final);
}


static void
ngx_http_sockerless_import_done(ngx_http_sockerless_job_t *job)
{
    char                *tag;
    cJSON               *rec, *ans;
    ngx_http_request_t  *r;
    char                 id[80];

    r = job->request;

    if (job->out == NULL) {
        /* what the archive holds is the client's; the disk is ours */
        ngx_http_finalize_request(r,
                ngx_http_sockerless_send_error(r,
                            ngx_strncmp(job->err, "out of memory", 13) == 0
                            || ngx_strncmp(job->err, "cannot store", 12) == 0
                            || ngx_strncmp(job->err, "writing", 7) == 0
                            ? NGX_HTTP_INTERNAL_SERVER_ERROR
                            : NGX_HTTP_BAD_REQUEST,
                            "%s", job->err));
        return;
    }

    tag = (char *) ngx_http_sockerless_json_str(
                       cJSON_GetArrayItem(job->in, 1), "tag");

    rec = ngx_http_sockerless_job_image(job, cJSON_CreateArray(), tag, id);
    if (rec == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_sockerless_image_event(r->pool, "import", id, id, rec);

    if (tag) {
        ngx_http_sockerless_image_event(r->pool, "tag", id, tag, NULL);
    }

    /* dockerd's answer: one progress message with the new id */

    ans = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (ans == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cJSON_AddStringToObject(ans, "status", id);

    ngx_http_finalize_request(r,
                  ngx_http_sockerless_send_json(r, NGX_HTTP_OK, ans));
}


ngx_int_t
ngx_http_sockerless_image_import(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                             *arch;
    cJSON                            *cfg, *conf, *meta, *rootfs, *h;
    ngx_int_t                         rc;
    ngx_str_t                         src, norm, msg;
    ngx_uint_t                        fetch;
    struct utsname                    u;
    const char                       *variant;
    ngx_http_sockerless_job_t        *job;
    ngx_http_sockerless_main_conf_t  *smcf;
    char                              now[64];

    smcf = ngx_http_sockerless_conf();

    if (ngx_http_sockerless_arg(r, "fromSrc", &src) != NGX_OK
        || src.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "fromSrc is required");
    }

    fetch = !(src.len == 1 && src.data[0] == '-');

    if (!fetch
        && (r->request_body == NULL || r->request_body->temp_file == NULL))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "invalid archive: the request body is empty");
    }

    rc = ngx_http_sockerless_repo_tag(r, &norm);
    if (rc != NGX_OK) {
        return rc;
    }

    job = ngx_http_sockerless_job(r);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->in = ngx_http_sockerless_json_bind(job->pool, cJSON_CreateArray());
    cfg = cJSON_CreateObject();
    meta = cJSON_CreateObject();
    job->dir = ngx_http_sockerless_cstr(job->pool, &smcf->data_dir);

    if (job->in == NULL || cfg == NULL || meta == NULL || job->dir == NULL) {
        cJSON_Delete(cfg);
        cJSON_Delete(meta);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddItemToArray(job->in, cfg);
    cJSON_AddItemToArray(job->in, meta);

    if (!fetch) {
        cJSON_AddStringToObject(meta, "file",
                        ngx_http_sockerless_cstr(r->pool,
                                     &r->request_body->temp_file->file.name));
    }

    if (norm.len) {
        cJSON_AddStringToObject(meta, "tag",
                                ngx_http_sockerless_cstr(r->pool, &norm));
    }

    /* an empty config with the changes, as dockerd's BuildFromConfig */

    conf = cJSON_CreateObject();
    ngx_http_sockerless_json_set(cfg, "config", conf);

    if (conf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_sockerless_changes(r, conf);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_http_sockerless_now(now, sizeof(now));

    arch = "amd64";
    variant = "";

    if (uname(&u) == 0) {
        arch = (char *) sls_registry_arch(u.machine, &variant);
    }

    cJSON_AddStringToObject(cfg, "architecture", arch ? arch : u.machine);

    if (variant && *variant) {
        cJSON_AddStringToObject(cfg, "variant", variant);
    }

    cJSON_AddStringToObject(cfg, "os", "linux");
    cJSON_AddStringToObject(cfg, "created", now);

    ngx_str_null(&msg);
    (void) ngx_http_sockerless_arg(r, "message", &msg);

    if (msg.len) {
        cJSON_AddStringToObject(cfg, "comment",
                                ngx_http_sockerless_cstr(r->pool, &msg));
    }

    rootfs = cJSON_AddObjectToObject(cfg, "rootfs");
    cJSON_AddStringToObject(rootfs, "type", "layers");
    cJSON_AddArrayToObject(rootfs, "diff_ids");

    h = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(cfg, "history"), h);
    cJSON_AddStringToObject(h, "created", now);

    if (msg.len) {
        cJSON_AddStringToObject(h, "comment",
                                ngx_http_sockerless_cstr(r->pool, &msg));
    }

    job->run = ngx_http_sockerless_import_run;
    job->done = ngx_http_sockerless_import_done;

    if (fetch) {
        return ngx_http_sockerless_import_fetch(job, &src);
    }

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


/*
 * An import from a URL (dockerd prefixes "http://" when it has no
 * scheme): the archive is fetched on the libcurl bridge into a file of
 * the data directory, which goes with the request, then imported
 */

static ngx_int_t
ngx_http_sockerless_import_fetch(ngx_http_sockerless_job_t *job,
    ngx_str_t *src)
{
    u_char                           *url, *dst, *p, *s;
    ngx_fd_t                          fd;
    ngx_pool_cleanup_t               *cln;
    ngx_http_request_t               *r;
    ngx_pool_cleanup_file_t          *cf;
    ngx_http_sockerless_curl_t       *hc;
    ngx_http_sockerless_main_conf_t  *smcf;

    r = job->request;
    smcf = ngx_http_sockerless_conf();

    url = ngx_pnalloc(r->pool, src->len + sizeof("http://"));
    p = ngx_pnalloc(r->pool, ngx_strlen(job->dir) + 32);
    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_pool_cleanup_file_t));
    hc = ngx_http_sockerless_curl_create(r->pool, r->connection->log);

    if (url == NULL || p == NULL || cln == NULL || hc == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the value is %-encoded in the query */

    dst = url;

    if (ngx_strlcasestrn(src->data, src->data + src->len,
                         (u_char *) "://", 3 - 1)
        == NULL)
    {
        dst = ngx_cpymem(dst, "http://", 7);
    }

    s = src->data;
    ngx_unescape_uri(&dst, &s, src->len, NGX_UNESCAPE_URI);

    hc->url.data = url;
    hc->url.len = dst - url;

    ngx_sprintf(p, "%s/tmp%Z", job->dir);
    (void) mkdir((char *) p, 0700);
    ngx_sprintf(p, "%s/tmp/import-XXXXXX%Z", job->dir);

    fd = mkstemp((char *) p);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      "mkstemp() \"%s\" failed", p);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* closed and removed with the request */

    cf = cln->data;
    cf->fd = fd;
    cf->name = p;
    cf->log = r->connection->log;
    cln->handler = ngx_pool_delete_file;

    hc->follow = 1;
    hc->sink = 1;
    hc->sink_fd = fd;
    hc->stall = smcf->registry_timeout;
    hc->connect_timeout = smcf->registry_timeout;
    hc->handler = ngx_http_sockerless_import_fetched;
    hc->data = job;

    if (ngx_http_sockerless_curl_start(hc) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(cJSON_GetArrayItem(job->in, 1), "file",
                            (char *) p);

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_sockerless_import_fetched(ngx_http_sockerless_curl_t *hc)
{
    ngx_http_sockerless_job_t *job = hc->data;

    ngx_http_request_t  *r;

    r = job->request;

    if (hc->result != CURLE_OK) {
        ngx_http_finalize_request(r,
                ngx_http_sockerless_send_error(r,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "Get \"%V\": %V", &hc->url,
                                     &hc->error));
        return;
    }

    if (hc->status < 200 || hc->status > 299) {
        ngx_http_finalize_request(r,
                ngx_http_sockerless_send_error(r,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "failed to GET %V with status %ui",
                                     &hc->url, hc->status));
        return;
    }

    /* the request's reference taken for the fetch is the job's now */

    if (ngx_http_sockerless_job_post(job) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
    }
}
