
/*
 * Copyright (C) sockerless contributors
 *
 * The ECS backend (issue 4, seeds/backend-ecs.md): a container is a task
 * definition (family "sockerless-<id12>") and each start a Fargate task.
 * The task runs "sockerless-agent reverse -- CMD": the agent dials back to
 * sockerless_ecs_callback (callback.c), and every stream, exec and signal
 * goes through it as with the memory backend's local agent. One worker
 * reads the main process' output from the agent into the container's log
 * (the "pump"), so attach, logs and logs -f read it as they read any log;
 * the task's awslogs stream in CloudWatch keeps the same output.
 *
 * Exits come from the pump (after the output), from the agent's exit
 * report when no pump lives, and from DescribeTasks, polled by the one
 * worker holding the "lease/ecs" record, for tasks whose agent is gone.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_agent.h>
#include <ngx_http_sockerless_aws.h>
#include <ngx_http_sockerless_reverse.h>
#include <sls_logfmt.h>
#include <sls_time.h>
#include <sls_ecs.h>
#include <sls_runtime.h>


#define NGX_HTTP_SOCKERLESS_ECS_TARGET  "AmazonEC2ContainerServiceV20141113."
#define NGX_HTTP_SOCKERLESS_ECS_BATCH   100


typedef struct {
    ngx_str_t                      cluster;
    ngx_array_t                   *subnets;          /* ngx_str_t */
    ngx_array_t                   *security_groups;  /* ngx_str_t */
    ngx_flag_t                     public_ip;
    ngx_str_t                      execution_role;
    ngx_str_t                      task_role;
    ngx_str_t                      log_group;
    ngx_str_t                      agent;
    ngx_str_t                      callback;
    ngx_msec_t                     poll;
    ngx_msec_t                     start_timeout;
} ngx_http_sockerless_ecs_conf_t;


typedef struct {
    ngx_http_sockerless_op_t      *op;
    ngx_http_sockerless_ecs_conf_t  *ecf;
    ngx_http_sockerless_aws_call_t  *call;
    ngx_http_sockerless_rwait_t    wait;
    ngx_event_t                    poll;
    ngx_event_t                    timeout;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           token[65];
    char                          *task;
    unsigned                       waiting:1;
    unsigned                       done:1;
} ngx_http_sockerless_ecs_op_t;


static void *ngx_http_sockerless_ecs_create_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_ecs_init_conf(ngx_conf_t *cf, void *conf);
static ngx_int_t ngx_http_sockerless_ecs_init_process(ngx_cycle_t *cycle,
    void *conf);
static void ngx_http_sockerless_ecs_exit_process(ngx_cycle_t *cycle,
    void *conf);
static ngx_int_t ngx_http_sockerless_ecs_linux(ngx_http_sockerless_op_t *op,
    cJSON *hc, cJSON *cd);
