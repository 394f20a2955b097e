
/*
 * Copyright (C) sockerless contributors
 *
 * Streams (DESIGN.md D5): logs, attach and exec start. The main process'
 * output is read from its log file, which the agent writes before anything
 * else, so an attach made before start, or on another worker, sees all of
 * it; input and exec processes go through the agent's WebSocket. Output is
 * framed like dockerd's stdcopy unless the process has a TTY, and every
 * direction has back-pressure instead of unbounded buffers.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_store.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_agent.h>
#include <ngx_http_sockerless_stream.h>
#include <sls_logfmt.h>
#include <sls_stdcopy.h>


#define NGX_HTTP_SOCKERLESS_CHUNK   32768
#define NGX_HTTP_SOCKERLESS_RBUF    65536

#define NGX_HTTP_SOCKERLESS_LOGS    0
#define NGX_HTTP_SOCKERLESS_ATTACH  1
#define NGX_HTTP_SOCKERLESS_EXEC    2


typedef struct {
    ngx_http_request_t            *request;
    ngx_uint_t                     kind;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           xid[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           started[64];
    char                          *token;

    ngx_chain_t                   *free;
    ngx_chain_t                   *busy;

    /* the log file */
    ngx_fd_t                       fd;
    off_t                          off;
    int                            wd;
    u_char                        *rbuf;
    u_char                         hdr[SLS_LOGFMT_HEADER_LEN];
    size_t                         hdr_len;
    uint32_t                       left;
    int                            rstream;
    uint64_t                       rns;
    uint64_t                       since;
    uint64_t                       until;
    ngx_int_t                      skip;      /* lines, for tail */
    ngx_uint_t                     bol[3];

    ngx_http_sockerless_agent_t   *agent;
    ngx_http_sockerless_watch_t    watch;
    ngx_event_t                    until_ev;

    ngx_uint_t                     rows;      /* terminal size: resize, */
    ngx_uint_t                     cols;      /* exec's ConsoleSize */

    u_char                         detach[8];
    size_t                         detach_len;
    size_t                         detach_seen;

    ngx_int_t                      exit_code;
    ngx_int_t                      failures;

    unsigned                       tty:1;
    unsigned                       upgraded:1;
    unsigned                       out_stdout:1;
    unsigned                       out_stderr:1;
    unsigned                       want_stdin:1;
    unsigned                       stdin_once:1;
    unsigned                       follow:1;
    unsigned                       timestamps:1;
    unsigned                       seen_run:1;
    unsigned                       client_eof:1;
    unsigned                       agent_ready:1;
    unsigned                       agent_full:1;
    unsigned                       ended:1;
    unsigned                       done:1;
    unsigned                       detached_exec:1;
    unsigned                       in_pump:1;
    unsigned                       draining:1;
    unsigned                       until_passed:1;
    unsigned                       stdin_closed:1;
    unsigned                       xstarted:1;
    unsigned                       direct_asked:1;
    unsigned                       direct:1;
} ngx_http_sockerless_stream_t;


static ngx_http_sockerless_stream_t *ngx_http_sockerless_stream_new(
    ngx_http_request_t *r, ngx_uint_t kind, cJSON *rec);
static ngx_int_t ngx_http_sockerless_stream_headers(
    ngx_http_sockerless_stream_t *s, ngx_uint_t hijack);
static ngx_int_t ngx_http_sockerless_stream_out(
    ngx_http_sockerless_stream_t *s, ngx_uint_t stream, u_char *p,
    size_t len);
static ngx_uint_t ngx_http_sockerless_stream_blocked(
    ngx_http_sockerless_stream_t *s);
static void ngx_http_sockerless_stream_write(ngx_http_request_t *r);
static void ngx_http_sockerless_stream_read(ngx_http_request_t *r);
static void ngx_http_sockerless_stream_pump(ngx_http_sockerless_stream_t *s);
static ngx_int_t ngx_http_sockerless_stream_open_log(
    ngx_http_sockerless_stream_t *s, ngx_uint_t at_end);
static void ngx_http_sockerless_stream_log_event(void *data,
    struct inotify_event *ie);
static void ngx_http_sockerless_stream_watch(ngx_http_sockerless_watch_t *w);
static void ngx_http_sockerless_stream_finish(ngx_http_sockerless_stream_t *s,
    ngx_int_t rc);
static void ngx_http_sockerless_stream_cleanup(void *data);
static void ngx_http_sockerless_stream_connect(
    ngx_http_sockerless_stream_t *s);
static void ngx_http_sockerless_agent_opened(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_agent_control(ngx_http_sockerless_agent_t *a,
    cJSON *msg);
static ngx_int_t ngx_http_sockerless_agent_data_in(
    ngx_http_sockerless_agent_t *a, ngx_uint_t stream, u_char *p, size_t len);
static void ngx_http_sockerless_agent_drained(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_agent_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc);
static ngx_http_sockerless_stream_t *ngx_http_sockerless_stream_of(
    ngx_http_request_t *r);
static void ngx_http_sockerless_stream_end(ngx_http_sockerless_stream_t *s);
static ngx_uint_t ngx_http_sockerless_stream_selected(
    ngx_http_sockerless_stream_t *s, int stream, uint64_t ns);
static ngx_int_t ngx_http_sockerless_stream_payload(
    ngx_http_sockerless_stream_t *s, u_char *p, size_t len);
static ngx_int_t ngx_http_sockerless_stream_parse(
    ngx_http_sockerless_stream_t *s, u_char *p, size_t len);
static ngx_int_t ngx_http_sockerless_count_lines(
    ngx_http_sockerless_stream_t *s);
static ngx_int_t ngx_http_sockerless_exec_state(void *data, cJSON **value);
static void ngx_http_sockerless_exec_record(ngx_http_sockerless_stream_t *s,
    ngx_int_t running, ngx_int_t pid, ngx_int_t code);
static ngx_int_t ngx_http_sockerless_exec_claim(void *data, cJSON **value);
static void ngx_http_sockerless_resize_opened(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_resize_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_resize(ngx_http_request_t *r,
    cJSON *rec, const char *xid);
static void ngx_http_sockerless_stream_until(ngx_event_t *ev);
static void ngx_http_sockerless_stream_stdin_close(
    ngx_http_sockerless_stream_t *s);
static void ngx_http_sockerless_send_resize(ngx_http_sockerless_agent_t *a,
    ngx_http_sockerless_stream_t *s);
static ngx_uint_t ngx_http_sockerless_direct_ok(
    ngx_http_sockerless_stream_t *s);
static ngx_int_t ngx_http_sockerless_detach_keys(
    ngx_http_sockerless_stream_t *s, ngx_str_t *keys);


static ngx_http_sockerless_agent_handlers_t
    ngx_http_sockerless_stream_agent =
{
    ngx_http_sockerless_agent_opened,
    ngx_http_sockerless_agent_control,
    ngx_http_sockerless_agent_data_in,
    ngx_http_sockerless_agent_drained,
    ngx_http_sockerless_agent_closed
};


static ngx_http_sockerless_stream_t *
ngx_http_sockerless_stream_new(ngx_http_request_t *r, ngx_uint_t kind,
    cJSON *rec)
{
    cJSON                         *conf, *state, *sls;
    const char                    *v;
    ngx_pool_cleanup_t            *cln;
    ngx_http_sockerless_ctx_t     *ctx;
    ngx_http_sockerless_stream_t  *s;

    s = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_stream_t));
    if (s == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_sockerless_stream_cleanup;
    cln->data = s;

    s->request = r;
    s->kind = kind;
    s->fd = NGX_INVALID_FILE;
    s->wd = -1;
    s->bol[1] = 1;
    s->bol[2] = 1;
    s->watch.data = s;
    s->watch.handler = ngx_http_sockerless_stream_watch;

    v = ngx_http_sockerless_json_str(rec, "Id");
    ngx_cpystrn((u_char *) s->id, (u_char *) (v ? v : ""), sizeof(s->id));

    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");
    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");

    s->tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "Tty"));
    s->stdin_once = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf,
                                                               "StdinOnce"));

    v = ngx_http_sockerless_json_str(state, "StartedAt");
    ngx_cpystrn((u_char *) s->started, (u_char *) (v ? v : ""),
                sizeof(s->started));

    s->failures = (ngx_int_t) cJSON_GetNumberValue(
                      cJSON_GetObjectItemCaseSensitive(sls, "failures"));

    v = ngx_http_sockerless_json_str(sls, "token");
    if (v) {
        s->token = ngx_pnalloc(r->pool, ngx_strlen(v) + 1);
        if (s->token == NULL) {
            return NULL;
        }

        ngx_cpystrn((u_char *) s->token, (u_char *) v, ngx_strlen(v) + 1);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ctx->data = s;

    r->write_event_handler = ngx_http_sockerless_stream_write;

    return s;
}


