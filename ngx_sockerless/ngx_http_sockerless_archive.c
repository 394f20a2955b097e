
/*
 * Copyright (C) sockerless contributors
 *
 * docker cp: HEAD, GET and PUT /containers/{id}/archive, served by the
 * container's agent (archive_stat, archive_get, archive_put in
 * docs/agent-protocol.md); a stopped container gets an agent of its own
 * from the backend for the time of the copy.
 *
 * A local agent copies "directly": nginx sends the head of the answer
 * and hands the client's socket over (SCM_RIGHTS); the agent writes the
 * tar into it (GET) or reads the body, an uncompressed tar, out of it
 * (PUT), and nginx ends the answer after its "exit". Otherwise (an agent
 * that dialed back, TLS, HTTP/2, a compressed body) the bytes go over the
 * WebSocket, the PUT body read to a file and inflated with libarchive.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_agent.h>
#include <sls_agent_proto.h>
#include <sls_chunked.h>
#include <sls_tar.h>
#include <archive.h>


#define NGX_HTTP_SOCKERLESS_AR_CHUNK    65536

/* a direct PUT: the most of the body nginx reads to tell a plain tar */
#define NGX_HTTP_SOCKERLESS_AR_PEEK     16384


typedef struct {
    ngx_http_request_t            *request;
    ngx_http_sockerless_agent_t   *agent;
    cJSON                         *rec;        /* the container */
    ngx_str_t                      ref;        /* the container as given */
    ngx_str_t                      path;
    char                           id[SLS_AGENT_ID_MAX + 1];
    char                          *socket;
    char                          *token;
    struct archive                *in;         /* PUT: the body, inflated */
    u_char                        *chunk;
    ngx_chain_t                   *free;
    ngx_chain_t                   *busy;
    u_char                         err[1024];
    size_t                         err_len;
    ngx_http_sockerless_op_t       op;
    unsigned                       sent:1;     /* the header is out */
    unsigned                       paused:1;   /* the agent waits for us */
    unsigned                       done:1;
    unsigned                       eof:1;      /* PUT: stdin_close sent */
    unsigned                       direct:1;   /* the agent takes the socket */
    unsigned                       flushing:1; /* GET: the head goes out */
    unsigned                       handed:1;   /* the socket is the agent's */
} ngx_http_sockerless_archive_t;