static ngx_int_t ngx_http_sockerless_ecs_create(ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_ecs_registered(
    ngx_http_sockerless_aws_call_t *ac);
static ngx_int_t ngx_http_sockerless_ecs_start(ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_ecs_agent(ngx_http_sockerless_rwait_t *w,
    ngx_int_t rc);
static void ngx_http_sockerless_ecs_ran(ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_start_poll(ngx_event_t *ev);
static void ngx_http_sockerless_ecs_start_described(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_start_timeout(ngx_event_t *ev);
static void ngx_http_sockerless_ecs_start_done(
    ngx_http_sockerless_ecs_op_t *st, ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_ecs_kill(ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_ecs_remove(ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_ecs_background(ngx_log_t *log,
    const char *action, cJSON *body);
static void ngx_http_sockerless_ecs_background_done(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_poller(ngx_event_t *ev);
static void ngx_http_sockerless_ecs_polled(ngx_http_sockerless_aws_call_t *ac);
static char *ngx_http_sockerless_ecs_list(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_sockerless_ecs_commands[] = {

    { ngx_string("sockerless_ecs_cluster"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, cluster),
      NULL },

    { ngx_string("sockerless_ecs_subnets"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_sockerless_ecs_list,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, subnets),
      NULL },

    { ngx_string("sockerless_ecs_security_groups"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_sockerless_ecs_list,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, security_groups),
      NULL },

    { ngx_string("sockerless_ecs_assign_public_ip"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, public_ip),
      NULL },

    { ngx_string("sockerless_ecs_execution_role"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, execution_role),
      NULL },

    { ngx_string("sockerless_ecs_task_role"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, task_role),
      NULL },

    { ngx_string("sockerless_ecs_log_group"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, log_group),
      NULL },

    { ngx_string("sockerless_ecs_agent"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, agent),
      NULL },

    { ngx_string("sockerless_ecs_callback"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, callback),
      NULL },

    { ngx_string("sockerless_ecs_poll_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, poll),
      NULL },

    { ngx_string("sockerless_ecs_start_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_ecs_conf_t, start_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_ecs_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_ecs_create_conf,   /* create main configuration */
    ngx_http_sockerless_ecs_init_conf,     /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_ecs_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_ecs_module_ctx,   /* module context */
    ngx_http_sockerless_ecs_commands,      /* module directives */
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


ngx_http_sockerless_backend_t  ngx_http_sockerless_ecs_backend = {
    .name = ngx_string("ecs"),
    .supports = SLS_SUPPORTS_EXEC|SLS_SUPPORTS_ATTACH|SLS_SUPPORTS_SIGNALS
                |SLS_SUPPORTS_LOGS|SLS_REMOTE_IMAGES,
    .op_state_size = sizeof(ngx_http_sockerless_ecs_op_t),
    .init_process = ngx_http_sockerless_ecs_init_process,
    .exit_process = ngx_http_sockerless_ecs_exit_process,
    .container_create = ngx_http_sockerless_ecs_create,
    .container_start = ngx_http_sockerless_ecs_start,
    .container_kill = ngx_http_sockerless_ecs_kill,
    .container_remove = ngx_http_sockerless_ecs_remove,
    .container_alive = ngx_http_sockerless_reverse_alive,
    .container_started = ngx_http_sockerless_reverse_started,
    .agent_called_back = ngx_http_sockerless_reverse_called_back,
};


static void ngx_http_sockerless_ecs_sync(ngx_event_t *ev);

static ngx_event_t                      ngx_http_sockerless_ecs_poll_ev;
static ngx_event_t                      ngx_http_sockerless_ecs_sync_ev;
static ngx_http_sockerless_ecs_conf_t  *ngx_http_sockerless_ecs_conf;


static void *
ngx_http_sockerless_ecs_create_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_ecs_conf_t  *ecf;

    ecf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_ecs_conf_t));
    if (ecf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ecf->cluster = { 0, NULL };
     *     ecf->execution_role = { 0, NULL };
     *     ...
     */

    ecf->subnets = NGX_CONF_UNSET_PTR;
    ecf->security_groups = NGX_CONF_UNSET_PTR;
    ecf->public_ip = NGX_CONF_UNSET;
    ecf->poll = NGX_CONF_UNSET_MSEC;
    ecf->start_timeout = NGX_CONF_UNSET_MSEC;

    return ecf;
}


static char *
ngx_http_sockerless_ecs_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_ecs_conf_t *ecf = conf;

    if (ecf->cluster.len == 0) {
        ngx_str_set(&ecf->cluster, "default");
    }

    if (ecf->log_group.len == 0) {
        ngx_str_set(&ecf->log_group, "/sockerless");
    }

    if (ecf->agent.len == 0) {
        ngx_str_set(&ecf->agent, "/sockerless/agent");
    }

    ngx_conf_init_ptr_value(ecf->subnets, NULL);
    ngx_conf_init_ptr_value(ecf->security_groups, NULL);
    ngx_conf_init_value(ecf->public_ip, 0);
    ngx_conf_init_msec_value(ecf->poll, 5000);
    ngx_conf_init_msec_value(ecf->start_timeout, 120000);

    if (ecf->callback.len
        && ngx_strncmp(ecf->callback.data, "http://", 7) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_ecs_callback \"%V\" must be an "
                           "http:// URL that the tasks can reach",
                           &ecf->callback);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_ecs_list(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t     *value, *s;
    ngx_uint_t     i;
    ngx_array_t  **a;

    a = (ngx_array_t **) (p + cmd->offset);

    if (*a != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *a = ngx_array_create(cf->pool, cf->args->nelts - 1, sizeof(ngx_str_t));
    if (*a == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        s = ngx_array_push(*a);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_sockerless_ecs_init_process(ngx_cycle_t *cycle, void *conf)
{
    ngx_http_sockerless_ecs_conf_t *ecf = conf;

    ngx_http_sockerless_ecs_conf = ecf;

    ngx_http_sockerless_ecs_poll_ev.handler = ngx_http_sockerless_ecs_poller;
    ngx_http_sockerless_ecs_poll_ev.log = cycle->log;
    ngx_http_sockerless_ecs_poll_ev.cancelable = 1;
    ngx_http_sockerless_ecs_poll_ev.data = ecf;

    ngx_add_timer(&ngx_http_sockerless_ecs_poll_ev, ecf->poll);

    /* once the worker runs: what ECS has that the store lacks */

    ngx_http_sockerless_ecs_sync_ev.handler = ngx_http_sockerless_ecs_sync;
    ngx_http_sockerless_ecs_sync_ev.log = cycle->log;
    ngx_http_sockerless_ecs_sync_ev.cancelable = 1;
    ngx_http_sockerless_ecs_sync_ev.data = ecf;

    ngx_add_timer(&ngx_http_sockerless_ecs_sync_ev, 100);

    return NGX_OK;
}


static void
ngx_http_sockerless_ecs_exit_process(ngx_cycle_t *cycle, void *conf)
{
    if (ngx_http_sockerless_ecs_poll_ev.timer_set) {
        ngx_del_timer(&ngx_http_sockerless_ecs_poll_ev);
    }

    if (ngx_http_sockerless_ecs_sync_ev.timer_set) {
        ngx_del_timer(&ngx_http_sockerless_ecs_sync_ev);
    }

    ngx_http_sockerless_reverse_exit_process();
}


/* a JSON 1.1 call; NULL when it could not start (op gets the error) */

static ngx_http_sockerless_aws_call_t *
ngx_http_sockerless_ecs_call(ngx_log_t *log, const char *action, cJSON *body,
    ngx_http_sockerless_aws_handler_pt handler, void *data)
{
    u_char                          *p;
    size_t                           len;
    ngx_http_sockerless_aws_call_t  *ac;

    ac = ngx_http_sockerless_aws_create(log, "ecs");
    if (ac == NULL) {
        return NULL;
    }

    len = sizeof(NGX_HTTP_SOCKERLESS_ECS_TARGET) - 1 + ngx_strlen(action);

    p = ngx_pnalloc(ac->pool, len);
    if (p == NULL) {
        ngx_http_sockerless_aws_free(ac);
        return NULL;
    }

    ngx_sprintf(p, NGX_HTTP_SOCKERLESS_ECS_TARGET "%s", action);

    ac->target.data = p;
    ac->target.len = len;
    ac->body = body;
    ac->handler = handler;
    ac->data = data;

    if (ngx_http_sockerless_aws_start(ac) != NGX_OK) {
        ngx_http_sockerless_aws_free(ac);
        return NULL;
    }

    return ac;
}


static void
ngx_http_sockerless_ecs_kv(cJSON *a, const char *k, const char *v)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", k);
    cJSON_AddStringToObject(o, "value", v);
    cJSON_AddItemToArray(a, o);
}


static void
ngx_http_sockerless_ecs_tag(cJSON *a, const char *k, const char *v)
{
    cJSON  *o;

    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "key", k);
    cJSON_AddStringToObject(o, "value", v);
    cJSON_AddItemToArray(a, o);
}


/*
 * --read-only, --init, --cap-add, --cap-drop and --ulimit as the
 * container definition has them: readonlyRootFilesystem,
 * linuxParameters' initProcessEnabled and capabilities (names without
 * CAP_, "ALL" as is), ulimits (-1, unlimited, is refused: ECS wants a
 * number). What Fargate itself refuses (it adds SYS_PTRACE only) comes
 * back from RegisterTaskDefinition as its error.
 */

static ngx_int_t
ngx_http_sockerless_ecs_linux(ngx_http_sockerless_op_t *op, cJSON *hc,
    cJSON *cd)
{
    int          n;
    cJSON       *lp, *caps, *list, *item, *u;
    double       soft, hard;
    ngx_uint_t   i;
    const char  *name;

    static const char  *fields[2][2] = {
        { "CapAdd", "add" },
        { "CapDrop", "drop" }
    };

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "ReadonlyRootfs")))
    {
        cJSON_AddTrueToObject(cd, "readonlyRootFilesystem");
    }

    lp = cJSON_AddObjectToObject(cd, "linuxParameters");
    if (lp == NULL) {
        return NGX_ERROR;
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "Init"))) {
        cJSON_AddTrueToObject(lp, "initProcessEnabled");
    }

    caps = NULL;

    for (i = 0; i < 2; i++) {
        list = NULL;

        cJSON_ArrayForEach(item,
                           cJSON_GetObjectItemCaseSensitive(hc, fields[i][0]))
        {
            n = cJSON_IsString(item)
                ? sls_cap_number(item->valuestring,
                                 ngx_strlen(item->valuestring))
                : -1;

            if (n < 0) {
                continue;
            }

            if (caps == NULL) {
                caps = cJSON_AddObjectToObject(lp, "capabilities");
            }

            if (list == NULL) {
                list = cJSON_AddArrayToObject(caps, fields[i][1]);
            }

            cJSON_AddItemToArray(list, cJSON_CreateString(
                n == SLS_CAP_ALL ? "ALL" : sls_cap_name(n) + 4));
        }
    }

    list = NULL;

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(hc, "Ulimits"))
    {
        name = ngx_http_sockerless_json_str(item, "Name");
        soft = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item,
                                                                     "Soft"));
        hard = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(item,
                                                                     "Hard"));

        if (name == NULL) {
            continue;
        }

        if (soft < 0 || hard < 0) {
            op->status = NGX_HTTP_BAD_REQUEST;
            ngx_str_set(&op->message, "the ECS backend cannot set an "
                        "unlimited ulimit: ECS takes numbers");
            return NGX_ERROR;
        }

        if (list == NULL) {
            list = cJSON_AddArrayToObject(cd, "ulimits");
        }

        u = cJSON_CreateObject();
        cJSON_AddItemToArray(list, u);
        cJSON_AddStringToObject(u, "name", name);
        cJSON_AddNumberToObject(u, "softLimit", soft);
        cJSON_AddNumberToObject(u, "hardLimit", hard);
    }

    if (lp->child == NULL) {
        cJSON_DeleteItemFromObject(cd, "linuxParameters");
    }

    return NGX_OK;
}


/* create: RegisterTaskDefinition */

static ngx_int_t
ngx_http_sockerless_ecs_create(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_ecs_conf_t *ecf = op->conf;
    ngx_http_sockerless_ecs_op_t   *st = op->state;

    char         family[32], num[32], tagk[160];
    cJSON       *body, *cd, *a, *item, *conf, *hc, *sls, *opts, *tags;
    cJSON       *ports;
    double       nano, mem;
    unsigned long  cpu, memory;
    ngx_uint_t     n;
    const char  *id, *s;
    ngx_str_t   *region;

    st->op = op;
    st->ecf = ecf;

    id = ngx_http_sockerless_json_str(op->container, "Id");
    conf = cJSON_GetObjectItemCaseSensitive(op->container, "Config");
    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");

    ngx_cpystrn((u_char *) st->id, (u_char *) id, sizeof(st->id));

    if (ngx_http_sockerless_reverse_refuse(op, "ECS", 1) != NGX_OK
        || ngx_http_sockerless_reverse_refuse_resources(op, "ECS", 1)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* HostConfig's limits, as the smallest Fargate size that holds them */

    nano = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc,
                                                                "NanoCpus"));
    mem = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc,
                                                                "Memory"));

    if (sls_ecs_fargate_size(nano == nano ? (uint64_t) nano : 0,
                             mem == mem ? (uint64_t) mem : 0,
                             &cpu, &memory)
        != 0)
    {
        op->status = NGX_HTTP_BAD_REQUEST;
        ngx_str_set(&op->message, "the CPU and memory asked for exceed "
                    "the largest Fargate task (16 vCPU, 120 GiB)");
        return NGX_ERROR;
    }

    body = cJSON_CreateObject();
    if (body == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) family, "sockerless-%*s%Z", 12, id);
    cJSON_AddStringToObject(body, "family", family);
    cJSON_AddStringToObject(body, "networkMode", "awsvpc");
    a = cJSON_AddArrayToObject(body, "requiresCompatibilities");
    cJSON_AddItemToArray(a, cJSON_CreateString("FARGATE"));

    ngx_sprintf((u_char *) num, "%ul%Z", cpu);
    cJSON_AddStringToObject(body, "cpu", num);
    ngx_sprintf((u_char *) num, "%ul%Z", memory);
    cJSON_AddStringToObject(body, "memory", num);

    if (ecf->execution_role.len) {
        cJSON_AddStringToObject(body, "executionRoleArn",
                      ngx_http_sockerless_cstr(op->pool, &ecf->execution_role));
    }

    if (ecf->task_role.len) {
        cJSON_AddStringToObject(body, "taskRoleArn",
                      ngx_http_sockerless_cstr(op->pool, &ecf->task_role));
    }

    a = cJSON_AddArrayToObject(body, "containerDefinitions");
    cd = cJSON_CreateObject();
    cJSON_AddItemToArray(a, cd);

    cJSON_AddStringToObject(cd, "name", "main");
    cJSON_AddStringToObject(cd, "image",
                            ngx_http_sockerless_json_str(conf, "Image"));
    cJSON_AddTrueToObject(cd, "essential");

    /* the agent runs the command and dials back */

    a = cJSON_AddArrayToObject(cd, "entryPoint");
    cJSON_AddItemToArray(a, cJSON_CreateString(
                     ngx_http_sockerless_cstr(op->pool, &ecf->agent)));
    cJSON_AddItemToArray(a, cJSON_CreateString("reverse"));
    cJSON_AddItemToArray(a, cJSON_CreateString("--"));
    cJSON_AddItemToObject(cd, "command", cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(sls, "cmd"), 1));

    a = cJSON_AddArrayToObject(cd, "environment");

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(conf, "Env")) {
        if (cJSON_IsString(item)) {
            char  *eq, *k;

            k = ngx_pnalloc(op->pool, ngx_strlen(item->valuestring) + 1);
            if (k == NULL) {
                cJSON_Delete(body);
                return NGX_ERROR;
            }

            ngx_cpystrn((u_char *) k, (u_char *) item->valuestring,
                        ngx_strlen(item->valuestring) + 1);

            eq = ngx_strchr(k, '=');
            if (eq == NULL) {
                continue;
            }

            *eq = '\0';
            ngx_http_sockerless_ecs_kv(a, k, eq + 1);
        }
    }

    {
        cJSON  *ac;
        char   *text;

        ac = cJSON_CreateObject();
        cJSON_AddBoolToObject(ac, "tty", cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(conf, "Tty")));
        cJSON_AddBoolToObject(ac, "open_stdin", cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(conf, "OpenStdin")));
        cJSON_AddBoolToObject(ac, "stdin_once", cJSON_IsTrue(
            cJSON_GetObjectItemCaseSensitive(conf, "StdinOnce")));

        text = cJSON_PrintUnformatted(ac);
        cJSON_Delete(ac);

        if (text) {
            ngx_http_sockerless_ecs_kv(a, "SOCKERLESS_AGENT_CONFIG", text);
            cJSON_free(text);
        }
    }

    s = ngx_http_sockerless_json_str(conf, "WorkingDir");
    if (s && *s) {
        cJSON_AddStringToObject(cd, "workingDirectory", s);
    }

    s = ngx_http_sockerless_json_str(conf, "User");
    if (s && *s) {
        cJSON_AddStringToObject(cd, "user", s);
    }

    if (ngx_http_sockerless_ecs_linux(op, hc, cd) != NGX_OK) {
        cJSON_Delete(body);
        return NGX_ERROR;
    }

    /* exposed ports: awsvpc maps them one to one */

    ports = cJSON_AddArrayToObject(cd, "portMappings");

    cJSON_ArrayForEach(item,
                       cJSON_GetObjectItemCaseSensitive(conf, "ExposedPorts"))
    {
        ngx_int_t   port;
        char       *slash;
        cJSON      *pm;

        port = ngx_atoi((u_char *) item->string,
                        (slash = ngx_strchr(item->string, '/'))
                        ? (size_t) (slash - item->string)
                        : ngx_strlen(item->string));

        if (port <= 0 || port > 65535) {
            continue;
        }

        pm = cJSON_CreateObject();
        cJSON_AddNumberToObject(pm, "containerPort", (double) port);
        cJSON_AddStringToObject(pm, "protocol",
                                slash && ngx_strcmp(slash, "/udp") == 0
                                ? "udp" : "tcp");
        cJSON_AddItemToArray(ports, pm);
    }

    region = ngx_http_sockerless_aws_region();

    opts = cJSON_CreateObject();
    cJSON_AddStringToObject(opts, "awslogs-group",
                   ngx_http_sockerless_cstr(op->pool, &ecf->log_group));
    cJSON_AddStringToObject(opts, "awslogs-region",
                   ngx_http_sockerless_cstr(op->pool, region));
    ngx_sprintf((u_char *) family, "%*s%Z", 12, id);
    cJSON_AddStringToObject(opts, "awslogs-stream-prefix", family);
    cJSON_AddStringToObject(opts, "awslogs-create-group", "true");

    item = cJSON_AddObjectToObject(cd, "logConfiguration");
    cJSON_AddStringToObject(item, "logDriver", "awslogs");
    cJSON_AddItemToObject(item, "options", opts);

    /* tags: what a fresh gateway needs to find its containers again */

    tags = cJSON_AddArrayToObject(body, "tags");
    ngx_http_sockerless_ecs_tag(tags, "sockerless:id", id);

    s = ngx_http_sockerless_json_str(op->container, "Name");
    if (s) {
        ngx_http_sockerless_ecs_tag(tags, "sockerless:name",
                                    *s == '/' ? s + 1 : s);
    }

    n = 2;

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(conf, "Labels"))
    {
        if (!cJSON_IsString(item) || n >= 50
            || ngx_strlen(item->string) > 128 - sizeof("sockerless:label:")
            || ngx_strlen(item->valuestring) > 256)
        {
            continue;
        }

        ngx_sprintf((u_char *) tagk, "sockerless:label:%s%Z", item->string);
        ngx_http_sockerless_ecs_tag(tags, tagk, item->valuestring);
        n++;
    }

    st->call = ngx_http_sockerless_ecs_call(op->log, "RegisterTaskDefinition",
                                        body,
                                        ngx_http_sockerless_ecs_registered,
                                        st);
    cJSON_Delete(body);

    if (st->call == NULL) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "ECS RegisterTaskDefinition could not "
                    "be sent");
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


