
/*
 * Copyright (C) sockerless contributors
 *
 * Agents that dial back, as the cloud backends use them: a run made ready
 * in the record, the wait for the agent's first park, the pump and
 * signals. The pump is one session attached to main with "logs" in the
 * worker that started the run: what the agent sends goes into the
 * container's log as records, so attach, logs and logs -f are the core's,
 * and main's exit is recorded after the last byte.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_agent.h>
#include <ngx_http_sockerless_reverse.h>
#include <sls_logfmt.h>


typedef struct {
    ngx_queue_t                    queue;
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;
    ngx_http_sockerless_agent_t   *agent;
    ngx_http_sockerless_rwait_t   *wait;      /* until it is open */
    ngx_fd_t                       fd;        /* container.log */
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    unsigned                       exited:1;
    unsigned                       logs:1;    /* the agent's ring first */
} ngx_http_sockerless_pump_t;


typedef struct {
    ngx_pool_t                    *pool;
    ngx_int_t                      signal;
} ngx_http_sockerless_rsig_t;


static ngx_int_t ngx_http_sockerless_reverse_ready(void *data,
    cJSON **value);
static void ngx_http_sockerless_reverse_watch(ngx_http_sockerless_watch_t *ws);
static void ngx_http_sockerless_reverse_done(ngx_http_sockerless_rwait_t *w,
    ngx_int_t rc);
static ngx_http_sockerless_pump_t *ngx_http_sockerless_pump_open(
    const char *id, const char *token, ngx_uint_t logs);
static ngx_int_t ngx_http_sockerless_pump_set(void *data, cJSON **value);
static const char *ngx_http_sockerless_reverse_process(cJSON *hc,
    ngx_uint_t linux_params);
static ngx_int_t ngx_http_sockerless_pump_claim(void *data, cJSON **value);
static void ngx_http_sockerless_pump_opened(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_pump_control(ngx_http_sockerless_agent_t *a,
    cJSON *msg);
static ngx_int_t ngx_http_sockerless_pump_data(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, u_char *p, size_t len);
static void ngx_http_sockerless_pump_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc);
static void ngx_http_sockerless_pump_free(ngx_http_sockerless_pump_t *pm);
static void ngx_http_sockerless_rsig_opened(ngx_http_sockerless_agent_t *a);
static void ngx_http_sockerless_rsig_closed(ngx_http_sockerless_agent_t *a,
    ngx_int_t rc);


static ngx_http_sockerless_agent_handlers_t  ngx_http_sockerless_pump_h = {
    ngx_http_sockerless_pump_opened,
    ngx_http_sockerless_pump_control,
    ngx_http_sockerless_pump_data,
    NULL,
    ngx_http_sockerless_pump_closed
};


/* this worker's pumps: a stopping worker closes them before it exits */
static ngx_queue_t  ngx_http_sockerless_pumps;
static ngx_uint_t   ngx_http_sockerless_pumps_init;


static ngx_http_sockerless_agent_handlers_t  ngx_http_sockerless_rsig_h = {
    ngx_http_sockerless_rsig_opened,
    NULL,
    NULL,
    NULL,
    ngx_http_sockerless_rsig_closed
};


/* a run made ready: what the last one left goes */

