
/*
 * Copyright (C) sockerless contributors
 *
 * The memory backend (DESIGN.md D7): each container is a detached
 * sockerless-agent on this host that runs the main process in the image's
 * root filesystem. Exits come back as files in <data>/exits, watched by
 * every worker; an agent that dies without one is noticed through pidfd.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_images.h>
#include <ngx_http_sockerless_networks.h>
#include <ngx_http_sockerless_resources.h>
#include <ngx_http_sockerless_store.h>
#include <ngx_http_sockerless_memory_cgroup.h>
#include <sls_ports.h>
#include <sls_runtime.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <dirent.h>


#define NGX_HTTP_SOCKERLESS_MEMORY_START_TIMEOUT  60000
#define NGX_HTTP_SOCKERLESS_MEMORY_HEALTH_MAX     (256 * 1024)


typedef struct {
    ngx_flag_t                     namespaces;
    ngx_msec_t                     start_timeout;
    ngx_str_t                      exits;
    int                            exits_wd;
    ngx_queue_t                    agents;       /* per worker */
    ngx_str_t                      cgroup_parent;
    ngx_http_sockerless_cgroup_t   cgroup;       /* per worker */
} ngx_http_sockerless_memory_conf_t;


typedef struct {
    ngx_http_sockerless_op_t      *op;
    ngx_connection_t              *status;
    ngx_event_t                    timer;
    u_char                         buf[4096];
    size_t                         len;
    ngx_pid_t                      child;
    ngx_uint_t                     archive;      /* not a start: docker cp */
    ngx_uint_t                     net;          /* nor: network connect */
    char                          *socket;
    u_char                         token[65];
} ngx_http_sockerless_memory_start_t;


/* an agent watched by this worker through its pidfd */

typedef struct {
    ngx_queue_t                    queue;
    ngx_connection_t              *c;
    ngx_pid_t                      pid;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    ngx_http_sockerless_memory_conf_t  *mcf;
} ngx_http_sockerless_memory_agent_t;


static void *ngx_http_sockerless_memory_create_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_memory_init_conf(ngx_conf_t *cf,
    void *conf);
static ngx_int_t ngx_http_sockerless_memory_init_process(ngx_cycle_t *cycle,
    void *conf);
static void ngx_http_sockerless_memory_exit_process(ngx_cycle_t *cycle,
    void *conf);
static ngx_int_t ngx_http_sockerless_memory_prepare(
    ngx_http_sockerless_op_t *op, const char **id, char **dir, char **cfg,
    u_char token[65]);
static ngx_int_t ngx_http_sockerless_memory_start(
    ngx_http_sockerless_op_t *op);