static void
ngx_http_sockerless_stream_cleanup(void *data)
{
    ngx_http_sockerless_stream_t *s = data;

    s->done = 1;

    ngx_http_sockerless_store_unwatch(&s->watch);

    if (s->until_ev.timer_set) {
        ngx_del_timer(&s->until_ev);
    }

    if (s->wd != -1) {
        ngx_http_sockerless_inotify_rm(s->wd, s);
        s->wd = -1;
    }

    if (s->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(s->fd);
        s->fd = NGX_INVALID_FILE;
    }

    if (s->agent) {
        /*
         * dockerd closes the process' stdin whenever an attachment that
         * should (StdinOnce, or an exec) stops reading it, TTY aside
         */
        if (!s->tty && !s->direct
            && (s->stdin_once || s->kind == NGX_HTTP_SOCKERLESS_EXEC))
        {
            ngx_http_sockerless_stream_stdin_close(s);
        }

        ngx_http_sockerless_agent_close(s->agent);
        s->agent = NULL;
    }
}


static void
ngx_http_sockerless_stream_stdin_close(ngx_http_sockerless_stream_t *s)
{
    cJSON  *msg;

    if (!s->want_stdin || s->stdin_closed || s->agent == NULL
        || !s->agent_ready)
    {
        return;
    }

    s->stdin_closed = 1;

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        return;
    }

    cJSON_AddStringToObject(msg, "type", "stdin_close");
    cJSON_AddStringToObject(msg, "id",
                       s->kind == NGX_HTTP_SOCKERLESS_EXEC ? s->xid : "main");

    (void) ngx_http_sockerless_agent_send_control(s->agent, msg);

    cJSON_Delete(msg);
}


