
/*
 * Copyright (C) sockerless contributors
 *
 * The WebSocket client to a container's agent: ngx_event_connect_peer to
 * the agent's unix socket, the HTTP/1.1 upgrade, then wslay in client mode
 * on nginx's read and write events, with back-pressure both ways.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_agent.h>
#include <wslay/wslay.h>
#include <sys/un.h>
#include <openssl/rand.h>
#include <openssl/sha.h>


#define NGX_HTTP_SOCKERLESS_AGENT_HIGH     (1024 * 1024)
#define NGX_HTTP_SOCKERLESS_AGENT_LOW      (256 * 1024)
#define NGX_HTTP_SOCKERLESS_AGENT_TIMEOUT  10000
#define NGX_HTTP_SOCKERLESS_AGENT_MAX_MSG  (1024 * 1024 + 256)


struct ngx_http_sockerless_agent_s {
    ngx_pool_t                            *pool;
    ngx_log_t                             *log;
    ngx_peer_connection_t                  pc;
    ngx_connection_t                      *c;
    wslay_event_context_ptr                ws;
    ngx_http_sockerless_agent_handlers_t  *h;
    void                                  *data;
    ngx_buf_t                             *hs;        /* handshake I/O */
    u_char                                 accept[32];
    ngx_str_t                              name;      /* container id */
    ngx_socket_t                           pass_fd;   /* -1: none */
    ngx_connection_t                      *owner;     /* client's, or NULL */
    unsigned                               open:1;
    unsigned                               paused:1;
    unsigned                               full:1;
    unsigned                               busy:1;    /* in a callback */
    unsigned                               closing:1;
    unsigned                               failed:1;
    unsigned                               sync:1;
    unsigned                               sent:1;
    unsigned                               relay:1;   /* reverse mode */
    unsigned                               remote:1;  /* relayed: TCP */
};