static cJSON *ngx_http_sockerless_memory_ports(ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_ports_done(
    ngx_http_sockerless_op_t *op, cJSON *res);
static ngx_int_t ngx_http_sockerless_memory_runtime(
    ngx_http_sockerless_op_t *op, cJSON *j);
static ngx_int_t ngx_http_sockerless_memory_network(
    ngx_http_sockerless_op_t *op, cJSON *j);
static ngx_int_t ngx_http_sockerless_memory_iface(ngx_pool_t *pool,
    cJSON *ep, char *spec);
static ngx_int_t ngx_http_sockerless_memory_connect(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_archive(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_kill(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_pause(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_unpause(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_remove(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_layers(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_top(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_stats(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_resources(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_update(
    ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_memory_cgroups(
    ngx_http_sockerless_op_t *op, cJSON *j, const char *id);
static char *ngx_http_sockerless_memory_cgroup_parent(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_sockerless_memory_resolv(
    ngx_http_sockerless_op_t *op, cJSON *mounts);
static ngx_int_t ngx_http_sockerless_memory_spawn(
    ngx_http_sockerless_op_t *op, ngx_http_sockerless_memory_start_t *st,
    char **argv, char **envp);
static void ngx_http_sockerless_memory_status_read(ngx_event_t *ev);
static void ngx_http_sockerless_memory_status_timeout(ngx_event_t *ev);
static void ngx_http_sockerless_memory_start_done(
    ngx_http_sockerless_memory_start_t *st, ngx_int_t rc);
static void ngx_http_sockerless_memory_exit_event(void *data,
    struct inotify_event *ie);
static void ngx_http_sockerless_memory_health(
    ngx_http_sockerless_memory_conf_t *mcf, const char *id);
static void ngx_http_sockerless_memory_claim(
    ngx_http_sockerless_memory_conf_t *mcf, const char *name);
static ngx_int_t ngx_http_sockerless_memory_watch_agent(
    ngx_http_sockerless_memory_conf_t *mcf, const char *id, ngx_pid_t pid);
static ngx_int_t ngx_http_sockerless_memory_marker(
    ngx_http_sockerless_op_t *op, char *path);
static void ngx_http_sockerless_memory_started(ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_memory_agent_gone(ngx_event_t *ev);
static void ngx_http_sockerless_memory_agent_check(
    ngx_http_sockerless_memory_agent_t *a);
static ngx_int_t ngx_http_sockerless_memory_scan(void *data, const char *key,
    cJSON *rec);
static ngx_int_t ngx_http_sockerless_memory_signal_all(cJSON *rec,
    int sig);


static ngx_command_t  ngx_http_sockerless_memory_commands[] = {

    { ngx_string("sockerless_memory_namespaces"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_memory_conf_t, namespaces),
      NULL },

    { ngx_string("sockerless_memory_start_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_memory_conf_t, start_timeout),
      NULL },

    { ngx_string("sockerless_memory_cgroup_parent"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_sockerless_memory_cgroup_parent,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_memory_conf_t, cgroup_parent),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_memory_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_memory_create_conf, /* create main configuration */
    ngx_http_sockerless_memory_init_conf,  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_memory_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_memory_module_ctx, /* module context */
    ngx_http_sockerless_memory_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_sockerless_backend_t  ngx_http_sockerless_memory_backend = {
    .name = ngx_string("memory"),
    .supports = SLS_SUPPORTS_EXEC|SLS_SUPPORTS_ATTACH|SLS_SUPPORTS_PAUSE
                |SLS_SUPPORTS_SIGNALS|SLS_SUPPORTS_LOGS|SLS_SUPPORTS_TOP
                |SLS_SUPPORTS_STATS|SLS_SUPPORTS_ARCHIVE|SLS_SUPPORTS_HEALTH
                |SLS_SUPPORTS_VOLUMES|SLS_SUPPORTS_NETWORKS,
    .op_state_size = sizeof(ngx_http_sockerless_memory_start_t),
    .init_process = ngx_http_sockerless_memory_init_process,
    .exit_process = ngx_http_sockerless_memory_exit_process,
    .container_start = ngx_http_sockerless_memory_start,
    .container_kill = ngx_http_sockerless_memory_kill,
    .container_pause = ngx_http_sockerless_memory_pause,
    .container_unpause = ngx_http_sockerless_memory_unpause,
    .container_remove = ngx_http_sockerless_memory_remove,
    .container_top = ngx_http_sockerless_memory_top,
    .container_layers = ngx_http_sockerless_memory_layers,
    .container_stats = ngx_http_sockerless_memory_stats,
    .container_resources = ngx_http_sockerless_memory_resources,
    .container_update = ngx_http_sockerless_memory_update,
    .container_started = ngx_http_sockerless_memory_started,
    .container_archive = ngx_http_sockerless_memory_archive,
    .network_connect = ngx_http_sockerless_memory_connect,
};


static void *
ngx_http_sockerless_memory_create_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_memory_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_memory_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->namespaces = NGX_CONF_UNSET;
    mcf->start_timeout = NGX_CONF_UNSET_MSEC;
    mcf->exits_wd = -1;

    return mcf;
}


static char *
ngx_http_sockerless_memory_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_memory_conf_t *mcf = conf;

    ngx_conf_init_value(mcf->namespaces, 1);
    ngx_conf_init_msec_value(mcf->start_timeout,
                             NGX_HTTP_SOCKERLESS_MEMORY_START_TIMEOUT);

    if (mcf->cgroup_parent.data == NULL) {
        ngx_str_set(&mcf->cgroup_parent, "sockerless");
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_sockerless_memory_init_process(ngx_cycle_t *cycle, void *conf)
{
    ngx_http_sockerless_memory_conf_t *mcf = conf;

    DIR                              *dir;
    u_char                           *p;
    ngx_pool_t                       *pool;
    struct dirent                    *de;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    ngx_queue_init(&mcf->agents);

    if (ngx_http_sockerless_cgroup_init(cycle, &mcf->cgroup,
                                        &mcf->cgroup_parent)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cycle->pool, smcf->data_dir.len + 32);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%V/containers%Z", &smcf->data_dir);
    (void) ngx_create_dir(p, 0700);

    ngx_sprintf(p, "%V/exits%Z", &smcf->data_dir);
    (void) ngx_create_dir(p, 0700);

    mcf->exits.data = p;
    mcf->exits.len = ngx_strlen(p);

    mcf->exits_wd = ngx_http_sockerless_inotify_add((char *) p,
                                 IN_MOVED_TO|IN_CLOSE_WRITE,
                                 ngx_http_sockerless_memory_exit_event, mcf);
    if (mcf->exits_wd == -1) {
        return NGX_ERROR;
    }

    /* what happened while no worker was watching */

    dir = opendir((char *) p);
    if (dir) {
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == 'h' && de->d_name[1] == '.') {
                ngx_http_sockerless_memory_health(mcf, de->d_name + 2);

            } else if (de->d_name[0] != '.') {
                ngx_http_sockerless_memory_claim(mcf, de->d_name);
            }
        }

        closedir(dir);
    }

    /* starts that a worker did not finish: their exits may be taken */

    dir = opendir((char *) p);
    if (dir) {
        while ((de = readdir(dir)) != NULL) {
            if (ngx_strncmp(de->d_name, ".starting.", 10) == 0) {
                (void) unlinkat(dirfd(dir), de->d_name, 0);
                ngx_http_sockerless_memory_claim(mcf, de->d_name + 10);
            }
        }

        closedir(dir);
    }

    pool = ngx_create_pool(4096, cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    (void) ngx_http_sockerless_store_scan(pool, "c/",
                                          ngx_http_sockerless_memory_scan,
                                          mcf);
    ngx_destroy_pool(pool);

    return NGX_OK;
}


static void
ngx_http_sockerless_memory_exit_process(ngx_cycle_t *cycle, void *conf)
{
    ngx_http_sockerless_memory_conf_t *mcf = conf;

    ngx_queue_t                         *q;
    ngx_http_sockerless_memory_agent_t  *a;

    while (!ngx_queue_empty(&mcf->agents)) {
        q = ngx_queue_head(&mcf->agents);
        ngx_queue_remove(q);

        a = ngx_queue_data(q, ngx_http_sockerless_memory_agent_t, queue);
        ngx_close_connection(a->c);
        ngx_free(a);
    }

    ngx_http_sockerless_cgroup_done(&mcf->cgroup);
}


static ngx_int_t
ngx_http_sockerless_memory_scan(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_memory_conf_t *mcf = data;

    cJSON        *sls, *state;
    const char   *id;
    ngx_pid_t     pid;

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return NGX_OK;
    }

    id = ngx_http_sockerless_json_str(rec, "Id");
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    pid = (ngx_pid_t) cJSON_GetNumberValue(
                          cJSON_GetObjectItemCaseSensitive(sls, "agent_pid"));

    if (id && pid > 0) {
        (void) ngx_http_sockerless_memory_watch_agent(mcf, id, pid);
    }

    return NGX_OK;
}


/* exit reports */

static void
ngx_http_sockerless_memory_exit_event(void *data, struct inotify_event *ie)
{
    ngx_http_sockerless_memory_conf_t *mcf = data;

    if (ie->len == 0 || ie->name[0] == '.') {
        return;
    }

    if (ie->name[0] == 'h' && ie->name[1] == '.') {
        ngx_http_sockerless_memory_health(mcf, ie->name + 2);
        return;
    }

    ngx_http_sockerless_memory_claim(mcf, ie->name);
}


/*
 * h.<id>: the agent's last health results, replaced at each probe; every
 * worker reads it and the store keeps each result once
 */

static void
ngx_http_sockerless_memory_health(ngx_http_sockerless_memory_conf_t *mcf,
    const char *id)
{
    u_char     *buf;
    ssize_t     n;
    ngx_fd_t    fd;
    u_char      path[NGX_MAX_PATH];

    if (ngx_strlen(id) != NGX_HTTP_SOCKERLESS_ID_LEN
        || mcf->exits.len + 80 > NGX_MAX_PATH)
    {
        return;
    }

    ngx_sprintf(path, "%V/h.%s%Z", &mcf->exits, id);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return;
    }

    /* 5 results of at most 4 KiB of output each, JSON-escaped */

    buf = ngx_alloc(NGX_HTTP_SOCKERLESS_MEMORY_HEALTH_MAX, ngx_cycle->log);
    if (buf == NULL) {
        (void) ngx_close_file(fd);
        return;
    }

    n = read(fd, buf, NGX_HTTP_SOCKERLESS_MEMORY_HEALTH_MAX);
    (void) ngx_close_file(fd);

    if (n > 0) {
        ngx_http_sockerless_health_report(ngx_cycle->log, id, buf, n);
    }

    ngx_free(buf);
}


static void
ngx_http_sockerless_memory_claim(ngx_http_sockerless_memory_conf_t *mcf,
    const char *name)
{
    char        *path, *claim, *s;
    cJSON       *ex;
    ssize_t      n;
    ngx_fd_t     fd;
    ngx_int_t    code;
    ngx_pool_t  *pool;
    const char  *xid, *finished, *error;
    u_char       buf[4096];

    if (ngx_strlen(name) > NGX_HTTP_SOCKERLESS_ID_LEN) {
        return;
    }

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    path = ngx_pnalloc(pool, mcf->exits.len + 2 * ngx_strlen(name) + 16);
    claim = ngx_pnalloc(pool, mcf->exits.len + 2 * ngx_strlen(name) + 16);
    if (path == NULL || claim == NULL) {
        goto done;
    }

    /*
     * the exit of a run whose start is not recorded yet waits: applied
     * now it would find the container not running and be lost; the
     * starting worker claims it once the start is recorded
     */

    ngx_sprintf((u_char *) path, "%V/.starting.%s%Z", &mcf->exits, name);

    if (access(path, F_OK) == 0) {
        goto done;
    }

    ngx_sprintf((u_char *) path, "%V/%s%Z", &mcf->exits, name);
    ngx_sprintf((u_char *) claim, "%V/.claim.%s%Z", &mcf->exits, name);

    /* one worker wins the rename; the others see ENOENT */

    if (rename(path, claim) == -1) {
        goto done;
    }

    fd = ngx_open_file(claim, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        goto done;
    }

    n = read(fd, buf, sizeof(buf));
    (void) ngx_close_file(fd);

    ex = (n > 0) ? ngx_http_sockerless_json_parse(pool, buf, n) : NULL;

    if (ex == NULL) {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "sockerless memory: malformed exit report \"%s\"",
                      name);
        (void) ngx_delete_file(claim);
        goto done;
    }

    code = (ngx_int_t) cJSON_GetNumberValue(
                          cJSON_GetObjectItemCaseSensitive(ex, "exitCode"));
    xid = ngx_http_sockerless_json_str(ex, "exec");
    finished = ngx_http_sockerless_json_str(ex, "finishedAt");
    error = ngx_http_sockerless_json_str(ex, "error");

    if (xid && *xid) {
        (void) ngx_http_sockerless_exec_exited(ngx_cycle->log, xid, code);

    } else {
        s = (char *) ngx_http_sockerless_json_str(ex, "id");

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ex, "oomKilled"))) {
            (void) ngx_http_sockerless_container_oom(ngx_cycle->log,
                                                     s ? s : name);
        }

        (void) ngx_http_sockerless_container_exited(ngx_cycle->log,
                                                    s ? s : name, code,
                                                    finished, error);
    }

    (void) ngx_delete_file(claim);

done:

    ngx_destroy_pool(pool);
}


static ngx_int_t
ngx_http_sockerless_memory_marker(ngx_http_sockerless_op_t *op, char *path)
{
    const char                         *id;
    ngx_http_sockerless_memory_conf_t  *mcf;

    mcf = op->conf;
    id = ngx_http_sockerless_json_str(op->container, "Id");

    if (id == NULL || ngx_strlen(id) > NGX_HTTP_SOCKERLESS_ID_LEN
        || mcf->exits.len + 80 > NGX_MAX_PATH)
    {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) path, "%V/.starting.%s%Z", &mcf->exits, id);

    return NGX_OK;
}


static void
ngx_http_sockerless_memory_started(ngx_http_sockerless_op_t *op)
{
    char  path[NGX_MAX_PATH];

    if (ngx_http_sockerless_memory_marker(op, path) != NGX_OK) {
        return;
    }

    (void) unlink(path);

    ngx_http_sockerless_memory_claim(op->conf,
                        ngx_http_sockerless_json_str(op->container, "Id"));
}


/* agents that die without an exit report */

static ngx_int_t
ngx_http_sockerless_memory_watch_agent(ngx_http_sockerless_memory_conf_t *mcf,
    const char *id, ngx_pid_t pid)
{
    int                                  fd;
    ngx_queue_t                         *q;
    ngx_connection_t                    *c;
    ngx_http_sockerless_memory_agent_t  *a;

    for (q = ngx_queue_head(&mcf->agents);
         q != ngx_queue_sentinel(&mcf->agents);
         q = ngx_queue_next(q))
    {
        a = ngx_queue_data(q, ngx_http_sockerless_memory_agent_t, queue);

        if (a->pid == pid && ngx_strcmp(a->id, id) == 0) {
            return NGX_OK;
        }
    }

    a = ngx_alloc(sizeof(ngx_http_sockerless_memory_agent_t), ngx_cycle->log);
    if (a == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) a->id, (u_char *) id, sizeof(a->id));
    a->pid = pid;
    a->mcf = mcf;
    a->c = NULL;

    fd = syscall(SYS_pidfd_open, pid, 0);

    if (fd == -1) {
        /* gone already */
        ngx_http_sockerless_memory_agent_check(a);
        ngx_free(a);
        return NGX_OK;
    }

    c = ngx_get_connection(fd, ngx_cycle->log);
    if (c == NULL) {
        close(fd);
        ngx_free(a);
        return NGX_ERROR;
    }

    c->data = a;
    c->read->handler = ngx_http_sockerless_memory_agent_gone;
    c->read->log = ngx_cycle->log;
    a->c = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_close_connection(c);
        ngx_free(a);
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&mcf->agents, &a->queue);

    return NGX_OK;
}


static void
ngx_http_sockerless_memory_agent_gone(ngx_event_t *ev)
{
    ngx_connection_t                    *c;
    ngx_http_sockerless_memory_agent_t  *a;

    c = ev->data;
    a = c->data;

    ngx_http_sockerless_memory_agent_check(a);

    ngx_queue_remove(&a->queue);
    ngx_close_connection(c);
    ngx_free(a);
}


static void
ngx_http_sockerless_memory_agent_check(ngx_http_sockerless_memory_agent_t *a)
{
    char             key[80], *path;
    cJSON           *rec, *state, *sls;
    ngx_pool_t      *pool;
    ngx_file_info_t  fi;

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", a->id);

    rec = ngx_http_sockerless_store_get(pool, key);
    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");

    if (rec == NULL
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))
        || (ngx_pid_t) cJSON_GetNumberValue(
               cJSON_GetObjectItemCaseSensitive(sls, "agent_pid")) != a->pid)
    {
        goto done;
    }

    path = ngx_pnalloc(pool, a->mcf->exits.len + 100);
    if (path == NULL) {
        goto done;
    }

    /* an exit report not yet claimed, or being claimed */

    ngx_sprintf((u_char *) path, "%V/%s%Z", &a->mcf->exits, a->id);

    if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
        goto done;
    }

    ngx_sprintf((u_char *) path, "%V/.claim.%s%Z", &a->mcf->exits, a->id);

    if (ngx_file_info(path, &fi) != NGX_FILE_ERROR) {
        goto done;
    }

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                  "sockerless memory: the agent of container %s (pid %P) "
                  "exited without an exit report", a->id, a->pid);

    /*
     * the main process died with it (PR_SET_PDEATHSIG); the agent left
     * its cgroups, emptied now (a restart waits for a timer)
     */
    (void) ngx_http_sockerless_container_exited(ngx_cycle->log, a->id,
                                128 + SIGKILL, NULL,
                                "sockerless agent exited unexpectedly");

    ngx_http_sockerless_cgroup_remove(&a->mcf->cgroup, a->id);

done:

    ngx_destroy_pool(pool);
}


/* start */

static ngx_int_t
ngx_http_sockerless_memory_write_config(ngx_http_sockerless_op_t *op,
    const char *dir, const char *id, u_char *token)
{
    char                                *path;
    cJSON                               *j, *conf, *img, *item, *env, *e;
    u_char                              *p;
    size_t                               len;
    ngx_fd_t                             fd;
    ngx_str_t                            ref;
    ngx_int_t                            rc;
    const char                          *s, *hostname;
    ngx_http_sockerless_main_conf_t     *smcf;
    ngx_http_sockerless_memory_conf_t   *mcf;
    ngx_http_sockerless_memory_start_t  *st;
    char                                 hosts[512];

    smcf = ngx_http_sockerless_conf();
    mcf = op->conf;

    conf = cJSON_GetObjectItemCaseSensitive(op->container, "Config");

    j = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateObject());
    if (j == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(j, "id", id);

    s = ngx_http_sockerless_json_str(op->container, "Image");
    ref.data = (u_char *) (s ? s : "");
    ref.len = ngx_strlen(ref.data);

    img = ngx_http_sockerless_image_find(op->pool, &ref);
    if (img == NULL) {
        op->status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&op->message, "the image of the container is gone");
        return NGX_DECLINED;
    }

    s = ngx_http_sockerless_json_str(
            cJSON_GetObjectItemCaseSensitive(img, "_sls"), "rootfs");
    cJSON_AddStringToObject(j, "image_rootfs", s ? s : "");
    cJSON_AddStringToObject(j, "container_dir", dir);

    len = ngx_strlen(dir) + 32;
    path = ngx_pnalloc(op->pool, len);
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) path, "%s/agent.sock%Z", dir);
    cJSON_AddStringToObject(j, "socket", path);
    ngx_sprintf((u_char *) path, "%s/container.log%Z", dir);
    cJSON_AddStringToObject(j, "log", path);

    p = ngx_pnalloc(op->pool, smcf->data_dir.len + 8);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(p, "%V/exits%Z", &smcf->data_dir);
    cJSON_AddStringToObject(j, "exit_dir", (char *) p);

    item = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(op->container, "_sls"), "cmd");
    cJSON_AddItemToObject(j, "cmd", cJSON_Duplicate(item, 1));

    hostname = ngx_http_sockerless_json_str(conf, "Hostname");
    if (hostname == NULL || *hostname == '\0') {
        hostname = "localhost";
    }

    env = cJSON_CreateArray();
    e = cJSON_GetObjectItemCaseSensitive(conf, "Env");

    {
        ngx_uint_t  has_path, has_home;
        char        hn[300];

        has_path = 0;
        has_home = 0;

        cJSON_ArrayForEach(item, e) {
            if (cJSON_IsString(item)) {
                if (ngx_strncmp(item->valuestring, "PATH=", 5) == 0) {
                    has_path = 1;
                }

                if (ngx_strncmp(item->valuestring, "HOME=", 5) == 0) {
                    has_home = 1;
                }
            }
        }

        /* what dockerd puts in every container's environment */

        if (!has_path) {
            cJSON_AddItemToArray(env, cJSON_CreateString(
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                "/sbin:/bin"));
        }

        snprintf(hn, sizeof(hn), "HOSTNAME=%s", hostname);
        cJSON_AddItemToArray(env, cJSON_CreateString(hn));

        cJSON_ArrayForEach(item, e) {
            if (cJSON_IsString(item)) {
                cJSON_AddItemToArray(env,
                                     cJSON_CreateString(item->valuestring));
            }
        }

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "Tty"))) {
            cJSON_AddItemToArray(env, cJSON_CreateString("TERM=xterm"));
        }

        if (!has_home) {
            /* the agent sets HOME from the user's passwd entry */
        }
    }

    cJSON_AddItemToObject(j, "env", env);

    s = ngx_http_sockerless_json_str(conf, "WorkingDir");
    cJSON_AddStringToObject(j, "workdir", (s && *s) ? s : "/");
    s = ngx_http_sockerless_json_str(conf, "User");
    cJSON_AddStringToObject(j, "user", s ? s : "");
    cJSON_AddStringToObject(j, "hostname", hostname);
    cJSON_AddBoolToObject(j, "tty",
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf, "Tty")));
    cJSON_AddBoolToObject(j, "open_stdin",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf,
                                                               "OpenStdin")));
    cJSON_AddBoolToObject(j, "stdin_once",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(conf,
                                                               "StdinOnce")));
    cJSON_AddBoolToObject(j, "namespaces", mcf->namespaces);

    rc = ngx_http_sockerless_memory_network(op, j);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_sockerless_memory_runtime(op, j);
    if (rc != NGX_OK) {
        return rc;
    }

    /* docker cp of a stopped container publishes nothing */

    st = op->state;

    if (!st->archive) {
        item = ngx_http_sockerless_memory_ports(op);
        if (item == NULL) {
            return op->status ? NGX_DECLINED : NGX_ERROR;
        }

        cJSON_AddItemReferenceToObject(j, "ports", item);
    }

    /* binds, volumes (binds of their directory) and tmpfs */

    item = ngx_http_sockerless_mounts_agent(op->pool, op->container);
    if (item == NULL) {
        return NGX_ERROR;
    }

    item = cJSON_Duplicate(item, 1);
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToObject(j, "mounts", item);

    if (!st->archive) {
        rc = ngx_http_sockerless_memory_cgroups(op, j, id);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /*
     * /etc/hosts is a bind of the container's hosts file, which the
     * module rewrites in place when containers come and go
     */

    s = ngx_http_sockerless_json_str(op->container, "HostsPath");

    if (s) {
        fd = ngx_open_file(s, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN, 0644);
        if (fd == NGX_INVALID_FILE) {
            ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                          ngx_open_file_n " \"%s\" failed", s);
            return NGX_ERROR;
        }

        (void) ngx_close_file(fd);

        ngx_http_sockerless_network_hosts(op->pool);

        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "source", s);
        cJSON_AddStringToObject(e, "target", "/etc/hosts");
        cJSON_AddFalseToObject(e, "readonly");
        cJSON_AddItemToArray(item, e);

    } else {
        snprintf(hosts, sizeof(hosts),
                 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                 "ip6-loopback\n127.0.0.1\t%s\n", hostname);
        cJSON_AddStringToObject(j, "hosts", hosts);
    }

    if (ngx_http_sockerless_memory_resolv(op, item) != NGX_OK) {
        return NGX_ERROR;
    }

    item = ngx_http_sockerless_health_agent(conf);
    if (item) {
        cJSON_AddItemToObject(j, "healthcheck", item);
    }

    p = ngx_http_sockerless_json_print(op->pool, j, &len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) path, "%s/agent.json%Z", dir);

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE, 0600);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    if (write(fd, p, len) != (ssize_t) len) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                      "write() to \"%s\" failed", path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    (void) token;

    return NGX_OK;
}