static void
ngx_http_sockerless_ecs_registered(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_op_t *st = ac->data;

    cJSON                     *sls;
    const char                *arn;
    ngx_http_sockerless_op_t  *op;

    op = st->op;
    st->call = NULL;

    arn = ngx_http_sockerless_json_str(
              cJSON_GetObjectItemCaseSensitive(ac->json, "taskDefinition"),
              "taskDefinitionArn");

    if (ac->status != NGX_HTTP_OK || arn == NULL) {
        ngx_http_sockerless_reverse_error(op, ac->status, &ac->error_type,
                                          &ac->message, "ECS",
                                          "RegisterTaskDefinition");
        ngx_http_sockerless_aws_free(ac);
        op->handler(op, NGX_ERROR);
        return;
    }

    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
    cJSON_AddStringToObject(sls, "task_definition", arn);
    cJSON_AddTrueToObject(sls, "reverse");

    ngx_http_sockerless_aws_free(ac);

    op->handler(op, NGX_OK);
}


/* start: RunTask, then wait for the agent to dial back */

static ngx_int_t
ngx_http_sockerless_ecs_start(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_ecs_conf_t *ecf = op->conf;
    ngx_http_sockerless_ecs_op_t   *st = op->state;

    char         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON       *body, *a, *vpc, *ov, *co, *env, *tags;
    ngx_uint_t   i;
    ngx_str_t   *s;
    const char  *td, *id;

    st->op = op;
    st->ecf = ecf;

    id = ngx_http_sockerless_json_str(op->container, "Id");
    ngx_cpystrn((u_char *) st->id, (u_char *) id, sizeof(st->id));

    if (ecf->subnets == NULL || ecf->callback.len == 0) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the ECS backend needs "
                    "sockerless_ecs_subnets and sockerless_ecs_callback");
        return NGX_ERROR;
    }

    td = ngx_http_sockerless_json_str(
             cJSON_GetObjectItemCaseSensitive(op->container, "_sls"),
             "task_definition");

    if (td == NULL) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the container has no ECS task "
                    "definition");
        return NGX_ERROR;
    }

    /* a token of its own for every run */

    ngx_http_sockerless_random_id(st->token);

    if (ngx_http_sockerless_reverse_prepare(op, st->token) != NGX_OK) {
        return NGX_ERROR;
    }

    body = cJSON_CreateObject();
    if (body == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(body, "cluster",
                            ngx_http_sockerless_cstr(op->pool, &ecf->cluster));
    cJSON_AddStringToObject(body, "taskDefinition", td);
    cJSON_AddStringToObject(body, "launchType", "FARGATE");
    cJSON_AddNumberToObject(body, "count", 1);

    ngx_sprintf((u_char *) key, "sockerless-%*s%Z", 12, st->id);
    cJSON_AddStringToObject(body, "startedBy", key);

    vpc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body,
                                                 "networkConfiguration"),
                                  "awsvpcConfiguration");
    a = cJSON_AddArrayToObject(vpc, "subnets");
    s = ecf->subnets->elts;

    for (i = 0; i < ecf->subnets->nelts; i++) {
        cJSON_AddItemToArray(a, cJSON_CreateString(
                                ngx_http_sockerless_cstr(op->pool, &s[i])));
    }

    if (ecf->security_groups) {
        a = cJSON_AddArrayToObject(vpc, "securityGroups");
        s = ecf->security_groups->elts;

        for (i = 0; i < ecf->security_groups->nelts; i++) {
            cJSON_AddItemToArray(a, cJSON_CreateString(
                                ngx_http_sockerless_cstr(op->pool, &s[i])));
        }
    }

    cJSON_AddStringToObject(vpc, "assignPublicIp",
                            ecf->public_ip ? "ENABLED" : "DISABLED");

    /* what the agent needs, for this run only: not in the definition */

    ov = cJSON_AddObjectToObject(body, "overrides");
    a = cJSON_AddArrayToObject(ov, "containerOverrides");
    co = cJSON_CreateObject();
    cJSON_AddItemToArray(a, co);
    cJSON_AddStringToObject(co, "name", "main");
    env = cJSON_AddArrayToObject(co, "environment");
    ngx_http_sockerless_ecs_kv(env, "SOCKERLESS_CALLBACK_URL",
                      ngx_http_sockerless_cstr(op->pool, &ecf->callback));
    ngx_http_sockerless_ecs_kv(env, "SOCKERLESS_AGENT_TOKEN", st->token);
    ngx_http_sockerless_ecs_kv(env, "SOCKERLESS_CONTAINER_ID", st->id);

    tags = cJSON_AddArrayToObject(body, "tags");
    ngx_http_sockerless_ecs_tag(tags, "sockerless:id", st->id);
    cJSON_AddStringToObject(body, "propagateTags", "TASK_DEFINITION");

    st->call = ngx_http_sockerless_ecs_call(op->log, "RunTask", body,
                                            ngx_http_sockerless_ecs_ran, st);
    cJSON_Delete(body);

    if (st->call == NULL) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "ECS RunTask could not be sent");
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_sockerless_ecs_set_task(void *data, cJSON **value)
{
    cJSON  *sls;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "task");
    cJSON_AddStringToObject(sls, "task", (char *) data);

    return NGX_OK;
}