static void
ngx_http_sockerless_stream_finish(ngx_http_sockerless_stream_t *s,
    ngx_int_t rc)
{
    ngx_http_request_t  *r;

    if (s->done) {
        return;
    }

    r = s->request;

    ngx_http_sockerless_stream_cleanup(s);

    if (rc == NGX_OK) {
        rc = ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    ngx_http_finalize_request(r, rc);
}


/* the answer's headers: 101 when the client asked to upgrade */

static ngx_int_t
ngx_http_sockerless_stream_headers(ngx_http_sockerless_stream_t *s,
    ngx_uint_t hijack)
{
    ngx_int_t            rc;
    ngx_table_elt_t     *h;
    ngx_http_request_t  *r;

    r = s->request;

    if (hijack && r->headers_in.upgrade) {
        r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;
        s->upgraded = 1;

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Upgrade");
        ngx_str_set(&h->value, "tcp");

    } else {
        r->headers_out.status = NGX_HTTP_OK;
    }

    r->keepalive = 0;
    r->headers_out.content_length_n = -1;

    /* a graceful shutdown ends long streams, as it does idle connections */
    r->connection->idle = 1;

    if (s->tty) {
        ngx_str_set(&r->headers_out.content_type,
                    "application/vnd.docker.raw-stream");

    } else {
        ngx_str_set(&r->headers_out.content_type,
                    "application/vnd.docker.multiplexed-stream");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Api-Version");
    ngx_str_set(&h->value, NGX_HTTP_SOCKERLESS_API_VERSION);

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (s->upgraded) {
        r->read_event_handler = ngx_http_sockerless_stream_read;

    } else {
        r->read_event_handler = ngx_http_test_reading;
    }

    return NGX_OK;
}


/* output to the client, in reused buffers, stdcopy-framed unless TTY */

static ngx_int_t
ngx_http_sockerless_stream_out(ngx_http_sockerless_stream_t *s,
    ngx_uint_t stream, u_char *p, size_t len)
{
    size_t               n;
    ngx_buf_t           *b;
    ngx_int_t            rc;
    ngx_chain_t         *cl;
    ngx_http_request_t  *r;

    r = s->request;

    while (len) {
        n = ngx_min(len, NGX_HTTP_SOCKERLESS_CHUNK);

        cl = ngx_chain_get_free_buf(r->pool, &s->free);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        b = cl->buf;

        if (b->start == NULL) {
            b->start = ngx_palloc(r->pool, NGX_HTTP_SOCKERLESS_CHUNK + 8);
            if (b->start == NULL) {
                return NGX_ERROR;
            }

            b->end = b->start + NGX_HTTP_SOCKERLESS_CHUNK + 8;
            b->temporary = 1;
            b->tag = (ngx_buf_tag_t) &ngx_http_sockerless_module;
        }

        b->pos = b->start;
        b->last = b->start;
        b->flush = 1;

        if (!s->tty) {
            /* the multiplexed stream's frame header */
            sls_stdcopy_header(b->last, stream, (uint32_t) n);
            b->last += SLS_STDCOPY_HEADER_SIZE;
        }

        b->last = ngx_cpymem(b->last, p, n);

        rc = ngx_http_output_filter(r, cl);

        ngx_chain_update_chains(r->pool, &s->free, &s->busy, &cl,
                                (ngx_buf_tag_t) &ngx_http_sockerless_module);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        p += n;
        len -= n;
    }

    if (ngx_http_sockerless_stream_blocked(s)) {
        /*
         * the client is slower: with epoll's edge-triggered events nginx
         * only hears that it can write again if the event is armed
         */
        if (ngx_handle_write_event(r->connection->write, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_http_sockerless_stream_blocked(ngx_http_sockerless_stream_t *s)
{
    return s->busy != NULL || s->request->connection->buffered;
}


static ngx_http_sockerless_stream_t *
ngx_http_sockerless_stream_of(ngx_http_request_t *r)
{
    ngx_http_sockerless_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);

    return ctx ? ctx->data : NULL;
}


static void
ngx_http_sockerless_stream_write(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_chain_t                   *cl;
    ngx_http_sockerless_stream_t  *s;

    s = ngx_http_sockerless_stream_of(r);
    if (s == NULL || s->done) {
        return;
    }

    cl = NULL;
    rc = ngx_http_output_filter(r, NULL);

    ngx_chain_update_chains(r->pool, &s->free, &s->busy, &cl,
                            (ngx_buf_tag_t) &ngx_http_sockerless_module);

    if (rc == NGX_ERROR || r->connection->error) {
        ngx_http_sockerless_stream_finish(s, NGX_ERROR);
        return;
    }

    if (ngx_http_sockerless_stream_blocked(s)) {
        if (ngx_handle_write_event(r->connection->write, 0) != NGX_OK) {
            ngx_http_sockerless_stream_finish(s, NGX_ERROR);
        }

        return;
    }

    if (s->ended) {
        ngx_http_sockerless_stream_finish(s, NGX_OK);
        return;
    }

    /* the client took what was waiting: the sources may go on */

    if (s->agent && s->kind == NGX_HTTP_SOCKERLESS_EXEC) {
        ngx_http_sockerless_agent_resume(s->agent);
    }

    if (s->kind != NGX_HTTP_SOCKERLESS_EXEC) {
        ngx_http_sockerless_stream_pump(s);
    }
}


/* ends the output once everything written has gone out */

static void
ngx_http_sockerless_stream_end(ngx_http_sockerless_stream_t *s)
{
    s->ended = 1;

    if (!ngx_http_sockerless_stream_blocked(s)) {
        ngx_http_sockerless_stream_finish(s, NGX_OK);
    }
}


/* the log file: records of the main process' output */

static ngx_int_t
ngx_http_sockerless_stream_open_log(ngx_http_sockerless_stream_t *s,
    ngx_uint_t at_end)
{
    u_char           *path;
    ngx_file_info_t   fi;

    if (s->fd != NGX_INVALID_FILE) {
        return NGX_OK;
    }

    path = ngx_http_sockerless_container_path(s->request->pool, s->id,
                                              "container.log");
    if (path == NULL) {
        return NGX_ERROR;
    }

    s->fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (s->fd == NGX_INVALID_FILE) {
        return NGX_DECLINED;
    }

    if (at_end && ngx_fd_info(s->fd, &fi) != NGX_FILE_ERROR) {
        s->off = ngx_file_size(&fi);
    }

    if (s->follow) {
        s->wd = ngx_http_sockerless_inotify_add((char *) path, IN_MODIFY,
                                     ngx_http_sockerless_stream_log_event, s);
    }

    if (s->rbuf == NULL) {
        s->rbuf = ngx_palloc(s->request->pool, NGX_HTTP_SOCKERLESS_RBUF);
        if (s->rbuf == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_stream_log_event(void *data, struct inotify_event *ie)
{
    ngx_http_sockerless_stream_t *s = data;

    ngx_http_sockerless_stream_pump(s);
}


static void
ngx_http_sockerless_stream_watch(ngx_http_sockerless_watch_t *w)
{
    ngx_http_sockerless_stream_t *s = w->data;

    ngx_http_sockerless_stream_pump(s);
}


/* the records "stdout", "stderr", "since" and "until" let through */

static ngx_uint_t
ngx_http_sockerless_stream_selected(ngx_http_sockerless_stream_t *s,
    int stream, uint64_t ns)
{
    return ((stream == 1 && s->out_stdout) || (stream == 2 && s->out_stderr))
           && !(s->since && ns < s->since)
           && !(s->until && ns > s->until);
}


/*
 * One stretch of one record's payload, with timestamps and tail. As
 * dockerd's json-file entries, lines end at '\n' or at the end of a
 * record: "tail" counts both (see stream_parse and count_lines).
 */

static ngx_int_t
ngx_http_sockerless_stream_payload(ngx_http_sockerless_stream_t *s,
    u_char *p, size_t len)
{
    u_char   *nl, *last;
    size_t    n;
    time_t    sec;
    u_char    ts[64];
    struct tm tm;

    if (!ngx_http_sockerless_stream_selected(s, s->rstream, s->rns)) {
        return NGX_OK;
    }

    if (!s->timestamps && s->skip == 0) {
        return ngx_http_sockerless_stream_out(s, s->rstream, p, len);
    }

    last = p + len;

    while (p < last) {
        nl = ngx_strlchr(p, last, '\n');
        n = (nl ? nl + 1 : last) - p;

        if (s->skip > 0) {
            if (nl) {
                s->skip--;
            }

            p += n;
            continue;
        }

        if (s->timestamps && s->bol[s->rstream]) {
            sec = (time_t) (s->rns / 1000000000);
            (void) gmtime_r(&sec, &tm);

            if (ngx_http_sockerless_stream_out(s, s->rstream, ts,
                    ngx_sprintf(ts, "%04d-%02d-%02dT%02d:%02d:%02d.%09uLZ ",
                                tm.tm_year + 1900, tm.tm_mon + 1,
                                tm.tm_mday, tm.tm_hour, tm.tm_min,
                                tm.tm_sec,
                                (uint64_t) (s->rns % 1000000000))
                    - ts)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        if (ngx_http_sockerless_stream_out(s, s->rstream, p, n) != NGX_OK) {
            return NGX_ERROR;
        }

        s->bol[s->rstream] = (nl != NULL);
        p += n;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_stream_parse(ngx_http_sockerless_stream_t *s, u_char *p,
    size_t len)
{
    size_t    n;
    uint32_t  rlen;

    while (len) {
        if (s->left == 0) {
            n = ngx_min(len, SLS_LOGFMT_HEADER_LEN - s->hdr_len);
            ngx_memcpy(s->hdr + s->hdr_len, p, n);
            s->hdr_len += n;
            p += n;
            len -= n;

            if (s->hdr_len < SLS_LOGFMT_HEADER_LEN) {
                return NGX_OK;
            }

            s->hdr_len = 0;

            if (sls_logfmt_decode_header(s->hdr, &s->rstream, &rlen,
                                         &s->rns)
                != 0)
            {
                ngx_log_error(NGX_LOG_ERR, s->request->connection->log, 0,
                              "sockerless: malformed log of container %s",
                              s->id);
                return NGX_ERROR;
            }

            s->left = rlen;
            continue;
        }

        n = ngx_min(len, s->left);

        if (ngx_http_sockerless_stream_payload(s, p, n) != NGX_OK) {
            return NGX_ERROR;
        }

        s->left -= n;
        p += n;
        len -= n;

        if (s->left == 0 && s->skip > 0 && p[-1] != '\n'
            && ngx_http_sockerless_stream_selected(s, s->rstream, s->rns))
        {
            /* the unterminated end of a record was a line of the tail */
            s->skip--;
        }
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_stream_pump(ngx_http_sockerless_stream_t *s)
{
    char        key[80];
    cJSON      *rec, *state;
    ssize_t     n;
    ngx_int_t   rc;
    const char *started;

    if (s->done || s->ended || s->in_pump
        || s->kind == NGX_HTTP_SOCKERLESS_EXEC)
    {
        return;
    }

    s->in_pump = 1;

    for ( ;; ) {
        if (ngx_http_sockerless_stream_blocked(s)) {
            s->in_pump = 0;
            return;
        }

        if (s->fd == NGX_INVALID_FILE) {
            rc = ngx_http_sockerless_stream_open_log(s, 0);
            if (rc == NGX_ERROR) {
                s->in_pump = 0;
                ngx_http_sockerless_stream_finish(s, NGX_ERROR);
                return;
            }
        }

        if (s->fd != NGX_INVALID_FILE) {
            n = pread(s->fd, s->rbuf, NGX_HTTP_SOCKERLESS_RBUF, s->off);

            if (n > 0) {
                s->off += n;

                if (ngx_http_sockerless_stream_parse(s, s->rbuf, n)
                    != NGX_OK)
                {
                    s->in_pump = 0;
                    ngx_http_sockerless_stream_finish(s, NGX_ERROR);
                    return;
                }

                continue;
            }
        }

        /* at the end of the log: done, or wait for more */

        if (s->draining || s->until_passed) {
            break;
        }

        if (!s->follow) {
            /* logs without follow, attach without stream: a replay */
            break;
        }

        ngx_sprintf((u_char *) key, "c/%s%Z", s->id);

        rec = ngx_http_sockerless_store_get(s->request->pool, key);
        if (rec == NULL) {
            /* removed: what the log holds is all there is */
            s->draining = 1;
            continue;
        }

        state = cJSON_GetObjectItemCaseSensitive(rec, "State");

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
            s->seen_run = 1;

            if (s->want_stdin && s->agent == NULL && !s->client_eof) {
                ngx_http_sockerless_stream_connect(s);
            }

            s->in_pump = 0;
            return;
        }

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state,
                                                          "Restarting")))
        {
            s->in_pump = 0;
            return;
        }

        /*
         * Not running. The agent writes all output before the exit is
         * recorded, so one more pass to the end of the log reads all of
         * it: logs end there, and so does an attachment to a run that
         * ended (or to a start that failed).
         */

        if (s->kind == NGX_HTTP_SOCKERLESS_LOGS) {
            s->draining = 1;
            continue;
        }

        started = ngx_http_sockerless_json_str(state, "StartedAt");

        if (s->seen_run
            || (started && ngx_strcmp(started, s->started) != 0)
            || (ngx_int_t) cJSON_GetNumberValue(
                   cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(rec, "_sls"),
                       "failures"))
               != s->failures)
        {
            s->draining = 1;
            continue;
        }

        /* attach: wait for a run that starts after the attach */

        s->in_pump = 0;
        return;
    }

    s->in_pump = 0;

    ngx_http_sockerless_stream_end(s);
}


static void
ngx_http_sockerless_stream_until(ngx_event_t *ev)
{
    ngx_http_sockerless_stream_t *s = ev->data;

    s->until_passed = 1;

    if (s->in_pump || s->ended || s->done) {
        return;
    }

    /* what the log holds up to now goes out, then the stream ends */
    ngx_http_sockerless_stream_pump(s);
}


/*
 * An exec without a TTY, hijacked over plain HTTP/1.1 with nothing of the
 * client's read ahead and nothing of ours unsent, can be served by a local
 * agent on the client's socket itself (docs/agent-protocol.md)
 */

static ngx_uint_t
ngx_http_sockerless_direct_ok(ngx_http_sockerless_stream_t *s)
{
    ngx_http_request_t  *r;

    r = s->request;

    if (s->kind != NGX_HTTP_SOCKERLESS_EXEC || s->tty || s->detached_exec
        || !s->upgraded || ngx_http_sockerless_stream_blocked(s)
        || r->header_in->pos < r->header_in->last
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


/* the client's bytes: stdin of the main process or of an exec */

static ngx_int_t
ngx_http_sockerless_detach_keys(ngx_http_sockerless_stream_t *s,
    ngx_str_t *keys)
{
    u_char  *p, *last, *tok;
    size_t   n;

    s->detach_len = 0;

    if (keys == NULL || keys->len == 0) {
        s->detach[0] = 0x10;    /* ctrl-p */
        s->detach[1] = 0x11;    /* ctrl-q */
        s->detach_len = 2;
        return NGX_OK;
    }

    p = keys->data;
    last = p + keys->len;

    while (p < last) {
        tok = p;
        while (p < last && *p != ',') {
            p++;
        }

        n = p - tok;

        if (s->detach_len == sizeof(s->detach)) {
            return NGX_ERROR;
        }

        if (n == 1) {
            s->detach[s->detach_len++] = tok[0];

        } else if (n == 6 && ngx_strncasecmp(tok, (u_char *) "ctrl-", 5) == 0)
        {
            u_char  ch = ngx_tolower(tok[5]);

            if (ch >= 'a' && ch <= 'z') {
                s->detach[s->detach_len++] = ch - 'a' + 1;

            } else if (ch == '@') {
                s->detach[s->detach_len++] = 0;

            } else if (ch == '[') {
                s->detach[s->detach_len++] = 27;

            } else if (ch == '\\') {
                s->detach[s->detach_len++] = 28;

            } else if (ch == ']') {
                s->detach[s->detach_len++] = 29;

            } else if (ch == '^') {
                s->detach[s->detach_len++] = 30;

            } else if (ch == '_') {
                s->detach[s->detach_len++] = 31;

            } else {
                return NGX_ERROR;
            }

        } else {
            return NGX_ERROR;
        }

        if (p < last) {
            p++;
        }
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_stream_read(ngx_http_request_t *r)
{
    u_char                        *p;
    size_t                         i;
    ssize_t                        n;
    ngx_buf_t                     *hb;
    ngx_connection_t              *c;
    ngx_http_sockerless_stream_t  *s;
    u_char                         buf[16384];
    const char                    *sid;

    s = ngx_http_sockerless_stream_of(r);
    if (s == NULL || s->done) {
        return;
    }

    if (s->direct_asked && (s->direct || !s->xstarted)) {
        /* the agent reads the client (or may yet): hands off */
        return;
    }

    c = r->connection;
    sid = (s->kind == NGX_HTTP_SOCKERLESS_EXEC) ? s->xid : "main";

    for ( ;; ) {
        if (s->client_eof) {
            return;
        }

        /* input waits until the agent can take it */
        if (s->want_stdin && (!s->agent_ready || s->agent_full)) {
            return;
        }

        hb = r->header_in;

        if (hb && hb->pos < hb->last) {
            n = ngx_min((size_t) (hb->last - hb->pos), sizeof(buf));
            ngx_memcpy(buf, hb->pos, n);
            hb->pos += n;

        } else {
            n = c->recv(c, buf, sizeof(buf));
        }

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                ngx_http_sockerless_stream_finish(s, NGX_ERROR);
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_sockerless_stream_finish(s, NGX_ERROR);
            return;
        }

        if (n == 0) {
            s->client_eof = 1;

            if (!s->want_stdin) {
                /* dockerd does not read it: its end changes nothing */
                return;
            }

            if (s->tty) {
                /*
                 * dockerd ends the output here too, but the docker CLI
                 * half-closes just before it reports a detach (ctrl-p
                 * ctrl-q) to itself, and an output that ends first makes
                 * it wait for the container's exit instead; the output
                 * goes on until the client closes the connection
                 */
                return;
            }

            if (s->kind != NGX_HTTP_SOCKERLESS_EXEC && !s->stdin_once) {
                /*
                 * as dockerd's CopyStreams: unless stdin is to be closed
                 * (StdinOnce or an exec), the end of the client's stdin
                 * ends the attachment; the process goes on
                 */
                ngx_http_sockerless_stream_end(s);
                return;
            }

            /* half-close: the process' stdin ends, its output goes on */
            ngx_http_sockerless_stream_stdin_close(s);

            return;
        }

        if (!s->want_stdin) {
            /* nobody reads it: dockerd drops it too */
            continue;
        }

        /* detach keys end the attachment, the process goes on */

        if (s->detach_len) {
            p = buf;

            for (i = 0; i < (size_t) n; i++) {
                if (p[i] == s->detach[s->detach_seen]) {
                    if (++s->detach_seen == s->detach_len) {
                        ngx_http_sockerless_stream_finish(s, NGX_OK);
                        return;
                    }

                } else {
                    s->detach_seen = (p[i] == s->detach[0]) ? 1 : 0;
                }
            }
        }

        if (ngx_http_sockerless_agent_send_data(s->agent, 0, sid, buf, n)
            == NGX_AGAIN)
        {
            s->agent_full = 1;
        }
    }
}


/* the agent connection */

static void
ngx_http_sockerless_stream_connect(ngx_http_sockerless_stream_t *s)
{
    char        key[80];
    cJSON      *rec;
    u_char     *path;
    size_t      len;
    const char *v;

    /* every start has its own token: take the current run's */

    ngx_sprintf((u_char *) key, "c/%s%Z", s->id);

    rec = ngx_http_sockerless_store_get(s->request->pool, key);
    v = ngx_http_sockerless_json_str(
            cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");

    if (v == NULL) {
        return;
    }

    len = ngx_strlen(v) + 1;

    if (s->token == NULL || ngx_strcmp(s->token, v) != 0) {
        s->token = ngx_pnalloc(s->request->pool, len);
        if (s->token == NULL) {
            return;
        }

        ngx_memcpy(s->token, v, len);
    }

    path = ngx_http_sockerless_agent_socket(s->request->pool, s->id);
    if (path == NULL) {
        return;
    }

    s->agent = ngx_http_sockerless_agent_connect(s->request->connection->log,
                                        (char *) path, s->token,
                                        &ngx_http_sockerless_stream_agent, s);

    if (s->agent) {
        ngx_http_sockerless_agent_owner(s->agent, s->request->connection);
    }
}


static void
ngx_http_sockerless_agent_opened(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    cJSON      *msg, *x, *sls, *e, *arr;
    char        key[80];

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        return;
    }

    if (s->kind == NGX_HTTP_SOCKERLESS_EXEC) {
        ngx_sprintf((u_char *) key, "x/%s%Z", s->xid);
        x = ngx_http_sockerless_store_get(s->request->pool, key);
        sls = cJSON_GetObjectItemCaseSensitive(x, "_sls");

        cJSON_AddStringToObject(msg, "type", "exec");
        cJSON_AddStringToObject(msg, "id", s->xid);

        arr = cJSON_AddArrayToObject(msg, "cmd");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sls, "cmd")) {
            cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
        }

        arr = cJSON_AddArrayToObject(msg, "env");
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sls, "env")) {
            cJSON_AddItemToArray(arr, cJSON_Duplicate(e, 1));
        }

        cJSON_AddStringToObject(msg, "workdir",
                    ngx_http_sockerless_json_str(sls, "workdir") ? : "");
        cJSON_AddStringToObject(msg, "user",
                    ngx_http_sockerless_json_str(sls, "user") ? : "");
        cJSON_AddBoolToObject(msg, "tty", s->tty);
        cJSON_AddBoolToObject(msg, "stdin", s->want_stdin);

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls,
                                                          "privileged")))
        {
            /* every capability, as dockerd gives exec --privileged */
            cJSON_AddTrueToObject(msg, "privileged");
        }

        if (!ngx_http_sockerless_agent_remote(a)
            && ngx_http_sockerless_direct_ok(s))
        {
            /*
             * the agent serves the client's socket itself (splice): nginx
             * stops watching it until the agent says no or the exec ends
             */
            if (ngx_del_conn(s->request->connection, 0) == NGX_OK) {
                s->direct_asked = 1;
                cJSON_AddTrueToObject(msg, "direct");
                ngx_http_sockerless_agent_pass_fd(a,
                                                s->request->connection->fd);
            }
        }

    } else {
        cJSON_AddStringToObject(msg, "type", "attach");
        cJSON_AddStringToObject(msg, "id", "main");
        cJSON_AddTrueToObject(msg, "stdin");
        cJSON_AddFalseToObject(msg, "stdout");
        cJSON_AddFalseToObject(msg, "stderr");
        cJSON_AddFalseToObject(msg, "logs");
    }

    (void) ngx_http_sockerless_agent_send_control(a, msg);
    cJSON_Delete(msg);

    if (s->kind != NGX_HTTP_SOCKERLESS_EXEC) {
        s->agent_ready = 1;

        /* the client's bytes waited for this */
        ngx_post_event(s->request->connection->read, &ngx_posted_events);
    }
}


typedef struct {
    ngx_int_t   running;
    ngx_int_t   pid;
    ngx_int_t   code;
} ngx_http_sockerless_xstate_t;


static ngx_int_t
ngx_http_sockerless_exec_state(void *data, cJSON **value)
{
    ngx_http_sockerless_xstate_t *xs = data;

    cJSON  *x;

    x = *value;
    if (x == NULL) {
        return NGX_DECLINED;
    }

#define sls_set(name, item)                                                  \
    if (cJSON_GetObjectItemCaseSensitive(x, name)) {                         \
        cJSON_ReplaceItemInObjectCaseSensitive(x, name, item);               \
    } else {                                                                 \
        cJSON_AddItemToObject(x, name, item);                                \
    }

    if (xs->running) {
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "ExitCode"))) {
            /* the exit report was quicker than "started" */
            return NGX_DECLINED;
        }

        sls_set("Pid", cJSON_CreateNumber(xs->pid));

    } else {
        if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(x, "ExitCode"))
            && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "Running")))
        {
            return NGX_DECLINED;
        }

        sls_set("Running", cJSON_CreateFalse());
        sls_set("ExitCode", cJSON_CreateNumber(xs->code));
    }