/*
 * What a start and a stopped container's copy both need before agent.json:
 * the container's id, its directory (made when missing), the path of its
 * agent.json and a new token for the agent
 */

static ngx_int_t
ngx_http_sockerless_memory_prepare(ngx_http_sockerless_op_t *op,
    const char **id, char **dir, char **cfg, u_char token[65])
{
    *id = ngx_http_sockerless_json_str(op->container, "Id");

    *dir = (char *) ngx_http_sockerless_container_path(op->pool, *id, NULL);
    *cfg = (char *) ngx_http_sockerless_container_path(op->pool, *id,
                                                       "agent.json");
    if (*dir == NULL || *cfg == NULL) {
        return NGX_ERROR;
    }

    if (ngx_create_dir(*dir, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", *dir);
        return NGX_ERROR;
    }

    ngx_http_sockerless_random_id((char *) token);

    return NGX_OK;
}


/*
 * POST /containers/{id}/start: writes agent.json, fork+execs the agent
 * (which daemonizes, so no worker is its parent) and reads one status line
 * from a pipe: {"pid":N,...} once the main process runs, or {"error":..}.
 */

static ngx_int_t
ngx_http_sockerless_memory_start(ngx_http_sockerless_op_t *op)
{
    char                                *dir, *cfg, *argv[7], *envp[2];
    ngx_int_t                            rc;
    const char                          *id;
    ngx_http_sockerless_main_conf_t     *smcf;
    ngx_http_sockerless_memory_conf_t   *mcf;
    ngx_http_sockerless_memory_start_t  *st;
    int                                  fd;
    u_char                               token[65], tokenv[96];
    u_char                               marker[NGX_MAX_PATH];

    smcf = ngx_http_sockerless_conf();
    mcf = op->conf;
    st = op->state;
    st->op = op;

    if (ngx_http_sockerless_memory_prepare(op, &id, &dir, &cfg, token)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    rc = ngx_http_sockerless_memory_write_config(op, dir, id, token);
    if (rc != NGX_OK) {
        return rc;
    }

    /* health results of an earlier run must not count for this one */

    if (mcf->exits.len + 80 <= NGX_MAX_PATH) {
        ngx_sprintf(marker, "%V/h.%s%Z", &mcf->exits, id);
        (void) unlink((char *) marker);
    }

    /* until the core records this start, exits of it wait (see claim) */

    if (ngx_http_sockerless_memory_marker(op, (char *) marker) == NGX_OK) {
        fd = open((char *) marker, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0600);
        if (fd != -1) {
            (void) close(fd);
        }
    }

    ngx_sprintf(tokenv, "SOCKERLESS_AGENT_TOKEN=%s%Z", token);

    argv[0] = (char *) smcf->agent_path.data;
    argv[1] = "run";
    argv[2] = "--config";
    argv[3] = cfg;
    argv[4] = "--status-fd";
    argv[5] = "3";
    argv[6] = NULL;

    envp[0] = (char *) tokenv;
    envp[1] = NULL;

    rc = ngx_http_sockerless_memory_spawn(op, st, argv, envp);
    if (rc != NGX_OK) {
        return rc;
    }

    /* keep the token where the core stores the record */

    {
        cJSON  *sls;

        sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
        if (sls == NULL) {
            sls = cJSON_AddObjectToObject(op->container, "_sls");
        }

        cJSON_DeleteItemFromObjectCaseSensitive(sls, "token");
        cJSON_AddStringToObject(sls, "token", (char *) token);
    }

    st->status->log->action = "starting the container's agent";

    return NGX_AGAIN;
}


/*
 * What the agent publishes (agent.json "ports"), in a fixed order: each
 * binding of HostConfig.PortBindings, then with PublishAllPorts every
 * exposed port without one on a port the kernel picks. dockerd discards
 * them with --network host (create warns) and has none with "none".
 * NULL on failure, with op->status set when it is the request's fault.
 */

static cJSON *
ngx_http_sockerless_memory_ports(ngx_http_sockerless_op_t *op)
{
    cJSON        *hc, *pb, *key, *e, *list, *item, *exposed;
    unsigned      port, first, last;
    const char   *mode, *proto, *hp, *ip;

    list = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateArray());
    if (list == NULL) {
        return NULL;
    }

    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    mode = ngx_http_sockerless_json_str(hc, "NetworkMode");

    if (mode && (ngx_strcmp(mode, "host") == 0
                 || ngx_strcmp(mode, "none") == 0))
    {
        return list;
    }

    pb = cJSON_GetObjectItemCaseSensitive(hc, "PortBindings");
    exposed = cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(op->container, "Config"),
                  "ExposedPorts");

    cJSON_ArrayForEach(key, pb) {
        if (sls_port_parse(key->string, &port, &proto) != 0) {
            continue;
        }

        cJSON_ArrayForEach(e, key) {
            hp = ngx_http_sockerless_json_str(e, "HostPort");
            ip = ngx_http_sockerless_json_str(e, "HostIp");

            if (sls_port_range(hp ? hp : "", &first, &last) != 0) {
                continue;
            }

            item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "proto", proto);
            cJSON_AddNumberToObject(item, "port", port);
            cJSON_AddStringToObject(item, "host_ip",
                                    (ip && *ip) ? ip : "0.0.0.0");
            cJSON_AddNumberToObject(item, "host_port", first);
            cJSON_AddNumberToObject(item, "host_last", last);
            cJSON_AddItemToArray(list, item);
        }
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc,
                                                      "PublishAllPorts")))
    {
        cJSON_ArrayForEach(key, exposed) {
            if (sls_port_parse(key->string, &port, &proto) != 0) {
                continue;
            }

            if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pb,
                                                          key->string)) > 0)
            {
                continue;
            }

            item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "proto", proto);
            cJSON_AddNumberToObject(item, "port", port);
            cJSON_AddStringToObject(item, "host_ip", "0.0.0.0");
            cJSON_AddNumberToObject(item, "host_port", 0);
            cJSON_AddNumberToObject(item, "host_last", 0);
            cJSON_AddItemToArray(list, item);
        }
    }

    /* each bound port takes a few bytes of the agent's status line */

    if (cJSON_GetArraySize(list) > 512) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "publishing more than 512 ports is not "
                    "supported by the memory backend");
        return NULL;
    }

    cJSON_ArrayForEach(item, list) {
        if (ngx_strcmp(ngx_http_sockerless_json_str(item, "proto"), "sctp")
            == 0)
        {
            op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            ngx_str_set(&op->message, "publishing sctp ports is not "
                        "supported by the memory backend (tcp and udp are)");
            return NULL;
        }
    }

    return list;
}