static void
ngx_http_sockerless_ecs_ran(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_op_t *st = ac->data;

    char                      key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON                    *task, *failure;
    size_t                    len;
    const char               *arn, *reason;
    ngx_http_sockerless_op_t *op;

    op = st->op;
    st->call = NULL;

    if (ac->status != NGX_HTTP_OK) {
        ngx_http_sockerless_reverse_error(op, ac->status, &ac->error_type,
                                          &ac->message, "ECS",
                                          "RunTask");
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
        return;
    }

    task = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ac->json,
                                                               "tasks"), 0);
    arn = ngx_http_sockerless_json_str(task, "taskArn");

    if (arn == NULL) {
        failure = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(ac->json, "failures"), 0);
        reason = ngx_http_sockerless_json_str(failure, "reason");

        (void) ngx_http_sockerless_op_error(op,
                                    NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "ECS RunTask started no task: %s",
                                    reason ? reason : "no reason given");

        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
        return;
    }

    len = ngx_strlen(arn) + 1;

    st->task = ngx_pnalloc(op->pool, len);
    if (st->task == NULL) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
        return;
    }

    ngx_cpystrn((u_char *) st->task, (u_char *) arn, len);
    ngx_http_sockerless_aws_free(ac);

    ngx_sprintf((u_char *) key, "c/%s%Z", st->id);
    (void) ngx_http_sockerless_store_update(op->pool, key,
                                            ngx_http_sockerless_ecs_set_task,
                                            st->task);
    (void) ngx_http_sockerless_ecs_set_task(st->task, &op->container);

    /* the agent's first park wakes the watch; the task's fate the poll */

    st->waiting = 1;
    st->wait.op = op;
    st->wait.handler = ngx_http_sockerless_ecs_agent;
    st->wait.data = st;

    st->poll.handler = ngx_http_sockerless_ecs_start_poll;
    st->poll.data = st;
    st->poll.log = op->log;
    ngx_add_timer(&st->poll, st->ecf->poll);

    st->timeout.handler = ngx_http_sockerless_ecs_start_timeout;
    st->timeout.data = st;
    st->timeout.log = op->log;
    ngx_add_timer(&st->timeout, st->ecf->start_timeout);

    if (ngx_http_sockerless_reverse_wait(&st->wait) != NGX_OK) {
        ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_ecs_agent(ngx_http_sockerless_rwait_t *w, ngx_int_t rc)
{
    ngx_http_sockerless_ecs_start_done(w->data, rc);
}


/* while waiting: a task that stopped before its agent called back */

static void
ngx_http_sockerless_ecs_start_poll(ngx_event_t *ev)
{
    ngx_http_sockerless_ecs_op_t *st = ev->data;

    cJSON  *body, *a;

    if (!st->waiting || st->call) {
        return;
    }

    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "cluster",
                      ngx_http_sockerless_cstr(st->op->pool,
                                               &st->ecf->cluster));
    a = cJSON_AddArrayToObject(body, "tasks");
    cJSON_AddItemToArray(a, cJSON_CreateString(st->task));

    st->call = ngx_http_sockerless_ecs_call(st->op->log, "DescribeTasks",
                                  body,
                                  ngx_http_sockerless_ecs_start_described,
                                  st);
    cJSON_Delete(body);

    if (st->call == NULL) {
        ngx_add_timer(&st->poll, st->ecf->poll);
    }
}


static void
ngx_http_sockerless_ecs_start_described(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_op_t *st = ac->data;

    cJSON       *task;
    const char  *status, *reason;
    ngx_http_sockerless_op_t  *op;

    op = st->op;
    st->call = NULL;

    task = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ac->json,
                                                               "tasks"), 0);
    status = ngx_http_sockerless_json_str(task, "lastStatus");

    if (ac->status == NGX_HTTP_OK && status
        && ngx_strcmp(status, "STOPPED") == 0 && st->waiting)
    {
        reason = ngx_http_sockerless_json_str(task, "stoppedReason");

        (void) ngx_http_sockerless_op_error(op,
                                    NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "the ECS task stopped before its agent "
                                    "called back: %s",
                                    reason ? reason : "no reason given");

        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
        return;
    }

    ngx_http_sockerless_aws_free(ac);

    if (st->waiting) {
        ngx_add_timer(&st->poll, st->ecf->poll);
    }
}


static void
ngx_http_sockerless_ecs_start_timeout(ngx_event_t *ev)
{
    ngx_http_sockerless_ecs_op_t *st = ev->data;

    ngx_http_sockerless_op_t  *op;

    op = st->op;

    (void) ngx_http_sockerless_op_error(op, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "the agent of the ECS task did not "
                                        "call back within %M ms",
                                        st->ecf->start_timeout);

    ngx_http_sockerless_ecs_start_done(st, NGX_ERROR);
}


static void
ngx_http_sockerless_ecs_stop_task(ngx_http_sockerless_ecs_conf_t *ecf,
    ngx_log_t *log, const char *task, const char *reason)
{
    cJSON  *body;

    body = cJSON_CreateObject();
    if (body == NULL) {
        return;
    }

    /* the configuration's words end with a NUL (ngx_conf_read_token) */
    cJSON_AddStringToObject(body, "cluster", (char *) ecf->cluster.data);
    cJSON_AddStringToObject(body, "task", task);
    cJSON_AddStringToObject(body, "reason", reason);

    ngx_http_sockerless_ecs_background(log, "StopTask", body);
    cJSON_Delete(body);
}


static void
ngx_http_sockerless_ecs_start_done(ngx_http_sockerless_ecs_op_t *st,
    ngx_int_t rc)
{
    ngx_http_sockerless_op_t  *op;

    if (st->done) {
        return;
    }

    st->done = 1;
    st->waiting = 0;
    op = st->op;

    ngx_http_sockerless_reverse_cancel(&st->wait);

    if (st->poll.timer_set) {
        ngx_del_timer(&st->poll);
    }

    if (st->timeout.timer_set) {
        ngx_del_timer(&st->timeout);
    }

    if (st->call) {
        ngx_http_sockerless_aws_free(st->call);
        st->call = NULL;
    }

    if (rc != NGX_OK && st->task) {
        /* a task that runs without its start recorded would be lost */
        ngx_http_sockerless_ecs_stop_task(st->ecf, op->log, st->task,
                                          "sockerless: the start failed");
    }

    if (rc == NGX_OK) {
        op->result = ngx_http_sockerless_json_bind(op->pool,
                                                   cJSON_CreateObject());
        if (op->result == NULL) {
            rc = NGX_ERROR;

        } else {
            cJSON_AddNumberToObject(op->result, "Pid",
                                    (double) st->wait.pid);
        }
    }

    op->handler(op, rc);
}


