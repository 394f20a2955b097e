
/*
 * Copyright (C) sockerless contributors
 *
 * The libcurl bridge (DESIGN.md D4): each worker's curl multi runs on
 * nginx's event loop. curl's sockets are wrapped in connections from
 * ngx_get_connection() and watched level-triggered (curl does not always
 * read a socket dry), curl's timeout is one nginx timer, and finished
 * transfers are reported from the event handlers, never from curl's own
 * callbacks nor from start(). The shape is curl's docs/examples/
 * hiperfifo.c with nginx in place of libevent.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_curl.h>


typedef struct {
    CURLM                         *multi;
    ngx_event_t                    timer;
    ngx_queue_t                    active;     /* calls in the multi */
    ngx_queue_t                    conns;      /* curl's sockets */
    ngx_log_t                     *log;
    ngx_uint_t                     exiting;
} ngx_http_sockerless_curl_main_conf_t;


static ngx_int_t ngx_http_sockerless_curl_init_module(ngx_cycle_t *cycle);
static void ngx_http_sockerless_curl_exit_process(ngx_cycle_t *cycle);
static void *ngx_http_sockerless_curl_create_main_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_sockerless_curl_init_multi(
    ngx_http_sockerless_curl_main_conf_t *cmcf);
static int ngx_http_sockerless_curl_socket(CURL *easy, curl_socket_t s,
    int what, void *userp, void *socketp);
static int ngx_http_sockerless_curl_set_timer(CURLM *multi, long ms,
    void *userp);
static void ngx_http_sockerless_curl_release(ngx_connection_t *c);
static void ngx_http_sockerless_curl_event(ngx_event_t *ev);
static void ngx_http_sockerless_curl_timeout(ngx_event_t *ev);
static void ngx_http_sockerless_curl_finish(
    ngx_http_sockerless_curl_main_conf_t *cmcf);
static size_t ngx_http_sockerless_curl_write(char *ptr, size_t size,
    size_t n, void *data);
static void ngx_http_sockerless_curl_resume(ngx_event_t *ev);
static size_t ngx_http_sockerless_curl_read(char *ptr, size_t size,
    size_t n, void *data);
static size_t ngx_http_sockerless_curl_header_line(char *ptr, size_t size,
    size_t n, void *data);
static void ngx_http_sockerless_curl_cleanup(void *data);
static char *ngx_http_sockerless_curl_cstr(ngx_pool_t *pool, ngx_str_t *s);


static ngx_http_module_t  ngx_http_sockerless_curl_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_curl_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_curl_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_curl_module_ctx,  /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_sockerless_curl_init_module,  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_sockerless_curl_exit_process, /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_sockerless_curl_t *
ngx_http_sockerless_curl_create(ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_sockerless_curl_t  *hc;

    hc = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_curl_t));
    if (hc == NULL) {
        return NULL;
    }

    /* before curl's handle exists, so that it never outlives the pool */

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_sockerless_curl_cleanup;
    cln->data = hc;

    if (ngx_array_init(&hc->headers_out, pool, 8, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NULL;
    }

    hc->pool = pool;
    hc->log = log;

    hc->resume.handler = ngx_http_sockerless_curl_resume;
    hc->resume.data = hc;
    hc->resume.log = log;

    return hc;
}