/*
 * The agent's report of the ports it bound: NetworkSettings.Ports in
 * op->result, every exposed or bound port a key, null when unpublished;
 * or dockerd's error for the one it could not bind
 */

static ngx_int_t
ngx_http_sockerless_memory_ports_done(ngx_http_sockerless_op_t *op,
    cJSON *res)
{
    int           i, n;
    cJSON        *list, *bound, *ports, *key, *item, *b, *e, *nets, *ep;
    cJSON        *exposed[2];
    unsigned      port;
    const char   *proto, *ip, *name, *epid;
    u_char        k[32], hp[8];

    list = ngx_http_sockerless_memory_ports(op);
    if (list == NULL) {
        return NGX_ERROR;
    }

    n = cJSON_GetArraySize(list);
    i = (int) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(res,
                                                                 "port"));

    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(res, "error"))) {
        item = cJSON_GetArrayItem(list, i);
        ip = ngx_http_sockerless_json_str(item, "host_ip");
        name = ngx_http_sockerless_json_str(op->container, "Name");
        nets = cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(op->container,
                                                    "NetworkSettings"),
                   "Networks");
        ep = nets ? nets->child : NULL;
        epid = ngx_http_sockerless_json_str(ep, "EndpointID");

        if (item == NULL || ip == NULL || name == NULL) {
            return NGX_ERROR;
        }

        /* moby's ProgramExternalConnectivity and osallocator words */

        (void) ngx_http_sockerless_op_error(op,
            NGX_HTTP_INTERNAL_SERVER_ERROR,
            "failed to set up container networking: driver failed "
            "programming external connectivity on endpoint %s (%s): "
            "failed to bind host port %s%s%s:%d/%s: %s",
            name + (name[0] == '/'), epid ? epid : "",
            ngx_strchr(ip, ':') ? "[" : "", ip,
            ngx_strchr(ip, ':') ? "]" : "",
            (int) cJSON_GetNumberValue(cJSON_GetObjectItem(item,
                                                           "host_port")),
            ngx_http_sockerless_json_str(item, "proto"),
            cJSON_GetObjectItemCaseSensitive(res, "error")->valuestring);

        return op->message.len ? NGX_DECLINED : NGX_ERROR;
    }

    bound = cJSON_GetObjectItemCaseSensitive(res, "ports");

    if (n && cJSON_GetArraySize(bound) != n) {
        ngx_log_error(NGX_LOG_ERR, op->log, 0, "sockerless memory: the "
                      "agent reported %d ports of %d",
                      cJSON_GetArraySize(bound), n);
        return NGX_ERROR;
    }

    ports = cJSON_AddObjectToObject(op->result, "Ports");

    if (n == 0) {
        const char  *mode;

        mode = ngx_http_sockerless_json_str(
                   cJSON_GetObjectItemCaseSensitive(op->container,
                                                    "HostConfig"),
                   "NetworkMode");

        if (mode && (ngx_strcmp(mode, "host") == 0
                     || ngx_strcmp(mode, "none") == 0))
        {
            return NGX_OK;
        }
    }

    /* exposed ports and bound keys, unpublished until a binding comes */

    exposed[0] = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(op->container,
                                                      "Config"),
                     "ExposedPorts");
    exposed[1] = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(op->container,
                                                      "HostConfig"),
                     "PortBindings");

    for (i = 0; i < 2; i++) {
        cJSON_ArrayForEach(e, exposed[i]) {
            if (sls_port_parse(e->string, &port, &proto) != 0) {
                continue;
            }

            ngx_sprintf(k, "%ud/%s%Z", port, proto);

            if (cJSON_GetObjectItemCaseSensitive(ports, (char *) k) == NULL) {
                cJSON_AddNullToObject(ports, (char *) k);
            }
        }
    }

    i = 0;

    cJSON_ArrayForEach(item, list) {
        ngx_sprintf(k, "%d/%s%Z",
                    (int) cJSON_GetNumberValue(cJSON_GetObjectItem(item,
                                                                  "port")),
                    ngx_http_sockerless_json_str(item, "proto"));

        key = cJSON_GetObjectItemCaseSensitive(ports, (char *) k);

        if (!cJSON_IsArray(key)) {
            cJSON_DeleteItemFromObjectCaseSensitive(ports, (char *) k);
            key = cJSON_AddArrayToObject(ports, (char *) k);
        }

        ngx_sprintf(hp, "%d%Z", (int) cJSON_GetNumberValue(
                                          cJSON_GetArrayItem(bound, i++)));

        b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "HostIp",
                                ngx_http_sockerless_json_str(item,
                                                             "host_ip"));
        cJSON_AddStringToObject(b, "HostPort", (char *) hp);
        cJSON_AddItemToArray(key, b);
    }

    return NGX_OK;
}


/*
 * HostConfig's process options into agent.json (docs/agent-protocol.md,
 * "Process options"); the core has refused at create what dockerd
 * refuses. Joining another container's PID or IPC namespace is not
 * done: 501.
 */

