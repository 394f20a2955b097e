
/*
 * Copyright (C) sockerless contributors
 *
 * Agent callbacks: the reverse mode of docs/agent-protocol.md. An agent
 * that cannot be dialed (a Fargate task, a Lambda invocation) dials
 * GET /_sockerless/agent/<id> with its token; after the 101 the
 * connection is "parked": it carries nothing until the module starts a
 * WebSocket session on it, as it would on a local agent's socket.
 *
 * Parked connections of one run of a container (<run> is 16 hex digits
 * of SHA-256 of the run's token) gather in one worker, the owner: the
 * worker holding the flock on <dir>/lock.<run>. Another worker that takes
 * a park hands the descriptor to the owner over <dir>/park.<run>
 * (SCM_RIGHTS). A worker that wants a session connects to
 * <dir>/relay.<run> and gets one parked descriptor the same way
 * (ngx_http_sockerless_agent_connect() does this when the container has
 * no agent.sock). The owner keeps nothing once every descriptor is given
 * away, so a session does not depend on the owner living on. An agent of
 * an earlier run, still parking, never serves a later one.
 *
 * POST /_sockerless/agent/<id>/exit reports the exit of the main process.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_backend.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/file.h>


#define NGX_HTTP_SOCKERLESS_WAIT_PARK   10000
#define NGX_HTTP_SOCKERLESS_LINGER      30000


typedef struct {
    ngx_queue_t                    queue;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           run[NGX_HTTP_SOCKERLESS_RUN_LEN + 1];
    ngx_fd_t                       lock;
    ngx_connection_t              *relay;     /* listening: relay.<run> */
    ngx_connection_t              *park;      /* listening: park.<run> */
    ngx_queue_t                    parked;
    ngx_queue_t                    waiting;
    ngx_event_t                    linger;
    ngx_log_t                     *log;
} ngx_http_sockerless_owner_t;


typedef struct {
    ngx_queue_t                    queue;
    ngx_connection_t              *c;
    ngx_http_sockerless_owner_t   *owner;
} ngx_http_sockerless_link_t;


static cJSON *ngx_http_sockerless_callback_auth(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args, ngx_int_t *rc);
static void ngx_http_sockerless_callback_handoff(ngx_log_t *log,
    const char *id, const char *run, ngx_socket_t fd);
static ngx_http_sockerless_owner_t *ngx_http_sockerless_owner(ngx_log_t *log,
    const char *id, const char *run, ngx_uint_t create);
static u_char *ngx_http_sockerless_owner_path(ngx_http_sockerless_owner_t *o,
    const char *what);
static ngx_connection_t *ngx_http_sockerless_owner_listen(
    ngx_http_sockerless_owner_t *o, const char *name,
    ngx_event_handler_pt handler);
static void ngx_http_sockerless_owner_release(ngx_http_sockerless_owner_t *o);
static void ngx_http_sockerless_owner_serve(ngx_http_sockerless_owner_t *o);
static void ngx_http_sockerless_owner_idle(ngx_http_sockerless_owner_t *o);
static void ngx_http_sockerless_owner_linger(ngx_event_t *ev);
static ngx_int_t ngx_http_sockerless_owner_add(ngx_http_sockerless_owner_t *o,
    ngx_queue_t *q, ngx_socket_t fd, ngx_event_handler_pt handler);