#undef sls_set

    return NGX_OK;
}


static void
ngx_http_sockerless_exec_record(ngx_http_sockerless_stream_t *s,
    ngx_int_t running, ngx_int_t pid, ngx_int_t code)
{
    char                          key[80];
    ngx_http_sockerless_xstate_t  xs;

    xs.running = running;
    xs.pid = pid;
    xs.code = code;

    ngx_sprintf((u_char *) key, "x/%s%Z", s->xid);

    if (ngx_http_sockerless_store_update(s->request->pool, key,
                                         ngx_http_sockerless_exec_state, &xs)
        == NGX_OK && !running)
    {
        ngx_http_sockerless_exec_event(s->request->pool, s->xid, "exec_die",
                                       code);
    }
}


static void
ngx_http_sockerless_agent_control(ngx_http_sockerless_agent_t *a, cJSON *msg)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    size_t       len;
    ngx_int_t    code;
    const char  *type, *m;
    u_char       text[1024];

    type = ngx_http_sockerless_json_str(msg, "type");
    if (type == NULL || s->kind != NGX_HTTP_SOCKERLESS_EXEC) {
        return;
    }

    if (ngx_strcmp(type, "started") == 0) {
        s->xstarted = 1;

        if (s->direct_asked) {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg,
                                                              "direct")))
            {
                s->direct = 1;

            } else {
                /* an agent that does not know "direct": the usual way */

                if (ngx_handle_read_event(s->request->connection->read, 0)
                    != NGX_OK)
                {
                    ngx_http_sockerless_stream_finish(s, NGX_ERROR);
                    return;
                }
            }
        }

        ngx_http_sockerless_exec_record(s, 1,
                (ngx_int_t) cJSON_GetNumberValue(
                                cJSON_GetObjectItemCaseSensitive(msg, "pid")),
                0);

        if (s->detached_exec) {
            /* the agent keeps it running; its exit comes as a report */
            ngx_http_sockerless_agent_close(a);
            s->agent = NULL;
            s->done = 1;
            ngx_http_finalize_request(s->request,
                       ngx_http_sockerless_send_empty(s->request,
                                                      NGX_HTTP_OK));
            return;
        }

        s->agent_ready = 1;

        if (s->tty && s->rows && s->cols) {
            /* ConsoleSize of the start request: the CLI's terminal */
            ngx_http_sockerless_send_resize(a, s);
        }

        ngx_post_event(s->request->connection->read, &ngx_posted_events);
        return;
    }

    if (ngx_strcmp(type, "exit") == 0) {
        code = (ngx_int_t) cJSON_GetNumberValue(
                              cJSON_GetObjectItemCaseSensitive(msg,
                                                               "exitCode"));
        ngx_http_sockerless_exec_record(s, 0, 0, code);
        s->exit_code = code;

        if (s->direct) {
            /*
             * the agent has sent everything and closed its copy of the
             * socket; stdin the process left unread must not turn the
             * close into a reset that loses the end of the output
             */
            s->request->lingering_close = 1;
        }

        s->agent_ready = 0;
        ngx_http_sockerless_stream_end(s);
        return;
    }

    if (ngx_strcmp(type, "error") == 0) {
        m = ngx_http_sockerless_json_str(msg, "message");
        m = m ? m : "exec failed";

        /* runc: not found is 127, any other failure to exec 126 */
        code = ngx_strstr(m, "not found") || ngx_strstr(m, "no such file")
               ? 127 : 126;

        s->xstarted = 1;
        ngx_http_sockerless_exec_record(s, 1, 0, 0);
        ngx_http_sockerless_exec_record(s, 0, 0, code);

        if (s->detached_exec) {
            ngx_http_sockerless_agent_close(a);
            s->agent = NULL;
            s->done = 1;
            ngx_http_finalize_request(s->request,
                       ngx_http_sockerless_send_error(s->request,
                                      NGX_HTTP_INTERNAL_SERVER_ERROR,
                                      "OCI runtime exec failed: exec failed: "
                                      "unable to start container process: "
                                      "%s: unknown", m));
            return;
        }

        len = ngx_snprintf(text, sizeof(text),
                           "OCI runtime exec failed: exec failed: unable to "
                           "start container process: %s: unknown\r\n", m)
              - text;

        /* dockerd writes the error to the hijacked stdout stream */
        (void) ngx_http_sockerless_stream_out(s, 1, text, len);

        ngx_http_sockerless_stream_end(s);
    }
}