static ngx_int_t
ngx_http_sockerless_memory_runtime(ngx_http_sockerless_op_t *op, cJSON *j)
{
    int          add[SLS_CAP_LAST + 2], drop[SLS_CAP_LAST + 2], n;
    cJSON       *hc, *item, *list, *e, *v;
    size_t       nadd, ndrop;
    uint64_t     caps;
    ngx_uint_t   i;
    const char  *s;
    char         buf[512];

    static const char  *modes[3][2] = {
        { "IpcMode", "ipc" },
        { "PidMode", "pid" },
        { "UTSMode", "uts" }
    };

    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");

    cJSON_AddBoolToObject(j, "readonly_rootfs",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc,
                                                       "ReadonlyRootfs")));
    cJSON_AddBoolToObject(j, "init",
                          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc,
                                                                  "Init")));

    item = cJSON_GetObjectItemCaseSensitive(hc, "ShmSize");
    cJSON_AddNumberToObject(j, "shm_size",
                            cJSON_IsNumber(item) && item->valuedouble > 0
                            ? item->valuedouble : 0);

    for (i = 0; i < 3; i++) {
        s = ngx_http_sockerless_json_str(hc, modes[i][0]);

        if (s && ngx_strncmp(s, "container:", 10) == 0) {
            (void) ngx_http_sockerless_op_error(op,
                                  NGX_HTTP_NOT_IMPLEMENTED,
                                  "--%s %s is not supported by the memory "
                                  "backend: it cannot join another "
                                  "container's namespace", modes[i][1], s);
            return op->message.len ? NGX_DECLINED : NGX_ERROR;
        }

        /* dockerd's default is private; shareable is private here too */

        if (s && (ngx_strcmp(s, "shareable") == 0
                  || ngx_strcmp(s, "private") == 0))
        {
            s = "";
        }

        cJSON_AddStringToObject(j, modes[i][1], s ? s : "");
    }

    /* dockerd's TweakCapabilities() of the default set */

    nadd = 0;
    ndrop = 0;

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "CapAdd")) {
        n = cJSON_IsString(item)
            ? sls_cap_number(item->valuestring, ngx_strlen(item->valuestring))
            : -1;

        if (n >= 0 && nadd < SLS_CAP_LAST + 2) {
            add[nadd++] = n;
        }
    }

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "CapDrop"))
    {
        n = cJSON_IsString(item)
            ? sls_cap_number(item->valuestring, ngx_strlen(item->valuestring))
            : -1;

        if (n >= 0 && ndrop < SLS_CAP_LAST + 2) {
            drop[ndrop++] = n;
        }
    }

    caps = sls_cap_tweak(add, nadd, drop, ndrop,
                         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc,
                                                            "Privileged")));

    list = cJSON_AddArrayToObject(j, "capabilities");
    if (list == NULL) {
        return NGX_ERROR;
    }

    for (n = 0; n <= SLS_CAP_LAST; n++) {
        if (caps & (1ULL << n)) {
            cJSON_AddItemToArray(list, cJSON_CreateString(sls_cap_name(n)));
        }
    }

    /* SecurityOpt: the core let through only what is met or done */

    cJSON_ArrayForEach(item,
                       cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt"))
    {
        if (cJSON_IsString(item)
            && ngx_strncmp(item->valuestring, "no-new-privileges", 17) == 0)
        {
            cJSON_DeleteItemFromObject(j, "no_new_privileges");
            cJSON_AddBoolToObject(j, "no_new_privileges",
                                  ngx_strstr(item->valuestring, "false")
                                  == NULL);
        }
    }

    item = cJSON_GetObjectItemCaseSensitive(hc, "OomScoreAdj");
    if (cJSON_IsNumber(item) && item->valueint != 0) {
        cJSON_AddNumberToObject(j, "oom_score_adj", item->valueint);
    }

    list = cJSON_AddArrayToObject(j, "group_add");
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "GroupAdd"))
    {
        if (cJSON_IsString(item)) {
            cJSON_AddItemToArray(list,
                                 cJSON_CreateString(item->valuestring));
        }
    }

    list = cJSON_AddArrayToObject(j, "sysctls");
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "Sysctls"))
    {
        if (item->string && cJSON_IsString(item)) {
            ngx_snprintf((u_char *) buf, sizeof(buf) - 1, "%s=%s%Z",
                         item->string, item->valuestring);
            buf[sizeof(buf) - 1] = '\0';
            cJSON_AddItemToArray(list, cJSON_CreateString(buf));
        }
    }

    list = cJSON_AddArrayToObject(j, "ulimits");
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "Ulimits"))
    {
        s = ngx_http_sockerless_json_str(item, "Name");
        if (s == NULL) {
            continue;
        }

        e = cJSON_CreateObject();
        if (e == NULL) {
            return NGX_ERROR;
        }

        cJSON_AddItemToArray(list, e);
        cJSON_AddStringToObject(e, "name", s);
        v = cJSON_GetObjectItemCaseSensitive(item, "Soft");
        cJSON_AddNumberToObject(e, "soft", cJSON_GetNumberValue(v));
        v = cJSON_GetObjectItemCaseSensitive(item, "Hard");
        cJSON_AddNumberToObject(e, "hard", cJSON_GetNumberValue(v));
    }

    list = cJSON_AddArrayToObject(j, "devices");
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "Devices"))
    {
        s = ngx_http_sockerless_json_str(item, "PathOnHost");
        if (s == NULL || *s != '/') {
            continue;
        }

        e = cJSON_CreateObject();
        if (e == NULL) {
            return NGX_ERROR;
        }

        cJSON_AddItemToArray(list, e);
        cJSON_AddStringToObject(e, "source", s);

        /* PathInContainer "" is the host's path, as dockerd takes it */

        v = cJSON_GetObjectItemCaseSensitive(item, "PathInContainer");
        cJSON_AddStringToObject(e, "target",
                                cJSON_IsString(v) && *v->valuestring
                                ? v->valuestring : s);
    }

    return NGX_OK;
}


/*
 * The network of a container, in agent.json: "network" (host, none or
 * bridge) and one "interfaces" entry per endpoint with an address. As
 * root, with namespaces, a container on bridge networks has a network
 * namespace of its own; otherwise the default bridge means the host's
 * network (as before networks existed) and user networks are refused.
 */

static ngx_int_t
ngx_http_sockerless_memory_network(ngx_http_sockerless_op_t *op, cJSON *j)
{
    cJSON                              *nets, *ep, *ifaces;
    ngx_uint_t                          root;
    const char                         *mode, *ip;
    ngx_http_sockerless_memory_conf_t  *mcf;
    char                                spec[128];

    mcf = op->conf;
    root = (mcf->namespaces && geteuid() == 0);

    mode = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig"),
               "NetworkMode");
    nets = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(op->container,
                                                "NetworkSettings"),
               "Networks");

    if (mode && ngx_strcmp(mode, "host") == 0) {
        cJSON_AddStringToObject(j, "network", "host");
        return NGX_OK;
    }

    if (mode && ngx_strcmp(mode, "none") == 0) {
        cJSON_AddStringToObject(j, "network", "none");
        return NGX_OK;
    }

    if (!root) {
        cJSON_ArrayForEach(ep, nets) {
            if (ep->string && ngx_strcmp(ep->string, "bridge") != 0) {
                (void) ngx_http_sockerless_op_error(op,
                    NGX_HTTP_INTERNAL_SERVER_ERROR,
                    "container is on the network \"%s\": network "
                    "isolation needs root (the memory backend makes a "
                    "network namespace, bridges and veth pairs); run "
                    "nginx as root with sockerless_memory_namespaces on, "
                    "or use the default bridge network, which then "
                    "shares the host's network", ep->string);
                return op->message.len ? NGX_DECLINED : NGX_ERROR;
            }
        }

        cJSON_AddStringToObject(j, "network", "host");
        return NGX_OK;
    }

    cJSON_AddStringToObject(j, "network", "bridge");
    ifaces = cJSON_AddArrayToObject(j, "interfaces");

    cJSON_ArrayForEach(ep, nets) {
        ip = ngx_http_sockerless_json_str(ep, "IPAddress");

        if (ip == NULL || *ip == '\0') {
            continue;
        }

        if (ngx_http_sockerless_memory_iface(op->pool, ep, spec) != NGX_OK) {
            return NGX_ERROR;
        }

        cJSON_AddItemToArray(ifaces, cJSON_CreateString(spec));
    }

    return NGX_OK;
}


/* "<bridge> <gateway> <prefix> <address> <mac> <host end>" (sla_net.c) */

static ngx_int_t
ngx_http_sockerless_memory_iface(ngx_pool_t *pool, cJSON *ep, char *spec)
{
    const char  *nid, *eid, *gw, *ip, *mac;
    char         br[IFNAMSIZ + 1];

    nid = ngx_http_sockerless_json_str(ep, "NetworkID");
    eid = ngx_http_sockerless_json_str(ep, "EndpointID");
    gw = ngx_http_sockerless_json_str(ep, "Gateway");
    ip = ngx_http_sockerless_json_str(ep, "IPAddress");
    mac = ngx_http_sockerless_json_str(ep, "MacAddress");

    if (nid == NULL || eid == NULL || gw == NULL || ip == NULL || mac == NULL
        || ngx_strlen(nid) < 8 || ngx_strlen(eid) < 12 || ngx_strlen(gw) > 15
        || ngx_strlen(ip) > 15 || ngx_strlen(mac) > 17)
    {
        return NGX_ERROR;
    }

    ngx_http_sockerless_network_bridge_name(nid, br);

    ngx_sprintf((u_char *) spec, "%s %s %d %s %s slv%*s%Z", br, gw,
                (int) cJSON_GetNumberValue(cJSON_GetObjectItem(ep,
                                                       "IPPrefixLen")),
                ip, mac, (size_t) 12, eid);

    return NGX_OK;
}


/*
 * POST /networks/{id}/connect and disconnect of a running container: an
 * agent in net mode adds or removes the veth pair of the endpoint
 * (op->result) in the namespace of the container's agent.
 */

static ngx_int_t
ngx_http_sockerless_memory_connect(ngx_http_sockerless_op_t *op)
{
    char                                *argv[8], *envp[1];
    u_char                               pidt[NGX_INT_T_LEN + 1];
    cJSON                               *sls;
    ngx_int_t                            rc;
    ngx_pid_t                            apid;
    const char                          *mode, *ip;
    ngx_http_sockerless_main_conf_t     *smcf;
    ngx_http_sockerless_memory_conf_t   *mcf;
    ngx_http_sockerless_memory_start_t  *st;
    char                                 spec[128];

    smcf = ngx_http_sockerless_conf();
    mcf = op->conf;
    st = op->state;
    st->op = op;
    st->net = 1;

    ip = ngx_http_sockerless_json_str(op->result, "IPAddress");
    mode = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig"),
               "NetworkMode");

    if (ip == NULL || *ip == '\0'
        || (mode && (ngx_strcmp(mode, "host") == 0
                     || ngx_strcmp(mode, "none") == 0)))
    {
        return NGX_OK;
    }

    if (!mcf->namespaces || geteuid() != 0) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "network isolation needs root: the "
                    "memory backend connects a running container to a "
                    "network only when nginx runs as root with "
                    "sockerless_memory_namespaces on");
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
    apid = (ngx_pid_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls,
                                                            "agent_pid"));
    if (apid <= 1) {
        op->status = NGX_HTTP_CONFLICT;
        ngx_str_set(&op->message, "the container's agent is not known");
        return NGX_DECLINED;
    }

    if (ngx_http_sockerless_memory_iface(op->pool, op->result, spec)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_sprintf(pidt, "%P%Z", apid);

    argv[0] = (char *) smcf->agent_path.data;
    argv[1] = "net";
    argv[2] = op->signal ? "add" : "del";
    argv[3] = (char *) pidt;
    argv[4] = spec;
    argv[5] = "--status-fd";
    argv[6] = "3";
    argv[7] = NULL;
    envp[0] = NULL;

    rc = ngx_http_sockerless_memory_spawn(op, st, argv, envp);
    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_AGAIN;
}


/*
 * docker cp of a stopped container: an agent in archive mode mounts the
 * container's overlay in a mount namespace of its own (the upper
 * directory is not in use), serves one connection on a socket of its own
 * and exits; {"socket", "token"} once its status line says it listens
 */