static ngx_int_t ngx_http_sockerless_archive(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static const char *ngx_http_sockerless_archive_writable(ngx_pool_t *pool,
    cJSON *rec, ngx_str_t *path);
static void ngx_http_sockerless_archive_event(
    ngx_http_sockerless_archive_t *ar, const char *action);
static void ngx_http_sockerless_archive_agent(
    ngx_http_sockerless_op_t *op, ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_archive_connect(
    ngx_http_sockerless_archive_t *ar);
static void ngx_http_sockerless_archive_opened(
    ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_archive_control(
    ngx_http_sockerless_agent_t *a, cJSON *msg);
static ngx_int_t ngx_http_sockerless_archive_data(
    ngx_http_sockerless_agent_t *a, ngx_uint_t stream, u_char *p,
    size_t len);
static void ngx_http_sockerless_archive_drain(
    ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_archive_closed(
    ngx_http_sockerless_agent_t *a, ngx_int_t rc);
static void ngx_http_sockerless_archive_write(ngx_http_request_t *r);
static void ngx_http_sockerless_archive_pump(
    ngx_http_sockerless_archive_t *ar);
static void ngx_http_sockerless_archive_finish(
    ngx_http_sockerless_archive_t *ar, ngx_int_t rc);
static void ngx_http_sockerless_archive_cleanup(void *data);
static ngx_int_t ngx_http_sockerless_archive_stat(
    ngx_http_sockerless_archive_t *ar, cJSON *msg);
static ngx_uint_t ngx_http_sockerless_archive_direct_ok(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_archive_peek(
    ngx_http_sockerless_archive_t *ar);
static ngx_int_t ngx_http_sockerless_archive_sniff(ngx_http_request_t *r);
static void ngx_http_sockerless_archive_peek_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_archive_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler);
static void ngx_http_sockerless_archive_body(ngx_http_request_t *r);
static void ngx_http_sockerless_archive_late_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_archive_input(
    ngx_http_sockerless_archive_t *ar);
static void ngx_http_sockerless_archive_hand_get(
    ngx_http_sockerless_archive_t *ar);
static ngx_int_t ngx_http_sockerless_archive_put_direct(
    ngx_http_sockerless_archive_t *ar, cJSON *msg);


ngx_http_sockerless_route_t  ngx_http_sockerless_archive_routes[] = {

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/containers/"),
      ngx_string("archive"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_archive },

    { NGX_HTTP_PUT, ngx_string("/containers/"),
      ngx_string("archive"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_OWN_BODY,
      ngx_http_sockerless_archive },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


static ngx_http_sockerless_agent_handlers_t
    ngx_http_sockerless_archive_handlers =
{
    ngx_http_sockerless_archive_opened,
    ngx_http_sockerless_archive_control,
    ngx_http_sockerless_archive_data,
    ngx_http_sockerless_archive_drain,
    ngx_http_sockerless_archive_closed
};


/*
 * The container's agent serves the copy: the running one, or for a
 * stopped container one the backend starts (container_archive). A
 * backend without SLS_SUPPORTS_ARCHIVE answers 501.
 */

static ngx_int_t
ngx_http_sockerless_archive(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                          *rec;
    u_char                         *p;
    ngx_int_t                       rc;
    ngx_uint_t                      ambiguous;
    const char                     *v;
    ngx_pool_cleanup_t             *cln;
    ngx_http_sockerless_ctx_t      *ctx;
    ngx_http_sockerless_backend_t  *be;
    ngx_http_sockerless_archive_t  *ar;

    be = ngx_http_sockerless_backend();
    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ar = ctx->data;

    if (ar == NULL) {
        ar = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_archive_t));
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (ar == NULL || cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->data = ar;
        ar->request = r;
        cln->handler = ngx_http_sockerless_archive_cleanup;
        cln->data = ar;
    }

    ar->ref = args->id;

    if (r->method == NGX_HTTP_PUT && r->request_body == NULL && !ar->direct)
    {
        /* a plain tar goes to the agent straight, the rest via a file */

        rc = ngx_http_sockerless_archive_direct_ok(r)
             ? ngx_http_sockerless_archive_peek(ar) : NGX_DECLINED;

        if (rc == NGX_AGAIN) {
            r->main->count++;
            return NGX_DONE;
        }

        if (rc != NGX_OK) {
            return ngx_http_sockerless_archive_read_body(r,
                                        ngx_http_sockerless_archive_body);
        }

        /* the body stays unread: an early answer ends the connection */
        ar->direct = 1;
        r->keepalive = 0;
        r->lingering_close = 1;
    }

    ambiguous = 0;
    rec = ngx_http_sockerless_container_lookup(r->pool, &args->id,
                                               &ambiguous);
    if (rec == NULL) {
        if (ambiguous) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                 "multiple IDs found with provided prefix: "
                                 "%V", &args->id);
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    if (!(be->supports & SLS_SUPPORTS_ARCHIVE)) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "copying files (docker cp) is not supported by the "
                        "%V backend", &be->name);
    }

    if (ngx_http_sockerless_arg(r, "path", &ar->path) != NGX_OK
        || ar->path.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "Path cannot be empty");
    }

    p = ngx_pnalloc(r->pool, ar->path.len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the value is %-encoded */
    ar->path.data = (u_char *) ngx_http_sockerless_cstr(r->pool, &ar->path);
    if (ar->path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    {
        u_char  *dst, *src;

        dst = p;
        src = ar->path.data;
        ngx_unescape_uri(&dst, &src, ar->path.len, NGX_UNESCAPE_URI);
        *dst = '\0';
        ar->path.len = dst - p;
        ar->path.data = p;
    }

    if (ngx_strlen(ar->path.data) != ar->path.len || ar->path.len > 4096) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid path");
    }

    if (r->method == NGX_HTTP_PUT) {
        v = ngx_http_sockerless_archive_writable(r->pool, rec, &ar->path);
        if (v) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", v);
        }
    }

    ar->rec = rec;

    ngx_sprintf((u_char *) ar->id, "cp-%08xD%08xD%Z", (uint32_t) ngx_random(),
                (uint32_t) ngx_random());

    if (r->method == NGX_HTTP_PUT && !ar->direct) {
        rc = ngx_http_sockerless_archive_input(ar);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rec, "State"), "Running")))
    {
        v = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");
        ar->socket = (char *) ngx_http_sockerless_agent_socket(r->pool,
                         ngx_http_sockerless_json_str(rec, "Id"));
        ar->token = (char *) v;

        if (ar->socket == NULL || ar->token == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_http_sockerless_archive_connect(ar);

        if (rc == NGX_DONE) {
            r->main->count++;
        }

        return rc;
    }

    if (be->container_archive == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "copying files of a stopped container is not "
                        "supported by the %V backend", &be->name);
    }

    ar->op.request = r;
    ar->op.pool = r->pool;
    ar->op.log = r->connection->log;
    ar->op.conf = ngx_http_sockerless_backend_conf();
    ar->op.container = rec;
    ar->op.data = ar;
    ar->op.handler = ngx_http_sockerless_archive_agent;

    if (be->op_state_size) {
        ar->op.state = ngx_pcalloc(r->pool, be->op_state_size);
        if (ar->op.state == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->main->count++;
    ar->done = 1;

    rc = be->container_archive(&ar->op);

    if (rc == NGX_AGAIN) {
        return NGX_DONE;
    }

    ar->done = 0;
    r->main->count--;

    if (rc != NGX_OK) {
        if (ar->op.status) {
            return ngx_http_sockerless_send_error(r, ar->op.status, "%V",
                                                  &ar->op.message);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_sockerless_archive_agent(&ar->op, NGX_OK);

    return NGX_DONE;
}


/*
 * dockerd's checkWritablePath: a PUT under a mount point needs it
 * writable, elsewhere a root that is not read-only (the path is taken
 * as it is written, cleaned, from /); NULL, or dockerd's words
 */

static const char *
ngx_http_sockerless_archive_writable(ngx_pool_t *pool, cJSON *rec,
    ngx_str_t *path)
{
    u_char      *abs, *p, *q;
    cJSON       *m, *best;
    size_t       len, blen;
    const char  *dst;

    abs = ngx_pnalloc(pool, path->len + 2);
    if (abs == NULL) {
        return "out of memory";
    }

    /* Go's filepath.Join("/", path): "." and ".." resolved, no trailer */

    p = abs;
    q = path->data;

    while (q < path->data + path->len) {
        while (q < path->data + path->len && *q == '/') {
            q++;
        }

        len = 0;
        while (q + len < path->data + path->len && q[len] != '/') {
            len++;
        }

        if (len == 0 || (len == 1 && q[0] == '.')) {
            q += len;
            continue;
        }

        if (len == 2 && q[0] == '.' && q[1] == '.') {
            while (p > abs && *--p != '/') { /* void */ }
            q += len;
            continue;
        }

        *p++ = '/';
        p = ngx_cpymem(p, q, len);
        q += len;
    }

    if (p == abs) {
        *p++ = '/';
    }

    *p = '\0';

    /* the deepest mount point that holds it */

    best = NULL;
    blen = 0;

    cJSON_ArrayForEach(m, ngx_http_sockerless_mounts_list(pool, rec)) {
        dst = ngx_http_sockerless_json_str(m, "Destination");
        len = dst ? ngx_strlen(dst) : 0;

        /* --tmpfs is no mount point to dockerd */

        if (len == 0 || len < blen
            || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "_hidden"))
            || ngx_strncmp(abs, dst, len) != 0
            || (abs[len] != '\0' && abs[len] != '/' && len > 1))
        {
            continue;
        }

        best = m;
        blen = len;
    }

    if (best) {
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(best, "RW"))
               ? NULL : "mounted volume is marked read-only";
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(rec, "HostConfig"),
                         "ReadonlyRootfs")))
    {
        return "container rootfs is marked read-only";
    }

    return NULL;
}