static ngx_int_t
ngx_http_sockerless_reverse_ready(void *data, cJSON **value)
{
    const char *token = data;

    cJSON  *sls;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "exit");
    cJSON_DeleteItemFromObjectCaseSensitive(sls, "task");
    cJSON_DeleteItemFromObjectCaseSensitive(sls, "agent_pid");
    cJSON_DeleteItemFromObjectCaseSensitive(sls, "pump");
    cJSON_DeleteItemFromObjectCaseSensitive(sls, "starting");
    cJSON_AddTrueToObject(sls, "starting");

    if (token) {
        cJSON_DeleteItemFromObjectCaseSensitive(sls, "token");
        cJSON_AddStringToObject(sls, "token", token);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_reverse_prepare(ngx_http_sockerless_op_t *op,
    const char *token)
{
    char         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    const char  *id;

    id = ngx_http_sockerless_json_str(op->container, "Id");

    if (id == NULL || ngx_strlen(id) != NGX_HTTP_SOCKERLESS_ID_LEN) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    if (ngx_http_sockerless_store_update(op->pool, key,
                                         ngx_http_sockerless_reverse_ready,
                                         (void *) token)
        != NGX_OK
        || ngx_http_sockerless_reverse_ready((void *) token, &op->container)
           != NGX_OK)
    {
        op->status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&op->message, "the container was removed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_reverse_wait(ngx_http_sockerless_rwait_t *w)
{
    const char  *id, *token;

    id = ngx_http_sockerless_json_str(w->op->container, "Id");
    token = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(w->op->container, "_sls"),
                "token");

    if (id == NULL || token == NULL || ngx_strlen(token) >= sizeof(w->token))
    {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) w->id, (u_char *) id, sizeof(w->id));
    ngx_cpystrn((u_char *) w->token, (u_char *) token, sizeof(w->token));

    w->waiting = 1;
    w->watch.handler = ngx_http_sockerless_reverse_watch;
    w->watch.data = w;

    if (ngx_http_sockerless_store_watch(&w->watch) != NGX_OK) {
        w->waiting = 0;
        return NGX_ERROR;
    }

    /* the agent may have called back already */
    ngx_http_sockerless_reverse_watch(&w->watch);

    return NGX_OK;
}


static void
ngx_http_sockerless_reverse_watch(ngx_http_sockerless_watch_t *ws)
{
    ngx_http_sockerless_rwait_t *w = ws->data;

    char                      key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON                    *rec, *sls;
    ngx_int_t                 pid;
    ngx_pool_t               *pool;
    const char               *error;
    ngx_http_sockerless_op_t *op;

    if (!w->waiting) {
        return;
    }

    op = w->op;

    pool = ngx_create_pool(4096, op->log);
    if (pool == NULL) {
        return;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", w->id);
    rec = ngx_http_sockerless_store_get(pool, key);

    if (rec == NULL) {
        ngx_destroy_pool(pool);
        op->status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&op->message, "the container was removed while it "
                    "was starting");
        ngx_http_sockerless_reverse_done(w, NGX_ERROR);
        return;
    }

    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    pid = (ngx_int_t) cJSON_GetNumberValue(
                          cJSON_GetObjectItemCaseSensitive(sls, "agent_pid"));
    error = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(sls, "exit"), "error");

    if (error && *error) {
        /* the agent could not start the command: dockerd's words */
        (void) ngx_http_sockerless_op_error(op, NGX_HTTP_BAD_REQUEST,
                                            NGX_HTTP_SOCKERLESS_OCI_FAILED,
                                            error);

        ngx_destroy_pool(pool);
        ngx_http_sockerless_reverse_done(w, NGX_ERROR);
        return;
    }

    ngx_destroy_pool(pool);

    if (pid <= 0) {
        return;
    }

    /* the agent is there: its output is read before the start is done */

    w->pid = pid;
    w->waiting = 0;
    ngx_http_sockerless_store_unwatch(&w->watch);

    w->pump = ngx_http_sockerless_pump_open(w->id, w->token, 1);

    if (w->pump) {
        ((ngx_http_sockerless_pump_t *) w->pump)->wait = w;

    } else {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the agent called back but cannot be "
                    "reached");
        ngx_http_sockerless_reverse_done(w, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_reverse_done(ngx_http_sockerless_rwait_t *w, ngx_int_t rc)
{
    ngx_http_sockerless_reverse_cancel(w);

    w->handler(w, rc);
}


void
ngx_http_sockerless_reverse_cancel(ngx_http_sockerless_rwait_t *w)
{
    ngx_http_sockerless_pump_t  *pm;

    if (w->waiting) {
        w->waiting = 0;
        ngx_http_sockerless_store_unwatch(&w->watch);
    }

    pm = w->pump;
    w->pump = NULL;

    if (pm && pm->wait) {
        /* not open yet: nobody waits for it */
        pm->wait = NULL;
        ngx_http_sockerless_pump_free(pm);
    }
}


/* the pump */

static ngx_http_sockerless_pump_t *
ngx_http_sockerless_pump_open(const char *id, const char *token,
    ngx_uint_t logs)
{
    u_char                      *path;
    ngx_pool_t                  *pool;
    ngx_http_sockerless_pump_t  *pm;

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    pm = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_pump_t));
    if (pm == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    pm->pool = pool;
    pm->log = ngx_cycle->log;
    pm->fd = NGX_INVALID_FILE;
    pm->logs = logs;

    if (!ngx_http_sockerless_pumps_init) {
        ngx_queue_init(&ngx_http_sockerless_pumps);
        ngx_http_sockerless_pumps_init = 1;
    }

    ngx_queue_insert_tail(&ngx_http_sockerless_pumps, &pm->queue);
    ngx_cpystrn((u_char *) pm->id, (u_char *) id, sizeof(pm->id));

    path = ngx_http_sockerless_container_path(pool, id, "container.log");
    if (path == NULL) {
        ngx_http_sockerless_pump_free(pm);
        return NULL;
    }

    pm->fd = ngx_open_file(path, NGX_FILE_APPEND, NGX_FILE_CREATE_OR_OPEN,
                           0600);
    if (pm->fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, pm->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        ngx_http_sockerless_pump_free(pm);
        return NULL;
    }

    path = ngx_http_sockerless_agent_socket(pool, id);
    if (path == NULL) {
        ngx_http_sockerless_pump_free(pm);
        return NULL;
    }

    pm->agent = ngx_http_sockerless_agent_connect(pm->log, (char *) path,
                                                  token,
                                                  &ngx_http_sockerless_pump_h,
                                                  pm);
    if (pm->agent == NULL) {
        ngx_http_sockerless_pump_free(pm);
        return NULL;
    }

    return pm;
}


static ngx_int_t
ngx_http_sockerless_pump_set(void *data, cJSON **value)
{
    ngx_int_t  pid = *(ngx_int_t *) data;

    cJSON  *sls;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "pump");

    if (pid) {
        cJSON_AddNumberToObject(sls, "pump", (double) pid);
    }

    return NGX_OK;
}