static ngx_int_t
ngx_http_sockerless_memory_archive(ngx_http_sockerless_op_t *op)
{
    char                                *dir, *cfg, *argv[9], *envp[2];
    ngx_int_t                            rc;
    const char                          *id;
    ngx_http_sockerless_main_conf_t     *smcf;
    ngx_http_sockerless_memory_start_t  *st;
    u_char                               tokenv[96];

    smcf = ngx_http_sockerless_conf();
    st = op->state;
    st->op = op;
    st->archive = 1;

    if (ngx_http_sockerless_memory_prepare(op, &id, &dir, &cfg, st->token)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    st->socket = ngx_pnalloc(op->pool, ngx_strlen(dir) + 32);
    if (st->socket == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) st->socket, "%s/cp-%*s.sock%Z", dir, 16,
                st->token + 48);

    rc = ngx_http_sockerless_memory_write_config(op, dir, id, st->token);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_sprintf(tokenv, "SOCKERLESS_AGENT_TOKEN=%s%Z", st->token);

    argv[0] = (char *) smcf->agent_path.data;
    argv[1] = "archive";
    argv[2] = "--config";
    argv[3] = cfg;
    argv[4] = "--socket";
    argv[5] = st->socket;
    argv[6] = "--status-fd";
    argv[7] = "3";
    argv[8] = NULL;

    envp[0] = (char *) tokenv;
    envp[1] = NULL;

    rc = ngx_http_sockerless_memory_spawn(op, st, argv, envp);
    if (rc != NGX_OK) {
        return rc;
    }

    return NGX_AGAIN;
}


/*
 * The agent with argv and envp, its status line read on fd 3 (a pipe
 * watched by nginx), within sockerless_memory_start_timeout: start, a
 * network change and docker cp of a stopped container all run it so
 */

static ngx_int_t
ngx_http_sockerless_memory_spawn(ngx_http_sockerless_op_t *op,
    ngx_http_sockerless_memory_start_t *st, char **argv, char **envp)
{
    ngx_http_sockerless_memory_conf_t *mcf = op->conf;

    int                fds[2];
    ngx_pid_t          pid;
    ngx_connection_t  *c;

    if (pipe2(fds, O_CLOEXEC) == -1) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno, "pipe2() failed");
        return NGX_ERROR;
    }

    pid = fork();

    if (pid == -1) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno, "fork() failed");
        close(fds[0]);
        close(fds[1]);
        return NGX_ERROR;
    }

    if (pid == 0) {
        sigset_t  set;

        /* nginx ignores SIGPIPE; containers must not inherit that */
        signal(SIGPIPE, SIG_DFL);
        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);

        if (dup2(fds[1], 3) == -1) {
            _exit(1);
        }

        execve(argv[0], argv, envp);

        (void) write(3, "{\"error\":\"cannot execute the sockerless agent\"}\n",
                     sizeof("{\"error\":\"cannot execute the sockerless "
                            "agent\"}\n") - 1);
        _exit(1);
    }

    close(fds[1]);

    st->child = pid;
    st->len = 0;

    if (ngx_nonblocking(fds[0]) == -1) {
        close(fds[0]);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fds[0], op->log);
    if (c == NULL) {
        close(fds[0]);
        return NGX_ERROR;
    }

    c->data = st;
    c->read->handler = ngx_http_sockerless_memory_status_read;
    c->read->log = op->log;
    st->status = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_close_connection(c);
        st->status = NULL;
        return NGX_ERROR;
    }

    st->timer.handler = ngx_http_sockerless_memory_status_timeout;
    st->timer.data = st;
    st->timer.log = op->log;
    ngx_add_timer(&st->timer, mcf->start_timeout);

    return NGX_OK;
}


static void
ngx_http_sockerless_memory_status_read(ngx_event_t *ev)
{
    ssize_t                              n;
    ngx_connection_t                    *c;
    ngx_http_sockerless_memory_start_t  *st;

    c = ev->data;
    st = c->data;

    for ( ;; ) {
        if (st->len == sizeof(st->buf)) {
            ngx_http_sockerless_memory_start_done(st, NGX_ERROR);
            return;
        }

        n = read(c->fd, st->buf + st->len, sizeof(st->buf) - st->len);

        if (n == -1 && ngx_errno == NGX_EAGAIN) {
            return;
        }

        if (n == -1 && ngx_errno == NGX_EINTR) {
            continue;
        }

        if (n <= 0) {
            /* EOF: every writer closed the pipe */
            ngx_http_sockerless_memory_start_done(st, NGX_OK);
            return;
        }

        st->len += n;

        if (ngx_strlchr(st->buf, st->buf + st->len, '\n')) {
            ngx_http_sockerless_memory_start_done(st, NGX_OK);
            return;
        }
    }
}


static void
ngx_http_sockerless_memory_status_timeout(ngx_event_t *ev)
{
    ngx_http_sockerless_memory_start_t *st = ev->data;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "sockerless memory: the agent did not report in time");

    ngx_http_sockerless_memory_start_done(st, NGX_ERROR);
}


static ngx_pid_t
ngx_http_sockerless_memory_ppid(ngx_pid_t pid)
{
    char      path[64], buf[512], *p;
    ssize_t   n;
    ngx_fd_t  fd;

    ngx_sprintf((u_char *) path, "/proc/%P/stat%Z", pid);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return 0;
    }

    n = read(fd, buf, sizeof(buf) - 1);
    (void) ngx_close_file(fd);

    if (n <= 0) {
        return 0;
    }

    buf[n] = '\0';

    /* "pid (comm) state ppid ...": comm may hold spaces and parens */

    p = strrchr(buf, ')');
    if (p == NULL || p[1] == '\0' || p[2] == '\0') {
        return 0;
    }

    return (ngx_pid_t) atoi(p + 4);
}


static void
ngx_http_sockerless_memory_start_done(ngx_http_sockerless_memory_start_t *st,
    ngx_int_t rc)
{
    cJSON                     *res, *sls, *err;
    ngx_pid_t                  pid, apid;
    ngx_http_sockerless_op_t  *op;

    op = st->op;

    if (st->timer.timer_set) {
        ngx_del_timer(&st->timer);
    }

    if (st->status) {
        ngx_close_connection(st->status);
        st->status = NULL;
    }

    res = NULL;

    if (rc == NGX_OK && st->len > 0) {
        res = ngx_http_sockerless_json_parse(op->pool, st->buf, st->len);
    }

    if (res == NULL) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the sockerless agent failed to start "
                    "(see agent.log in the container's directory)");
        op->handler(op, NGX_ERROR);
        return;
    }

    err = cJSON_GetObjectItemCaseSensitive(res, "error");

    if (st->net) {
        if (cJSON_IsString(err)) {
            op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            op->message.len = ngx_strlen(err->valuestring);
            op->message.data = (u_char *) err->valuestring;
            op->handler(op, NGX_ERROR);
            return;
        }

        op->handler(op, NGX_OK);
        return;
    }

    if (st->archive) {
        if (cJSON_IsString(err)) {
            op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            op->message.len = ngx_strlen(err->valuestring);
            op->message.data = (u_char *) err->valuestring;
            op->handler(op, NGX_ERROR);
            return;
        }

        op->result = ngx_http_sockerless_json_bind(op->pool,
                                                   cJSON_CreateObject());
        if (op->result == NULL) {
            op->handler(op, NGX_ERROR);
            return;
        }

        cJSON_AddStringToObject(op->result, "socket", st->socket);
        cJSON_AddStringToObject(op->result, "token", (char *) st->token);
        op->handler(op, NGX_OK);
        return;
    }

    if (cJSON_IsString(err)
        && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(res, "port")))
    {
        if (ngx_http_sockerless_memory_ports_done(op, res) != NGX_DECLINED) {
            op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
            ngx_str_set(&op->message, "publishing a port failed");
        }

        op->handler(op, NGX_ERROR);
        return;
    }

    if (cJSON_IsString(err)) {
        (void) ngx_http_sockerless_op_error(op, NGX_HTTP_BAD_REQUEST,
                                            NGX_HTTP_SOCKERLESS_OCI_FAILED,
                                            err->valuestring);
        op->handler(op, NGX_ERROR);
        return;
    }

    pid = (ngx_pid_t) cJSON_GetNumberValue(
                          cJSON_GetObjectItemCaseSensitive(res, "pid"));
    apid = (ngx_pid_t) cJSON_GetNumberValue(
                          cJSON_GetObjectItemCaseSensitive(res, "agent_pid"));

    if (apid <= 0) {
        apid = ngx_http_sockerless_memory_ppid(pid);
    }

    op->result = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateObject());
    if (op->result == NULL) {
        op->handler(op, NGX_ERROR);
        return;
    }

    cJSON_AddNumberToObject(op->result, "Pid", pid);

    if (ngx_http_sockerless_memory_ports_done(op, res) != NGX_OK) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the published ports are unknown");
        op->handler(op, NGX_ERROR);
        return;
    }

    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
    cJSON_DeleteItemFromObjectCaseSensitive(sls, "agent_pid");
    cJSON_AddNumberToObject(sls, "agent_pid", apid);

    if (apid > 0) {
        (void) ngx_http_sockerless_memory_watch_agent(op->conf,
                         ngx_http_sockerless_json_str(op->container, "Id"),
                         apid);
    }

    op->handler(op, NGX_OK);
}


/* signals: to the main process, as dockerd's kill */

static ngx_int_t
ngx_http_sockerless_memory_kill(ngx_http_sockerless_op_t *op)
{
    ngx_pid_t  pid;

    pid = (ngx_pid_t) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(op->container, "State"),
              "Pid"));

    if (pid <= 0) {
        op->status = NGX_HTTP_CONFLICT;
        ngx_str_set(&op->message, "the container has no process");
        return NGX_ERROR;
    }

    if (kill(pid, (int) op->signal) == -1 && ngx_errno != ESRCH) {
        ngx_log_error(NGX_LOG_ERR, op->log, ngx_errno,
                      "sockerless memory: kill(%P, %i) failed", pid,
                      op->signal);
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "sending the signal failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* every process of the container: those in the main process' PID ns */

static ngx_int_t
ngx_http_sockerless_memory_signal_all(cJSON *rec, int sig)
{
    DIR            *dir;
    char            path[64], ns[64], mine[64];
    ssize_t         n;
    ngx_pid_t       pid, p;
    struct dirent  *de;

    pid = (ngx_pid_t) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(rec, "State"), "Pid"));

    if (pid <= 0) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", pid);

    n = readlink(path, mine, sizeof(mine) - 1);
    if (n <= 0) {
        return NGX_ERROR;
    }

    mine[n] = '\0';

    if (kill(pid, sig) == -1) {
        return NGX_ERROR;
    }

    dir = opendir("/proc");
    if (dir == NULL) {
        return NGX_OK;
    }

    while ((de = readdir(dir)) != NULL) {
        p = atoi(de->d_name);
        if (p <= 0 || p == pid) {
            continue;
        }

        ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", p);

        n = readlink(path, ns, sizeof(ns) - 1);
        if (n <= 0) {
            continue;
        }

        ns[n] = '\0';

        if (ngx_strcmp(ns, mine) == 0) {
            (void) kill(p, sig);
        }
    }

    closedir(dir);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_memory_pause(ngx_http_sockerless_op_t *op)
{
    if (ngx_http_sockerless_memory_signal_all(op->container, SIGSTOP)
        != NGX_OK)
    {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "cannot pause the container's processes");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_memory_unpause(ngx_http_sockerless_op_t *op)
{
    if (ngx_http_sockerless_memory_signal_all(op->container, SIGCONT)
        != NGX_OK)
    {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "cannot resume the container's processes");
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_memory_remove(ngx_http_sockerless_op_t *op)
{
    char                               *dir;
    cJSON                              *sls;
    ngx_pid_t                           apid;
    const char                         *id;
    ngx_http_sockerless_memory_conf_t  *mcf;
    u_char                              path[NGX_MAX_PATH];

    id = ngx_http_sockerless_json_str(op->container, "Id");
    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");

    apid = (ngx_pid_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "agent_pid"));

    if (apid > 0
        && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(op->container, "State"),
               "Running")))
    {
        (void) kill(apid, SIGKILL);
    }

    dir = (char *) ngx_http_sockerless_container_path(op->pool, id, NULL);
    if (dir == NULL) {
        return NGX_ERROR;
    }

    /* overlay upper dirs of one container are small: done inline */
    ngx_http_sockerless_rm_rf(dir);

    mcf = op->conf;

    ngx_http_sockerless_cgroup_remove(&mcf->cgroup, id);

    if (mcf->exits.len + 80 <= NGX_MAX_PATH) {
        ngx_sprintf(path, "%V/h.%s%Z", &mcf->exits, id);
        (void) unlink((char *) path);
    }

    return NGX_OK;
}