static void ngx_http_sockerless_link_close(ngx_http_sockerless_link_t *l);
static void ngx_http_sockerless_relay_accept(ngx_event_t *ev);
static void ngx_http_sockerless_park_accept(ngx_event_t *ev);
static void ngx_http_sockerless_park_read(ngx_event_t *ev);
static void ngx_http_sockerless_link_event(ngx_event_t *ev);
static ngx_int_t ngx_http_sockerless_callback_exit(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_callback_park(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);


static ngx_queue_t  ngx_http_sockerless_owners;
static ngx_uint_t   ngx_http_sockerless_owners_init;


ngx_http_sockerless_route_t  ngx_http_sockerless_callback_routes[] = {

    { NGX_HTTP_POST, ngx_string("/_sockerless/agent/"),
      ngx_string("exit"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_callback_exit },

    { NGX_HTTP_GET, ngx_string("/_sockerless/agent/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_callback_park },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* the record of a container by its full id, if the bearer token is its */

static cJSON *
ngx_http_sockerless_callback_auth(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args, ngx_int_t *rc)
{
    char         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON       *rec;
    ngx_str_t   *auth;
    const char  *token;

    if (args->id.len != NGX_HTTP_SOCKERLESS_ID_LEN) {
        *rc = ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                             "No such container: %V",
                                             &args->id);
        return NULL;
    }

    ngx_sprintf((u_char *) key, "c/%V%Z", &args->id);

    rec = ngx_http_sockerless_store_get(r->pool, key);
    if (rec == NULL) {
        *rc = ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                             "No such container: %V",
                                             &args->id);
        return NULL;
    }

    token = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");

    auth = r->headers_in.authorization
           ? &r->headers_in.authorization->value : NULL;

    if (token == NULL || auth == NULL
        || auth->len != sizeof("Bearer ") - 1 + ngx_strlen(token)
        || ngx_strncasecmp(auth->data, (u_char *) "Bearer ", 7) != 0
        || CRYPTO_memcmp(auth->data + 7, token, auth->len - 7) != 0)
    {
        *rc = ngx_http_sockerless_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                             "the agent's token was "
                                             "refused");
        return NULL;
    }

    return rec;
}


/* "<16 hex digits of SHA-256(token)>": the files of one run's agent */

void
ngx_http_sockerless_relay_run(char *run, const char *token)
{
    u_char  md[SHA256_DIGEST_LENGTH];

    SHA256((u_char *) token, ngx_strlen(token), md);
    ngx_hex_dump((u_char *) run, md, NGX_HTTP_SOCKERLESS_RUN_LEN / 2);
    run[NGX_HTTP_SOCKERLESS_RUN_LEN] = '\0';
}


typedef struct {
    ngx_int_t                      pid;
    const char                    *token;
} ngx_http_sockerless_seen_t;


static ngx_int_t
ngx_http_sockerless_agent_seen(void *data, cJSON **value)
{
    ngx_http_sockerless_seen_t *sn = data;

    cJSON       *sls;
    ngx_int_t    pid;
    const char  *token;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    /* an agent of a run that a new start replaced meanwhile says nothing */

    token = ngx_http_sockerless_json_str(sls, "token");
    if (token == NULL || ngx_strcmp(token, sn->token) != 0) {
        return NGX_DECLINED;
    }

    pid = sn->pid;

    if ((ngx_int_t) cJSON_GetNumberValue(
            cJSON_GetObjectItemCaseSensitive(sls, "agent_pid"))
        == pid)
    {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "agent_pid");
    cJSON_AddNumberToObject(sls, "agent_pid", (double) pid);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_callback_park(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    char                         id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                         run[NGX_HTTP_SOCKERLESS_RUN_LEN + 1];
    cJSON                       *rec;
    ssize_t                      n;
    ngx_int_t                    rc, pid;
    ngx_uint_t                   i;
    ngx_list_part_t             *part;
    ngx_table_elt_t             *h;
    ngx_socket_t                 fd;
    ngx_connection_t            *c;
    ngx_http_sockerless_seen_t   sn;

    static u_char      answer[] = "HTTP/1.1 101 Switching Protocols" CRLF
                                  "Connection: Upgrade" CRLF
                                  "Upgrade: sockerless-agent" CRLF CRLF;

    rec = ngx_http_sockerless_callback_auth(r, args, &rc);
    if (rec == NULL) {
        return rc;
    }

    c = r->connection;

    if (r->headers_in.upgrade == NULL
        || r->headers_in.upgrade->value.len != sizeof("sockerless-agent") - 1
        || ngx_strncasecmp(r->headers_in.upgrade->value.data,
                           (u_char *) "sockerless-agent",
                           sizeof("sockerless-agent") - 1)
           != 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "an agent callback needs "
                                        "\"Upgrade: sockerless-agent\"");
    }

#if (NGX_HTTP_SSL)
    if (c->ssl) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "agent callbacks need a plain "
                                        "HTTP listener: a TLS session "
                                        "cannot be handed between "
                                        "workers");
    }
#endif

    if (r->header_in->pos < r->header_in->last || r != r->main) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "an agent callback sends nothing "
                                        "after its request");
    }

    pid = 0;
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

        if (h[i].key.len == sizeof("Sockerless-Agent-Pid") - 1
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Sockerless-Agent-Pid",
                               h[i].key.len)
               == 0)
        {
            pid = ngx_atoi(h[i].value.data, h[i].value.len);
        }
    }

    if (pid <= 0) {
        pid = 1;
    }

    /* the answer fits any socket buffer: it is written whole or not */

    n = c->send(c, answer, sizeof(answer) - 1);

    if (n != (ssize_t) sizeof(answer) - 1) {
        return NGX_HTTP_CLOSE;
    }

    r->headers_out.status = NGX_HTTP_SWITCHING_PROTOCOLS;

    fd = dup(c->fd);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ERR, c->log, ngx_errno,
                      "sockerless: dup() of an agent callback failed");
        return NGX_HTTP_CLOSE;
    }

    /*
     * epoll watches the open file, not the descriptor: this worker stops
     * watching it before its descriptor closes, or events for the copy
     * would reach a freed connection
     */

    if (ngx_del_conn) {
        (void) ngx_del_conn(c, 0);

    } else {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
        }
    }

    ngx_memcpy(id, args->id.data, NGX_HTTP_SOCKERLESS_ID_LEN);
    id[NGX_HTTP_SOCKERLESS_ID_LEN] = '\0';

    /* the relay exists before a start waiting for the agent hears of it */

    sn.token = ngx_http_sockerless_json_str(
                   cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");
    sn.pid = pid;

    ngx_http_sockerless_relay_run(run, sn.token);
    ngx_http_sockerless_callback_handoff(c->log, id, run, fd);

    ngx_sprintf((u_char *) key, "c/%s%Z", id);
    (void) ngx_http_sockerless_store_update(r->pool, key,
                                            ngx_http_sockerless_agent_seen,
                                            &sn);

    if (ngx_http_sockerless_backend()->agent_called_back) {
        ngx_http_sockerless_backend()->agent_called_back(rec);
    }

    return NGX_HTTP_CLOSE;
}