/* dockerd's container events of a copy: "archive-path", "extract-to-dir" */

static void
ngx_http_sockerless_archive_event(ngx_http_sockerless_archive_t *ar,
    const char *action)
{
    cJSON  *attrs;

    attrs = ngx_http_sockerless_container_attrs(ar->request->pool, ar->rec);

    if (attrs) {
        (void) ngx_http_sockerless_event("container", action,
                              ngx_http_sockerless_json_str(ar->rec, "Id"),
                              attrs);
    }
}


/* PUT the usual way: the body, read to a file, inflated by libarchive */

static ngx_int_t
ngx_http_sockerless_archive_input(ngx_http_sockerless_archive_t *ar)
{
    int                    fd;
    ngx_http_request_t    *r;
    struct archive_entry  *e;

    r = ar->request;

    if (r->request_body == NULL || r->request_body->temp_file == NULL
        || ar->in)
    {
        return NGX_OK;
    }

    /* gzip, bzip2, xz or plain: libarchive's filters tell */

    fd = r->request_body->temp_file->file.fd;

    ar->in = archive_read_new();
    if (ar->in == NULL
        || archive_read_support_filter_all(ar->in) != ARCHIVE_OK
        || archive_read_support_format_raw(ar->in) != ARCHIVE_OK
        || lseek(fd, 0, SEEK_SET) == -1
        || archive_read_open_fd(ar->in, fd, NGX_HTTP_SOCKERLESS_AR_CHUNK)
           != ARCHIVE_OK)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                    "the archive cannot be read: %s",
                    ar->in ? archive_error_string(ar->in) : "no memory");
    }

    if (archive_read_next_header(ar->in, &e) != ARCHIVE_OK) {
        archive_read_free(ar->in);
        ar->in = NULL;
    }

    ar->chunk = ngx_palloc(r->pool, NGX_HTTP_SOCKERLESS_AR_CHUNK);
    if (ar->chunk == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* the backend has an agent for a stopped container, or failed */

static void
ngx_http_sockerless_archive_agent(ngx_http_sockerless_op_t *op,
    ngx_int_t rc)
{
    ngx_http_sockerless_archive_t *ar = op->data;

    ngx_http_request_t  *r;

    r = ar->request;

    /* the count taken for the backend stays for the agent's connection */
    ar->done = 0;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, op->status
            ? ngx_http_sockerless_send_error(r, op->status, "%V",
                                             &op->message)
            : NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ar->socket = (char *) ngx_http_sockerless_json_str(op->result, "socket");
    ar->token = (char *) ngx_http_sockerless_json_str(op->result, "token");

    if (ar->socket == NULL || ar->token == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_sockerless_archive_connect(ar);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_int_t
ngx_http_sockerless_archive_connect(ngx_http_sockerless_archive_t *ar)
{
    ngx_file_info_t      fi;
    ngx_http_request_t  *r;

    r = ar->request;

    if (ar->direct && ar->agent == NULL
        && ngx_file_info(ar->socket, &fi) == NGX_FILE_ERROR)
    {
        /*
         * no socket of its own here: an agent that dialed back, which
         * takes the body over the WebSocket, so nginx reads it first;
         * the reference read_body() takes stays for the agent
         */
        ar->direct = 0;

        return ngx_http_sockerless_archive_read_body(r,
                                   ngx_http_sockerless_archive_late_body);
    }

    ar->agent = ngx_http_sockerless_agent_connect(r->connection->log,
                                        ar->socket, ar->token,
                                        &ngx_http_sockerless_archive_handlers,
                                        ar);
    if (ar->agent == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                              "the agent of container %V is not reachable",
                              &ar->ref);
    }

    ngx_http_sockerless_agent_owner(ar->agent, r->connection);

    r->write_event_handler = ngx_http_sockerless_archive_write;

    return NGX_DONE;
}


/*
 * The client's socket can go to the agent: a plain TCP or unix socket
 * served by epoll, HTTP/1.x, no "Expect" to answer first
 */

static ngx_uint_t
ngx_http_sockerless_archive_direct_ok(ngx_http_request_t *r)
{
    if (r != r->main || r->http_version > NGX_HTTP_VERSION_11
        || r->headers_in.expect
        || !(ngx_event_flags & NGX_USE_EPOLL_EVENT) || ngx_del_conn == NULL)
    {
        return 0;
    }

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        return 0;
    }
#endif

    return 1;
}


/*
 * A PUT whose body starts with a tar header (or is empty) is a plain tar
 * the agent can read off the socket; anything else (gzip, bzip2, xz, not
 * a tar) is read to a file for libarchive. NGX_OK: plain; NGX_DECLINED:
 * the file; NGX_AGAIN: the first block is not here yet.
 */

static ngx_int_t
ngx_http_sockerless_archive_peek(ngx_http_sockerless_archive_t *ar)
{
    size_t                     len;
    ssize_t                    n;
    ngx_buf_t                 *b, *nb;
    ngx_int_t                  rc;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_core_loc_conf_t  *clcf;

    r = ar->request;
    c = r->connection;

    for ( ;; ) {
        b = r->header_in;

        rc = ngx_http_sockerless_archive_sniff(r);
        if (rc != NGX_AGAIN) {
            break;
        }

        len = b->last - b->pos;

        if (len >= NGX_HTTP_SOCKERLESS_AR_PEEK) {
            rc = NGX_DECLINED;
            break;
        }

        if (b->end - b->last < 1024) {
            /*
             * more room for the body's start, which nginx's body reader
             * takes from header_in too; no kept connection after it
             */
            nb = ngx_create_temp_buf(r->pool, NGX_HTTP_SOCKERLESS_AR_PEEK);
            if (nb == NULL) {
                return NGX_ERROR;
            }

            nb->last = ngx_cpymem(nb->pos, b->pos, len);
            r->header_in = nb;
            r->keepalive = 0;
            b = nb;
        }

        n = c->recv(c, b->last, b->end - b->last);

        if (n == NGX_AGAIN) {
            clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

            if (!c->read->timer_set) {
                ngx_add_timer(c->read, clcf->client_body_timeout);
            }

            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                return NGX_ERROR;
            }

            r->read_event_handler = ngx_http_sockerless_archive_peek_handler;

            return NGX_AGAIN;
        }

        if (n == 0 || n == NGX_ERROR) {
            /* nginx's body reader tells the client what went wrong */
            rc = NGX_DECLINED;
            break;
        }

        b->last += n;
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    r->read_event_handler = ngx_http_block_reading;

    return rc;
}


/* the first tar block of what header_in holds of the body, if it is there */

static ngx_int_t
ngx_http_sockerless_archive_sniff(ngx_http_request_t *r)
{
    int             rc;
    off_t           left;
    size_t          got, n;
    ngx_buf_t      *b;
    ngx_uint_t      end;
    const u_char   *p, *data;
    sls_chunked_t   ck;
    u_char          block[SLS_TAR_BLOCK];

    b = r->header_in;
    p = b->pos;
    got = 0;
    end = 0;

    if (r->headers_in.chunked) {
        ngx_memzero(&ck, sizeof(sls_chunked_t));

        while (got < SLS_TAR_BLOCK) {
            rc = sls_chunked_decode(&ck, &p, b->last, &data, &n);

            if (rc == SLS_CHUNKED_ERROR) {
                return NGX_DECLINED;
            }

            if (rc == SLS_CHUNKED_DONE) {
                end = 1;
                break;
            }

            if (rc == SLS_CHUNKED_AGAIN) {
                break;
            }

            n = ngx_min(n, SLS_TAR_BLOCK - got);
            ngx_memcpy(block + got, data, n);
            got += n;
        }

    } else {
        left = ngx_max(r->headers_in.content_length_n, 0);
        got = ngx_min((off_t) (b->last - p), ngx_min(left, SLS_TAR_BLOCK));
        ngx_memcpy(block, p, got);
        end = ((off_t) got == left);
    }

    if (got == SLS_TAR_BLOCK) {
        return sls_tar_is_block(block) ? NGX_OK : NGX_DECLINED;
    }

    if (end) {
        /* an empty body is an empty tar; a short one is libarchive's */
        return got == 0 ? NGX_OK : NGX_DECLINED;
    }

    return NGX_AGAIN;
}


static void
ngx_http_sockerless_archive_peek_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_sockerless_ctx_t      *ctx;
    ngx_http_sockerless_archive_t  *ar;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ar = ctx->data;

    if (r->connection->read->timedout) {
        r->connection->timedout = 1;
        r->read_event_handler = ngx_http_block_reading;
        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = ngx_http_sockerless_archive_peek(ar);

    if (rc == NGX_AGAIN) {
        return;
    }

    /* peeked enough: the rest of the body is not nginx's to wait for */
    r->read_event_handler = ngx_http_block_reading;

    if (rc == NGX_OK) {
        ar->direct = 1;
        r->keepalive = 0;
        r->lingering_close = 1;
        ngx_http_finalize_request(r, ngx_http_sockerless_archive(r,
                                                             &ctx->args));
        return;
    }

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_sockerless_archive_read_body(r,
                                   ngx_http_sockerless_archive_body));
}