/* the record names this worker as its reader, unless a live one is */

static ngx_int_t
ngx_http_sockerless_pump_claim(void *data, cJSON **value)
{
    cJSON      *sls;
    ngx_int_t   pump;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    pump = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "pump"));

    if (pump > 0 && (pump == ngx_pid || kill((pid_t) pump, 0) == 0)) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "pump");
    cJSON_AddNumberToObject(sls, "pump", (double) ngx_pid);

    return NGX_OK;
}


static void
ngx_http_sockerless_pump_opened(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_pump_t *pm = ngx_http_sockerless_agent_data(a);

    char                          key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON                        *msg;
    ngx_int_t                     pid;
    ngx_http_sockerless_rwait_t  *w;

    msg = cJSON_CreateObject();
    if (msg == NULL) {
        return;
    }

    cJSON_AddStringToObject(msg, "type", "attach");
    cJSON_AddStringToObject(msg, "id", "main");
    cJSON_AddFalseToObject(msg, "stdin");
    cJSON_AddTrueToObject(msg, "stdout");
    cJSON_AddTrueToObject(msg, "stderr");
    cJSON_AddBoolToObject(msg, "logs", pm->logs);

    if (ngx_http_sockerless_agent_send_control(a, msg) == NGX_ERROR) {
        cJSON_Delete(msg);
        return;
    }

    cJSON_Delete(msg);

    pid = ngx_pid;
    ngx_sprintf((u_char *) key, "c/%s%Z", pm->id);
    (void) ngx_http_sockerless_store_update(pm->pool, key,
                                            ngx_http_sockerless_pump_set,
                                            &pid);

    w = pm->wait;
    pm->wait = NULL;

    if (w) {
        w->pump = NULL;
        (void) ngx_http_sockerless_pump_set(&pid, &w->op->container);
        w->handler(w, NGX_OK);
    }
}