static void ngx_http_sockerless_agent_write(ngx_event_t *ev);
static void ngx_http_sockerless_agent_read(ngx_event_t *ev);
static void ngx_http_sockerless_agent_write_event(ngx_event_t *ev);
static void ngx_http_sockerless_agent_read_event(ngx_event_t *ev);
static void ngx_http_sockerless_agent_handshake(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_agent_relayed(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_agent_io(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_agent_fail(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc, const char *why);
static void ngx_http_sockerless_agent_free(ngx_http_sockerless_agent_t *a);
static ssize_t ngx_http_sockerless_agent_send_fd(
    ngx_http_sockerless_agent_t *a, const u_char *data, size_t len);
static size_t ngx_http_sockerless_agent_id(const char *path, const char **id);
static const char *ngx_http_sockerless_agent_relay_path(const char *path,
    const char *token);
static ssize_t ngx_http_sockerless_agent_recv_cb(wslay_event_context_ptr ctx,
    uint8_t *buf, size_t len, int flags, void *user_data);
static ssize_t ngx_http_sockerless_agent_send_cb(wslay_event_context_ptr ctx,
    const uint8_t *data, size_t len, int flags, void *user_data);
static int ngx_http_sockerless_agent_mask_cb(wslay_event_context_ptr ctx,
    uint8_t *buf, size_t len, void *user_data);
static void ngx_http_sockerless_agent_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user_data);


static struct wslay_event_callbacks  ngx_http_sockerless_agent_callbacks = {
    ngx_http_sockerless_agent_recv_cb,
    ngx_http_sockerless_agent_send_cb,
    ngx_http_sockerless_agent_mask_cb,
    NULL,
    NULL,
    NULL,
    ngx_http_sockerless_agent_msg_cb
};


u_char *
ngx_http_sockerless_agent_socket(ngx_pool_t *pool, const char *id)
{
    u_char                           *p;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    p = ngx_pnalloc(pool, smcf->data_dir.len + 100);
    if (p == NULL) {
        return NULL;
    }

    ngx_sprintf(p, "%V/containers/%s/agent.sock%Z", &smcf->data_dir, id);

    return p;
}


/* the container id in ".../containers/<id>/agent.sock", for the logs */

static size_t
ngx_http_sockerless_agent_id(const char *path, const char **id)
{
    const char  *p, *last;

    last = path + ngx_strlen(path);

    while (last > path && last[-1] != '/') {
        last--;
    }

    if (last > path) {
        last--;
    }

    p = last;

    while (p > path && p[-1] != '/') {
        p--;
    }

    *id = p;

    return last - p;
}


/* "/proc/self/fd/<dir>/<name>" into sun for a path too long for it */

int
ngx_http_sockerless_agent_dirfd(const char *path, struct sockaddr_un *sun)
{
    int          fd;
    char         dir[NGX_MAX_PATH];
    const char  *slash;

    slash = strrchr(path, '/');

    if (slash == NULL || (size_t) (slash - path) >= sizeof(dir)
        || ngx_strlen(slash) > 64)
    {
        ngx_set_errno(NGX_ENAMETOOLONG);
        return -1;
    }

    ngx_cpystrn((u_char *) dir, (u_char *) path, slash - path + 1);

    fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    ngx_snprintf((u_char *) sun->sun_path, sizeof(sun->sun_path) - 1,
                 "/proc/self/fd/%d%s%Z", fd, slash);

    return fd;
}


ngx_http_sockerless_agent_t *
ngx_http_sockerless_agent_connect(ngx_log_t *log, const char *path,
    const char *token, ngx_http_sockerless_agent_handlers_t *h, void *data)
{
    u_char                       *p;
    size_t                        idlen;
    ngx_int_t                     rc;
    ngx_pool_t                   *pool;
    struct sockaddr_un           *sun;
    ngx_http_sockerless_agent_t  *a;
    u_char                        key[16], b64[32], sha[SHA_DIGEST_LENGTH];
    ngx_str_t                     src, dst;
    const char                   *id, *relay;
    ngx_file_info_t               fi;
    int                           dirfd;

    /*
     * The agent unlinks its socket when it exits; connect() to a missing
     * path would make nginx log at "crit", so that case is told apart here
     * (a race with the unlink is left, and logged at "crit" by nginx).
     */

    idlen = ngx_http_sockerless_agent_id(path, &id);
    relay = NULL;

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        /* an agent that dialed back: its connections wait in relay.<run> */
        relay = ngx_http_sockerless_agent_relay_path(path, token);
    }

    if (relay) {
        path = relay;

    } else if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "sockerless: agent of container %*s is gone: "
                      "no socket \"%s\"", idlen, id, path);
        return NULL;
    }

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NULL;
    }

    a = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_agent_t));
    sun = ngx_pcalloc(pool, sizeof(struct sockaddr_un));
    if (a == NULL || sun == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    a->pool = pool;
    a->relay = (relay != NULL);
    a->pass_fd = (ngx_socket_t) -1;
    a->log = log;
    a->h = h;
    a->data = data;
    a->name.len = idlen;
    a->name.data = (u_char *) id;

    sun->sun_family = AF_UNIX;
    dirfd = -1;

    if (ngx_strlen(path) < sizeof(sun->sun_path)) {
        ngx_cpystrn((u_char *) sun->sun_path, (u_char *) path,
                    sizeof(sun->sun_path));

    } else {
        /*
         * a deep data directory: sun_path holds 108 bytes, so the socket
         * is reached through an open descriptor of its directory
         */
        dirfd = ngx_http_sockerless_agent_dirfd(path, sun);

        if (dirfd == -1) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "sockerless: agent of container %*s is gone: "
                          "no directory for \"%s\"", idlen, id, path);
            ngx_destroy_pool(pool);
            return NULL;
        }
    }

    a->pc.sockaddr = (struct sockaddr *) sun;
    a->pc.socklen = sizeof(struct sockaddr_un);
    a->pc.name = ngx_pcalloc(pool, sizeof(ngx_str_t));
    if (a->pc.name == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    a->pc.name->data = (u_char *) "sockerless-agent";
    a->pc.name->len = sizeof("sockerless-agent") - 1;
    a->pc.get = ngx_event_get_peer;
    a->pc.log = log;
    a->pc.log_error = NGX_ERROR_ERR;

    /* the upgrade request, and the Sec-WebSocket-Accept it must get */

    if (RAND_bytes(key, sizeof(key)) != 1) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    src.data = key;
    src.len = sizeof(key);
    dst.data = b64;
    ngx_encode_base64(&dst, &src);
    b64[dst.len] = '\0';

    {
        u_char  cat[64];

        p = ngx_sprintf(cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                        b64);
        SHA1(cat, p - cat, sha);
    }

    src.data = sha;
    src.len = SHA_DIGEST_LENGTH;
    dst.data = a->accept;
    ngx_encode_base64(&dst, &src);
    a->accept[dst.len] = '\0';

    a->hs = ngx_create_temp_buf(pool, 4096);
    if (a->hs == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    a->hs->last = ngx_snprintf(a->hs->last, 4096,
                               "GET /v1/agent HTTP/1.1\r\n"
                               "Host: agent\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Key: %s\r\n"
                               "Sec-WebSocket-Version: 13\r\n"
                               "Authorization: Bearer %s\r\n\r\n",
                               b64, token);

    rc = ngx_event_connect_peer(&a->pc);

    if (dirfd != -1) {
        /* connect() to a unix socket has looked the path up already */
        (void) close(dirfd);
    }

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "sockerless: agent of container %V is gone: "
                      "cannot connect to \"%s\"", &a->name, path);

        if (a->pc.connection) {
            ngx_close_connection(a->pc.connection);
        }

        ngx_destroy_pool(pool);
        return NULL;
    }

    a->c = a->pc.connection;
    a->c->data = a;
    a->c->pool = pool;
    a->c->read->handler = ngx_http_sockerless_agent_read;
    a->c->write->handler = ngx_http_sockerless_agent_write;

    ngx_add_timer(a->c->write, NGX_HTTP_SOCKERLESS_AGENT_TIMEOUT);

    if (rc == NGX_OK) {
        a->sync = 1;
        ngx_http_sockerless_agent_write(a->c->write);
        a->sync = 0;
    }

    if (a->failed) {
        /* failed synchronously: nothing was promised yet */
        ngx_http_sockerless_agent_free(a);
        return NULL;
    }

    return a;
}