ngx_int_t
ngx_http_sockerless_curl_start(ngx_http_sockerless_curl_t *hc)
{
    char                                  *url, *s;
    CURL                                  *easy;
    CURLMcode                              mrc;
    ngx_str_t                             *h;
    ngx_uint_t                             i;
    struct curl_slist                     *sl;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_sockerless_curl_module);
    if (cmcf == NULL || cmcf->exiting || hc->active || hc->easy) {
        return NGX_ERROR;
    }

    if (cmcf->multi == NULL
        && ngx_http_sockerless_curl_init_multi(cmcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    url = ngx_http_sockerless_curl_cstr(hc->pool, &hc->url);
    if (url == NULL) {
        return NGX_ERROR;
    }

    if (hc->headers) {
        h = hc->headers->elts;

        for (i = 0; i < hc->headers->nelts; i++) {
            s = ngx_http_sockerless_curl_cstr(hc->pool, &h[i]);
            if (s == NULL) {
                return NGX_ERROR;
            }

            sl = curl_slist_append(hc->slist, s);
            if (sl == NULL) {
                return NGX_ERROR;
            }

            hc->slist = sl;
        }
    }

    easy = curl_easy_init();
    if (easy == NULL) {
        ngx_log_error(NGX_LOG_ALERT, hc->log, 0,
                      "sockerless curl_easy_init() failed");
        return NGX_ERROR;
    }

    hc->easy = easy;
    hc->errbuf[0] = '\0';

#define SLS_SETOPT(opt, v)                                                  \
    if (curl_easy_setopt(easy, opt, v) != CURLE_OK) {                       \
        ngx_log_error(NGX_LOG_ALERT, hc->log, 0,                            \
                      "sockerless curl_easy_setopt(" #opt ") failed");      \
        return NGX_ERROR;                                                   \
    }

    SLS_SETOPT(CURLOPT_URL, url);
    SLS_SETOPT(CURLOPT_PRIVATE, hc);
    SLS_SETOPT(CURLOPT_NOSIGNAL, 1L);
    SLS_SETOPT(CURLOPT_ERRORBUFFER, hc->errbuf);
    SLS_SETOPT(CURLOPT_WRITEFUNCTION, ngx_http_sockerless_curl_write);
    SLS_SETOPT(CURLOPT_WRITEDATA, hc);
    SLS_SETOPT(CURLOPT_HEADERFUNCTION, ngx_http_sockerless_curl_header_line);
    SLS_SETOPT(CURLOPT_HEADERDATA, hc);
    SLS_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SLS_SETOPT(CURLOPT_USERAGENT, "sockerless/" NGX_HTTP_SOCKERLESS_VERSION);
    SLS_SETOPT(CURLOPT_TIMEOUT_MS, (long) hc->timeout);

    if (hc->stall) {
        /* less than a byte a second for that long: no progress */
        SLS_SETOPT(CURLOPT_LOW_SPEED_LIMIT, 1L);
        SLS_SETOPT(CURLOPT_LOW_SPEED_TIME,
                   (long) ngx_max(hc->stall / 1000, 1));
    }

    if (hc->connect_timeout) {
        SLS_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long) hc->connect_timeout);
    }

    if (hc->follow) {
        SLS_SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
        SLS_SETOPT(CURLOPT_MAXREDIRS, 10L);
        SLS_SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }

    if (hc->basic.len) {
        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->basic);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
        SLS_SETOPT(CURLOPT_USERPWD, s);

        ngx_explicit_memzero(s, hc->basic.len);
    }

    hc->received = 0;
    hc->total = -1;

    if (hc->slist) {
        SLS_SETOPT(CURLOPT_HTTPHEADER, hc->slist);
    }

    if (hc->body.data) {
        SLS_SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) hc->body.len);
        SLS_SETOPT(CURLOPT_COPYPOSTFIELDS, (char *) hc->body.data);
    }

    if (hc->source) {
        hc->sent = 0;

        SLS_SETOPT(CURLOPT_UPLOAD, 1L);
        SLS_SETOPT(CURLOPT_READFUNCTION, ngx_http_sockerless_curl_read);
        SLS_SETOPT(CURLOPT_READDATA, hc);
        SLS_SETOPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t) hc->source_size);
    }

    if (hc->method.len == 4 && ngx_strncmp(hc->method.data, "HEAD", 4) == 0)
    {
        /* a custom HEAD would wait for the body its length announces */
        SLS_SETOPT(CURLOPT_NOBODY, 1L);

    } else if (hc->method.len) {
        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->method);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_CUSTOMREQUEST, s);
    }

    if (hc->sigv4.len) {
        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->sigv4);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_AWS_SIGV4, s);

        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->user);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_USERNAME, s);

        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->password);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_PASSWORD, s);

        /* curl copied them: the secret does not stay in the pool */
        ngx_explicit_memzero(s, hc->password.len);
    }

    if (hc->ca_file.len) {
        s = ngx_http_sockerless_curl_cstr(hc->pool, &hc->ca_file);
        if (s == NULL) {
            return NGX_ERROR;
        }

        SLS_SETOPT(CURLOPT_CAINFO, s);
    }