static ngx_int_t
ngx_http_sockerless_agent_data_in(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, u_char *p, size_t len)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    if (s->kind != NGX_HTTP_SOCKERLESS_EXEC || (stream != 1 && stream != 2)) {
        return NGX_OK;
    }

    if (ngx_http_sockerless_stream_out(s, stream, p, len) != NGX_OK) {
        return NGX_OK;
    }

    return ngx_http_sockerless_stream_blocked(s) ? NGX_AGAIN : NGX_OK;
}


static void
ngx_http_sockerless_agent_drained(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    s->agent_full = 0;

    ngx_post_event(s->request->connection->read, &ngx_posted_events);
}


static void
ngx_http_sockerless_agent_closed(ngx_http_sockerless_agent_t *a, ngx_int_t rc)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    s->agent = NULL;
    s->agent_ready = 0;

    if (s->kind == NGX_HTTP_SOCKERLESS_EXEC) {
        if (s->detached_exec && !s->done) {
            s->done = 1;
            ngx_http_finalize_request(s->request,
                       ngx_http_sockerless_send_error(s->request,
                                      NGX_HTTP_CONFLICT,
                                      "container %s is not running", s->id));
            return;
        }

        if (!s->xstarted) {
            /* it never ran: dockerd records 126 for a failed start */
            s->xstarted = 1;
            ngx_http_sockerless_exec_record(s, 1, 0, 0);
            ngx_http_sockerless_exec_record(s, 0, 0, 126);
        }

        /* the agent went away mid-exec: the monitor records the end */
        ngx_http_sockerless_stream_end(s);
    }

    /* attach: the output comes from the log; stdin has nowhere to go */
}