void *
ngx_http_sockerless_agent_data(ngx_http_sockerless_agent_t *a)
{
    return a->data;
}


ngx_uint_t
ngx_http_sockerless_agent_remote(ngx_http_sockerless_agent_t *a)
{
    return a->remote;
}


/*
 * The agent's events call into the owner's request, which may end there;
 * as ngx_http_upstream_handler() does, what it posted runs afterwards
 */

static void
ngx_http_sockerless_agent_write(ngx_event_t *ev)
{
    ngx_connection_t  *c, *owner;

    c = ev->data;
    owner = ((ngx_http_sockerless_agent_t *) c->data)->owner;

    ngx_http_sockerless_agent_write_event(ev);

    if (owner) {
        ngx_http_run_posted_requests(owner);
    }
}


static void
ngx_http_sockerless_agent_read(ngx_event_t *ev)
{
    ngx_connection_t  *c, *owner;

    c = ev->data;
    owner = ((ngx_http_sockerless_agent_t *) c->data)->owner;

    ngx_http_sockerless_agent_read_event(ev);

    if (owner) {
        ngx_http_run_posted_requests(owner);
    }
}


static void
ngx_http_sockerless_agent_write_event(ngx_event_t *ev)
{
    ssize_t                       n;
    ngx_connection_t             *c;
    ngx_http_sockerless_agent_t  *a;

    c = ev->data;
    a = c->data;

    if (ev->timedout) {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                       "timed out talking to the agent");
        return;
    }

    if (a->open) {
        ngx_http_sockerless_agent_io(a);
        return;
    }

    if (a->relay) {
        /* connected to the owner of the parked connections: wait */
        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR, "read failed");
        }

        return;
    }

    if (a->sent) {
        return;
    }

    /* the handshake request */

    while (a->hs->pos < a->hs->last) {
        n = c->send(c, a->hs->pos, a->hs->last - a->hs->pos);

        if (n == NGX_AGAIN) {
            if (ngx_handle_write_event(ev, 0) != NGX_OK) {
                ngx_http_sockerless_agent_fail(a, NGX_ERROR, "send failed");
            }

            return;
        }

        if (n == NGX_ERROR) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                           "the agent is not reachable");
            return;
        }

        a->hs->pos += n;
    }

    if (!a->sent) {
        /* the request is out: the buffer takes the answer */
        a->sent = 1;
        a->hs->pos = a->hs->start;
        a->hs->last = a->hs->start;

        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR, "read failed");
            return;
        }

        if (c->read->ready && !a->sync) {
            ngx_http_sockerless_agent_handshake(a);
        }
    }
}