#undef SLS_SETOPT

    mrc = curl_multi_add_handle(cmcf->multi, easy);
    if (mrc != CURLM_OK) {
        ngx_log_error(NGX_LOG_ALERT, hc->log, 0,
                      "sockerless curl_multi_add_handle() failed: %s",
                      curl_multi_strerror(mrc));
        return NGX_ERROR;
    }

    hc->active = 1;
    ngx_queue_insert_tail(&cmcf->active, &hc->queue);

    /* a call in flight keeps a gracefully stopping worker alive */
    if (!hc->detached) {
        cmcf->timer.cancelable = 0;
    }

    return NGX_OK;
}


void
ngx_http_sockerless_curl_cancel(ngx_http_sockerless_curl_t *hc)
{
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    if (!hc->active) {
        return;
    }

    cmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_sockerless_curl_module);

    hc->active = 0;
    ngx_queue_remove(&hc->queue);

    if (hc->resume.posted) {
        ngx_delete_posted_event(&hc->resume);
    }

    if (cmcf->multi) {
        curl_multi_remove_handle(cmcf->multi, hc->easy);
    }

    if (ngx_queue_empty(&cmcf->active)) {
        cmcf->timer.cancelable = 1;
    }
}


ngx_str_t *
ngx_http_sockerless_curl_header(ngx_http_sockerless_curl_t *hc,
    const char *name)
{
    size_t         len;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    len = ngx_strlen(name);
    kv = hc->headers_out.elts;

    for (i = 0; i < hc->headers_out.nelts; i++) {
        if (kv[i].key.len == len
            && ngx_strncasecmp(kv[i].key.data, (u_char *) name, len) == 0)
        {
            return &kv[i].value;
        }
    }

    return NULL;
}


static ngx_int_t
ngx_http_sockerless_curl_init_module(ngx_cycle_t *cycle)
{
    CURLcode  rc;

    /* in the master, before any thread exists: curl wants it so */

    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "sockerless curl_global_init() failed: %s",
                      curl_easy_strerror(rc));
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void *
ngx_http_sockerless_curl_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_sockerless_curl_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     cmcf->multi = NULL;
     *     cmcf->exiting = 0;
     */

    ngx_queue_init(&cmcf->active);
    ngx_queue_init(&cmcf->conns);

    return cmcf;
}


/* the first call of a worker makes its multi */

static ngx_int_t
ngx_http_sockerless_curl_init_multi(ngx_http_sockerless_curl_main_conf_t *cmcf)
{
    CURLM  *multi;

    multi = curl_multi_init();
    if (multi == NULL) {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "sockerless curl_multi_init() failed");
        return NGX_ERROR;
    }

    if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION,
                          ngx_http_sockerless_curl_socket) != CURLM_OK
        || curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, cmcf) != CURLM_OK
        || curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION,
                             ngx_http_sockerless_curl_set_timer) != CURLM_OK
        || curl_multi_setopt(multi, CURLMOPT_TIMERDATA, cmcf) != CURLM_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "sockerless curl_multi_setopt() failed");
        curl_multi_cleanup(multi);
        return NGX_ERROR;
    }

    cmcf->log = ngx_cycle->log;
    cmcf->timer.handler = ngx_http_sockerless_curl_timeout;
    cmcf->timer.data = cmcf;
    cmcf->timer.log = ngx_cycle->log;
    cmcf->timer.cancelable = 1;
    cmcf->multi = multi;

    return NGX_OK;
}


/* CURLMOPT_SOCKETFUNCTION: watch s for what curl wants, or stop */

static int
ngx_http_sockerless_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_connection_t                      *c;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = userp;
    c = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (c) {
            ngx_http_sockerless_curl_release(c);
            curl_multi_assign(cmcf->multi, s, NULL);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, cmcf->log);
        if (c == NULL) {
            return -1;
        }

        c->data = cmcf;
        c->read->handler = ngx_http_sockerless_curl_event;
        c->write->handler = ngx_http_sockerless_curl_event;
        c->read->log = cmcf->log;
        c->write->log = cmcf->log;

        ngx_queue_insert_tail(&cmcf->conns, &c->queue);
        curl_multi_assign(cmcf->multi, s, c);
    }

    if (what & CURL_POLL_IN) {
        if (!c->read->active
            && ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->read->active) {
        if (ngx_del_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
            return -1;
        }
    }

    if (what & CURL_POLL_OUT) {
        if (!c->write->active
            && ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
               != NGX_OK)
        {
            return -1;
        }

    } else if (c->write->active) {
        if (ngx_del_event(c->write, NGX_WRITE_EVENT, 0) != NGX_OK) {
            return -1;
        }
    }

    return 0;
}