/*
 * container_layers: the image's unpacked rootfs is the overlay's lower
 * directory and <container dir>/upper its upper one (see the agent's
 * sla_proc.c); no cloud call
 */

static ngx_int_t
ngx_http_sockerless_memory_layers(ngx_http_sockerless_op_t *op)
{
    cJSON       *img;
    u_char      *upper;
    ngx_str_t    ref;
    const char  *id, *s;

    id = ngx_http_sockerless_json_str(op->container, "Id");
    s = ngx_http_sockerless_json_str(op->container, "Image");

    ref.data = (u_char *) (s ? s : "");
    ref.len = ngx_strlen(ref.data);

    img = ngx_http_sockerless_image_find(op->pool, &ref);
    s = ngx_http_sockerless_json_str(
            cJSON_GetObjectItemCaseSensitive(img, "_sls"), "rootfs");

    if (s == NULL || id == NULL) {
        op->status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&op->message, "the image of the container is gone");
        return NGX_ERROR;
    }

    upper = ngx_http_sockerless_container_path(op->pool, id, "upper");

    op->result = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateObject());
    if (upper == NULL || op->result == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(op->result, "lower", s);
    cJSON_AddStringToObject(op->result, "upper", (char *) upper);

    return NGX_OK;
}


/*
 * UID, PID, PPID, C, STIME, TTY and TIME of one process from /proc, as
 * ps -ef prints them; CMD is added by the caller
 */

static void
ngx_http_sockerless_memory_ps(ngx_pid_t pid, ngx_pid_t ppid, cJSON *row)
{
    char           path[64], buf[1024], *p, out[64];
    ssize_t        n;
    ngx_fd_t       fd;
    struct tm      tm;
    unsigned long  ut, st;
    unsigned long long  start;
    int            tty;
    long           hz, up, cpu, secs;
    time_t         started;
    FILE          *f;
    unsigned       uid;
    double         uptime;

    hz = sysconf(_SC_CLK_TCK);
    uid = 0;
    ut = 0;
    st = 0;
    start = 0;
    tty = 0;

    ngx_sprintf((u_char *) path, "/proc/%P/status%Z", pid);

    f = fopen(path, "r");
    if (f) {
        while (fgets(buf, sizeof(buf), f)) {
            if (sscanf(buf, "Uid: %u", &uid) == 1) {
                break;
            }
        }

        fclose(f);
    }

    ngx_sprintf((u_char *) path, "/proc/%P/stat%Z", pid);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd != NGX_INVALID_FILE) {
        n = read(fd, buf, sizeof(buf) - 1);
        (void) ngx_close_file(fd);

        if (n > 0) {
            buf[n] = '\0';
            p = strrchr(buf, ')');

            if (p) {
                (void) sscanf(p + 2, "%*c %*d %*d %*d %d %*d %*u %*u %*u "
                              "%*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
                              "%llu", &tty, &ut, &st, &start);
            }
        }
    }

    uptime = 0;

    f = fopen("/proc/uptime", "r");
    if (f) {
        if (fscanf(f, "%lf", &uptime) != 1) {
            uptime = 0;
        }

        fclose(f);
    }

    if (uid == 0) {
        snprintf(out, sizeof(out), "root");

    } else {
        snprintf(out, sizeof(out), "%u", uid);
    }

    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    snprintf(out, sizeof(out), "%d", (int) pid);
    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    snprintf(out, sizeof(out), "%d", (int) ppid);
    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    /* C: CPU time over lifetime, in percent, as procps computes it */
    up = (long) (uptime * hz) - (long) start;
    cpu = (up > 0) ? (long) ((ut + st) * 100 / up) : 0;
    snprintf(out, sizeof(out), "%ld", cpu);
    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    started = time(NULL) - (time_t) (up / (hz ? hz : 100));
    (void) localtime_r(&started, &tm);
    strftime(out, sizeof(out), "%H:%M", &tm);
    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    if (tty == 0) {
        snprintf(out, sizeof(out), "?");

    } else if ((tty >> 8) == 136) {
        snprintf(out, sizeof(out), "pts/%d",
                 (tty & 0xff) | ((tty >> 12) & 0xfff00));

    } else {
        snprintf(out, sizeof(out), "?");
    }

    cJSON_AddItemToArray(row, cJSON_CreateString(out));

    secs = (long) ((ut + st) / (hz ? hz : 100));
    snprintf(out, sizeof(out), "%02ld:%02ld:%02ld", secs / 3600,
             (secs / 60) % 60, secs % 60);
    cJSON_AddItemToArray(row, cJSON_CreateString(out));
}