static void
ngx_http_sockerless_agent_read_event(ngx_event_t *ev)
{
    ngx_connection_t             *c;
    ngx_http_sockerless_agent_t  *a;

    c = ev->data;
    a = c->data;

    if (ev->timedout) {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                       "timed out talking to the agent");
        return;
    }

    if (a->open) {
        ngx_http_sockerless_agent_io(a);
        return;
    }

    if (a->relay) {
        ngx_http_sockerless_agent_relayed(a);
        return;
    }

    ngx_http_sockerless_agent_handshake(a);
}


/* ".../agent.sock" -> ".../relay.<run>" when that exists, static */

static const char *
ngx_http_sockerless_agent_relay_path(const char *path, const char *token)
{
    size_t           len;
    char             run[NGX_HTTP_SOCKERLESS_RUN_LEN + 1];
    ngx_file_info_t  fi;

    static char      buf[NGX_MAX_PATH];

    len = ngx_strlen(path);

    if (len < sizeof("agent.sock") - 1
        || len + NGX_HTTP_SOCKERLESS_RUN_LEN + 8 >= sizeof(buf)
        || ngx_strcmp(path + len - (sizeof("agent.sock") - 1), "agent.sock")
           != 0)
    {
        return NULL;
    }

    ngx_http_sockerless_relay_run(run, token);

    len -= sizeof("agent.sock") - 1;
    ngx_memcpy(buf, path, len);
    ngx_sprintf((u_char *) buf + len, "relay.%s%Z", run);

    if (ngx_file_info(buf, &fi) == NGX_FILE_ERROR) {
        return NULL;
    }

    return buf;
}


/*
 * The owner sends one parked connection of an agent that dialed back;
 * the WebSocket goes on that descriptor as on an agent's own socket
 */

static void
ngx_http_sockerless_agent_relayed(ngx_http_sockerless_agent_t *a)
{
    ngx_int_t          rc;
    ngx_socket_t       fd;
    ngx_connection_t  *c, *nc;

    c = a->c;

    rc = ngx_http_sockerless_recv_fd(c->fd, &fd);

    if (rc == NGX_AGAIN) {
        if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR, "read failed");
        }

        return;
    }

    if (rc != NGX_OK) {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                       "the agent has no connection to "
                                       "the gateway");
        return;
    }

    if (ngx_nonblocking(fd) == -1) {
        (void) close(fd);
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "nonblocking failed");
        return;
    }

    nc = ngx_get_connection(fd, a->log);
    if (nc == NULL) {
        (void) close(fd);
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "no connection");
        return;
    }

    nc->data = a;
    nc->pool = a->pool;
    nc->recv = ngx_recv;
    nc->send = ngx_send;
    nc->recv_chain = ngx_recv_chain;
    nc->send_chain = ngx_send_chain;
    /* a remote agent whose main ended hangs up when it is done */
    nc->log_error = NGX_ERROR_INFO;
    nc->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);
    nc->read->handler = ngx_http_sockerless_agent_read;
    nc->write->handler = ngx_http_sockerless_agent_write;
    nc->read->log = a->log;
    nc->write->log = a->log;

    c->pool = NULL;
    ngx_close_connection(c);

    a->c = nc;
    a->pc.connection = nc;
    a->relay = 0;
    a->remote = 1;

    if (ngx_add_conn) {
        if (ngx_add_conn(nc) == NGX_ERROR) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR, "epoll failed");
            return;
        }

    } else if (ngx_handle_read_event(nc->read, 0) != NGX_OK) {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "read failed");
        return;
    }

    ngx_add_timer(nc->write, NGX_HTTP_SOCKERLESS_AGENT_TIMEOUT);

    nc->write->ready = 1;
    ngx_http_sockerless_agent_write_event(nc->write);
}