/* the body to a file, as the router does it for ROUTE_RAW */

static ngx_int_t
ngx_http_sockerless_archive_read_body(ngx_http_request_t *r,
    ngx_http_client_body_handler_pt handler)
{
    ngx_int_t  rc;

    r->request_body_in_file_only = 1;
    r->request_body_in_persistent_file = 1;
    r->request_body_in_clean_file = 1;
    r->request_body_file_log_level = 0;

    rc = ngx_http_read_client_request_body(r, handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* the body is in its file: the copy starts over, the usual way */

static void
ngx_http_sockerless_archive_body(ngx_http_request_t *r)
{
    ngx_http_sockerless_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);

    ngx_http_finalize_request(r, ngx_http_sockerless_archive(r,
                                                             &ctx->args));
}


/* the body of a copy through an agent that dialed back: now the agent */

static void
ngx_http_sockerless_archive_late_body(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_sockerless_ctx_t      *ctx;
    ngx_http_sockerless_archive_t  *ar;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ar = ctx->data;

    rc = ngx_http_sockerless_archive_input(ar);

    if (rc == NGX_OK) {
        rc = ngx_http_sockerless_archive_connect(ar);
    }

    /* the reference the handler took is the agent's; read_body()'s goes */
    ngx_http_finalize_request(r, NGX_DONE);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static void
ngx_http_sockerless_archive_cleanup(void *data)
{
    ngx_http_sockerless_archive_t *ar = data;

    if (ar->agent) {
        ngx_http_sockerless_agent_close(ar->agent);
        ar->agent = NULL;
    }

    if (ar->in) {
        archive_read_free(ar->in);
        ar->in = NULL;
    }
}


static void
ngx_http_sockerless_archive_opened(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_archive_t *ar = ngx_http_sockerless_agent_data(a);

    cJSON               *msg;
    ngx_http_request_t  *r;

    r = ar->request;

    if (r->method == NGX_HTTP_GET && !ngx_http_sockerless_agent_remote(a)
        && ngx_http_sockerless_archive_direct_ok(r))
    {
        /* the stat first; the tar once the head of the answer is out */
        ar->direct = 1;
    }

    if (r->method == NGX_HTTP_PUT && ar->direct
        && ngx_http_sockerless_agent_remote(a))
    {
        ngx_http_sockerless_archive_finish(ar,
                                        NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return;
    }

    cJSON_AddStringToObject(msg, "type",
                            r->method == NGX_HTTP_PUT ? "archive_put"
                            : (r->method == NGX_HTTP_HEAD || ar->direct)
                              ? "archive_stat" : "archive_get");
    cJSON_AddStringToObject(msg, "id", ar->id);
    cJSON_AddStringToObject(msg, "path", (char *) ar->path.data);

    if (r->method == NGX_HTTP_PUT) {
        cJSON_AddBoolToObject(msg, "noOverwriteDirNonDir",
                  ngx_http_sockerless_arg_bool(r, "noOverwriteDirNonDir", 0));
        cJSON_AddBoolToObject(msg, "copyUIDGID",
                  ngx_http_sockerless_arg_bool(r, "copyUIDGID", 0));
        cJSON_AddNumberToObject(msg, "maxBytes",
                  (double) ngx_http_sockerless_conf()->unpack_max);

        if (ar->direct
            && ngx_http_sockerless_archive_put_direct(ar, msg) != NGX_OK)
        {
            cJSON_Delete(msg);
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return;
        }
    }

    (void) ngx_http_sockerless_agent_send_control(a, msg);
    cJSON_Delete(msg);
}


/*
 * A direct PUT: the body's framing and what nginx read of it go with the
 * message, the client's socket with its first bytes; nginx stops
 * watching the socket until the agent's exit
 */

static ngx_int_t
ngx_http_sockerless_archive_put_direct(ngx_http_sockerless_archive_t *ar,
    cJSON *msg)
{
    u_char                    *hex;
    size_t                     len;
    ngx_buf_t                 *b;
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_core_loc_conf_t  *clcf;

    r = ar->request;
    c = r->connection;
    b = r->header_in;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    len = b->last - b->pos;
    hex = ngx_pnalloc(r->pool, 2 * len + 1);
    if (hex == NULL) {
        return NGX_ERROR;
    }

    *ngx_hex_dump(hex, b->pos, len) = '\0';

    cJSON_AddTrueToObject(msg, "direct");
    cJSON_AddBoolToObject(msg, "chunked", r->headers_in.chunked);

    if (!r->headers_in.chunked) {
        cJSON_AddNumberToObject(msg, "length",
                                r->headers_in.content_length_n > 0
                                ? (double) r->headers_in.content_length_n
                                : 0);
    }

    cJSON_AddNumberToObject(msg, "maxBody",
                            (double) clcf->client_max_body_size);
    cJSON_AddStringToObject(msg, "preread", (char *) hex);

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (ngx_del_conn(c, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    b->pos = b->last;
    ar->handed = 1;
    ngx_http_sockerless_agent_pass_fd(ar->agent, c->fd);

    return NGX_OK;
}


/*
 * A direct GET, the head of the answer sent: the agent writes the tar on
 * the client's socket, in chunks when nginx's answer is chunked
 */

static void
ngx_http_sockerless_archive_hand_get(ngx_http_sockerless_archive_t *ar)
{
    cJSON               *msg;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ar->request;
    c = r->connection;

    ar->flushing = 0;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    msg = cJSON_CreateObject();
    if (msg == NULL || ngx_del_conn(c, 0) != NGX_OK) {
        cJSON_Delete(msg);
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return;
    }

    cJSON_AddStringToObject(msg, "type", "archive_get");
    cJSON_AddStringToObject(msg, "id", ar->id);
    cJSON_AddStringToObject(msg, "path", (char *) ar->path.data);
    cJSON_AddTrueToObject(msg, "direct");
    cJSON_AddBoolToObject(msg, "chunked", r->chunked);

    ar->handed = 1;
    ngx_http_sockerless_agent_pass_fd(ar->agent, c->fd);

    (void) ngx_http_sockerless_agent_send_control(ar->agent, msg);
    cJSON_Delete(msg);
}


/* X-Docker-Container-Path-Stat: base64 of dockerd's JSON */

static ngx_int_t
ngx_http_sockerless_archive_stat(ngx_http_sockerless_archive_t *ar,
    cJSON *msg)
{
    cJSON               *st;
    u_char              *json;
    size_t               len;
    ngx_str_t            src, dst;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = ar->request;

    st = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (st == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(st, "name",
                            ngx_http_sockerless_json_str(msg, "name") ? : "");
    cJSON_AddNumberToObject(st, "size", cJSON_GetNumberValue(
                            cJSON_GetObjectItemCaseSensitive(msg, "size")));
    cJSON_AddNumberToObject(st, "mode", cJSON_GetNumberValue(
                            cJSON_GetObjectItemCaseSensitive(msg, "mode")));
    cJSON_AddStringToObject(st, "mtime",
                            ngx_http_sockerless_json_str(msg, "mtime") ? : "");
    cJSON_AddStringToObject(st, "linkTarget",
                    ngx_http_sockerless_json_str(msg, "linkTarget") ? : "");

    json = ngx_http_sockerless_json_print(r->pool, st, &len);
    if (json == NULL) {
        return NGX_ERROR;
    }

    src.data = json;
    src.len = len;
    dst.len = ngx_base64_encoded_length(len);
    dst.data = ngx_pnalloc(r->pool, dst.len);
    if (dst.data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64(&dst, &src);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Docker-Container-Path-Stat");
    h->value = dst;

    r->headers_out.status = NGX_HTTP_OK;

    if (r->method == NGX_HTTP_HEAD) {
        r->headers_out.content_length_n = 0;
        r->header_only = 1;

    } else {
        r->headers_out.content_length_n = -1;
        ngx_str_set(&r->headers_out.content_type, "application/x-tar");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
    }

    ar->sent = 1;

    return ngx_http_send_header(r);
}


static void
ngx_http_sockerless_archive_control(ngx_http_sockerless_agent_t *a,
    cJSON *msg)
{
    ngx_http_sockerless_archive_t *ar = ngx_http_sockerless_agent_data(a);

    int                  code;
    ngx_int_t            rc, status;
    ngx_uint_t           level;
    const char          *type, *m;
    ngx_http_request_t  *r;

    r = ar->request;
    type = ngx_http_sockerless_json_str(msg, "type");

    if (type == NULL || ar->done) {
        return;
    }

    if (ngx_strcmp(type, "stat") == 0) {
        if (ar->sent) {
            /* a direct GET's archive_get says it again */
            return;
        }

        rc = ngx_http_sockerless_archive_stat(ar, msg);

        if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
            ngx_http_sockerless_archive_finish(ar,
                                  rc == NGX_ERROR ? NGX_ERROR : NGX_OK);
            return;
        }

        if (ar->direct) {
            /* the head must be out before the agent writes the tar */

            rc = ngx_http_send_special(r, NGX_HTTP_FLUSH);

            if (rc == NGX_ERROR) {
                ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
                return;
            }

            if (r->out || r->connection->buffered) {
                ar->flushing = 1;

                if (ngx_handle_write_event(r->connection->write, 0)
                    != NGX_OK)
                {
                    ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
                }

                return;
            }

            ngx_http_sockerless_archive_hand_get(ar);
        }

        return;
    }

    if (ngx_strcmp(type, "started") == 0) {
        if (ar->handed
            && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg,
                                                              "direct")))
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "sockerless: the agent of container %V cannot "
                          "copy directly", &ar->ref);
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return;
        }

        if (r->method == NGX_HTTP_PUT && !ar->direct) {
            ngx_http_sockerless_archive_pump(ar);
        }

        return;
    }

    if (ngx_strcmp(type, "error") == 0) {
        status = (ngx_int_t) cJSON_GetNumberValue(
                     cJSON_GetObjectItemCaseSensitive(msg, "status"));
        m = ngx_http_sockerless_json_str(msg, "message");

        if (ar->sent) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "sockerless: docker cp failed: %s", m ? m : "");
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return;
        }

        ar->done = 1;

        if (status == NGX_HTTP_NOT_FOUND) {
            rc = ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                   "Could not find the file %V in container "
                                   "%V", &ar->path, &ar->ref);

        } else {
            rc = ngx_http_sockerless_send_error(r,
                                   status >= 400 && status < 600
                                   ? (ngx_uint_t) status
                                   : NGX_HTTP_INTERNAL_SERVER_ERROR,
                                   "%s", m ? m : "docker cp failed");
        }

        ar->done = 0;
        ngx_http_sockerless_archive_finish(ar, rc);
        return;
    }

    if (ngx_strcmp(type, "exit") != 0) {
        return;
    }

    code = (int) cJSON_GetNumberValue(
                     cJSON_GetObjectItemCaseSensitive(msg, "exitCode"));

    if (r->method == NGX_HTTP_GET) {
        if (code != 0) {
            /* the client's going away (a direct copy) is no server error */
            level = ar->handed ? NGX_LOG_INFO : NGX_LOG_ERR;
            ngx_log_error(level, r->connection->log, 0,
                          "sockerless: docker cp of \"%V\" failed: %*s",
                          &ar->path, ar->err_len, ar->err);
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return;
        }

        ngx_http_sockerless_archive_event(ar, "archive-path");
        ngx_http_sockerless_archive_finish(ar,
                                   ngx_http_send_special(r, NGX_HTTP_LAST));
        return;
    }

    /* PUT */

    if (code == 5) {
        /* a direct PUT whose client went away or stalled: nobody to tell */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "sockerless: docker cp into \"%V\" ended: %*s",
                      &ar->path, ar->err_len, ar->err);
        r->headers_out.status = NGX_HTTP_CLIENT_CLOSED_REQUEST;
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return;
    }

    if (code == 0) {
        ngx_http_sockerless_archive_event(ar, "extract-to-dir");
        ngx_http_sockerless_archive_finish(ar,
                        ngx_http_sockerless_send_empty(r, NGX_HTTP_OK));
        return;
    }

    status = (code == 2) ? NGX_HTTP_BAD_REQUEST
             : (code == 3) ? NGX_HTTP_NOT_FOUND
             : (code == 4) ? NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
             : NGX_HTTP_INTERNAL_SERVER_ERROR;

    if (status == NGX_HTTP_NOT_FOUND) {
        rc = ngx_http_sockerless_send_error(r, status, "Could not find the "
                                   "file %V in container %V", &ar->path,
                                   &ar->ref);

    } else {
        rc = ngx_http_sockerless_send_error(r, status, "%*s", ar->err_len,
                                            ar->err);
    }

    ngx_http_sockerless_archive_finish(ar, rc);
}