/* handlers */

static ngx_int_t
ngx_http_sockerless_count_lines(ngx_http_sockerless_stream_t *s)
{
    ssize_t    n;
    off_t      off;
    u_char    *p, *last;
    ngx_int_t  lines;
    uint32_t   left, rlen;
    int        stream;
    uint64_t   ns;
    u_char     hdr[SLS_LOGFMT_HEADER_LEN];
    size_t     hlen;
    ngx_uint_t selected, partial;

    /* one pass to count the lines "tail" counts back from */

    lines = 0;
    off = 0;
    left = 0;
    hlen = 0;
    selected = 0;
    partial = 0;
    stream = 0;

    for ( ;; ) {
        n = pread(s->fd, s->rbuf, NGX_HTTP_SOCKERLESS_RBUF, off);
        if (n <= 0) {
            break;
        }

        off += n;
        p = s->rbuf;
        last = p + n;

        while (p < last) {
            if (left == 0) {
                while (p < last && hlen < SLS_LOGFMT_HEADER_LEN) {
                    hdr[hlen++] = *p++;
                }

                if (hlen < SLS_LOGFMT_HEADER_LEN) {
                    break;
                }

                hlen = 0;

                if (sls_logfmt_decode_header(hdr, &stream, &rlen, &ns) != 0) {
                    return lines;
                }

                left = rlen;
                selected = ngx_http_sockerless_stream_selected(s, stream, ns);
                continue;
            }

            while (p < last && left) {
                if (selected) {
                    if (*p == '\n') {
                        lines++;
                        partial = 0;

                    } else {
                        partial = 1;
                    }
                }

                p++;
                left--;
            }

            if (left == 0 && partial) {
                /* a record's unterminated end is a line */
                lines++;
                partial = 0;
            }
        }
    }

    return lines + (partial ? 1 : 0);
}