static void
ngx_http_sockerless_agent_handshake(ngx_http_sockerless_agent_t *a)
{
    u_char            *end, *p;
    ssize_t            n;
    ngx_connection_t  *c;

    c = a->c;

    for ( ;; ) {
        if (a->hs->last == a->hs->end) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                           "the agent's answer is too long");
            return;
        }

        n = c->recv(c, a->hs->last, a->hs->end - a->hs->last);

        if (n == NGX_AGAIN) {
            if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
                ngx_http_sockerless_agent_fail(a, NGX_ERROR, "read failed");
            }

            return;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                           "the agent closed the connection");
            return;
        }

        a->hs->last += n;

        end = ngx_strlcasestrn(a->hs->pos, a->hs->last,
                               (u_char *) "\r\n\r\n", 4 - 1);
        if (end) {
            break;
        }
    }

    end += 4;

    if (a->hs->last - a->hs->pos < 12
        || ngx_strncmp(a->hs->pos + 9, "101", 3) != 0)
    {
        p = a->hs->pos + 9;
        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "sockerless: agent of container %V refused the "
                      "connection: \"%*s\"", &a->name,
                      (size_t) ngx_min(3, a->hs->last - p), p);
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "refused");
        return;
    }

    if (ngx_strlcasestrn(a->hs->pos, end, a->accept,
                         ngx_strlen(a->accept) - 1)
        == NULL)
    {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR,
                                       "bad Sec-WebSocket-Accept");
        return;
    }

    /* bytes after the answer are the first frames */
    a->hs->pos = end;

    if (wslay_event_context_client_init(&a->ws,
                                        &ngx_http_sockerless_agent_callbacks,
                                        a)
        != 0)
    {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "wslay failed");
        return;
    }

    wslay_event_config_set_max_recv_msg_length(a->ws,
                                        NGX_HTTP_SOCKERLESS_AGENT_MAX_MSG);

    a->open = 1;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    if (a->h->opened) {
        a->busy = 1;
        a->h->opened(a);
        a->busy = 0;
    }

    ngx_http_sockerless_agent_io(a);
}


static void
ngx_http_sockerless_agent_io(ngx_http_sockerless_agent_t *a)
{
    ngx_connection_t  *c;

    c = a->c;

    if (a->closing) {
        ngx_http_sockerless_agent_free(a);
        return;
    }

    a->busy = 1;

    if (!a->paused && wslay_event_want_read(a->ws)) {
        if (wslay_event_recv(a->ws) != 0) {
            a->busy = 0;

            /* an agent that said goodbye and hung up has not broken */

            ngx_http_sockerless_agent_fail(a,
                                    a->failed
                                    || wslay_event_get_close_received(a->ws)
                                    ? NGX_DONE : NGX_ERROR,
                                    "the agent connection broke");
            return;
        }
    }

    if (a->closing) {
        a->busy = 0;
        ngx_http_sockerless_agent_free(a);
        return;
    }

    if (wslay_event_want_write(a->ws)) {
        if (wslay_event_send(a->ws) != 0) {
            a->busy = 0;
            ngx_http_sockerless_agent_fail(a,
                                    wslay_event_get_close_received(a->ws)
                                    ? NGX_DONE : NGX_ERROR,
                                    "the agent connection broke");
            return;
        }
    }

    a->busy = 0;

    if (a->closing) {
        ngx_http_sockerless_agent_free(a);
        return;
    }

    if (a->full
        && wslay_event_get_queued_msg_length(a->ws)
           < NGX_HTTP_SOCKERLESS_AGENT_LOW)
    {
        a->full = 0;

        if (a->h->drain) {
            a->h->drain(a);
            return;
        }
    }

    if (!wslay_event_want_read(a->ws) && !wslay_event_want_write(a->ws)) {
        /* closed cleanly by both sides, or the agent hung up */
        ngx_http_sockerless_agent_fail(a, NGX_DONE, NULL);
        return;
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK
        || ngx_handle_write_event(c->write, 0) != NGX_OK)
    {
        ngx_http_sockerless_agent_fail(a, NGX_ERROR, "event failed");
    }
}


static ssize_t
ngx_http_sockerless_agent_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf,
    size_t len, int flags, void *user_data)
{
    ngx_http_sockerless_agent_t *a = user_data;

    ssize_t  n;

    if (a->paused || a->closing) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }

    if (a->hs->pos < a->hs->last) {
        n = ngx_min((size_t) (a->hs->last - a->hs->pos), len);
        ngx_memcpy(buf, a->hs->pos, n);
        a->hs->pos += n;
        return n;
    }

    n = a->c->recv(a->c, buf, len);

    if (n == NGX_AGAIN) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }

    if (n == 0) {
        /* the agent went away (it exits when the container does) */
        a->failed = 1;
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }

    if (n == NGX_ERROR) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }

    return n;
}