static ngx_int_t
ngx_http_sockerless_pump_data(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, u_char *p, size_t len)
{
    ngx_http_sockerless_pump_t *pm = ngx_http_sockerless_agent_data(a);

    size_t           n;
    u_char           hdr[SLS_LOGFMT_HEADER_LEN];
    uint64_t         ns;
    struct iovec     iov[2];
    struct timespec  ts;

    if (stream != 1 && stream != 2) {
        return NGX_OK;
    }

    (void) clock_gettime(CLOCK_REALTIME, &ts);
    ns = (uint64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;

    while (len) {
        n = ngx_min(len, SLS_LOGFMT_MAX_RECORD);

        sls_logfmt_encode_header(hdr, (int) stream, (uint32_t) n, ns);

        iov[0].iov_base = hdr;
        iov[0].iov_len = SLS_LOGFMT_HEADER_LEN;
        iov[1].iov_base = p;
        iov[1].iov_len = n;

        /* one record per write on an O_APPEND file: readers see it whole */

        if (writev(pm->fd, iov, 2) != (ssize_t) (SLS_LOGFMT_HEADER_LEN + n)) {
            ngx_log_error(NGX_LOG_ERR, pm->log, ngx_errno,
                          "sockerless: writing the log of container %s "
                          "failed", pm->id);
            return NGX_OK;
        }

        p += n;
        len -= n;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_pump_control(ngx_http_sockerless_agent_t *a, cJSON *msg)
{
    ngx_http_sockerless_pump_t *pm = ngx_http_sockerless_agent_data(a);

    char         now[64];
    cJSON       *report;
    const char  *type, *id;

    type = ngx_http_sockerless_json_str(msg, "type");
    id = ngx_http_sockerless_json_str(msg, "id");

    if (type == NULL || ngx_strcmp(type, "exit") != 0
        || id == NULL || ngx_strcmp(id, "main") != 0)
    {
        return;
    }

    /* all of the output is in the log: the exit may be recorded */

    pm->exited = 1;

    report = cJSON_CreateObject();
    if (report == NULL) {
        return;
    }

    ngx_http_sockerless_now(now, sizeof(now));
    cJSON_AddNumberToObject(report, "exitCode", cJSON_GetNumberValue(
        cJSON_GetObjectItemCaseSensitive(msg, "exitCode")));
    cJSON_AddStringToObject(report, "finishedAt", now);

    (void) ngx_http_sockerless_callback_report(pm->pool, pm->log, pm->id,
                                               report, 1);
    cJSON_Delete(report);

    /* nothing more comes: the pump ends before the agent hangs up */

    ngx_http_sockerless_agent_close(a);
    pm->agent = NULL;
    ngx_http_sockerless_pump_free(pm);
}


static void
ngx_http_sockerless_pump_closed(ngx_http_sockerless_agent_t *a, ngx_int_t rc)
{
    ngx_http_sockerless_pump_t *pm = ngx_http_sockerless_agent_data(a);

    char                          key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    ngx_int_t                     pid;
    ngx_http_sockerless_rwait_t  *w;

    pm->agent = NULL;

    /* reports of the exit are now for the store to apply */

    pid = 0;
    ngx_sprintf((u_char *) key, "c/%s%Z", pm->id);
    (void) ngx_http_sockerless_store_update(pm->pool, key,
                                            ngx_http_sockerless_pump_set,
                                            &pid);

    if (!pm->exited) {
        /* an exit the agent reported meanwhile is recorded now */
        ngx_http_sockerless_callback_orphan(pm->pool, pm->log, pm->id);
    }

    w = pm->wait;
    pm->wait = NULL;

    if (w) {
        w->pump = NULL;
        w->op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&w->op->message, "the agent called back but the "
                    "connection to it failed");
        w->handler(w, NGX_ERROR);
    }

    ngx_http_sockerless_pump_free(pm);
}


static void
ngx_http_sockerless_pump_free(ngx_http_sockerless_pump_t *pm)
{
    ngx_queue_remove(&pm->queue);

    if (pm->agent) {
        ngx_http_sockerless_agent_close(pm->agent);
        pm->agent = NULL;
    }

    if (pm->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(pm->fd);
    }

    ngx_destroy_pool(pm->pool);
}


/*
 * A stopping worker's pumps go before it exits (nginx would find their
 * connections open); the worker holding lease/ecs, or the exit reports,
 * see the runs to their end
 */

void
ngx_http_sockerless_reverse_exit_process(void)
{
    ngx_queue_t                 *q;
    ngx_http_sockerless_pump_t  *pm;

    if (!ngx_http_sockerless_pumps_init) {
        return;
    }

    while (!ngx_queue_empty(&ngx_http_sockerless_pumps)) {
        q = ngx_queue_head(&ngx_http_sockerless_pumps);
        pm = ngx_queue_data(q, ngx_http_sockerless_pump_t, queue);

        pm->wait = NULL;
        ngx_http_sockerless_pump_free(pm);
    }
}


/*
 * An agent dialed back: a run that is recorded as running and that no
 * live worker reads (its reader's worker stopped, or a gateway rebuilt
 * it) is read from now on by this worker
 */

void
ngx_http_sockerless_reverse_called_back(cJSON *rec)
{
    cJSON      *sls;
    ngx_int_t   pump;

    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    pump = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "pump"));

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(rec, "State"), "Running"))
        || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "starting"))
        || (pump > 0 && kill((pid_t) pump, 0) == 0))
    {
        return;
    }

    (void) ngx_http_sockerless_reverse_read(rec);
}