static ngx_int_t
ngx_http_sockerless_archive_data(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, u_char *p, size_t len)
{
    ngx_http_sockerless_archive_t *ar = ngx_http_sockerless_agent_data(a);

    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl;
    ngx_http_request_t  *r;

    r = ar->request;

    if (stream == 2) {
        len = ngx_min(len, sizeof(ar->err) - ar->err_len);
        ngx_memcpy(ar->err + ar->err_len, p, len);
        ar->err_len += len;
        return NGX_OK;
    }

    if (stream != 1 || !ar->sent || ar->done || len == 0) {
        return NGX_OK;
    }

    cl = ngx_chain_get_free_buf(r->pool, &ar->free);
    if (cl == NULL) {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return NGX_AGAIN;
    }

    b = cl->buf;

    if (b->start == NULL || (size_t) (b->end - b->start) < len) {
        b->start = ngx_palloc(r->pool, ngx_max(len, 32768));
        if (b->start == NULL) {
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return NGX_AGAIN;
        }

        b->end = b->start + ngx_max(len, 32768);
    }

    b->tag = (ngx_buf_tag_t) &ngx_http_sockerless_module;
    b->temporary = 1;
    b->flush = 1;
    b->pos = b->start;
    b->last = ngx_cpymem(b->start, p, len);

    rc = ngx_http_output_filter(r, cl);

    ngx_chain_update_chains(r->pool, &ar->free, &ar->busy, &cl,
                            (ngx_buf_tag_t) &ngx_http_sockerless_module);

    if (rc == NGX_ERROR) {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return NGX_AGAIN;
    }

    if (ar->busy) {
        /* the client is slower than the container: stop reading it */
        ar->paused = 1;

        if (ngx_handle_write_event(r->connection->write, 0) != NGX_OK) {
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        }

        return NGX_AGAIN;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_archive_write(ngx_http_request_t *r)
{
    ngx_chain_t                    *cl;
    ngx_http_sockerless_ctx_t      *ctx;
    ngx_http_sockerless_archive_t  *ar;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ar = ctx->data;

    if (ar == NULL || ar->done || ar->handed) {
        return;
    }

    if (ngx_http_output_filter(r, NULL) == NGX_ERROR) {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return;
    }

    if (ar->flushing) {
        if (r->out == NULL && !r->connection->buffered) {
            ngx_http_sockerless_archive_hand_get(ar);

        } else if (ngx_handle_write_event(r->connection->write, 0)
                   != NGX_OK)
        {
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        }

        return;
    }

    cl = NULL;
    ngx_chain_update_chains(r->pool, &ar->free, &ar->busy, &cl,
                            (ngx_buf_tag_t) &ngx_http_sockerless_module);

    if (ar->busy == NULL && ar->paused && ar->agent) {
        ar->paused = 0;
        ngx_http_sockerless_agent_resume(ar->agent);

    } else if (ar->busy
               && ngx_handle_write_event(r->connection->write, 0) != NGX_OK)
    {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_archive_drain(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_archive_t *ar = ngx_http_sockerless_agent_data(a);

    if (ar->request->method == NGX_HTTP_PUT) {
        ngx_http_sockerless_archive_pump(ar);
    }
}


/* PUT: the body into the agent, as fast as it takes it */

static void
ngx_http_sockerless_archive_pump(ngx_http_sockerless_archive_t *ar)
{
    cJSON      *msg;
    ssize_t     n;
    ngx_int_t   rc;

    if (ar->direct) {
        /* the agent reads the body itself */
        return;
    }

    while (!ar->eof && !ar->done) {
        n = ar->in ? archive_read_data(ar->in, ar->chunk,
                                       NGX_HTTP_SOCKERLESS_AR_CHUNK)
                   : 0;

        if (n < 0) {
            ar->done = 1;
            rc = ngx_http_sockerless_send_error(ar->request,
                                   NGX_HTTP_BAD_REQUEST,
                                   "the archive cannot be read: %s",
                                   archive_error_string(ar->in));
            ar->done = 0;
            ngx_http_sockerless_archive_finish(ar, rc);
            return;
        }

        if (n == 0) {
            ar->eof = 1;

            msg = cJSON_CreateObject();
            if (msg == NULL) {
                ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
                return;
            }

            cJSON_AddStringToObject(msg, "type", "stdin_close");
            cJSON_AddStringToObject(msg, "id", ar->id);
            (void) ngx_http_sockerless_agent_send_control(ar->agent, msg);
            cJSON_Delete(msg);
            return;
        }

        rc = ngx_http_sockerless_agent_send_data(ar->agent, 0, ar->id,
                                                 ar->chunk, n);
        if (rc == NGX_ERROR) {
            ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
            return;
        }

        if (rc == NGX_AGAIN) {
            /* drain() resumes */
            return;
        }
    }
}


static void
ngx_http_sockerless_archive_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc)
{
    ngx_http_sockerless_archive_t *ar = ngx_http_sockerless_agent_data(a);

    ngx_int_t            code;
    ngx_http_request_t  *r;

    ar->agent = NULL;

    if (ar->done) {
        return;
    }

    r = ar->request;

    if (ar->sent) {
        ngx_http_sockerless_archive_finish(ar, NGX_ERROR);
        return;
    }

    ar->done = 1;
    code = ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                               "the agent of container %V went away during "
                               "the copy", &ar->ref);
    ar->done = 0;
    ngx_http_sockerless_archive_finish(ar, code);
}


static void
ngx_http_sockerless_archive_finish(ngx_http_sockerless_archive_t *ar,
    ngx_int_t rc)
{
    ngx_http_sockerless_agent_t  *a;

    if (ar->done) {
        return;
    }

    ar->done = 1;

    a = ar->agent;
    ar->agent = NULL;

    if (a) {
        ngx_http_sockerless_agent_close(a);
    }

    ngx_http_finalize_request(ar->request, rc);
}