/* the parked descriptor goes to the container's owner, maybe this worker */

static void
ngx_http_sockerless_callback_handoff(ngx_log_t *log, const char *id,
    const char *run, ngx_socket_t fd)
{
    char                          name[NGX_HTTP_SOCKERLESS_RUN_LEN + 8];
    u_char                        file[NGX_MAX_PATH];
    int                           s, rc, dirfd;
    u_char                       *path;
    ngx_uint_t                    tries;
    struct sockaddr_un            sun;
    ngx_http_sockerless_owner_t  *o;

    for (tries = 0; tries < 3; tries++) {

        o = ngx_http_sockerless_owner(log, id, run, 1);

        if (o) {
            if (ngx_http_sockerless_owner_add(o, &o->parked, fd,
                                          ngx_http_sockerless_link_event)
                != NGX_OK)
            {
                (void) close(fd);
                ngx_http_sockerless_owner_idle(o);
                return;
            }

            ngx_http_sockerless_owner_serve(o);
            return;
        }

        /* another worker owns the container */

        ngx_sprintf((u_char *) name, "park.%s%Z", run);

        path = ngx_http_sockerless_container_file(file, sizeof(file), id,
                                                  name);
        if (path == NULL) {
            break;
        }

        ngx_memzero(&sun, sizeof(struct sockaddr_un));
        sun.sun_family = AF_UNIX;
        dirfd = -1;

        if (ngx_strlen(path) < sizeof(sun.sun_path)) {
            ngx_cpystrn((u_char *) sun.sun_path, path, sizeof(sun.sun_path));

        } else {
            dirfd = ngx_http_sockerless_agent_dirfd((char *) path, &sun);
            if (dirfd == -1) {
                break;
            }
        }

        s = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
        if (s == -1) {
            if (dirfd != -1) {
                (void) close(dirfd);
            }

            break;
        }

        rc = connect(s, (struct sockaddr *) &sun, sizeof(struct sockaddr_un));

        if (dirfd != -1) {
            (void) close(dirfd);
        }

        if (rc == 0 && ngx_http_sockerless_send_fd(s, fd) == NGX_OK) {
            (void) close(s);
            (void) close(fd);
            return;
        }

        /* the owner is binding, or it just went away: ask again */
        (void) close(s);
    }

    ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                  "sockerless: no worker took the agent connection of "
                  "container %s; the agent dials again", id);

    (void) close(fd);
}


/* sends one byte with fd as SCM_RIGHTS */