/* kill: the signal goes to the agent; without one, the task stops */

static ngx_int_t
ngx_http_sockerless_ecs_kill(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_ecs_conf_t *ecf = op->conf;

    ngx_int_t    rc;
    const char  *task;

    rc = ngx_http_sockerless_reverse_signal(op->container, op->signal);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* no agent: only the signals that end a process can be had */

    task = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(op->container, "_sls"),
               "task");

    if (task && (op->signal == SIGKILL || op->signal == SIGTERM)) {
        ngx_http_sockerless_ecs_stop_task(ecf, op->log, task,
                                          "sockerless: docker kill");
        return NGX_OK;
    }

    op->status = NGX_HTTP_CONFLICT;
    ngx_str_set(&op->message, "the container's agent is not connected: "
                "only SIGTERM and SIGKILL (ECS StopTask) can be sent");

    return NGX_ERROR;
}


/* remove: the task stops, the definition goes, in the background */

static ngx_int_t
ngx_http_sockerless_ecs_remove(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_ecs_conf_t *ecf = op->conf;

    u_char      *dir;
    cJSON       *sls, *body;
    const char  *task, *td, *id;

    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
    task = ngx_http_sockerless_json_str(sls, "task");
    td = ngx_http_sockerless_json_str(sls, "task_definition");
    id = ngx_http_sockerless_json_str(op->container, "Id");

    /*
     * whatever the record says, the task goes: a SIGKILL of rm -f may not
     * reach an agent that is between two parks when its record vanishes
     */

    if (task) {
        ngx_http_sockerless_ecs_stop_task(ecf, op->log, task,
                                          "sockerless: docker rm");
    }

    if (td) {
        body = cJSON_CreateObject();
        if (body) {
            cJSON_AddStringToObject(body, "taskDefinition", td);
            ngx_http_sockerless_ecs_background(op->log,
                                               "DeregisterTaskDefinition",
                                               body);
            cJSON_Delete(body);
        }
    }

    dir = ngx_http_sockerless_container_path(op->pool, id, NULL);
    if (dir) {
        ngx_http_sockerless_rm_rf((char *) dir);
    }

    return NGX_OK;
}




/* calls nobody waits for: logged when they fail */

static void
ngx_http_sockerless_ecs_background(ngx_log_t *log, const char *action,
    cJSON *body)
{
    ngx_http_sockerless_aws_call_t  *ac;

    ac = ngx_http_sockerless_ecs_call(ngx_cycle->log, action, body,
                                  ngx_http_sockerless_ecs_background_done,
                                  NULL);
    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "sockerless ecs: %s could not be sent", action);
    }
}


static void
ngx_http_sockerless_ecs_background_done(ngx_http_sockerless_aws_call_t *ac)
{
    if (ac->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, ac->log, 0,
                      "sockerless ecs: %V failed: %V %V", &ac->target,
                      &ac->error_type, &ac->message);
    }

    ngx_http_sockerless_aws_free(ac);
}


/*
 * The poller: the worker holding "lease/ecs" asks DescribeTasks, once per
 * interval and in batches, about the running tasks whose output no worker
 * reads: their exit comes from the cloud.
 */

typedef struct {
    ngx_pool_t                    *pool;
    cJSON                         *tasks;     /* arns */
    cJSON                         *ids;       /* arn -> container id */
    cJSON                         *unread;    /* records nobody reads */
} ngx_http_sockerless_ecs_poll_t;


static ngx_int_t
ngx_http_sockerless_ecs_lease(void *data, cJSON **value)
{
    ngx_msec_t  ttl = *(ngx_msec_t *) data;

    double      until;
    ngx_int_t   pid;
    ngx_time_t *tp;

    tp = ngx_timeofday();

    if (*value) {
        pid = (ngx_int_t) cJSON_GetNumberValue(
                              cJSON_GetObjectItemCaseSensitive(*value, "pid"));
        until = cJSON_GetNumberValue(
                    cJSON_GetObjectItemCaseSensitive(*value, "until"));

        if (pid != ngx_pid && until == until
            && until > (double) tp->sec * 1000 + tp->msec
            && kill((pid_t) pid, 0) == 0)
        {
            return NGX_DECLINED;
        }
    }

    *value = cJSON_CreateObject();
    if (*value == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddNumberToObject(*value, "pid", (double) ngx_pid);
    cJSON_AddNumberToObject(*value, "until",
                            (double) tp->sec * 1000 + tp->msec + ttl);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_ecs_poll_scan(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_ecs_poll_t *pl = data;

    cJSON       *sls;
    ngx_int_t    pump;
    const char  *task;

    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    task = ngx_http_sockerless_json_str(sls, "task");

    if (task == NULL
        || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls, "starting"))
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(rec, "State"), "Running"))
        || cJSON_GetArraySize(pl->tasks) >= NGX_HTTP_SOCKERLESS_ECS_BATCH)
    {
        return NGX_OK;
    }

    pump = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(sls, "pump"));

    if (pump > 0 && kill((pid_t) pump, 0) == 0) {
        /* a worker reads its output and records its exit */
        return NGX_OK;
    }

    cJSON_AddItemToArray(pl->tasks, cJSON_CreateString(task));
    cJSON_AddStringToObject(pl->ids, task,
                            ngx_http_sockerless_json_str(rec, "Id"));
    cJSON_AddItemToArray(pl->unread, cJSON_Duplicate(rec, 1));

    return NGX_OK;
}


static void
ngx_http_sockerless_ecs_poller(ngx_event_t *ev)
{
    ngx_http_sockerless_ecs_conf_t *ecf = ev->data;

    cJSON                           *body;
    ngx_msec_t                       ttl;
    ngx_pool_t                      *pool;
    ngx_http_sockerless_ecs_poll_t  *pl;
    ngx_http_sockerless_aws_call_t  *ac;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_add_timer(ev, ecf->poll);

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    pl = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_ecs_poll_t));
    if (pl == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    pl->pool = pool;
    pl->tasks = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());
    pl->ids = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    pl->unread = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (pl->tasks == NULL || pl->ids == NULL || pl->unread == NULL
        || ngx_http_sockerless_store_scan(pool, "c/",
                                      ngx_http_sockerless_ecs_poll_scan, pl)
           != NGX_OK
        || cJSON_GetArraySize(pl->tasks) == 0)
    {
        ngx_destroy_pool(pool);
        return;
    }

    /* one worker asks, the one that holds the lease (taken or renewed) */

    ttl = ecf->poll * 3;

    if (ngx_http_sockerless_store_update(pool, "lease/ecs",
                                         ngx_http_sockerless_ecs_lease, &ttl)
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return;
    }

    /*
     * runs whose reader went with its worker (a restart): their output is
     * read again from now on where the agent can be reached (what came
     * meanwhile is in CloudWatch), and their exit after it
     */

    {
        cJSON  *rec;

        cJSON_ArrayForEach(rec, pl->unread) {
            (void) ngx_http_sockerless_reverse_read(rec);
        }
    }

    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "cluster",
                            ngx_http_sockerless_cstr(pool, &ecf->cluster));
    cJSON_AddItemReferenceToObject(body, "tasks", pl->tasks);

    ac = ngx_http_sockerless_ecs_call(ngx_cycle->log, "DescribeTasks", body,
                                      ngx_http_sockerless_ecs_polled, pl);
    cJSON_Delete(body);

    if (ac == NULL) {
        ngx_destroy_pool(pool);
    }
}


static void
ngx_http_sockerless_ecs_polled(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_poll_t *pl = ac->data;

    char         now[64];
    cJSON       *task, *ctr, *code;
    const char  *status, *arn, *id, *reason;

    if (ac->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, ac->log, 0,
                      "sockerless ecs: DescribeTasks failed: %V %V",
                      &ac->error_type, &ac->message);
        goto done;
    }

    ngx_http_sockerless_now(now, sizeof(now));

    cJSON_ArrayForEach(task, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                               "tasks"))
    {
        status = ngx_http_sockerless_json_str(task, "lastStatus");
        arn = ngx_http_sockerless_json_str(task, "taskArn");

        if (status == NULL || arn == NULL
            || ngx_strcmp(status, "STOPPED") != 0)
        {
            continue;
        }

        id = ngx_http_sockerless_json_str(pl->ids, arn);
        if (id == NULL) {
            continue;
        }

        ctr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(task,
                                                        "containers"), 0);
        code = cJSON_GetObjectItemCaseSensitive(ctr, "exitCode");
        reason = ngx_http_sockerless_json_str(task, "stoppedReason");

        /* no exit code: the container never ran or was lost with its host */

        (void) ngx_http_sockerless_container_exited(ac->log, id,
                   cJSON_IsNumber(code) ? (ngx_int_t) code->valuedouble : 255,
                   now,
                   cJSON_IsNumber(code) ? NULL
                                        : (reason ? reason : "task stopped"));
    }

    /* a task ECS no longer knows is gone too */

    cJSON_ArrayForEach(task, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                               "failures"))
    {
        arn = ngx_http_sockerless_json_str(task, "arn");
        reason = ngx_http_sockerless_json_str(task, "reason");
        id = arn ? ngx_http_sockerless_json_str(pl->ids, arn) : NULL;

        if (id && reason && ngx_strcmp(reason, "MISSING") == 0) {
            (void) ngx_http_sockerless_container_exited(ac->log, id, 255, now,
                                           "the ECS task is missing");
        }
    }