/*
 * A run whose reader went (its worker stopped) is read again from now on
 * by this worker: NGX_OK once the connection is under way
 */

ngx_int_t
ngx_http_sockerless_reverse_read(cJSON *rec)
{
    char             run[NGX_HTTP_SOCKERLESS_RUN_LEN + 1];
    char             name[NGX_HTTP_SOCKERLESS_RUN_LEN + 8];
    char             key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    u_char          *path, file[NGX_MAX_PATH];
    ngx_int_t        pid, rc;
    ngx_uint_t       logs;
    ngx_pool_t      *pool;
    const char      *id, *token;
    ngx_file_info_t  fi;

    id = ngx_http_sockerless_json_str(rec, "Id");
    token = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");

    if (id == NULL || token == NULL) {
        return NGX_DECLINED;
    }

    /* no relay yet: the agent has not dialed back (yet); asked again */

    ngx_http_sockerless_relay_run(run, token);
    ngx_sprintf((u_char *) name, "relay.%s%Z", run);

    path = ngx_http_sockerless_container_file(file, sizeof(file), id, name);

    if (path == NULL || ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        return NGX_DECLINED;
    }

    /*
     * an empty log (a rebuilt record) takes the agent's ring, the last MiB;
     * a log that has the run's beginning does not, and what came while no
     * worker read is only in the cloud's log (CloudWatch)
     */

    path = ngx_http_sockerless_container_file(file, sizeof(file), id,
                                              "container.log");

    logs = path == NULL || ngx_file_info(path, &fi) == NGX_FILE_ERROR
           || ngx_file_size(&fi) == 0;

    /* one reader for all workers: claimed in the record first */

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = NGX_DECLINED;

    if (ngx_http_sockerless_store_update(pool, key,
                                         ngx_http_sockerless_pump_claim,
                                         NULL)
        == NGX_OK)
    {
        if (ngx_http_sockerless_pump_open(id, token, logs)) {
            rc = NGX_OK;

        } else {
            pid = 0;
            (void) ngx_http_sockerless_store_update(pool, key,
                                                ngx_http_sockerless_pump_set,
                                                &pid);
        }
    }

    ngx_destroy_pool(pool);

    return rc;
}