ngx_int_t
ngx_http_sockerless_container_logs(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                           err[256];
    cJSON                         *rec;
    ngx_int_t                      tail, rc;
    ngx_str_t                      v;
    ngx_http_sockerless_stream_t  *s;

    rec = ngx_http_sockerless_container_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    s = ngx_http_sockerless_stream_new(r, NGX_HTTP_SOCKERLESS_LOGS, rec);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s->out_stdout = ngx_http_sockerless_arg_bool(r, "stdout", 0);
    s->out_stderr = ngx_http_sockerless_arg_bool(r, "stderr", 0);

    if (!s->out_stdout && !s->out_stderr) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "Bad parameters: you must choose at least one "
                              "stream");
    }

    s->follow = ngx_http_sockerless_arg_bool(r, "follow", 0);
    s->timestamps = ngx_http_sockerless_arg_bool(r, "timestamps", 0);

    if (ngx_http_sockerless_arg_time(r, "since", &s->since, err,
                                     sizeof(err))
        == NGX_ERROR
        || ngx_http_sockerless_arg_time(r, "until", &s->until, err,
                                        sizeof(err))
           == NGX_ERROR)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "%s", err);
    }

    tail = -1;

    if (ngx_http_sockerless_arg(r, "tail", &v) == NGX_OK && v.len
        && !(v.len == 3 && ngx_strncmp(v.data, "all", 3) == 0))
    {
        tail = ngx_atoi(v.data, v.len);
    }

    rc = ngx_http_sockerless_stream_open_log(s, 0);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (tail >= 0 && s->fd != NGX_INVALID_FILE) {
        s->skip = ngx_http_sockerless_count_lines(s) - tail;
        if (s->skip < 0) {
            s->skip = 0;
        }

        if (tail == 0) {
            /* nothing of the past; following still shows what comes */
            ngx_file_info_t  fi;

            if (ngx_fd_info(s->fd, &fi) != NGX_FILE_ERROR) {
                s->off = ngx_file_size(&fi);
            }

            s->skip = 0;
        }
    }

    if (ngx_http_sockerless_stream_headers(s, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    if (s->follow
        && ngx_http_sockerless_store_watch(&s->watch) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (s->follow && s->until) {
        /* following stops when "until" passes */
        ngx_msec_int_t   ms;
        ngx_time_t      *tp;

        tp = ngx_timeofday();
        ms = (ngx_msec_int_t) (s->until / 1000000)
             - ((ngx_msec_int_t) tp->sec * 1000 + tp->msec);

        s->until_ev.handler = ngx_http_sockerless_stream_until;
        s->until_ev.data = s;
        s->until_ev.log = r->connection->log;
        s->until_ev.cancelable = 1;

        ngx_add_timer(&s->until_ev, ms > 0 ? (ngx_msec_t) ms + 1 : 0);
    }

    r->main->count++;

    ngx_http_sockerless_stream_pump(s);

    return NGX_DONE;
}


ngx_int_t
ngx_http_sockerless_container_attach(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                         *rec, *conf, *attrs;
    ngx_str_t                      keys;
    ngx_http_sockerless_stream_t  *s;

    rec = ngx_http_sockerless_container_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    s = ngx_http_sockerless_stream_new(r, NGX_HTTP_SOCKERLESS_ATTACH, rec);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");

    s->out_stdout = ngx_http_sockerless_arg_bool(r, "stdout", 0);
    s->out_stderr = ngx_http_sockerless_arg_bool(r, "stderr", 0);
    s->want_stdin = ngx_http_sockerless_arg_bool(r, "stdin", 0)
                    && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf,
                                                               "OpenStdin"));
    s->follow = ngx_http_sockerless_arg_bool(r, "stream", 0);

    if (ngx_http_sockerless_arg(r, "detachKeys", &keys) != NGX_OK) {
        keys.len = 0;
    }

    /* like dockerd, detach keys are only looked for on a TTY */

    if (s->want_stdin && s->tty
        && ngx_http_sockerless_detach_keys(s, &keys) != NGX_OK)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "Invalid detach keys (%V) provided", &keys);
    }

    /* logs=1 replays from the start; a stream starts at the log's end */

    if (ngx_http_sockerless_stream_open_log(s,
                                !ngx_http_sockerless_arg_bool(r, "logs", 0))
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_stream_headers(s, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->count++;

    if (s->follow) {
        if (ngx_http_sockerless_store_watch(&s->watch) != NGX_OK) {
            return NGX_ERROR;
        }

        attrs = ngx_http_sockerless_container_attrs(r->pool, rec);
        if (attrs) {
            (void) ngx_http_sockerless_event("container", "attach",
                                             s->id, attrs);
        }
    }

    /* without "stream" the pump ends the answer at the end of the log */
    ngx_http_sockerless_stream_pump(s);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_sockerless_exec_claim(void *data, cJSON **value)
{
    cJSON  *sls;

    if (*value == NULL) {
        return NGX_ABORT;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "started"))) {
        return NGX_DECLINED;
    }

    cJSON_ReplaceItemInObjectCaseSensitive(sls, "started", cJSON_CreateTrue());

    /*
     * Running from now on, as dockerd marks it before the process starts:
     * an exit report that beats the agent's "started" then still applies
     */
    cJSON_DeleteItemFromObjectCaseSensitive(*value, "Running");
    cJSON_AddTrueToObject(*value, "Running");

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_exec_start(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                          *key;
    cJSON                         *x, *rec, *state, *sls;
    ngx_int_t                      rc;
    ngx_str_t                      cid, keys;
    const char                    *v;
    ngx_http_sockerless_stream_t  *s;

    key = ngx_pnalloc(r->pool, args->id.len + 4);
    if (key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "x/%V%Z", &args->id);

    x = (args->id.len <= 128) ? ngx_http_sockerless_store_get(r->pool, key)
                              : NULL;
    if (x == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such exec instance: %V",
                                              &args->id);
    }

    v = ngx_http_sockerless_json_str(x, "ContainerID");
    cid.data = (u_char *) (v ? v : "");
    cid.len = ngx_strlen(cid.data);

    rec = ngx_http_sockerless_container_find(r->pool, &cid);
    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (rec == NULL
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running")))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                              "container %V is not running",
                                              &cid);
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Paused"))) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                              "Container %V is paused, unpause the "
                              "container before exec", &cid);
    }

    rc = ngx_http_sockerless_store_update(r->pool, key,
                                          ngx_http_sockerless_exec_claim,
                                          NULL);
    if (rc == NGX_DECLINED) {
        x = ngx_http_sockerless_store_get(r->pool, key);

        if (x && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x,
                                                                "ExitCode")))
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                                "exec command %V has already "
                                                "run", &args->id);
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                              "exec command %V is already "
                                              "running", &args->id);
    }

    if (rc != NGX_OK) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such exec instance: %V",
                                              &args->id);
    }

    s = ngx_http_sockerless_stream_new(r, NGX_HTTP_SOCKERLESS_EXEC, rec);
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn((u_char *) s->xid, args->id.data,
                ngx_min(args->id.len + 1, sizeof(s->xid)));

    ngx_http_sockerless_exec_event(r->pool, s->xid, "exec_start", -1);

    sls = cJSON_GetObjectItemCaseSensitive(x, "_sls");
    s->tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "tty"));
    s->want_stdin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x,
                                                               "OpenStdin"));
    s->out_stdout = 1;
    s->out_stderr = 1;

    if (args->body) {
        cJSON   *cs;
        double   h, w;

        s->detached_exec = cJSON_IsTrue(cJSON_GetObjectItem(args->body,
                                                             "Detach"));

        /* ConsoleSize: [height, width] (NaN when absent fails the test) */

        cs = cJSON_GetObjectItem(args->body, "ConsoleSize");
        h = cJSON_GetNumberValue(cJSON_GetArrayItem(cs, 0));
        w = cJSON_GetNumberValue(cJSON_GetArrayItem(cs, 1));

        if (h >= 1 && h < 65536 && w >= 1 && w < 65536) {
            s->rows = (ngx_uint_t) h;
            s->cols = (ngx_uint_t) w;
        }
    }

    v = ngx_http_sockerless_json_str(x, "DetachKeys");
    keys.data = (u_char *) (v ? v : "");
    keys.len = ngx_strlen(keys.data);

    if (s->want_stdin && s->tty) {
        (void) ngx_http_sockerless_detach_keys(s, &keys);
    }

    if (!s->detached_exec
        && ngx_http_sockerless_stream_headers(s, 1) != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->main->count++;

    ngx_http_sockerless_stream_connect(s);

    if (s->agent == NULL && !s->done) {
        ngx_http_sockerless_exec_record(s, 1, 0, 0);
        ngx_http_sockerless_exec_record(s, 0, 0, 126);

        if (s->detached_exec) {
            s->done = 1;
            ngx_http_finalize_request(r,
                       ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                      "container %V is not running", &cid));
            return NGX_DONE;
        }

        ngx_http_sockerless_stream_end(s);
    }

    return NGX_DONE;
}