done:

    ngx_http_sockerless_aws_free(ac);
    ngx_destroy_pool(pl->pool);
}


/*
 * The sync: a gateway whose store lacks containers that it made (a fresh
 * data directory, a second gateway) finds them again in ECS. The task
 * definitions "sockerless-*" carry the container's id, name and labels as
 * tags and its configuration as the definition; the last task of each
 * tells its state (and, while it runs, the run's token, so the agent that
 * keeps dialing back is served); the task's awslogs stream is read into
 * the container's log. One worker does it, the one that takes
 * "lease/ecs-sync" when it starts.
 */

typedef struct {
    ngx_pool_t                      *pool;
    ngx_log_t                       *log;
    ngx_http_sockerless_ecs_conf_t  *ecf;
    cJSON                           *defs;      /* families, in pool */
    int                              next;      /* index in defs */
    cJSON                           *def;       /* the one at hand */
    cJSON                           *tags;
    cJSON                           *task;      /* its last task */
    char                            *token;     /* pagination */
    ngx_fd_t                         fd;        /* container.log */
    ngx_uint_t                       adopted;
    ngx_uint_t                       pages;
    unsigned                         running:1;
    char                             id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
} ngx_http_sockerless_ecs_sync_t;


static void ngx_http_sockerless_ecs_sync_list(
    ngx_http_sockerless_ecs_sync_t *sy);