/* the cloud tells when a run is over (the reader, reports, the poller) */

ngx_int_t
ngx_http_sockerless_reverse_alive(ngx_http_sockerless_op_t *op)
{
    return NGX_OK;
}


/* the backends' container_started: an exit kept meanwhile is applied */

void
ngx_http_sockerless_reverse_started(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_callback_started(op->pool, op->log,
                       ngx_http_sockerless_json_str(op->container, "Id"));
}


/*
 * A failed cloud call as a Docker error: the cloud's words with the
 * action named; 503 when the cloud could not be reached at all
 */

void
ngx_http_sockerless_reverse_error(ngx_http_sockerless_op_t *op,
    ngx_uint_t status, ngx_str_t *type, ngx_str_t *message,
    const char *cloud, const char *action)
{
    u_char  *p;
    size_t   len;

    op->status = status == 0 ? NGX_HTTP_SERVICE_UNAVAILABLE
                             : NGX_HTTP_INTERNAL_SERVER_ERROR;

    len = 64 + ngx_strlen(cloud) + ngx_strlen(action) + type->len
          + message->len;

    p = ngx_pnalloc(op->pool, len);
    if (p == NULL) {
        ngx_str_set(&op->message, "the cloud call failed");
        return;
    }

    op->message.data = p;
    op->message.len = ngx_snprintf(p, len, "%s %s failed: %V%s%V", cloud,
                                   action, type, type->len ? ": " : "",
                                   message)
                      - p;
}


/* the store record "key" names one worker for a minute */

static ngx_int_t
ngx_http_sockerless_reverse_lease(void *data, cJSON **value)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    if (*value
        && cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(*value,
                                                                 "until"))
           > (double) tp->sec)
    {
        return NGX_DECLINED;
    }

    *value = cJSON_CreateObject();
    if (*value == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddNumberToObject(*value, "pid", (double) ngx_pid);
    cJSON_AddNumberToObject(*value, "until", (double) tp->sec + 60);

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_reverse_once(ngx_pool_t *pool, const char *key)
{
    return ngx_http_sockerless_store_update(pool, key,
                                            ngx_http_sockerless_reverse_lease,
                                            NULL);
}


/* what a container in a cloud task cannot have is refused, not dropped */

ngx_int_t
ngx_http_sockerless_reverse_refuse(ngx_http_sockerless_op_t *op,
    const char *backend, ngx_uint_t linux_params)
{
    u_char      *p;
    cJSON       *hc, *conf, *test, *first;
    const char  *why;

    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    conf = cJSON_GetObjectItemCaseSensitive(op->container, "Config");

    /* health checks: the agent runs none in reverse mode yet */

    test = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(conf, "Healthcheck"), "Test");
    first = cJSON_GetArrayItem(test, 0);

    if (cJSON_IsString(first) && ngx_strcmp(first->valuestring, "NONE") != 0)
    {
        why = "run health checks yet: create the container without them "
              "(--no-healthcheck)";

    } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "Binds"))
               || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "Mounts"))
               || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "VolumesFrom"))
               || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(conf,
                                                           "Volumes")))
    {
        why = "mount binds or volumes: a cloud task has no host paths, "
              "and EFS volumes are not supported";

    } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "Tmpfs")))
    {
        why = "mount a tmpfs (--tmpfs): Fargate tasks and Lambda functions "
              "have none";

    } else {
        why = ngx_http_sockerless_reverse_process(hc, linux_params);

        if (why == NULL) {
            return NGX_OK;
        }
    }

    op->status = NGX_HTTP_BAD_REQUEST;

    p = ngx_pnalloc(op->pool, 256);
    if (p == NULL) {
        return NGX_ERROR;
    }

    op->message.data = p;
    op->message.len = ngx_snprintf(p, 256, "the %s backend cannot %s",
                                   backend, why)
                      - p;

    return NGX_ERROR;
}