ngx_int_t
ngx_http_sockerless_send_fd(ngx_socket_t s, ngx_socket_t fd)
{
    u_char           byte;
    struct iovec     iov;
    struct msghdr    msg;
    struct cmsghdr  *cm;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    } cmsg;

    byte = 'P';
    iov.iov_base = &byte;
    iov.iov_len = 1;

    ngx_memzero(&msg, sizeof(struct msghdr));
    ngx_memzero(&cmsg, sizeof(cmsg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &cmsg;
    msg.msg_controllen = sizeof(cmsg);

    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    ngx_memcpy(CMSG_DATA(cm), &fd, sizeof(int));

    if (sendmsg(s, &msg, MSG_NOSIGNAL) != 1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The descriptor sent with one byte: NGX_AGAIN when nothing came yet,
 * NGX_DONE when the peer closed, NGX_ERROR otherwise.
 */

ngx_int_t
ngx_http_sockerless_recv_fd(ngx_socket_t s, ngx_socket_t *fd)
{
    u_char           byte;
    ssize_t          n;
    struct iovec     iov;
    struct msghdr    msg;
    struct cmsghdr  *cm;
    union {
        struct cmsghdr  cm;
        char            space[CMSG_SPACE(sizeof(int))];
    } cmsg;

    iov.iov_base = &byte;
    iov.iov_len = 1;

    ngx_memzero(&msg, sizeof(struct msghdr));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = &cmsg;
    msg.msg_controllen = sizeof(cmsg);

    n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);

    if (n == -1) {
        return ngx_socket_errno == NGX_EAGAIN ? NGX_AGAIN : NGX_ERROR;
    }

    if (n == 0) {
        return NGX_DONE;
    }

    cm = CMSG_FIRSTHDR(&msg);

    if (cm == NULL || cm->cmsg_level != SOL_SOCKET
        || cm->cmsg_type != SCM_RIGHTS
        || cm->cmsg_len != CMSG_LEN(sizeof(int)))
    {
        return NGX_ERROR;
    }

    ngx_memcpy(fd, CMSG_DATA(cm), sizeof(int));

    return NGX_OK;
}


/*
 * This worker's owner record of a container; with "create", the worker
 * becomes the owner when no live worker is (the flock tells).
 */

static ngx_http_sockerless_owner_t *
ngx_http_sockerless_owner(ngx_log_t *log, const char *id, const char *run,
    ngx_uint_t create)
{
    char                          name[NGX_HTTP_SOCKERLESS_RUN_LEN + 8];
    u_char                        file[NGX_MAX_PATH];
    u_char                       *path;
    ngx_fd_t                      fd;
    ngx_queue_t                  *q;
    ngx_http_sockerless_owner_t  *o;

    if (!ngx_http_sockerless_owners_init) {
        ngx_queue_init(&ngx_http_sockerless_owners);
        ngx_http_sockerless_owners_init = 1;
    }

    for (q = ngx_queue_head(&ngx_http_sockerless_owners);
         q != ngx_queue_sentinel(&ngx_http_sockerless_owners);
         q = ngx_queue_next(q))
    {
        o = ngx_queue_data(q, ngx_http_sockerless_owner_t, queue);

        if (ngx_strcmp(o->id, id) == 0 && ngx_strcmp(o->run, run) == 0) {
            return o;
        }
    }

    if (!create) {
        return NULL;
    }

    ngx_sprintf((u_char *) name, "lock.%s%Z", run);

    path = ngx_http_sockerless_container_file(file, sizeof(file), id, name);
    if (path == NULL) {
        return NULL;
    }

    fd = open((char *) path, O_RDWR|O_CREAT|O_CLOEXEC, 0600);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "sockerless: open(\"%s\") failed", path);
        return NULL;
    }

    if (flock(fd, LOCK_EX|LOCK_NB) == -1) {
        (void) close(fd);
        return NULL;
    }

    o = ngx_calloc(sizeof(ngx_http_sockerless_owner_t), log);
    if (o == NULL) {
        (void) close(fd);
        return NULL;
    }

    ngx_cpystrn((u_char *) o->id, (u_char *) id, sizeof(o->id));
    ngx_cpystrn((u_char *) o->run, (u_char *) run, sizeof(o->run));
    o->lock = fd;
    o->log = ngx_cycle->log;
    ngx_queue_init(&o->parked);
    ngx_queue_init(&o->waiting);
    ngx_queue_insert_tail(&ngx_http_sockerless_owners, &o->queue);

    o->linger.handler = ngx_http_sockerless_owner_linger;
    o->linger.data = o;
    o->linger.log = o->log;
    o->linger.cancelable = 1;

    o->park = ngx_http_sockerless_owner_listen(o, "park",
                                          ngx_http_sockerless_park_accept);
    o->relay = ngx_http_sockerless_owner_listen(o, "relay",
                                          ngx_http_sockerless_relay_accept);

    if (o->park == NULL || o->relay == NULL) {
        ngx_http_sockerless_owner_release(o);
        return NULL;
    }

    return o;
}