static ngx_int_t
ngx_http_sockerless_memory_top(ngx_http_sockerless_op_t *op)
{
    DIR            *dir;
    char            path[64], ns[64], mine[64], buf[4096], *p, *q;
    cJSON          *titles, *procs, *row;
    ssize_t         n;
    ngx_fd_t        fd;
    ngx_pid_t       pid, pp;
    struct dirent  *de;

    pid = (ngx_pid_t) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(op->container, "State"),
              "Pid"));

    ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", pid);

    n = readlink(path, mine, sizeof(mine) - 1);
    if (n <= 0) {
        op->status = NGX_HTTP_CONFLICT;
        ngx_str_set(&op->message, "the container has no process");
        return NGX_ERROR;
    }

    mine[n] = '\0';

    op->result = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateObject());
    if (op->result == NULL) {
        return NGX_ERROR;
    }

    titles = cJSON_AddArrayToObject(op->result, "Titles");
    /* the columns of "ps -ef", which dockerd runs */
    cJSON_AddItemToArray(titles, cJSON_CreateString("UID"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("PID"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("PPID"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("C"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("STIME"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("TTY"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("TIME"));
    cJSON_AddItemToArray(titles, cJSON_CreateString("CMD"));

    procs = cJSON_AddArrayToObject(op->result, "Processes");

    dir = opendir("/proc");
    if (dir == NULL) {
        return NGX_OK;
    }

    while ((de = readdir(dir)) != NULL) {
        pp = atoi(de->d_name);
        if (pp <= 0) {
            continue;
        }

        ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", pp);

        n = readlink(path, ns, sizeof(ns) - 1);
        if (n <= 0) {
            continue;
        }

        ns[n] = '\0';

        if (ngx_strcmp(ns, mine) != 0) {
            continue;
        }

        ngx_sprintf((u_char *) path, "/proc/%P/cmdline%Z", pp);

        fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
        if (fd == NGX_INVALID_FILE) {
            continue;
        }

        n = read(fd, buf, sizeof(buf) - 1);
        (void) ngx_close_file(fd);

        if (n <= 0) {
            continue;
        }

        buf[n] = '\0';

        for (q = buf; q < buf + n - 1; q++) {
            if (*q == '\0') {
                *q = ' ';
            }
        }

        row = cJSON_CreateArray();

        /*
         * built in order: Debian's cJSON 1.7.15 drops an item given to
         * cJSON_InsertItemInArray()
         */
        ngx_http_sockerless_memory_ps(pp,
                                      ngx_http_sockerless_memory_ppid(pp),
                                      row);
        p = buf;
        cJSON_AddItemToArray(row, cJSON_CreateString(p));
        cJSON_AddItemToArray(procs, row);
    }

    closedir(dir);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_memory_stats(ngx_http_sockerless_op_t *op)
{
    DIR            *dir;
    char            path[64], ns[64], mine[64], buf[1024], *p;
    cJSON          *s, *cpu, *usage, *mem, *pre;
    ssize_t         n;
    ngx_fd_t        fd;
    ngx_pid_t       pid, pp;
    uint64_t        ticks, rss, procs;
    struct dirent  *de;
    char            now[64];
    unsigned long   ut, stt;
    long            pages;

    pid = (ngx_pid_t) cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(op->container, "State"),
              "Pid"));

    ticks = 0;
    rss = 0;
    procs = 0;
    mine[0] = '\0';

    ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", pid);

    n = (pid > 0) ? readlink(path, mine, sizeof(mine) - 1) : -1;

    if (n > 0) {
        mine[n] = '\0';

        dir = opendir("/proc");

        while (dir && (de = readdir(dir)) != NULL) {
            pp = atoi(de->d_name);
            if (pp <= 0) {
                continue;
            }

            ngx_sprintf((u_char *) path, "/proc/%P/ns/pid%Z", pp);

            n = readlink(path, ns, sizeof(ns) - 1);
            if (n <= 0) {
                continue;
            }

            ns[n] = '\0';

            if (ngx_strcmp(ns, mine) != 0) {
                continue;
            }

            ngx_sprintf((u_char *) path, "/proc/%P/stat%Z", pp);

            fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
            if (fd == NGX_INVALID_FILE) {
                continue;
            }

            n = read(fd, buf, sizeof(buf) - 1);
            (void) ngx_close_file(fd);

            if (n <= 0) {
                continue;
            }

            buf[n] = '\0';

            p = strrchr(buf, ')');
            if (p == NULL) {
                continue;
            }

            /* fields 14 utime, 15 stime, 24 rss after "pid (comm)" */
            if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                       "%lu %lu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
                       &ut, &stt, &pages)
                == 3)
            {
                ticks += ut + stt;
                rss += (uint64_t) pages * ngx_pagesize;
                procs++;
            }
        }

        if (dir) {
            closedir(dir);
        }
    }

    op->result = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateObject());
    if (op->result == NULL) {
        return NGX_ERROR;
    }

    s = op->result;

    ngx_http_sockerless_now(now, sizeof(now));
    cJSON_AddStringToObject(s, "read", now);
    cJSON_AddStringToObject(s, "preread", "0001-01-01T00:00:00Z");
    cJSON_AddStringToObject(s, "id",
                        ngx_http_sockerless_json_str(op->container, "Id"));
    cJSON_AddStringToObject(s, "name",
                        ngx_http_sockerless_json_str(op->container, "Name"));

    cpu = cJSON_AddObjectToObject(s, "cpu_stats");
    usage = cJSON_AddObjectToObject(cpu, "cpu_usage");
    cJSON_AddNumberToObject(usage, "total_usage",
                        (double) ticks * (1e9 / sysconf(_SC_CLK_TCK)));
    cJSON_AddNumberToObject(usage, "usage_in_kernelmode", 0);
    cJSON_AddNumberToObject(usage, "usage_in_usermode", 0);

    {
        struct timespec  ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        cJSON_AddNumberToObject(cpu, "system_cpu_usage",
                       (double) ts.tv_sec * 1e9 * ngx_ncpu + ts.tv_nsec);
    }

    cJSON_AddNumberToObject(cpu, "online_cpus", ngx_ncpu);

    pre = cJSON_AddObjectToObject(s, "precpu_stats");
    usage = cJSON_AddObjectToObject(pre, "cpu_usage");
    cJSON_AddNumberToObject(usage, "total_usage", 0);
    cJSON_AddNumberToObject(pre, "system_cpu_usage", 0);
    cJSON_AddNumberToObject(pre, "online_cpus", ngx_ncpu);

    mem = cJSON_AddObjectToObject(s, "memory_stats");
    cJSON_AddNumberToObject(mem, "usage", (double) rss);

    {
        struct sysinfo  si;

        if (sysinfo(&si) == 0) {
            cJSON_AddNumberToObject(mem, "limit",
                                    (double) si.totalram * si.mem_unit);
        }
    }

    p = (char *) cJSON_AddObjectToObject(s, "pids_stats");
    cJSON_AddNumberToObject((cJSON *) p, "current", (double) procs);
    cJSON_AddObjectToObject(s, "blkio_stats");
    cJSON_AddNumberToObject(s, "num_procs", 0);
    cJSON_AddObjectToObject(s, "storage_stats");
    cJSON_AddObjectToObject(s, "networks");

    /* the container's cgroups, where it has them, as dockerd reads them */

    (void) ngx_http_sockerless_cgroup_stats(
               &((ngx_http_sockerless_memory_conf_t *) op->conf)->cgroup,
               ngx_http_sockerless_json_str(op->container, "Id"), s);

    return NGX_OK;
}


/*
 * container_resources: dockerd's checks of what this host can limit
 * (memory_cgroup.c); as not root, nothing can, and every limit is a
 * warning
 */

static ngx_int_t
ngx_http_sockerless_memory_resources(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_memory_conf_t *mcf = op->conf;

    cJSON  *w;
    char    err[512];

    w = ngx_http_sockerless_json_bind(op->pool, cJSON_CreateArray());
    if (w == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_cgroup_verify(&mcf->cgroup, op->data, w, err,
                                          sizeof(err))
        != NGX_OK)
    {
        return ngx_http_sockerless_op_error(op, NGX_HTTP_BAD_REQUEST, "%s",
                                            err);
    }

    op->result = w;

    return NGX_OK;
}


/* container_update: the recorded limits written to its cgroups, live */

static ngx_int_t
ngx_http_sockerless_memory_update(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_memory_conf_t *mcf = op->conf;

    char  err[512];

    if (ngx_http_sockerless_cgroup_apply(&mcf->cgroup,
            ngx_http_sockerless_json_str(op->container, "Id"),
            cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig"),
            err, sizeof(err))
        != NGX_OK)
    {
        return ngx_http_sockerless_op_error(op,
                                            NGX_HTTP_INTERNAL_SERVER_ERROR,
                                            "%s", err);
    }

    return NGX_OK;
}


/* agent.json "cgroups": the container's, made with its limits */

static ngx_int_t
ngx_http_sockerless_memory_cgroups(ngx_http_sockerless_op_t *op, cJSON *j,
    const char *id)
{
    ngx_http_sockerless_memory_conf_t *mcf = op->conf;

    cJSON   *dirs;
    u_char  *p;
    char     err[512];

    dirs = ngx_http_sockerless_cgroup_create(&mcf->cgroup, id,
               cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig"),
               err, sizeof(err));

    if (dirs == NULL) {
        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "sockerless memory: %s", err);

        p = ngx_pnalloc(op->pool, ngx_strlen(err) + 64);
        if (p == NULL) {
            return NGX_ERROR;
        }

        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        op->message.data = p;
        op->message.len = ngx_sprintf(p, "setting the container's resource "
                                      "limits failed: %s", err)
                          - p;

        return NGX_DECLINED;
    }

    cJSON_AddItemToObject(j, "cgroups", dirs);

    return NGX_OK;
}


/*
 * ResolvConfPath, bound on /etc/resolv.conf as dockerd makes it: the
 * host's /etc/resolv.conf without localhost nameservers (the container
 * has its own loopback; with --network host it keeps them), 8.8.8.8 and
 * 8.8.4.4 when none is left, and HostConfig.Dns, DnsSearch and
 * DnsOptions in place of the host's lines of their kind. dockerd's
 * user networks use its resolver 127.0.0.11, which sockerless has not:
 * they get the host's servers too.
 */

static ngx_int_t
ngx_http_sockerless_memory_resolv(ngx_http_sockerless_op_t *op,
    cJSON *mounts)
{
    char        *line, *next, *w, *save;
    cJSON       *hc, *dns, *search, *opts, *e;
    u_char      *text, *p, *last;
    ssize_t      n;
    ngx_fd_t     fd;
    ngx_uint_t   servers, host;
    const char  *path, *mode;
    char         buf[8192];

    path = ngx_http_sockerless_json_str(op->container, "ResolvConfPath");
    if (path == NULL || *path == '\0') {
        return NGX_OK;
    }

    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    dns = cJSON_GetObjectItemCaseSensitive(hc, "Dns");
    search = cJSON_GetObjectItemCaseSensitive(hc, "DnsSearch");
    opts = cJSON_GetObjectItemCaseSensitive(hc, "DnsOptions");
    mode = ngx_http_sockerless_json_str(hc, "NetworkMode");
    host = (mode && ngx_strcmp(mode, "host") == 0);

    n = 0;
    fd = ngx_open_file("/etc/resolv.conf", NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd != NGX_INVALID_FILE) {
        n = read(fd, buf, sizeof(buf) - 1);
        (void) ngx_close_file(fd);
    }

    buf[n > 0 ? n : 0] = '\0';

    text = ngx_pnalloc(op->pool, sizeof(buf) + 4096);
    if (text == NULL) {
        return NGX_ERROR;
    }

    p = text;
    last = text + sizeof(buf) + 4096;
    servers = 0;

    cJSON_ArrayForEach(e, dns) {
        if (cJSON_IsString(e)) {
            p = ngx_slprintf(p, last, "nameserver %s\n", e->valuestring);
            servers++;
        }
    }

    for (line = buf; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }

        w = line;
        while (*w == ' ' || *w == '\t') {
            w++;
        }

        if (ngx_strncmp(w, "nameserver", 10) == 0
            && (w[10] == ' ' || w[10] == '\t'))
        {
            if (cJSON_GetArraySize(dns) > 0) {
                continue;
            }

            save = w + 11;
            while (*save == ' ' || *save == '\t') {
                save++;
            }

            if (!host
                && (ngx_strncmp(save, "127.", 4) == 0
                    || ngx_strncmp(save, "::1", 3) == 0))
            {
                continue;
            }

            servers++;

        } else if ((ngx_strncmp(w, "search", 6) == 0
                    || ngx_strncmp(w, "domain", 6) == 0)
                   && cJSON_GetArraySize(search) > 0)
        {
            continue;

        } else if (ngx_strncmp(w, "options", 7) == 0
                   && cJSON_GetArraySize(opts) > 0)
        {
            continue;
        }

        p = ngx_slprintf(p, last, "%s\n", line);
    }

    if (servers == 0) {
        /* dockerd's defaults when the host's servers are all local */
        p = ngx_slprintf(p, last, "nameserver 8.8.8.8\n"
                         "nameserver 8.8.4.4\n");
    }

    if (cJSON_GetArraySize(search) > 0) {
        p = ngx_slprintf(p, last, "search");

        cJSON_ArrayForEach(e, search) {
            if (cJSON_IsString(e)) {
                p = ngx_slprintf(p, last, " %s", e->valuestring);
            }
        }

        p = ngx_slprintf(p, last, "\n");
    }

    if (cJSON_GetArraySize(opts) > 0) {
        p = ngx_slprintf(p, last, "options");

        cJSON_ArrayForEach(e, opts) {
            if (cJSON_IsString(e)) {
                p = ngx_slprintf(p, last, " %s", e->valuestring);
            }
        }

        p = ngx_slprintf(p, last, "\n");
    }

    /* in place: a bind of an earlier run may still point at the inode */

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE, 0644);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    if (write(fd, text, p - text) != p - text) {
        ngx_log_error(NGX_LOG_ALERT, op->log, ngx_errno,
                      "write() to \"%s\" failed", path);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "source", path);
    cJSON_AddStringToObject(e, "target", "/etc/resolv.conf");
    cJSON_AddFalseToObject(e, "readonly");
    cJSON_AddItemToArray(mounts, e);

    return NGX_OK;
}


static char *
ngx_http_sockerless_memory_cgroup_parent(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 200
        || ngx_strstr(value[1].data, "..") != NULL
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '\n'))
    {
        return "is invalid: a cgroup path without \"..\"";
    }

    return ngx_conf_set_str_slot(cf, cmd, conf);
}