/*
 * HostConfig's process options a cloud task cannot have (linux_params:
 * the backend maps --read-only, --init, --cap-add, --cap-drop and
 * --ulimit into its task, as ECS's linuxParameters do); NULL: none
 */

static const char *
ngx_http_sockerless_reverse_process(cJSON *hc, ngx_uint_t linux_params)
{
    cJSON       *item;
    const char  *s;

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Privileged"))) {
        return "run a privileged container (--privileged)";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "Devices"))) {
        return "add host devices (--device): a cloud task has no host";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "Sysctls"))) {
        return "set sysctls (--sysctl)";
    }

    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc, "ShmSize"))
        > 0)
    {
        return "size /dev/shm (--shm-size)";
    }

    s = ngx_http_sockerless_json_str(hc, "PidMode");
    if (s && *s) {
        return "share a PID namespace (--pid)";
    }

    s = ngx_http_sockerless_json_str(hc, "IpcMode");
    if (s && *s && ngx_strcmp(s, "private") != 0
        && ngx_strcmp(s, "shareable") != 0)
    {
        return "share an IPC namespace (--ipc)";
    }

    s = ngx_http_sockerless_json_str(hc, "UTSMode");
    if (s && *s) {
        return "share the UTS namespace (--uts)";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                            "GroupAdd")))
    {
        return "add supplementary groups (--group-add)";
    }

    item = cJSON_GetObjectItemCaseSensitive(hc, "OomScoreAdj");

    if (cJSON_IsNumber(item) && item->valuedouble != 0) {
        return "adjust the OOM score (--oom-score-adj)";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                            "SecurityOpt")))
    {
        return "apply security options (--security-opt)";
    }

    if (linux_params) {
        return NULL;
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "ReadonlyRootfs")))
    {
        return "make the root file system read-only (--read-only)";
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Init"))) {
        return "run an init process (--init)";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "CapAdd"))
        || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "CapDrop")))
    {
        return "change capabilities (--cap-add, --cap-drop)";
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "Ulimits"))) {
        return "set ulimits (--ulimit)";
    }

    return NULL;
}


/*
 * Limits and name service a cloud task cannot have, refused rather than
 * dropped: ExtraHosts and Dns* (awsvpc tasks and Lambda functions use
 * the VPC's resolver and a fixed /etc/hosts), and every HostConfig limit
 * but the task's size (NanoCpus, with "cpu" 1 only for ECS, and Memory)
 */