static ngx_connection_t *
ngx_http_sockerless_owner_listen(ngx_http_sockerless_owner_t *o,
    const char *name, ngx_event_handler_pt handler)
{
    int                  s, rc, dirfd;
    u_char              *path;
    ngx_connection_t    *c;
    struct sockaddr_un   sun;

    path = ngx_http_sockerless_owner_path(o, name);
    if (path == NULL) {
        return NULL;
    }

    ngx_memzero(&sun, sizeof(struct sockaddr_un));
    sun.sun_family = AF_UNIX;
    dirfd = -1;

    if (ngx_strlen(path) < sizeof(sun.sun_path)) {
        ngx_cpystrn((u_char *) sun.sun_path, path, sizeof(sun.sun_path));

    } else {
        /* a deep data directory: bound through its directory's fd */
        dirfd = ngx_http_sockerless_agent_dirfd((char *) path, &sun);
        if (dirfd == -1) {
            ngx_log_error(NGX_LOG_ERR, o->log, ngx_errno,
                          "sockerless: cannot reach \"%s\"", path);
            return NULL;
        }
    }

    s = socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0);
    if (s == -1) {
        if (dirfd != -1) {
            (void) close(dirfd);
        }

        return NULL;
    }

    /* a file left by an owner that died: the flock says it is stale */
    (void) unlink((char *) path);

    rc = bind(s, (struct sockaddr *) &sun, sizeof(struct sockaddr_un));

    if (dirfd != -1) {
        (void) close(dirfd);
    }

    if (rc == -1 || chmod((char *) path, 0600) == -1 || listen(s, 64) == -1) {
        ngx_log_error(NGX_LOG_ERR, o->log, ngx_socket_errno,
                      "sockerless: cannot listen on \"%s\"", path);
        (void) close(s);
        return NULL;
    }

    c = ngx_get_connection(s, o->log);
    if (c == NULL) {
        (void) close(s);
        return NULL;
    }

    c->data = o;
    c->idle = 1;
    c->read->handler = handler;
    c->read->log = o->log;
    c->write->log = o->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return NULL;
    }

    return c;
}


/* <dir>/<what>.<run> */

static u_char *
ngx_http_sockerless_owner_path(ngx_http_sockerless_owner_t *o,
    const char *what)
{
    char           name[NGX_HTTP_SOCKERLESS_RUN_LEN + 16];

    static u_char  file[NGX_MAX_PATH];

    ngx_sprintf((u_char *) name, "%s.%s%Z", what, o->run);

    return ngx_http_sockerless_container_file(file, sizeof(file), o->id,
                                              name);
}


static void
ngx_http_sockerless_owner_release(ngx_http_sockerless_owner_t *o)
{
    u_char                      *path;
    ngx_queue_t                 *q;
    ngx_http_sockerless_link_t  *l;

    while (!ngx_queue_empty(&o->parked)) {
        q = ngx_queue_head(&o->parked);
        l = ngx_queue_data(q, ngx_http_sockerless_link_t, queue);
        ngx_http_sockerless_link_close(l);
    }

    while (!ngx_queue_empty(&o->waiting)) {
        q = ngx_queue_head(&o->waiting);
        l = ngx_queue_data(q, ngx_http_sockerless_link_t, queue);
        ngx_http_sockerless_link_close(l);
    }

    if (o->linger.timer_set) {
        ngx_del_timer(&o->linger);
    }

    /* the files go while the flock says that they are this worker's */

    if (o->relay) {
        path = ngx_http_sockerless_owner_path(o, "relay");
        if (path) {
            (void) unlink((char *) path);
        }

        ngx_close_connection(o->relay);
    }

    if (o->park) {
        path = ngx_http_sockerless_owner_path(o, "park");
        if (path) {
            (void) unlink((char *) path);
        }

        ngx_close_connection(o->park);
    }

    (void) close(o->lock);

    ngx_queue_remove(&o->queue);
    ngx_free(o);
}