static ssize_t
ngx_http_sockerless_agent_send_cb(wslay_event_context_ptr ctx,
    const uint8_t *data, size_t len, int flags, void *user_data)
{
    ngx_http_sockerless_agent_t *a = user_data;

    ssize_t  n;

    if (a->pass_fd != (ngx_socket_t) -1) {
        n = ngx_http_sockerless_agent_send_fd(a, data, len);

    } else {
        n = a->c->send(a->c, (u_char *) data, len);
    }

    if (n == NGX_AGAIN) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }

    if (n == NGX_ERROR) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }

    return n;
}


/* the first bytes of the message, with the descriptor (ngx_write_channel) */

static ssize_t
ngx_http_sockerless_agent_send_fd(ngx_http_sockerless_agent_t *a,
    const u_char *data, size_t len)
{
    ssize_t        n;
    ngx_err_t      err;
    struct iovec   iov;
    struct msghdr  mh;

    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    } cmsg;

    ngx_memzero(&mh, sizeof(struct msghdr));
    ngx_memzero(&cmsg, sizeof(cmsg));

    iov.iov_base = (void *) data;
    iov.iov_len = len;

    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = (caddr_t) &cmsg;
    mh.msg_controllen = sizeof(cmsg);

    cmsg.cm.cmsg_len = CMSG_LEN(sizeof(int));
    cmsg.cm.cmsg_level = SOL_SOCKET;
    cmsg.cm.cmsg_type = SCM_RIGHTS;

    ngx_memcpy(CMSG_DATA(&cmsg.cm), &a->pass_fd, sizeof(int));

    n = sendmsg(a->c->fd, &mh, MSG_NOSIGNAL);

    if (n == -1) {
        err = ngx_socket_errno;

        if (err == NGX_EAGAIN || err == NGX_EINTR) {
            a->c->write->ready = 0;
            return NGX_AGAIN;
        }

        ngx_log_error(NGX_LOG_ERR, a->log, err,
                      "sockerless: agent of container %V: sendmsg() failed",
                      &a->name);
        return NGX_ERROR;
    }

    a->pass_fd = (ngx_socket_t) -1;

    return n;
}


void
ngx_http_sockerless_agent_pass_fd(ngx_http_sockerless_agent_t *a,
    ngx_socket_t fd)
{
    a->pass_fd = fd;
}


void
ngx_http_sockerless_agent_owner(ngx_http_sockerless_agent_t *a,
    ngx_connection_t *c)
{
    a->owner = c;
}


static int
ngx_http_sockerless_agent_mask_cb(wslay_event_context_ptr ctx, uint8_t *buf,
    size_t len, void *user_data)
{
    return (RAND_bytes(buf, len) == 1) ? 0 : -1;
}


static void
ngx_http_sockerless_agent_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user_data)
{
    ngx_http_sockerless_agent_t *a = user_data;

    cJSON       *msg;
    size_t       idlen;
    ngx_uint_t   stream;

    if (a->closing) {
        return;
    }

    if (arg->opcode == WSLAY_TEXT_FRAME) {
        msg = cJSON_ParseWithLength((const char *) arg->msg, arg->msg_length);

        if (msg == NULL) {
            ngx_log_error(NGX_LOG_ERR, a->log, 0,
                          "sockerless: agent of container %V: malformed "
                          "message", &a->name);
            return;
        }

        if (a->h->control) {
            a->h->control(a, msg);
        }

        cJSON_Delete(msg);
        return;
    }

    if (arg->opcode != WSLAY_BINARY_FRAME || arg->msg_length < 2) {
        return;
    }

    stream = arg->msg[0];
    idlen = arg->msg[1];

    if (arg->msg_length < 2 + idlen) {
        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "sockerless: agent of container %V: malformed "
                          "data frame", &a->name);
        return;
    }

    if (a->h->data
        && a->h->data(a, stream, (u_char *) arg->msg + 2 + idlen,
                      arg->msg_length - 2 - idlen)
           == NGX_AGAIN)
    {
        a->paused = 1;
    }
}