ngx_int_t
ngx_http_sockerless_reverse_refuse_resources(ngx_http_sockerless_op_t *op,
    const char *backend, ngx_uint_t cpu)
{
    u_char      *p;
    cJSON       *hc, *v;
    ngx_uint_t   i;
    const char  *why, *s;

    static const char  *limits[] = {
        "CpuShares", "--cpu-shares",
        "CpuPeriod", "--cpu-period",
        "CpuQuota", "--cpu-quota",
        "MemoryReservation", "--memory-reservation",
        "MemorySwap", "--memory-swap",
        "BlkioWeight", "--blkio-weight",
        "PidsLimit", "--pids-limit",
        NULL
    };

    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    why = NULL;

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "ExtraHosts")))
    {
        why = "add hosts (--add-host): its tasks' /etc/hosts is the "
              "cloud's";

    } else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc, "Dns"))
               || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                               "DnsSearch"))
               || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                              "DnsOptions")))
    {
        why = "set DNS servers, search domains or options (--dns, "
              "--dns-search, --dns-option): its tasks use the VPC's "
              "resolver";
    }

    for (i = 0; why == NULL && limits[i]; i += 2) {
        v = cJSON_GetObjectItemCaseSensitive(hc, limits[i]);

        /* -1: unlimited swap, or no pids limit, what a task has anyway */

        if (cJSON_IsNumber(v) && v->valuedouble != 0
            && v->valuedouble != -1)
        {
            why = limits[i + 1];
        }
    }

    s = ngx_http_sockerless_json_str(hc, "CpusetCpus");
    if (why == NULL && s && *s) {
        why = "--cpuset-cpus";
    }

    s = ngx_http_sockerless_json_str(hc, "CpusetMems");
    if (why == NULL && s && *s) {
        why = "--cpuset-mems";
    }

    if (why == NULL && !cpu
        && cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc,
                                                           "NanoCpus")) > 0)
    {
        why = "--cpus";
    }

    if (why == NULL) {
        return NGX_OK;
    }

    p = ngx_pnalloc(op->pool, 320);
    if (p == NULL) {
        return NGX_ERROR;
    }

    op->status = NGX_HTTP_BAD_REQUEST;
    op->message.data = p;

    if (why[0] == '-') {
        op->message.len = ngx_snprintf(p, 320, "the %s backend cannot "
                                       "apply %s: its tasks are sized by "
                                       "%s alone", backend, why,
                                       cpu ? "CPU (--cpus) and memory (-m)"
                                           : "memory (-m)")
                          - p;

    } else {
        op->message.len = ngx_snprintf(p, 320, "the %s backend cannot %s",
                                       backend, why)
                          - p;
    }

    return NGX_ERROR;
}


/* signals */

ngx_int_t
ngx_http_sockerless_reverse_signal(cJSON *rec, ngx_int_t sig)
{
    u_char                      *path;
    ngx_pool_t                  *pool;
    const char                  *token, *id;
    ngx_http_sockerless_rsig_t  *sg;

    token = ngx_http_sockerless_json_str(
                cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "token");
    id = ngx_http_sockerless_json_str(rec, "Id");

    if (token == NULL || id == NULL) {
        return NGX_DECLINED;
    }

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    sg = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_rsig_t));
    path = ngx_http_sockerless_agent_socket(pool, id);

    if (sg == NULL || path == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    sg->pool = pool;
    sg->signal = sig;

    if (ngx_http_sockerless_agent_connect(ngx_cycle->log, (char *) path,
                                          token, &ngx_http_sockerless_rsig_h,
                                          sg)
        == NULL)
    {
        ngx_destroy_pool(pool);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_rsig_opened(ngx_http_sockerless_agent_t *a)
{
    ngx_http_sockerless_rsig_t *sg = ngx_http_sockerless_agent_data(a);

    cJSON  *msg;

    msg = cJSON_CreateObject();

    if (msg) {
        cJSON_AddStringToObject(msg, "type", "signal");
        cJSON_AddStringToObject(msg, "id", "main");
        cJSON_AddNumberToObject(msg, "signal", (double) sg->signal);

        (void) ngx_http_sockerless_agent_send_control(a, msg);
        cJSON_Delete(msg);
    }

    /* what was queued goes out before the close */
    ngx_http_sockerless_agent_close(a);
    ngx_destroy_pool(sg->pool);
}


static void
ngx_http_sockerless_rsig_closed(ngx_http_sockerless_agent_t *a, ngx_int_t rc)
{
    ngx_http_sockerless_rsig_t *sg = ngx_http_sockerless_agent_data(a);

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "sockerless: signal %i was not delivered: the connection "
                  "to the agent failed", sg->signal);

    ngx_destroy_pool(sg->pool);
}