/* parked descriptors go to waiting workers, oldest first */

static void
ngx_http_sockerless_owner_serve(ngx_http_sockerless_owner_t *o)
{
    ngx_queue_t                 *q;
    ngx_http_sockerless_link_t  *p, *w;

    while (!ngx_queue_empty(&o->parked) && !ngx_queue_empty(&o->waiting)) {

        q = ngx_queue_head(&o->parked);
        p = ngx_queue_data(q, ngx_http_sockerless_link_t, queue);

        q = ngx_queue_head(&o->waiting);
        w = ngx_queue_data(q, ngx_http_sockerless_link_t, queue);

        if (ngx_http_sockerless_send_fd(w->c->fd, p->c->fd) == NGX_OK) {
            ngx_http_sockerless_link_close(p);
        }

        ngx_http_sockerless_link_close(w);
    }

    ngx_http_sockerless_owner_idle(o);
}


/* an owner with nothing to hand gives up after a while */

static void
ngx_http_sockerless_owner_idle(ngx_http_sockerless_owner_t *o)
{
    if (ngx_queue_empty(&o->parked) && ngx_queue_empty(&o->waiting)) {
        if (!o->linger.timer_set) {
            ngx_add_timer(&o->linger, NGX_HTTP_SOCKERLESS_LINGER);
        }

    } else if (o->linger.timer_set) {
        ngx_del_timer(&o->linger);
    }
}


static void
ngx_http_sockerless_owner_linger(ngx_event_t *ev)
{
    ngx_http_sockerless_owner_release(ev->data);
}


static ngx_int_t
ngx_http_sockerless_owner_add(ngx_http_sockerless_owner_t *o, ngx_queue_t *q,
    ngx_socket_t fd, ngx_event_handler_pt handler)
{
    ngx_connection_t            *c;
    ngx_http_sockerless_link_t  *l;

    l = ngx_calloc(sizeof(ngx_http_sockerless_link_t), o->log);
    if (l == NULL) {
        return NGX_ERROR;
    }

    if (ngx_nonblocking(fd) == -1) {
        ngx_free(l);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, o->log);
    if (c == NULL) {
        ngx_free(l);
        return NGX_ERROR;
    }

    l->c = c;
    l->owner = o;
    c->data = l;
    c->idle = 1;
    c->read->handler = handler;
    c->read->log = o->log;
    c->write->log = o->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        ngx_free(l);
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(q, &l->queue);

    if (q == &o->waiting) {
        c->read->cancelable = 1;
        ngx_add_timer(c->read, NGX_HTTP_SOCKERLESS_WAIT_PARK);
    }

    return NGX_OK;
}


/* the descriptor leaves this worker: it stops watching it first */

static void
ngx_http_sockerless_link_close(ngx_http_sockerless_link_t *l)
{
    ngx_connection_t  *c;

    c = l->c;

    if (ngx_del_conn) {
        (void) ngx_del_conn(c, 0);

    } else if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    ngx_close_connection(c);
    ngx_queue_remove(&l->queue);
    ngx_free(l);
}


static void
ngx_http_sockerless_relay_accept(ngx_event_t *ev)
{
    int                           s;
    ngx_connection_t             *c;
    ngx_http_sockerless_owner_t  *o;

    c = ev->data;
    o = c->data;

    if (c->close) {
        ngx_http_sockerless_owner_release(o);
        return;
    }

    for ( ;; ) {
        s = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC);

        if (s == -1) {
            break;
        }

        if (ngx_http_sockerless_owner_add(o, &o->waiting, s,
                                          ngx_http_sockerless_link_event)
            != NGX_OK)
        {
            (void) close(s);
        }
    }

    ngx_http_sockerless_owner_serve(o);
}


static void
ngx_http_sockerless_park_accept(ngx_event_t *ev)
{
    int                           s;
    ngx_connection_t             *c, *pc;
    ngx_http_sockerless_owner_t  *o;

    c = ev->data;
    o = c->data;

    if (c->close) {
        ngx_http_sockerless_owner_release(o);
        return;
    }

    for ( ;; ) {
        s = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK|SOCK_CLOEXEC);

        if (s == -1) {
            break;
        }

        pc = ngx_get_connection(s, o->log);
        if (pc == NULL) {
            (void) close(s);
            continue;
        }

        pc->data = o;
        pc->idle = 1;
        pc->read->handler = ngx_http_sockerless_park_read;
        pc->read->log = o->log;
        pc->write->log = o->log;
        pc->read->cancelable = 1;
        ngx_add_timer(pc->read, NGX_HTTP_SOCKERLESS_WAIT_PARK);

        if (ngx_handle_read_event(pc->read, 0) != NGX_OK) {
            ngx_close_connection(pc);
            continue;
        }

        ngx_http_sockerless_park_read(pc->read);
    }
}