/* the terminal size of the stream's process (main or exec) to the agent */

static void
ngx_http_sockerless_send_resize(ngx_http_sockerless_agent_t *a,
    ngx_http_sockerless_stream_t *s)
{
    cJSON  *msg;

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        return;
    }

    cJSON_AddStringToObject(msg, "type", "resize");
    cJSON_AddStringToObject(msg, "id", s->xid[0] ? s->xid : "main");
    cJSON_AddNumberToObject(msg, "height", (double) s->rows);
    cJSON_AddNumberToObject(msg, "width", (double) s->cols);
    (void) ngx_http_sockerless_agent_send_control(a, msg);
    cJSON_Delete(msg);
}


/* resize: one message to the agent */

static void
ngx_http_sockerless_resize_opened(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = s->request;

    ngx_http_sockerless_send_resize(a, s);

    s->done = 1;
    rc = ngx_http_sockerless_send_empty(r, NGX_HTTP_OK);

    /* the close flushes the queued message first */
    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_sockerless_resize_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc)
{
    ngx_http_sockerless_stream_t *s = ngx_http_sockerless_agent_data(a);

    s->agent = NULL;

    if (!s->done) {
        s->done = 1;
        ngx_http_finalize_request(s->request,
                   ngx_http_sockerless_send_error(s->request,
                                  NGX_HTTP_CONFLICT,
                                  "container %s is not running", s->id));
    }
}


static ngx_http_sockerless_agent_handlers_t
    ngx_http_sockerless_resize_agent =
{
    ngx_http_sockerless_resize_opened,
    NULL,
    NULL,
    NULL,
    ngx_http_sockerless_resize_closed
};


static ngx_int_t
ngx_http_sockerless_resize(ngx_http_request_t *r, cJSON *rec,
    const char *xid)
{
    u_char                        *path;
    cJSON                         *state;
    ngx_http_sockerless_stream_t  *s;

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                              "Container %s is not running",
                              ngx_http_sockerless_json_str(rec, "Id"));
    }

    s = ngx_http_sockerless_stream_new(r, NGX_HTTP_SOCKERLESS_ATTACH, rec);
    if (s == NULL || s->token == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (xid) {
        ngx_cpystrn((u_char *) s->xid, (u_char *) xid, sizeof(s->xid));
    }

    s->rows = ngx_http_sockerless_arg_int(r, "h", 0);
    s->cols = ngx_http_sockerless_arg_int(r, "w", 0);

    path = ngx_http_sockerless_agent_socket(r->pool, s->id);
    if (path == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s->agent = ngx_http_sockerless_agent_connect(r->connection->log,
                                        (char *) path, s->token,
                                        &ngx_http_sockerless_resize_agent, s);
    if (s->agent == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                              "Container %s is not running", s->id);
    }

    ngx_http_sockerless_agent_owner(s->agent, r->connection);

    r->main->count++;

    return NGX_DONE;
}


ngx_int_t
ngx_http_sockerless_container_resize(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON  *rec;

    rec = ngx_http_sockerless_container_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    return ngx_http_sockerless_resize(r, rec, NULL);
}


ngx_int_t
ngx_http_sockerless_exec_resize(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char        *key;
    cJSON       *x, *rec;
    ngx_str_t    cid;
    const char  *v;

    key = ngx_pnalloc(r->pool, args->id.len + 4);
    if (key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "x/%V%Z", &args->id);

    x = (args->id.len <= 128) ? ngx_http_sockerless_store_get(r->pool, key)
                              : NULL;
    if (x == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such exec instance: %V",
                                              &args->id);
    }

    v = ngx_http_sockerless_json_str(x, "ContainerID");
    cid.data = (u_char *) (v ? v : "");
    cid.len = ngx_strlen(cid.data);

    rec = ngx_http_sockerless_container_find(r->pool, &cid);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V", &cid);
    }

    return ngx_http_sockerless_resize(r, rec, (char *) key + 2);
}