/* curl still owns the socket: the connection goes, the fd stays open */

static void
ngx_http_sockerless_curl_release(ngx_connection_t *c)
{
    if (c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if (c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    ngx_queue_remove(&c->queue);
    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}


/* CURLMOPT_TIMERFUNCTION: -1 stops the timer, 0 means "at once" */

static int
ngx_http_sockerless_curl_set_timer(CURLM *multi, long ms, void *userp)
{
    ngx_queue_t                           *q;
    ngx_http_sockerless_curl_t            *hc;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = userp;

    /* nginx keeps a timer re-added within 300ms: curl wants it exact */

    if (cmcf->timer.timer_set) {
        ngx_del_timer(&cmcf->timer);
    }

    if (ms >= 0 && !cmcf->exiting) {
        ngx_add_timer(&cmcf->timer, (ngx_msec_t) ms);
    }

    /*
     * a stopping worker waits for the calls in flight (their timer), but
     * not for long ones that said so, such as a Lambda invocation that
     * lasts as long as its run: they are dropped at exit
     */

    cmcf->timer.cancelable = 1;

    for (q = ngx_queue_head(&cmcf->active);
         q != ngx_queue_sentinel(&cmcf->active);
         q = ngx_queue_next(q))
    {
        hc = ngx_queue_data(q, ngx_http_sockerless_curl_t, queue);

        if (!hc->detached) {
            cmcf->timer.cancelable = 0;
            break;
        }
    }

    return 0;
}


static void
ngx_http_sockerless_curl_event(ngx_event_t *ev)
{
    int                                    running;
    ngx_socket_t                           fd;
    ngx_connection_t                      *c;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    c = ev->data;
    cmcf = c->data;
    fd = c->fd;

    /* c may be released inside: nothing of it is used after this */

    curl_multi_socket_action(cmcf->multi, fd,
                             ev->write ? CURL_CSELECT_OUT : CURL_CSELECT_IN,
                             &running);

    ngx_http_sockerless_curl_finish(cmcf);
}


static void
ngx_http_sockerless_curl_timeout(ngx_event_t *ev)
{
    int                                    running;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = ev->data;

    curl_multi_socket_action(cmcf->multi, CURL_SOCKET_TIMEOUT, 0, &running);

    ngx_http_sockerless_curl_finish(cmcf);
}


/* every finished transfer: out of the multi, answer set, handler called */

static void
ngx_http_sockerless_curl_finish(ngx_http_sockerless_curl_main_conf_t *cmcf)
{
    int                          left;
    long                         code;
    u_char                      *p;
    CURLMsg                     *msg;
    const char                  *text;
    ngx_http_sockerless_curl_t  *hc;

    for ( ;; ) {
        msg = curl_multi_info_read(cmcf->multi, &left);
        if (msg == NULL) {
            break;
        }

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        hc = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &hc);
        if (hc == NULL) {
            continue;
        }

        hc->result = msg->data.result;

        code = 0;
        curl_easy_getinfo(hc->easy, CURLINFO_RESPONSE_CODE, &code);
        hc->status = (code > 0 && code < 1000) ? (ngx_uint_t) code : 0;

        hc->active = 0;
        ngx_queue_remove(&hc->queue);
        curl_multi_remove_handle(cmcf->multi, hc->easy);

        if (hc->resume.posted) {
            ngx_delete_posted_event(&hc->resume);
        }

        if (ngx_queue_empty(&cmcf->active)) {
            cmcf->timer.cancelable = 1;
        }

        if (hc->body_out.data == NULL) {
            hc->body_out.data = (u_char *) "";
        }

        if (hc->result != CURLE_OK) {
            text = hc->errbuf[0] ? hc->errbuf
                                 : curl_easy_strerror(hc->result);
            p = ngx_pnalloc(hc->pool, ngx_strlen(text) + 1);
            if (p) {
                hc->error.len = ngx_cpystrn(p, (u_char *) text,
                                            ngx_strlen(text) + 1) - p;
                hc->error.data = p;
            }

        } else {
            ngx_str_set(&hc->error, "");
        }

        hc->handler(hc);
    }
}


/*
 * CURLOPT_WRITEFUNCTION: the body, in a buffer that doubles to max_body;
 * in sink mode a 2xx body goes to the file instead (nginx writes its own
 * temporary files the same way, synchronously), a slice a turn: curl
 * reads on while its socket is readable, so that a fast blob would have
 * the worker to itself until its end; past the slice the transfer
 * pauses (curl keeps the piece and gives it again) until a posted event
 * after this turn's other events
 */

static size_t
ngx_http_sockerless_curl_write(char *ptr, size_t size, size_t n, void *data)
{
    ngx_http_sockerless_curl_t *hc = data;

    long        code;
    u_char     *p;
    size_t      len, max, want, done;
    ssize_t     w;
    curl_off_t  cl;

    len = size * n;

    code = 0;

    if (hc->sink) {
        curl_easy_getinfo(hc->easy, CURLINFO_RESPONSE_CODE, &code);
    }

    if (code >= 200 && code < 300) {

        if (hc->slice >= NGX_HTTP_SOCKERLESS_CURL_SLICE) {
            if (!hc->resume.posted) {
                ngx_post_event(&hc->resume, &ngx_posted_events);
            }

            return CURL_WRITEFUNC_PAUSE;
        }

        if (hc->total == -1) {
            cl = -1;
            curl_easy_getinfo(hc->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                              &cl);
            hc->total = (cl >= 0) ? (off_t) cl : -2;
        }

        for (done = 0; done < len; done += w) {
            w = write(hc->sink_fd, ptr + done, len - done);

            if (w == -1) {
                if (ngx_errno == NGX_EINTR) {
                    w = 0;
                    continue;
                }

                ngx_log_error(NGX_LOG_ALERT, hc->log, ngx_errno,
                              "sockerless write() of \"%V\" failed",
                              &hc->url);
                return 0;
            }
        }

        hc->received += len;
        hc->slice += len;

        if (hc->progress) {
            hc->progress(hc, (u_char *) ptr, len);
        }

        return len;
    }
    max = hc->max_body ? hc->max_body : NGX_HTTP_SOCKERLESS_CURL_MAX_BODY;

    if (len > max - hc->body_out.len) {
        ngx_log_error(NGX_LOG_ERR, hc->log, 0,
                      "sockerless: an answer of \"%V\" is larger than %uz",
                      &hc->url, max);
        return 0;
    }

    /* one byte more for the NUL */

    if (hc->body_out.len + len + 1 > hc->body_size) {
        want = ngx_max(hc->body_size * 2, 4096);

        while (want < hc->body_out.len + len + 1) {
            want *= 2;
        }

        p = ngx_pnalloc(hc->pool, want);
        if (p == NULL) {
            return 0;
        }

        if (hc->body_out.len) {
            ngx_memcpy(p, hc->body_out.data, hc->body_out.len);
        }

        hc->body_out.data = p;
        hc->body_size = want;
    }

    ngx_memcpy(hc->body_out.data + hc->body_out.len, ptr, len);
    hc->body_out.len += len;
    hc->body_out.data[hc->body_out.len] = '\0';

    return len;
}


/* the next slice: curl gives the kept piece and asks for its timer */

static void
ngx_http_sockerless_curl_resume(ngx_event_t *ev)
{
    ngx_http_sockerless_curl_t *hc = ev->data;

    hc->slice = 0;

    if (hc->active) {
        (void) curl_easy_pause(hc->easy, CURLPAUSE_CONT);
    }
}


/*
 * CURLOPT_READFUNCTION: the next bytes of the source file, read at the
 * offset sent so far (synchronously, as the sink writes)
 */

static size_t
ngx_http_sockerless_curl_read(char *ptr, size_t size, size_t n, void *data)
{
    ngx_http_sockerless_curl_t *hc = data;

    size_t   len;
    ssize_t  rd;

    len = size * n;

    if ((off_t) len > hc->source_size - hc->sent) {
        len = (size_t) (hc->source_size - hc->sent);
    }

    if (len == 0) {
        return 0;
    }

    for ( ;; ) {
        rd = pread(hc->source_fd, ptr, len, hc->sent);

        if (rd == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        break;
    }

    if (rd <= 0) {
        ngx_log_error(NGX_LOG_ALERT, hc->log, rd == 0 ? 0 : ngx_errno,
                      "sockerless pread() for \"%V\" failed", &hc->url);
        return CURL_READFUNC_ABORT;
    }

    hc->sent += rd;

    if (hc->progress) {
        hc->progress(hc, (u_char *) ptr, (size_t) rd);
    }

    return (size_t) rd;
}


/* CURLOPT_HEADERFUNCTION: "Name: value" lines; a status line resets */

static size_t
ngx_http_sockerless_curl_header_line(char *ptr, size_t size, size_t n,
    void *data)
{
    ngx_http_sockerless_curl_t *hc = data;

    u_char        *p, *end, *colon, *v;
    size_t         len;
    ngx_keyval_t  *kv;

    len = size * n;
    p = (u_char *) ptr;
    end = p + len;

    while (end > p && (end[-1] == '\r' || end[-1] == '\n')) {
        end--;
    }

    if (end - p >= 5 && ngx_strncmp(p, "HTTP/", 5) == 0) {
        hc->headers_out.nelts = 0;
        return len;
    }

    colon = ngx_strlchr(p, end, ':');
    if (colon == NULL || colon == p) {
        return len;
    }

    v = colon + 1;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }

    kv = ngx_array_push(&hc->headers_out);
    if (kv == NULL) {
        return 0;
    }

    kv->key.len = colon - p;
    kv->key.data = ngx_pnalloc(hc->pool, kv->key.len);
    kv->value.len = end - v;
    kv->value.data = ngx_pnalloc(hc->pool, kv->value.len + 1);

    if (kv->key.data == NULL || kv->value.data == NULL) {
        return 0;
    }

    ngx_memcpy(kv->key.data, p, kv->key.len);
    ngx_memcpy(kv->value.data, v, kv->value.len);
    kv->value.data[kv->value.len] = '\0';

    return len;
}


static void
ngx_http_sockerless_curl_cleanup(void *data)
{
    ngx_http_sockerless_curl_t *hc = data;

    ngx_http_sockerless_curl_cancel(hc);

    if (hc->easy) {
        curl_easy_cleanup(hc->easy);
        hc->easy = NULL;
    }

    if (hc->slist) {
        curl_slist_free_all(hc->slist);
        hc->slist = NULL;
    }
}


static char *
ngx_http_sockerless_curl_cstr(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';

    return (char *) p;
}


/*
 * The calls still in flight are dropped (their pools, and the handles in
 * them, belong to their owners); the multi closes curl's cached sockets,
 * and no connection of ours stays for nginx to report.
 */

static void
ngx_http_sockerless_curl_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                           *q;
    ngx_connection_t                      *c;
    ngx_http_sockerless_curl_t            *hc;
    ngx_http_sockerless_curl_main_conf_t  *cmcf;

    cmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_sockerless_curl_module);
    if (cmcf == NULL || cmcf->multi == NULL) {
        return;
    }

    cmcf->exiting = 1;

    while (!ngx_queue_empty(&cmcf->active)) {
        q = ngx_queue_head(&cmcf->active);
        hc = ngx_queue_data(q, ngx_http_sockerless_curl_t, queue);
        ngx_http_sockerless_curl_cancel(hc);
    }

    curl_multi_cleanup(cmcf->multi);
    cmcf->multi = NULL;

    while (!ngx_queue_empty(&cmcf->conns)) {
        q = ngx_queue_head(&cmcf->conns);
        c = ngx_queue_data(q, ngx_connection_t, queue);
        ngx_http_sockerless_curl_release(c);
    }

    if (cmcf->timer.timer_set) {
        ngx_del_timer(&cmcf->timer);
    }
}