/* another worker hands over a parked descriptor */

static void
ngx_http_sockerless_park_read(ngx_event_t *ev)
{
    ngx_int_t                     rc;
    ngx_socket_t                  fd;
    ngx_connection_t             *c;
    ngx_http_sockerless_owner_t  *o;

    c = ev->data;
    o = c->data;

    if (ev->timedout || c->close) {
        ngx_close_connection(c);
        return;
    }

    rc = ngx_http_sockerless_recv_fd(c->fd, &fd);

    if (rc == NGX_AGAIN) {
        return;
    }

    ngx_close_connection(c);

    if (rc != NGX_OK) {
        return;
    }

    if (ngx_http_sockerless_owner_add(o, &o->parked, fd,
                                      ngx_http_sockerless_link_event)
        != NGX_OK)
    {
        (void) close(fd);
    }

    ngx_http_sockerless_owner_serve(o);
}


/*
 * Any event of a link ends it: a parked connection says something only
 * when it ends, a waiting worker's when it timed out or gave up
 */

static void
ngx_http_sockerless_link_event(ngx_event_t *ev)
{
    ngx_connection_t             *c;
    ngx_http_sockerless_link_t   *l;
    ngx_http_sockerless_owner_t  *o;

    c = ev->data;
    l = c->data;
    o = l->owner;

    if (c->close) {
        ngx_http_sockerless_owner_release(o);
        return;
    }

    ngx_http_sockerless_link_close(l);
    ngx_http_sockerless_owner_idle(o);
}


void
ngx_http_sockerless_callback_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t  *q;

    if (!ngx_http_sockerless_owners_init) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_sockerless_owners)) {
        q = ngx_queue_head(&ngx_http_sockerless_owners);
        ngx_http_sockerless_owner_release(
            ngx_queue_data(q, ngx_http_sockerless_owner_t, queue));
    }
}


/*
 * The exit of the main process, reported by the agent. A start still
 * under way keeps it in "_sls" for ngx_http_sockerless_callback_started();
 * a worker that reads the agent's output records it itself, after the
 * output ("pump" names its pid).
 */

typedef struct {
    cJSON                         *report;
    ngx_uint_t                     from_pump;
    ngx_uint_t                     apply;
    ngx_uint_t                     kept;
} ngx_http_sockerless_exit_ctx_t;


static ngx_int_t
ngx_http_sockerless_exit_stash(void *data, cJSON **value)
{
    ngx_http_sockerless_exit_ctx_t *x = data;

    cJSON      *sls;
    ngx_int_t   pump;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "starting"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(sls, "exit");
        cJSON_AddItemToObject(sls, "exit", cJSON_Duplicate(x->report, 1));
        x->kept = 1;
        return NGX_OK;
    }

    pump = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "pump"));

    if (!x->from_pump && pump > 0 && kill((pid_t) pump, 0) == 0) {
        /*
         * the worker reading the output records the exit after it; the
         * report is kept for when that worker loses the agent first
         */
        cJSON_DeleteItemFromObjectCaseSensitive(sls, "exit");
        cJSON_AddItemToObject(sls, "exit", cJSON_Duplicate(x->report, 1));
        x->kept = 1;
        return NGX_OK;
    }

    x->apply = 1;

    return NGX_DECLINED;
}


void
ngx_http_sockerless_callback_apply(ngx_log_t *log, const char *id,
    cJSON *report)
{
    ngx_int_t    code;
    const char  *finished, *error;

    code = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(report,
                                                            "exitCode"));
    finished = ngx_http_sockerless_json_str(report, "finishedAt");
    error = ngx_http_sockerless_json_str(report, "error");

    (void) ngx_http_sockerless_container_exited(log, id, code, finished,
                                                error && *error ? error
                                                                : NULL);
}