static void ngx_http_sockerless_ecs_sync_listed(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_sync_next(
    ngx_http_sockerless_ecs_sync_t *sy);
static void ngx_http_sockerless_ecs_sync_described(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_sync_tasks(
    ngx_http_sockerless_ecs_sync_t *sy, const char *desired);
static void ngx_http_sockerless_ecs_sync_tasks_listed(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_sync_task(
    ngx_http_sockerless_aws_call_t *ac);
static ngx_int_t ngx_http_sockerless_ecs_sync_adopt(
    ngx_http_sockerless_ecs_sync_t *sy);
static void ngx_http_sockerless_ecs_sync_logs(
    ngx_http_sockerless_ecs_sync_t *sy);
static void ngx_http_sockerless_ecs_sync_logged(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_ecs_sync_done(
    ngx_http_sockerless_ecs_sync_t *sy);


static void
ngx_http_sockerless_ecs_sync(ngx_event_t *ev)
{
    ngx_http_sockerless_ecs_conf_t *ecf = ev->data;

    ngx_pool_t                      *pool;
    ngx_http_sockerless_ecs_sync_t  *sy;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    /* the workers of one start, or of starts a minute apart, sync once */

    if (ngx_http_sockerless_reverse_once(pool, "lease/ecs-sync") != NGX_OK) {
        ngx_destroy_pool(pool);
        return;
    }

    sy = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_ecs_sync_t));
    if (sy == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    sy->pool = pool;
    sy->log = ngx_cycle->log;
    sy->ecf = ecf;
    sy->fd = NGX_INVALID_FILE;
    sy->defs = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (sy->defs == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    ngx_http_sockerless_ecs_sync_list(sy);
}


static void
ngx_http_sockerless_ecs_sync_list(ngx_http_sockerless_ecs_sync_t *sy)
{
    cJSON  *body;

    body = cJSON_CreateObject();
    if (body == NULL) {
        ngx_http_sockerless_ecs_sync_done(sy);
        return;
    }

    /* a prefix here; ListTaskDefinitions' familyPrefix is a whole name */

    cJSON_AddStringToObject(body, "familyPrefix", "sockerless-");
    cJSON_AddStringToObject(body, "status", "ACTIVE");

    if (sy->token) {
        cJSON_AddStringToObject(body, "nextToken", sy->token);
    }

    if (ngx_http_sockerless_ecs_call(sy->log, "ListTaskDefinitionFamilies",
                                     body,
                                     ngx_http_sockerless_ecs_sync_listed, sy)
        == NULL)
    {
        ngx_http_sockerless_ecs_sync_done(sy);
    }

    cJSON_Delete(body);
}


static void
ngx_http_sockerless_ecs_sync_listed(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_sync_t *sy = ac->data;

    cJSON       *item;
    size_t       len;
    const char  *token;

    if (ac->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, sy->log, 0,
                      "sockerless ecs: the sync's "
                      "ListTaskDefinitionFamilies failed: %V %V",
                      &ac->error_type, &ac->message);
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_sync_done(sy);
        return;
    }

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                              "families"))
    {
        if (cJSON_IsString(item)) {
            cJSON_AddItemToArray(sy->defs,
                                 cJSON_CreateString(item->valuestring));
        }
    }

    token = ngx_http_sockerless_json_str(ac->json, "nextToken");
    sy->token = NULL;

    if (token && *token && ++sy->pages < 100) {
        len = ngx_strlen(token) + 1;
        sy->token = ngx_pnalloc(sy->pool, len);

        if (sy->token) {
            ngx_cpystrn((u_char *) sy->token, (u_char *) token, len);
        }
    }

    ngx_http_sockerless_aws_free(ac);

    if (sy->token) {
        ngx_http_sockerless_ecs_sync_list(sy);
        return;
    }

    ngx_http_sockerless_ecs_sync_next(sy);
}


/*
 * The next family's latest ACTIVE revision (DescribeTaskDefinition of a
 * family name gives it), if the store does not have its container
 */

static void
ngx_http_sockerless_ecs_sync_next(ngx_http_sockerless_ecs_sync_t *sy)
{
    cJSON  *body, *arn, *a;

    if (sy->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(sy->fd);
        sy->fd = NGX_INVALID_FILE;
    }

    arn = cJSON_GetArrayItem(sy->defs, sy->next++);
    if (arn == NULL) {
        ngx_http_sockerless_ecs_sync_done(sy);
        return;
    }

    body = cJSON_CreateObject();
    if (body == NULL) {
        ngx_http_sockerless_ecs_sync_done(sy);
        return;
    }

    cJSON_AddStringToObject(body, "taskDefinition", arn->valuestring);
    a = cJSON_AddArrayToObject(body, "include");
    cJSON_AddItemToArray(a, cJSON_CreateString("TAGS"));

    if (ngx_http_sockerless_ecs_call(sy->log, "DescribeTaskDefinition", body,
                                 ngx_http_sockerless_ecs_sync_described, sy)
        == NULL)
    {
        ngx_http_sockerless_ecs_sync_done(sy);
    }

    cJSON_Delete(body);
}


static const char *
ngx_http_sockerless_ecs_tag_value(cJSON *tags, const char *key)
{
    cJSON       *t;
    const char  *k;

    cJSON_ArrayForEach(t, tags) {
        k = ngx_http_sockerless_json_str(t, "key");

        if (k && ngx_strcmp(k, key) == 0) {
            return ngx_http_sockerless_json_str(t, "value");
        }
    }

    return NULL;
}


static void
ngx_http_sockerless_ecs_sync_described(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_sync_t *sy = ac->data;

    char         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON       *rec;
    const char  *id;

    if (ac->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, sy->log, 0,
                      "sockerless ecs: the sync's DescribeTaskDefinition "
                      "failed: %V %V", &ac->error_type, &ac->message);
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    sy->def = ngx_http_sockerless_json_bind(sy->pool, cJSON_Duplicate(
                  cJSON_GetObjectItemCaseSensitive(ac->json,
                                                   "taskDefinition"), 1));
    sy->tags = ngx_http_sockerless_json_bind(sy->pool, cJSON_Duplicate(
                  cJSON_GetObjectItemCaseSensitive(ac->json, "tags"), 1));

    ngx_http_sockerless_aws_free(ac);

    id = ngx_http_sockerless_ecs_tag_value(sy->tags, "sockerless:id");

    if (sy->def == NULL || id == NULL
        || ngx_strlen(id) != NGX_HTTP_SOCKERLESS_ID_LEN)
    {
        /* not one of ours, or not whole */
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    ngx_cpystrn((u_char *) sy->id, (u_char *) id, sizeof(sy->id));

    ngx_sprintf((u_char *) key, "c/%s%Z", sy->id);
    rec = ngx_http_sockerless_store_get(sy->pool, key);

    if (rec) {
        /* the store has it: it is the truth, the poller keeps it so */
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    sy->task = NULL;
    ngx_http_sockerless_ecs_sync_tasks(sy, "RUNNING");
}


static void
ngx_http_sockerless_ecs_sync_tasks(ngx_http_sockerless_ecs_sync_t *sy,
    const char *desired)
{
    char    family[32];
    cJSON  *body;

    body = cJSON_CreateObject();
    if (body == NULL) {
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    ngx_sprintf((u_char *) family, "sockerless-%*s%Z", (size_t) 12, sy->id);

    cJSON_AddStringToObject(body, "cluster",
                     ngx_http_sockerless_cstr(sy->pool, &sy->ecf->cluster));
    cJSON_AddStringToObject(body, "family", family);
    cJSON_AddStringToObject(body, "desiredStatus", desired);

    sy->running = (desired[0] == 'R');

    if (ngx_http_sockerless_ecs_call(sy->log, "ListTasks", body,
                               ngx_http_sockerless_ecs_sync_tasks_listed, sy)
        == NULL)
    {
        ngx_http_sockerless_ecs_sync_next(sy);
    }

    cJSON_Delete(body);
}


static void
ngx_http_sockerless_ecs_sync_tasks_listed(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_sync_t *sy = ac->data;

    cJSON  *arns, *body, *a, *item;

    arns = cJSON_GetObjectItemCaseSensitive(ac->json, "taskArns");

    if (ac->status != NGX_HTTP_OK || cJSON_GetArraySize(arns) == 0) {
        ngx_http_sockerless_aws_free(ac);

        if (sy->running) {
            ngx_http_sockerless_ecs_sync_tasks(sy, "STOPPED");
            return;
        }

        /* never ran: a created container */
        (void) ngx_http_sockerless_ecs_sync_adopt(sy);
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    body = cJSON_CreateObject();
    if (body == NULL) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    cJSON_AddStringToObject(body, "cluster",
                     ngx_http_sockerless_cstr(sy->pool, &sy->ecf->cluster));
    a = cJSON_AddArrayToObject(body, "tasks");

    cJSON_ArrayForEach(item, arns) {
        if (cJSON_IsString(item)
            && cJSON_GetArraySize(a) < NGX_HTTP_SOCKERLESS_ECS_BATCH)
        {
            cJSON_AddItemToArray(a, cJSON_CreateString(item->valuestring));
        }
    }

    ngx_http_sockerless_aws_free(ac);

    if (ngx_http_sockerless_ecs_call(sy->log, "DescribeTasks", body,
                                     ngx_http_sockerless_ecs_sync_task, sy)
        == NULL)
    {
        ngx_http_sockerless_ecs_sync_next(sy);
    }

    cJSON_Delete(body);
}


/* the task that started last is the container's last run */

static void
ngx_http_sockerless_ecs_sync_task(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_sync_t *sy = ac->data;

    cJSON   *t, *last;
    double   at, best;

    last = NULL;
    best = -1;

    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                           "tasks"))
    {
        at = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(t,
                                                               "createdAt"));
        if (at == at && at > best) {
            best = at;
            last = t;
        }
    }

    sy->task = last ? ngx_http_sockerless_json_bind(sy->pool,
                                                    cJSON_Duplicate(last, 1))
                    : NULL;

    ngx_http_sockerless_aws_free(ac);

    /*
     * a run that ended: its output from CloudWatch; a running one's comes
     * from its agent's ring (the last MiB) when a reader attaches to it
     */

    if (ngx_http_sockerless_ecs_sync_adopt(sy) != NGX_OK || sy->task == NULL
        || sy->running)
    {
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    ngx_http_sockerless_ecs_sync_logs(sy);
}


/* epoch seconds (ECS's JSON numbers) as Docker's RFC3339Nano */

static void
ngx_http_sockerless_ecs_time(cJSON *obj, const char *name, char *buf,
    size_t size)
{
    double  t;

    t = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(obj, name));

    if (t != t || t <= 0) {
        ngx_cpystrn((u_char *) buf, (u_char *) "0001-01-01T00:00:00Z", size);
        return;
    }

    (void) sls_time_rfc3339nano(buf, size, (int64_t) t,
                                (long) ((t - (int64_t) t) * 1e9));
}


static ngx_int_t
ngx_http_sockerless_ecs_sync_adopt(ngx_http_sockerless_ecs_sync_t *sy)
{
    char                         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    char                         tbuf[64];
    cJSON                       *body, *cd, *env, *e, *labels, *t, *state;
    cJSON                       *sls, *ac, *ctr, *code, *v, *ports, *pm;
    ngx_str_t                    name;
    const char                  *k, *val, *token;
    ngx_http_sockerless_build_t  b;

    cd = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sy->def,
                                          "containerDefinitions"), 0);

    body = ngx_http_sockerless_json_bind(sy->pool, cJSON_CreateObject());
    if (body == NULL || cd == NULL) {
        return NGX_ERROR;
    }

    /* the create body the definition was made from, as near as it says */

    cJSON_AddStringToObject(body, "Image",
                            ngx_http_sockerless_json_str(cd, "image"));
    cJSON_AddItemToObject(body, "Cmd", cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(cd, "command"), 1));

    val = ngx_http_sockerless_json_str(cd, "workingDirectory");
    if (val) {
        cJSON_AddStringToObject(body, "WorkingDir", val);
    }

    val = ngx_http_sockerless_json_str(cd, "user");
    if (val) {
        cJSON_AddStringToObject(body, "User", val);
    }

    env = cJSON_AddArrayToObject(body, "Env");

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(cd,
                                                           "environment"))
    {
        k = ngx_http_sockerless_json_str(e, "name");
        val = ngx_http_sockerless_json_str(e, "value");

        if (k == NULL || val == NULL) {
            continue;
        }

        if (ngx_strcmp(k, "SOCKERLESS_AGENT_CONFIG") == 0) {
            ac = cJSON_Parse(val);

            cJSON_AddBoolToObject(body, "Tty", cJSON_IsTrue(
                cJSON_GetObjectItemCaseSensitive(ac, "tty")));
            cJSON_AddBoolToObject(body, "OpenStdin", cJSON_IsTrue(
                cJSON_GetObjectItemCaseSensitive(ac, "open_stdin")));
            cJSON_AddBoolToObject(body, "StdinOnce", cJSON_IsTrue(
                cJSON_GetObjectItemCaseSensitive(ac, "stdin_once")));

            cJSON_Delete(ac);
            continue;
        }

        v = cJSON_CreateString("");
        if (v == NULL) {
            return NGX_ERROR;
        }

        cJSON_free(v->valuestring);
        v->valuestring = cJSON_malloc(ngx_strlen(k) + ngx_strlen(val) + 2);
        if (v->valuestring == NULL) {
            cJSON_Delete(v);
            return NGX_ERROR;
        }

        ngx_sprintf((u_char *) v->valuestring, "%s=%s%Z", k, val);
        cJSON_AddItemToArray(env, v);
    }

    labels = cJSON_AddObjectToObject(body, "Labels");

    cJSON_ArrayForEach(t, sy->tags) {
        k = ngx_http_sockerless_json_str(t, "key");
        val = ngx_http_sockerless_json_str(t, "value");

        if (k && val
            && ngx_strncmp(k, "sockerless:label:",
                           sizeof("sockerless:label:") - 1) == 0)
        {
            cJSON_AddStringToObject(labels,
                                    k + sizeof("sockerless:label:") - 1, val);
        }
    }

    ports = cJSON_AddObjectToObject(body, "ExposedPorts");

    cJSON_ArrayForEach(pm, cJSON_GetObjectItemCaseSensitive(cd,
                                                          "portMappings"))
    {
        val = ngx_http_sockerless_json_str(pm, "protocol");
        ngx_sprintf((u_char *) tbuf, "%d/%s%Z",
                    (int) cJSON_GetNumberValue(
                        cJSON_GetObjectItemCaseSensitive(pm,
                                                         "containerPort")),
                    val ? val : "tcp");
        cJSON_AddObjectToObject(ports, tbuf);
    }

    ngx_memzero(&b, sizeof(ngx_http_sockerless_build_t));
    b.pool = sy->pool;
    b.log = sy->log;
    b.body = body;
    ngx_cpystrn((u_char *) b.id, (u_char *) sy->id, sizeof(b.id));

    val = ngx_http_sockerless_ecs_tag_value(sy->tags, "sockerless:name");
    if (val) {
        name.data = (u_char *) val;
        name.len = ngx_strlen(val);
        b.name = name;
    }

    if (ngx_http_sockerless_container_build(&b) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, sy->log, 0,
                      "sockerless ecs: container %s from ECS cannot be "
                      "rebuilt: %s", sy->id, b.message);
        return NGX_ERROR;
    }

    /* what the store keeps of the cloud's side */

    ngx_http_sockerless_ecs_time(sy->def, "registeredAt", tbuf,
                                 sizeof(tbuf));
    cJSON_DeleteItemFromObjectCaseSensitive(b.rec, "Created");
    cJSON_AddStringToObject(b.rec, "Created", tbuf);

    sls = cJSON_GetObjectItemCaseSensitive(b.rec, "_sls");
    cJSON_AddStringToObject(sls, "task_definition",
                  ngx_http_sockerless_json_str(sy->def, "taskDefinitionArn"));
    cJSON_AddTrueToObject(sls, "reverse");

    state = cJSON_GetObjectItemCaseSensitive(b.rec, "State");

    if (sy->task) {
        ctr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(sy->task,
                                                          "containers"), 0);

        ngx_http_sockerless_ecs_time(sy->task, "startedAt", tbuf,
                                     sizeof(tbuf));
        cJSON_DeleteItemFromObjectCaseSensitive(state, "StartedAt");
        cJSON_AddStringToObject(state, "StartedAt", tbuf);

        cJSON_AddStringToObject(sls, "task",
                        ngx_http_sockerless_json_str(sy->task, "taskArn"));

        val = ngx_http_sockerless_json_str(sy->task, "lastStatus");

        if (val && ngx_strcmp(val, "STOPPED") != 0) {
            /* running: the run's token serves the agent that dials back */

            token = NULL;

            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                         cJSON_GetObjectItemCaseSensitive(sy->task,
                                                          "overrides"),
                         "containerOverrides"), 0),
                     "environment"))
            {
                k = ngx_http_sockerless_json_str(e, "name");

                if (k && ngx_strcmp(k, "SOCKERLESS_AGENT_TOKEN") == 0) {
                    token = ngx_http_sockerless_json_str(e, "value");
                }
            }

            if (token) {
                cJSON_DeleteItemFromObjectCaseSensitive(sls, "token");
                cJSON_AddStringToObject(sls, "token", token);
            }

            cJSON_DeleteItemFromObjectCaseSensitive(state, "Status");
            cJSON_AddStringToObject(state, "Status", "running");
            cJSON_DeleteItemFromObjectCaseSensitive(state, "Running");
            cJSON_AddTrueToObject(state, "Running");

        } else {
            code = cJSON_GetObjectItemCaseSensitive(ctr, "exitCode");

            ngx_http_sockerless_ecs_time(sy->task, "stoppedAt", tbuf,
                                         sizeof(tbuf));
            cJSON_DeleteItemFromObjectCaseSensitive(state, "FinishedAt");
            cJSON_AddStringToObject(state, "FinishedAt", tbuf);
            cJSON_DeleteItemFromObjectCaseSensitive(state, "Status");
            cJSON_AddStringToObject(state, "Status", "exited");
            cJSON_DeleteItemFromObjectCaseSensitive(state, "ExitCode");
            cJSON_AddNumberToObject(state, "ExitCode",
                                    cJSON_IsNumber(code) ? code->valuedouble
                                                         : 255);
        }
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", sy->id);

    if (ngx_http_sockerless_store_put(key, b.rec) != NGX_OK) {
        (void) ngx_http_sockerless_name_release(b.iname, sy->id);
        return NGX_ERROR;
    }

    sy->adopted++;

    ngx_log_error(NGX_LOG_NOTICE, sy->log, 0,
                  "sockerless ecs: container %s (%s) rebuilt from ECS",
                  sy->id, b.iname);

    return NGX_OK;
}