void
ngx_http_sockerless_agent_resume(ngx_http_sockerless_agent_t *a)
{
    if (!a->paused) {
        return;
    }

    a->paused = 0;

    if (a->open && !a->busy) {
        ngx_post_event(a->c->read, &ngx_posted_events);
    }
}


ngx_int_t
ngx_http_sockerless_agent_send_control(ngx_http_sockerless_agent_t *a,
    cJSON *msg)
{
    char                    *s;
    struct wslay_event_msg   m;

    if (!a->open || a->closing) {
        return NGX_ERROR;
    }

    s = cJSON_PrintUnformatted(msg);
    if (s == NULL) {
        return NGX_ERROR;
    }

    m.opcode = WSLAY_TEXT_FRAME;
    m.msg = (uint8_t *) s;
    m.msg_length = ngx_strlen(s);

    if (wslay_event_queue_msg(a->ws, &m) != 0) {
        cJSON_free(s);
        return NGX_ERROR;
    }

    cJSON_free(s);

    if (!a->busy) {
        ngx_post_event(a->c->write, &ngx_posted_events);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_agent_send_data(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, const char *id, u_char *p, size_t len)
{
    u_char                  *frame;
    size_t                   idlen;
    struct wslay_event_msg   m;

    if (!a->open || a->closing) {
        return NGX_ERROR;
    }

    idlen = ngx_strlen(id);

    frame = ngx_alloc(2 + idlen + len, a->log);
    if (frame == NULL) {
        return NGX_ERROR;
    }

    frame[0] = (u_char) stream;
    frame[1] = (u_char) idlen;
    ngx_memcpy(frame + 2, id, idlen);
    ngx_memcpy(frame + 2 + idlen, p, len);

    m.opcode = WSLAY_BINARY_FRAME;
    m.msg = frame;
    m.msg_length = 2 + idlen + len;

    /* wslay copies the message */

    if (wslay_event_queue_msg(a->ws, &m) != 0) {
        ngx_free(frame);
        return NGX_ERROR;
    }

    ngx_free(frame);

    if (!a->busy) {
        ngx_post_event(a->c->write, &ngx_posted_events);
    }

    if (wslay_event_get_queued_msg_length(a->ws)
        > NGX_HTTP_SOCKERLESS_AGENT_HIGH)
    {
        a->full = 1;
        return NGX_AGAIN;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_agent_fail(ngx_http_sockerless_agent_t *a, ngx_int_t rc,
    const char *why)
{
    if (a->closing) {
        /* agent_close() or "closed" came first: only the freeing is left */
        if (!a->busy && !a->sync) {
            ngx_http_sockerless_agent_free(a);
        }

        return;
    }

    if (why && rc == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ERR, a->log, 0,
                      "sockerless: agent of container %V: %s", &a->name, why);
    }

    a->failed = 1;

    if (a->sync) {
        /* connect() is still running: it frees and returns NULL */
        return;
    }

    a->closing = 1;

    if (a->h->closed) {
        a->h->closed(a, rc);
    }

    if (!a->busy) {
        ngx_http_sockerless_agent_free(a);
    }
}


void
ngx_http_sockerless_agent_close(ngx_http_sockerless_agent_t *a)
{
    /* the descriptor's owner is going: it must not reach the agent now */
    a->pass_fd = (ngx_socket_t) -1;
    a->closing = 1;

    if (!a->busy) {
        ngx_http_sockerless_agent_free(a);
    }
}


static void
ngx_http_sockerless_agent_free(ngx_http_sockerless_agent_t *a)
{
    if (a->ws) {
        if (a->open && !a->failed
            && !wslay_event_get_close_received(a->ws))
        {
            /* what was queued last (a resize, a stdin_close) goes out */
            (void) wslay_event_send(a->ws);
        }

        wslay_event_context_free(a->ws);
        a->ws = NULL;
    }

    if (a->c) {
        if (a->c->read->posted) {
            ngx_delete_posted_event(a->c->read);
        }

        if (a->c->write->posted) {
            ngx_delete_posted_event(a->c->write);
        }

        a->c->pool = NULL;
        ngx_close_connection(a->c);
        a->c = NULL;
    }

    ngx_destroy_pool(a->pool);
}