static ngx_int_t
ngx_http_sockerless_callback_exit(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char         id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    cJSON       *rec, *code;
    ngx_int_t    rc;
    const char  *error;

    rec = ngx_http_sockerless_callback_auth(r, args, &rc);
    if (rec == NULL) {
        return rc;
    }

    code = cJSON_GetObjectItemCaseSensitive(args->body, "exitCode");

    if (!cJSON_IsObject(args->body) || !cJSON_IsNumber(code)
        || code->valuedouble < 0 || code->valuedouble > 255)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "an exit report needs "
                                              "\"exitCode\" from 0 to 255");
    }

    ngx_memcpy(id, args->id.data, NGX_HTTP_SOCKERLESS_ID_LEN);
    id[NGX_HTTP_SOCKERLESS_ID_LEN] = '\0';

    rc = ngx_http_sockerless_callback_report(r->pool, r->connection->log,
                                             id, args->body, 0);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    error = ngx_http_sockerless_json_str(args->body, "error");

    /*
     * 202: a worker will read the output from the agent (a start under
     * way opens that reader), so the agent waits for it; 204: done
     */

    return ngx_http_sockerless_send_empty(r,
                         rc == NGX_AGAIN && (error == NULL || *error == '\0')
                         ? NGX_HTTP_ACCEPTED : NGX_HTTP_NO_CONTENT);
}


/*
 * An exit report ({"exitCode", "finishedAt", "error"}): kept while the
 * start is under way, left to the worker that reads the output when one
 * does (unless this is that worker: from_pump), applied otherwise.
 * NGX_AGAIN: kept; NGX_OK: applied, or nothing to apply it to.
 */

ngx_int_t
ngx_http_sockerless_callback_report(ngx_pool_t *pool, ngx_log_t *log,
    const char *id, cJSON *report, ngx_uint_t from_pump)
{
    char                            key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    ngx_http_sockerless_exit_ctx_t  x;

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    x.report = report;
    x.from_pump = from_pump;
    x.apply = 0;
    x.kept = 0;

    if (ngx_http_sockerless_store_update(pool, key,
                                         ngx_http_sockerless_exit_stash, &x)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    if (x.apply) {
        ngx_http_sockerless_callback_apply(log, id, report);
    }

    return x.kept ? NGX_AGAIN : NGX_OK;
}


/*
 * For a backend's container_started: the start is recorded (or failed),
 * so an exit the agent reported meanwhile is applied now.
 */

static ngx_int_t
ngx_http_sockerless_exit_unstash(void *data, cJSON **value)
{
    cJSON **report = data;

    cJSON      *sls;
    ngx_int_t   pump;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "starting");

    pump = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "pump"));

    /* a worker reads the output: it records the exit after the last byte */

    if (!(pump > 0 && kill((pid_t) pump, 0) == 0)) {
        *report = cJSON_DetachItemFromObjectCaseSensitive(sls, "exit");
    }

    return NGX_OK;
}


/* the worker reading the output lost it before the exit: a kept report */

static ngx_int_t
ngx_http_sockerless_exit_take(void *data, cJSON **value)
{
    cJSON **report = data;

    cJSON  *sls;

    sls = *value ? cJSON_GetObjectItemCaseSensitive(*value, "_sls") : NULL;

    if (sls == NULL
        || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "starting")))
    {
        return NGX_DECLINED;
    }

    *report = cJSON_DetachItemFromObjectCaseSensitive(sls, "exit");

    return *report ? NGX_OK : NGX_DECLINED;
}


/* a kept report that update takes out of the record is applied */

static void
ngx_http_sockerless_callback_take(ngx_pool_t *pool, ngx_log_t *log,
    const char *id, ngx_http_sockerless_update_pt update)
{
    char    key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON  *report;

    report = NULL;
    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    if (ngx_http_sockerless_store_update(pool, key, update, &report)
        != NGX_OK
        || report == NULL)
    {
        return;
    }

    ngx_http_sockerless_callback_apply(log, id, report);
    cJSON_Delete(report);
}


void
ngx_http_sockerless_callback_orphan(ngx_pool_t *pool, ngx_log_t *log,
    const char *id)
{
    ngx_http_sockerless_callback_take(pool, log, id,
                                      ngx_http_sockerless_exit_take);
}


void
ngx_http_sockerless_callback_started(ngx_pool_t *pool, ngx_log_t *log,
    const char *id)
{
    ngx_http_sockerless_callback_take(pool, log, id,
                                      ngx_http_sockerless_exit_unstash);
}