/* the task's awslogs stream, from its head, into the container's log */

static void
ngx_http_sockerless_ecs_sync_logs(ngx_http_sockerless_ecs_sync_t *sy)
{
    u_char                          *path;
    char                             stream[128];
    cJSON                           *body;
    const char                      *arn, *tid;
    ngx_http_sockerless_aws_call_t  *ac;

    if (sy->fd == NGX_INVALID_FILE) {
        path = ngx_http_sockerless_container_path(sy->pool, sy->id,
                                                  "container.log");
        if (path == NULL) {
            ngx_http_sockerless_ecs_sync_next(sy);
            return;
        }

        sy->fd = ngx_open_file(path, NGX_FILE_APPEND,
                               NGX_FILE_CREATE_OR_OPEN, 0600);
        if (sy->fd == NGX_INVALID_FILE) {
            ngx_http_sockerless_ecs_sync_next(sy);
            return;
        }

        sy->token = NULL;
        sy->pages = 0;
    }

    arn = ngx_http_sockerless_json_str(sy->task, "taskArn");
    tid = arn ? strrchr(arn, '/') : NULL;

    if (tid == NULL) {
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    ngx_snprintf((u_char *) stream, sizeof(stream), "%*s/main/%s%Z",
                 (size_t) 12, sy->id, tid + 1);

    body = cJSON_CreateObject();
    if (body == NULL) {
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    cJSON_AddStringToObject(body, "logGroupName",
                  ngx_http_sockerless_cstr(sy->pool, &sy->ecf->log_group));
    cJSON_AddStringToObject(body, "logStreamName", stream);
    cJSON_AddTrueToObject(body, "startFromHead");

    if (sy->token) {
        cJSON_AddStringToObject(body, "nextToken", sy->token);
    }

    ac = ngx_http_sockerless_aws_create(sy->log, "logs");

    if (ac) {
        ngx_str_set(&ac->target, "Logs_20140328.GetLogEvents");
        ac->body = body;
        ac->handler = ngx_http_sockerless_ecs_sync_logged;
        ac->data = sy;

        if (ngx_http_sockerless_aws_start(ac) != NGX_OK) {
            ngx_http_sockerless_aws_free(ac);
            ac = NULL;
        }
    }

    cJSON_Delete(body);

    if (ac == NULL) {
        ngx_http_sockerless_ecs_sync_next(sy);
    }
}


static void
ngx_http_sockerless_ecs_sync_logged(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_ecs_sync_t *sy = ac->data;

    u_char           hdr[SLS_LOGFMT_HEADER_LEN];
    size_t           len;
    cJSON           *ev;
    double           ms;
    uint64_t         ns;
    ngx_uint_t       n;
    const char      *msg, *token;
    struct iovec     iov[3];

    if (ac->status != NGX_HTTP_OK) {
        /* no stream (the task never wrote), or no group: nothing to read */
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_ecs_sync_next(sy);
        return;
    }

    n = 0;

    cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                            "events"))
    {
        msg = ngx_http_sockerless_json_str(ev, "message");
        ms = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ev,
                                                              "timestamp"));
        if (msg == NULL || ms != ms) {
            continue;
        }

        /* awslogs keeps lines without their end, and no stream apart */

        len = ngx_min(ngx_strlen(msg), SLS_LOGFMT_MAX_RECORD - 1);
        ns = (uint64_t) ms * 1000000;

        sls_logfmt_encode_header(hdr, 1, (uint32_t) (len + 1), ns);

        iov[0].iov_base = hdr;
        iov[0].iov_len = SLS_LOGFMT_HEADER_LEN;
        iov[1].iov_base = (void *) msg;
        iov[1].iov_len = len;
        iov[2].iov_base = "\n";
        iov[2].iov_len = 1;

        if (writev(sy->fd, iov, 3) != (ssize_t) (SLS_LOGFMT_HEADER_LEN + len
                                                  + 1))
        {
            break;
        }

        n++;
    }

    /* the same token again: the stream's end */

    token = ngx_http_sockerless_json_str(ac->json, "nextForwardToken");

    if (n && token && (sy->token == NULL || ngx_strcmp(token, sy->token))
        && ++sy->pages < 1000)
    {
        len = ngx_strlen(token) + 1;
        sy->token = ngx_pnalloc(sy->pool, len);

        if (sy->token) {
            ngx_cpystrn((u_char *) sy->token, (u_char *) token, len);
            ngx_http_sockerless_aws_free(ac);
            ngx_http_sockerless_ecs_sync_logs(sy);
            return;
        }
    }

    ngx_http_sockerless_aws_free(ac);
    ngx_http_sockerless_ecs_sync_next(sy);
}


static void
ngx_http_sockerless_ecs_sync_done(ngx_http_sockerless_ecs_sync_t *sy)
{
    if (sy->fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(sy->fd);
    }

    if (sy->adopted) {
        ngx_log_error(NGX_LOG_NOTICE, sy->log, 0,
                      "sockerless ecs: %ui containers rebuilt from ECS",
                      sy->adopted);
    }

    ngx_destroy_pool(sy->pool);
}
