
/*
 * Copyright (C) sockerless contributors
 *
 * The Lambda backend (issue 4): a container is an image function
 * "sockerless-<id12>" whose entrypoint is the agent in reverse mode, and
 * each start one invocation. While the invocation lives the agent dials
 * back (callback.c), so attach, logs, exec and signals go through it as
 * with ECS (reverse.c); the function's log group /aws/lambda/<name> keeps
 * the same output. The invocation's answer is the last word on the exit:
 * a function error is a non-zero exit code.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_aws.h>
#include <ngx_http_sockerless_reverse.h>


#define NGX_HTTP_SOCKERLESS_LAMBDA_PATH  "/2015-03-31/functions"


typedef struct {
    ngx_str_t                      role;
    ngx_str_t                      agent;
    ngx_str_t                      callback;
    ngx_msec_t                     timeout;       /* the function's */
    size_t                         memory;
    ngx_msec_t                     poll;
    ngx_msec_t                     start_timeout;
} ngx_http_sockerless_lambda_conf_t;


typedef struct ngx_http_sockerless_lambda_op_s  ngx_http_sockerless_lambda_op_t;


/* one invocation: it outlives the start */

typedef struct {
    ngx_pool_t                      *pool;
    ngx_http_sockerless_lambda_op_t *start;   /* while the start runs */
    char                             id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
} ngx_http_sockerless_lambda_inv_t;


struct ngx_http_sockerless_lambda_op_s {
    ngx_http_sockerless_op_t        *op;
    ngx_http_sockerless_lambda_conf_t  *lcf;
    ngx_http_sockerless_aws_call_t  *call;
    ngx_http_sockerless_lambda_inv_t  *inv;
    ngx_http_sockerless_rwait_t      wait;
    ngx_event_t                      poll;
    ngx_event_t                      timeout;
    char                             name[32];
    unsigned                         done:1;
};


static void *ngx_http_sockerless_lambda_create_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_lambda_init_conf(ngx_conf_t *cf,
    void *conf);
static ngx_int_t ngx_http_sockerless_lambda_init_process(ngx_cycle_t *cycle,
    void *conf);
static void ngx_http_sockerless_lambda_exit_process(ngx_cycle_t *cycle,
    void *conf);
static void ngx_http_sockerless_lambda_sync(ngx_event_t *ev);

static ngx_event_t  ngx_http_sockerless_lambda_sync_ev;
static ngx_int_t ngx_http_sockerless_lambda_create(
    ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_lambda_created(
    ngx_http_sockerless_aws_call_t *ac);
static ngx_int_t ngx_http_sockerless_lambda_start(
    ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_lambda_get(ngx_event_t *ev);
static void ngx_http_sockerless_lambda_got(ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_lambda_invoke(
    ngx_http_sockerless_lambda_op_t *st);
static void ngx_http_sockerless_lambda_invoked(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_lambda_agent(ngx_http_sockerless_rwait_t *w,
    ngx_int_t rc);
static void ngx_http_sockerless_lambda_start_timeout(ngx_event_t *ev);
static void ngx_http_sockerless_lambda_start_done(
    ngx_http_sockerless_lambda_op_t *st, ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_lambda_kill(ngx_http_sockerless_op_t *op);
static ngx_int_t ngx_http_sockerless_lambda_remove(
    ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_lambda_background_done(
    ngx_http_sockerless_aws_call_t *ac);


static ngx_command_t  ngx_http_sockerless_lambda_commands[] = {

    { ngx_string("sockerless_lambda_role"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, role),
      NULL },

    { ngx_string("sockerless_lambda_agent"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, agent),
      NULL },

    { ngx_string("sockerless_lambda_callback"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, callback),
      NULL },

    { ngx_string("sockerless_lambda_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, timeout),
      NULL },

    { ngx_string("sockerless_lambda_memory"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, memory),
      NULL },

    { ngx_string("sockerless_lambda_poll_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, poll),
      NULL },

    { ngx_string("sockerless_lambda_start_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_lambda_conf_t, start_timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_lambda_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_lambda_create_conf, /* create main configuration */
    ngx_http_sockerless_lambda_init_conf,  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_lambda_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_lambda_module_ctx, /* module context */
    ngx_http_sockerless_lambda_commands,   /* module directives */
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


ngx_http_sockerless_backend_t  ngx_http_sockerless_lambda_backend = {
    .name = ngx_string("lambda"),
    .supports = SLS_SUPPORTS_EXEC|SLS_SUPPORTS_ATTACH|SLS_SUPPORTS_SIGNALS
                |SLS_SUPPORTS_LOGS|SLS_REMOTE_IMAGES,
    .op_state_size = sizeof(ngx_http_sockerless_lambda_op_t),
    .init_process = ngx_http_sockerless_lambda_init_process,
    .exit_process = ngx_http_sockerless_lambda_exit_process,
    .container_create = ngx_http_sockerless_lambda_create,
    .container_start = ngx_http_sockerless_lambda_start,
    .container_kill = ngx_http_sockerless_lambda_kill,
    .container_remove = ngx_http_sockerless_lambda_remove,
    .container_alive = ngx_http_sockerless_reverse_alive,
    .container_started = ngx_http_sockerless_reverse_started,
    .agent_called_back = ngx_http_sockerless_reverse_called_back,
};


static void *
ngx_http_sockerless_lambda_create_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_lambda_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_lambda_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->role = { 0, NULL };
     *     lcf->agent = { 0, NULL };
     *     lcf->callback = { 0, NULL };
     */

    lcf->timeout = NGX_CONF_UNSET_MSEC;
    lcf->memory = NGX_CONF_UNSET_SIZE;
    lcf->poll = NGX_CONF_UNSET_MSEC;
    lcf->start_timeout = NGX_CONF_UNSET_MSEC;

    return lcf;
}


static char *
ngx_http_sockerless_lambda_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_lambda_conf_t *lcf = conf;

    if (lcf->agent.len == 0) {
        ngx_str_set(&lcf->agent, "/sockerless/agent");
    }

    ngx_conf_init_msec_value(lcf->timeout, 900000);
    ngx_conf_init_size_value(lcf->memory, 512 * 1024 * 1024);
    ngx_conf_init_msec_value(lcf->poll, 1000);
    ngx_conf_init_msec_value(lcf->start_timeout, 60000);

    if (lcf->timeout < 1000 || lcf->timeout > 900000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_lambda_timeout must be from 1s to "
                           "15m, Lambda's limits");
        return NGX_CONF_ERROR;
    }

    if (lcf->memory < 128 * 1024 * 1024
        || lcf->memory > (size_t) 10240 * 1024 * 1024)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_lambda_memory must be from 128m to "
                           "10240m, Lambda's limits");
        return NGX_CONF_ERROR;
    }

    if (lcf->callback.len
        && ngx_strncmp(lcf->callback.data, "http://", 7) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_lambda_callback \"%V\" must be an "
                           "http:// URL that the functions can reach",
                           &lcf->callback);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_sockerless_lambda_init_process(ngx_cycle_t *cycle, void *conf)
{
    /* once the worker runs: the functions the store lacks */

    ngx_http_sockerless_lambda_sync_ev.handler =
                                         ngx_http_sockerless_lambda_sync;
    ngx_http_sockerless_lambda_sync_ev.log = cycle->log;
    ngx_http_sockerless_lambda_sync_ev.cancelable = 1;
    ngx_http_sockerless_lambda_sync_ev.data = conf;

    ngx_add_timer(&ngx_http_sockerless_lambda_sync_ev, 100);

    return NGX_OK;
}


static void
ngx_http_sockerless_lambda_exit_process(ngx_cycle_t *cycle, void *conf)
{
    if (ngx_http_sockerless_lambda_sync_ev.timer_set) {
        ngx_del_timer(&ngx_http_sockerless_lambda_sync_ev);
    }

    ngx_http_sockerless_reverse_exit_process();
}


/* a REST call to Lambda; NULL when it could not start */

static ngx_http_sockerless_aws_call_t *
ngx_http_sockerless_lambda_call(ngx_log_t *log, const char *method,
    const char *path, cJSON *body, ngx_msec_t timeout, ngx_int_t retries,
    ngx_http_sockerless_aws_handler_pt handler, void *data)
{
    size_t                           len;
    ngx_http_sockerless_aws_call_t  *ac;

    ac = ngx_http_sockerless_aws_create(log, "lambda");
    if (ac == NULL) {
        return NULL;
    }

    ac->method.data = (u_char *) method;
    ac->method.len = ngx_strlen(method);

    len = ngx_strlen(path);
    ac->path.data = ngx_pnalloc(ac->pool, len);
    if (ac->path.data == NULL) {
        ngx_http_sockerless_aws_free(ac);
        return NULL;
    }

    ngx_memcpy(ac->path.data, path, len);
    ac->path.len = len;

    ac->body = body;
    ac->timeout = timeout;
    ac->retries = retries;
    ac->handler = handler;
    ac->data = data;

    /* an invocation lasts its run: a stopping worker does not wait */
    ac->detached = (retries == 0);

    if (ngx_http_sockerless_aws_start(ac) != NGX_OK) {
        ngx_http_sockerless_aws_free(ac);
        return NULL;
    }

    return ac;
}




static ngx_uint_t
ngx_http_sockerless_lambda_refuse(ngx_http_sockerless_op_t *op,
    const char *why)
{
    op->status = NGX_HTTP_BAD_REQUEST;
    op->message.data = (u_char *) why;
    op->message.len = ngx_strlen(why);

    return 1;
}


/* create: CreateFunction */

static ngx_int_t
ngx_http_sockerless_lambda_create(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_lambda_conf_t *lcf = op->conf;
    ngx_http_sockerless_lambda_op_t   *st = op->state;

    char         tagk[160], token[65];
    cJSON       *body, *conf, *hc, *sls, *vars, *ic, *a, *item, *tags;
    double       mem;
    ngx_uint_t   mib, n;
    const char  *id, *s;

    st->op = op;
    st->lcf = lcf;

    id = ngx_http_sockerless_json_str(op->container, "Id");
    conf = cJSON_GetObjectItemCaseSensitive(op->container, "Config");
    hc = cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig");
    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");

    if (lcf->role.len == 0 || lcf->callback.len == 0) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the Lambda backend needs "
                    "sockerless_lambda_role and sockerless_lambda_callback");
        return NGX_ERROR;
    }

    /* what a function cannot be: refused, not dropped */

    s = ngx_http_sockerless_json_str(conf, "User");
    if (s && *s
        && ngx_http_sockerless_lambda_refuse(op, "the Lambda backend cannot "
                   "set a user: Lambda runs a function as its own user"))
    {
        return NGX_ERROR;
    }

    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                     "PortBindings")) > 0
        && ngx_http_sockerless_lambda_refuse(op, "the Lambda backend cannot "
                   "publish ports: a Lambda function takes no connections"))
    {
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_reverse_refuse(op, "Lambda", 0) != NGX_OK
        || ngx_http_sockerless_reverse_refuse_resources(op, "Lambda", 0)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    mem = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc,
                                                                "Memory"));
    mib = (mem == mem && mem > 0)
          ? (ngx_uint_t) ((mem + 1024 * 1024 - 1) / (1024 * 1024))
          : lcf->memory / (1024 * 1024);

    if (mib < 128) {
        mib = 128;
    }

    if (mib > 10240
        && ngx_http_sockerless_lambda_refuse(op, "the memory asked for "
                   "exceeds Lambda's largest function (10240 MB)"))
    {
        return NGX_ERROR;
    }

    /* the container's token, for all of its runs */

    ngx_http_sockerless_random_id(token);

    ngx_sprintf((u_char *) st->name, "sockerless-%*s%Z", (size_t) 12, id);

    body = cJSON_CreateObject();
    if (body == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(body, "FunctionName", st->name);
    cJSON_AddStringToObject(body, "PackageType", "Image");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "Code"),
                            "ImageUri",
                            ngx_http_sockerless_json_str(conf, "Image"));
    cJSON_AddStringToObject(body, "Role",
                            ngx_http_sockerless_cstr(op->pool, &lcf->role));
    cJSON_AddNumberToObject(body, "MemorySize", (double) mib);
    cJSON_AddNumberToObject(body, "Timeout", (double) (lcf->timeout / 1000));

    vars = cJSON_AddObjectToObject(cJSON_AddObjectToObject(body,
                                                           "Environment"),
                                   "Variables");

    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(conf, "Env")) {
        char  *eq, *k;

        if (!cJSON_IsString(item)) {
            continue;
        }

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
        cJSON_DeleteItemFromObjectCaseSensitive(vars, k);
        cJSON_AddStringToObject(vars, k, eq + 1);
    }

    /*
     * A function has no per-invocation environment: the token is the
     * container's, in the function's configuration (the agent unsets it
     * before anything runs)
     */

    cJSON_AddStringToObject(vars, "SOCKERLESS_CALLBACK_URL",
                      ngx_http_sockerless_cstr(op->pool, &lcf->callback));
    cJSON_AddStringToObject(vars, "SOCKERLESS_AGENT_TOKEN", token);
    cJSON_AddStringToObject(vars, "SOCKERLESS_CONTAINER_ID", id);

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
            cJSON_AddStringToObject(vars, "SOCKERLESS_AGENT_CONFIG", text);
            cJSON_free(text);
        }
    }

    ic = cJSON_AddObjectToObject(body, "ImageConfig");
    a = cJSON_AddArrayToObject(ic, "EntryPoint");
    cJSON_AddItemToArray(a, cJSON_CreateString(
                     ngx_http_sockerless_cstr(op->pool, &lcf->agent)));
    cJSON_AddItemToArray(a, cJSON_CreateString("reverse"));
    cJSON_AddItemToArray(a, cJSON_CreateString("--"));
    cJSON_AddItemToObject(ic, "Command", cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(sls, "cmd"), 1));

    s = ngx_http_sockerless_json_str(conf, "WorkingDir");
    if (s && *s) {
        cJSON_AddStringToObject(ic, "WorkingDirectory", s);
    }

    tags = cJSON_AddObjectToObject(body, "Tags");
    cJSON_AddStringToObject(tags, "sockerless:id", id);

    s = ngx_http_sockerless_json_str(op->container, "Name");
    if (s) {
        cJSON_AddStringToObject(tags, "sockerless:name",
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
        cJSON_AddStringToObject(tags, tagk, item->valuestring);
        n++;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "token");
    cJSON_AddStringToObject(sls, "token", token);

    st->call = ngx_http_sockerless_lambda_call(op->log, "POST",
                                     NGX_HTTP_SOCKERLESS_LAMBDA_PATH, body,
                                     0, -1,
                                     ngx_http_sockerless_lambda_created, st);
    cJSON_Delete(body);

    if (st->call == NULL) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "Lambda CreateFunction could not be "
                    "sent");
        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


static void
ngx_http_sockerless_lambda_created(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_lambda_op_t *st = ac->data;

    cJSON                     *sls;
    ngx_http_sockerless_op_t  *op;

    op = st->op;
    st->call = NULL;

    if (ac->status != NGX_HTTP_CREATED && ac->status != NGX_HTTP_OK) {
        ngx_http_sockerless_reverse_error(op, ac->status, &ac->error_type,
                                          &ac->message, "Lambda",
                                          "CreateFunction");
        ngx_http_sockerless_aws_free(ac);
        op->handler(op, NGX_ERROR);
        return;
    }

    sls = cJSON_GetObjectItemCaseSensitive(op->container, "_sls");
    cJSON_AddStringToObject(sls, "function", st->name);
    cJSON_AddTrueToObject(sls, "reverse");

    ngx_http_sockerless_aws_free(ac);

    op->handler(op, NGX_OK);
}


/*
 * start: the function must be Active (GetFunction at the poll interval),
 * then one invocation, then the agent's call back
 */

static ngx_int_t
ngx_http_sockerless_lambda_start(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_lambda_conf_t *lcf = op->conf;
    ngx_http_sockerless_lambda_op_t   *st = op->state;

    const char  *name;

    st->op = op;
    st->lcf = lcf;

    name = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(op->container, "_sls"),
               "function");

    if (name == NULL || ngx_strlen(name) >= sizeof(st->name)) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "the container has no Lambda function");
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) st->name, (u_char *) name, sizeof(st->name));

    if (ngx_http_sockerless_reverse_prepare(op, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    st->poll.handler = ngx_http_sockerless_lambda_get;
    st->poll.data = st;
    st->poll.log = op->log;

    st->timeout.handler = ngx_http_sockerless_lambda_start_timeout;
    st->timeout.data = st;
    st->timeout.log = op->log;
    ngx_add_timer(&st->timeout, lcf->start_timeout);

    ngx_http_sockerless_lambda_get(&st->poll);

    return NGX_AGAIN;
}


static void
ngx_http_sockerless_lambda_get(ngx_event_t *ev)
{
    ngx_http_sockerless_lambda_op_t *st = ev->data;

    u_char  path[128];

    ngx_sprintf(path, NGX_HTTP_SOCKERLESS_LAMBDA_PATH "/%s%Z", st->name);

    st->call = ngx_http_sockerless_lambda_call(st->op->log, "GET",
                                     (char *) path, NULL, 0, -1,
                                     ngx_http_sockerless_lambda_got, st);
    if (st->call == NULL) {
        st->op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&st->op->message, "Lambda GetFunction could not be "
                    "sent");
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_lambda_got(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_lambda_op_t *st = ac->data;

    cJSON                     *cf;
    const char                *state, *reason;
    ngx_http_sockerless_op_t  *op;

    op = st->op;
    st->call = NULL;

    if (ac->status != NGX_HTTP_OK) {
        ngx_http_sockerless_reverse_error(op, ac->status, &ac->error_type,
                                          &ac->message, "Lambda",
                                          "GetFunction");
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    cf = cJSON_GetObjectItemCaseSensitive(ac->json, "Configuration");
    state = ngx_http_sockerless_json_str(cf, "State");

    if (state && ngx_strcmp(state, "Active") == 0) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_invoke(st);
        return;
    }

    if (state && ngx_strcmp(state, "Failed") == 0) {
        reason = ngx_http_sockerless_json_str(cf, "StateReason");

        (void) ngx_http_sockerless_op_error(op,
                                    NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "the Lambda function failed: %s",
                                    reason ? reason : "no reason given");

        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    /* Pending: asked again once the function can have changed */

    ngx_http_sockerless_aws_free(ac);
    ngx_add_timer(&st->poll, st->lcf->poll);
}


static void
ngx_http_sockerless_lambda_invoke(ngx_http_sockerless_lambda_op_t *st)
{
    u_char                            path[160];
    cJSON                            *payload;
    ngx_pool_t                       *pool;
    ngx_http_sockerless_op_t         *op;
    ngx_http_sockerless_lambda_inv_t *inv;
    ngx_http_sockerless_aws_call_t   *ac;

    op = st->op;

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    inv = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_lambda_inv_t));
    if (inv == NULL) {
        ngx_destroy_pool(pool);
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    inv->pool = pool;
    ngx_cpystrn((u_char *) inv->id,
                (u_char *) ngx_http_sockerless_json_str(op->container, "Id"),
                sizeof(inv->id));

    payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "containerId", inv->id);

    ngx_sprintf(path, NGX_HTTP_SOCKERLESS_LAMBDA_PATH "/%s/invocations%Z",
                st->name);

    /*
     * The invocation lasts as long as the run: never retried (that would
     * run the command twice), and given the function's time and a margin
     */

    ac = ngx_http_sockerless_lambda_call(ngx_cycle->log, "POST",
                                     (char *) path, payload,
                                     st->lcf->timeout + 30000, 0,
                                     ngx_http_sockerless_lambda_invoked,
                                     inv);
    cJSON_Delete(payload);

    if (ac == NULL) {
        ngx_destroy_pool(pool);
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_str_set(&op->message, "Lambda Invoke could not be sent");
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    inv->start = st;
    st->inv = inv;

    st->wait.op = op;
    st->wait.handler = ngx_http_sockerless_lambda_agent;
    st->wait.data = st;

    if (ngx_http_sockerless_reverse_wait(&st->wait) != NGX_OK) {
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_lambda_agent(ngx_http_sockerless_rwait_t *w, ngx_int_t rc)
{
    ngx_http_sockerless_lambda_start_done(w->data, rc);
}


/* "... Runtime exited with error: exit status 3" */

static ngx_int_t
ngx_http_sockerless_lambda_exit_status(const char *msg)
{
    const char  *p;
    ngx_int_t    code;

    p = msg ? ngx_strstr(msg, "exit status ") : NULL;
    if (p == NULL) {
        return NGX_ERROR;
    }

    p += sizeof("exit status ") - 1;
    code = ngx_atoi((u_char *) p, ngx_strlen(p));

    return (code >= 0 && code <= 255) ? code : NGX_ERROR;
}


/*
 * The invocation's answer: the exit code when nothing better told it (the
 * pump records main's own), or the start's failure when the agent never
 * called back
 */

static void
ngx_http_sockerless_lambda_invoked(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_lambda_inv_t *inv = ac->data;

    char                              now[64];
    cJSON                            *report, *payload;
    ngx_int_t                         code;
    ngx_str_t                        *ferr;
    const char                       *type, *msg;
    ngx_http_sockerless_op_t         *op;
    ngx_http_sockerless_lambda_op_t  *st;

    st = inv->start;
    ferr = ngx_http_sockerless_aws_header(ac, "X-Amz-Function-Error");

    payload = NULL;
    type = NULL;
    msg = NULL;

    if (ac->status == NGX_HTTP_OK && ferr) {
        payload = ac->json;
        type = ngx_http_sockerless_json_str(payload, "errorType");
        msg = ngx_http_sockerless_json_str(payload, "errorMessage");
    }

    if (st) {
        /* over before the agent called back: the start failed */

        op = st->op;
        st->inv = NULL;

        if (ac->status != NGX_HTTP_OK) {
            ngx_http_sockerless_reverse_error(op, ac->status, &ac->error_type,
                                              &ac->message, "Lambda",
                                              "Invoke");

        } else {
            (void) ngx_http_sockerless_op_error(op,
                                    NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    "the Lambda invocation ended before its "
                                    "agent called back: %s%s%s",
                                    type ? type : "no function error",
                                    msg ? ": " : "", msg ? msg : "");
        }

        ngx_http_sockerless_aws_free(ac);
        ngx_destroy_pool(inv->pool);
        ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
        return;
    }

    report = cJSON_CreateObject();
    if (report == NULL) {
        goto done;
    }

    ngx_http_sockerless_now(now, sizeof(now));
    cJSON_AddStringToObject(report, "finishedAt", now);

    if (ac->status == 0 && (ngx_exiting || ngx_terminate)) {
        /* this worker stops: the run goes on, its agent reports it */
        cJSON_Delete(report);
        goto done;
    }

    if (ac->status != NGX_HTTP_OK) {
        /* the answer is lost, not the run: the agent's word stands */
        ngx_log_error(NGX_LOG_ERR, ac->log, 0,
                      "sockerless lambda: Invoke of container %s failed: "
                      "%V %V", inv->id, &ac->error_type, &ac->message);
        code = 255;
        cJSON_AddStringToObject(report, "error", "the Lambda invocation "
                                "failed");

    } else if (ferr == NULL) {
        code = 0;

    } else if (type && ngx_strcmp(type, "Runtime.ExitError") == 0
               && (code = ngx_http_sockerless_lambda_exit_status(msg))
                  != NGX_ERROR)
    {
        /* main's own code, as the agent exited with it */

    } else {
        /* a timeout or another runtime error: killed, as dockerd says */
        code = 137;
        cJSON_AddStringToObject(report, "error", msg ? msg : "the Lambda "
                                "function failed");
    }

    cJSON_AddNumberToObject(report, "exitCode", (double) code);

    (void) ngx_http_sockerless_callback_report(inv->pool, ac->log, inv->id,
                                               report, 0);
    cJSON_Delete(report);

done:

    ngx_http_sockerless_aws_free(ac);
    ngx_destroy_pool(inv->pool);
}


static void
ngx_http_sockerless_lambda_start_timeout(ngx_event_t *ev)
{
    ngx_http_sockerless_lambda_op_t *st = ev->data;

    ngx_http_sockerless_op_t  *op;

    op = st->op;

    (void) ngx_http_sockerless_op_error(op, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "the agent of the Lambda function "
                                        "did not call back within %M ms",
                                        st->lcf->start_timeout);

    ngx_http_sockerless_lambda_start_done(st, NGX_ERROR);
}


static void
ngx_http_sockerless_lambda_start_done(ngx_http_sockerless_lambda_op_t *st,
    ngx_int_t rc)
{
    ngx_http_sockerless_op_t  *op;

    if (st->done) {
        return;
    }

    st->done = 1;
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

    if (st->inv) {
        /* the invocation goes on; its answer is the exit's, not ours */
        st->inv->start = NULL;
        st->inv = NULL;

        if (rc != NGX_OK) {
            /* a run whose start failed must not live on unseen */
            (void) ngx_http_sockerless_reverse_signal(op->container, SIGKILL);
        }
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


/* kill, stop: through the agent while the invocation lives */

static ngx_int_t
ngx_http_sockerless_lambda_kill(ngx_http_sockerless_op_t *op)
{
    ngx_int_t  rc;

    rc = ngx_http_sockerless_reverse_signal(op->container, op->signal);

    if (rc != NGX_DECLINED) {
        return rc;
    }

    op->status = NGX_HTTP_CONFLICT;
    ngx_str_set(&op->message, "the function's agent is not connected, and "
                "a Lambda invocation cannot be stopped from outside");

    return NGX_ERROR;
}


/* remove: the function goes, in the background */

static ngx_int_t
ngx_http_sockerless_lambda_remove(ngx_http_sockerless_op_t *op)
{
    u_char                          *dir, path[160];
    const char                      *name, *id;
    ngx_http_sockerless_aws_call_t  *ac;

    name = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(op->container, "_sls"),
               "function");
    id = ngx_http_sockerless_json_str(op->container, "Id");

    if (name && ngx_strlen(name) < 64) {
        ngx_sprintf(path, NGX_HTTP_SOCKERLESS_LAMBDA_PATH "/%s%Z", name);

        ac = ngx_http_sockerless_lambda_call(ngx_cycle->log, "DELETE",
                                 (char *) path, NULL, 0, -1,
                                 ngx_http_sockerless_lambda_background_done,
                                 NULL);
        if (ac == NULL) {
            ngx_log_error(NGX_LOG_ERR, op->log, 0,
                          "sockerless lambda: DeleteFunction %s could not "
                          "be sent", name);
        }
    }

    dir = ngx_http_sockerless_container_path(op->pool, id, NULL);
    if (dir) {
        ngx_http_sockerless_rm_rf((char *) dir);
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_lambda_background_done(ngx_http_sockerless_aws_call_t *ac)
{
    if (ac->status < 200 || ac->status > 299) {
        ngx_log_error(NGX_LOG_ERR, ac->log, 0,
                      "sockerless lambda: %V %V failed: %V %V", &ac->method,
                      &ac->path, &ac->error_type, &ac->message);
    }

    ngx_http_sockerless_aws_free(ac);
}




/*
 * The sync, as ECS's: a gateway whose store lacks containers it made
 * finds their functions ("sockerless-*", tag sockerless:id) and rebuilds
 * the records from their configuration and tags. A function keeps no
 * record of its invocations that tells a run's state, so the containers
 * come back created: the next start invokes the function again, with the
 * container's token from its configuration.
 */

typedef struct {
    ngx_pool_t                      *pool;
    ngx_log_t                       *log;
    cJSON                           *names;
    int                              next;
    char                            *marker;
    ngx_uint_t                       pages;
    ngx_uint_t                       adopted;
} ngx_http_sockerless_lambda_sync_t;


static void ngx_http_sockerless_lambda_sync_list(
    ngx_http_sockerless_lambda_sync_t *sy);
static void ngx_http_sockerless_lambda_sync_listed(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_lambda_sync_next(
    ngx_http_sockerless_lambda_sync_t *sy);
static void ngx_http_sockerless_lambda_sync_got(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_lambda_sync_done(
    ngx_http_sockerless_lambda_sync_t *sy);


static void
ngx_http_sockerless_lambda_sync(ngx_event_t *ev)
{
    ngx_pool_t                         *pool;
    ngx_http_sockerless_lambda_sync_t  *sy;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    if (ngx_http_sockerless_reverse_once(pool, "lease/lambda-sync")
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return;
    }

    sy = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_lambda_sync_t));
    if (sy == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    sy->pool = pool;
    sy->log = ngx_cycle->log;
    sy->names = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (sy->names == NULL) {
        ngx_destroy_pool(pool);
        return;
    }

    ngx_http_sockerless_lambda_sync_list(sy);
}


static void
ngx_http_sockerless_lambda_sync_list(ngx_http_sockerless_lambda_sync_t *sy)
{
    ngx_keyval_t                    *kv;
    ngx_http_sockerless_aws_call_t  *ac;

    ac = ngx_http_sockerless_aws_create(sy->log, "lambda");
    if (ac == NULL) {
        ngx_http_sockerless_lambda_sync_done(sy);
        return;
    }

    ngx_str_set(&ac->method, "GET");
    ngx_str_set(&ac->path, NGX_HTTP_SOCKERLESS_LAMBDA_PATH "/");
    ac->handler = ngx_http_sockerless_lambda_sync_listed;
    ac->data = sy;

    if (sy->marker) {
        ac->query = ngx_array_create(ac->pool, 1, sizeof(ngx_keyval_t));
        kv = ac->query ? ngx_array_push(ac->query) : NULL;

        if (kv == NULL) {
            ngx_http_sockerless_aws_free(ac);
            ngx_http_sockerless_lambda_sync_done(sy);
            return;
        }

        ngx_str_set(&kv->key, "Marker");
        kv->value.data = (u_char *) sy->marker;
        kv->value.len = ngx_strlen(sy->marker);
    }

    if (ngx_http_sockerless_aws_start(ac) != NGX_OK) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_done(sy);
    }
}


static void
ngx_http_sockerless_lambda_sync_listed(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_lambda_sync_t *sy = ac->data;

    cJSON       *f;
    size_t       len;
    const char  *name, *marker;

    if (ac->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, sy->log, 0,
                      "sockerless lambda: the sync's ListFunctions failed: "
                      "%V %V", &ac->error_type, &ac->message);
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_done(sy);
        return;
    }

    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(ac->json,
                                                           "Functions"))
    {
        name = ngx_http_sockerless_json_str(f, "FunctionName");

        if (name && ngx_strncmp(name, "sockerless-", 11) == 0
            && ngx_strlen(name) < 64)
        {
            cJSON_AddItemToArray(sy->names, cJSON_CreateString(name));
        }
    }

    marker = ngx_http_sockerless_json_str(ac->json, "NextMarker");
    sy->marker = NULL;

    if (marker && *marker && ++sy->pages < 100) {
        len = ngx_strlen(marker) + 1;
        sy->marker = ngx_pnalloc(sy->pool, len);

        if (sy->marker) {
            ngx_cpystrn((u_char *) sy->marker, (u_char *) marker, len);
        }
    }

    ngx_http_sockerless_aws_free(ac);

    if (sy->marker) {
        ngx_http_sockerless_lambda_sync_list(sy);
        return;
    }

    ngx_http_sockerless_lambda_sync_next(sy);
}


static void
ngx_http_sockerless_lambda_sync_next(ngx_http_sockerless_lambda_sync_t *sy)
{
    u_char                          *path;
    cJSON                           *name;
    ngx_http_sockerless_aws_call_t  *ac;

    name = cJSON_GetArrayItem(sy->names, sy->next++);
    if (name == NULL) {
        ngx_http_sockerless_lambda_sync_done(sy);
        return;
    }

    path = ngx_pnalloc(sy->pool, 128);
    if (path == NULL) {
        ngx_http_sockerless_lambda_sync_done(sy);
        return;
    }

    ngx_sprintf(path, NGX_HTTP_SOCKERLESS_LAMBDA_PATH "/%s%Z",
                name->valuestring);

    ac = ngx_http_sockerless_lambda_call(sy->log, "GET", (char *) path, NULL,
                                         0, -1,
                                         ngx_http_sockerless_lambda_sync_got,
                                         sy);
    if (ac == NULL) {
        ngx_http_sockerless_lambda_sync_done(sy);
    }
}


static void
ngx_http_sockerless_lambda_sync_got(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_lambda_sync_t *sy = ac->data;

    char                         key[NGX_HTTP_SOCKERLESS_ID_LEN + 3];
    cJSON                       *cf, *tags, *vars, *ic, *body, *env, *v;
    cJSON                       *labels, *sls, *rec;
    const char                  *id, *val, *token;
    ngx_http_sockerless_build_t  b;

    if (ac->status != NGX_HTTP_OK) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_next(sy);
        return;
    }

    cf = cJSON_GetObjectItemCaseSensitive(ac->json, "Configuration");
    tags = cJSON_GetObjectItemCaseSensitive(ac->json, "Tags");
    id = ngx_http_sockerless_json_str(tags, "sockerless:id");

    if (id == NULL || ngx_strlen(id) != NGX_HTTP_SOCKERLESS_ID_LEN) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_next(sy);
        return;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);
    rec = ngx_http_sockerless_store_get(sy->pool, key);

    if (rec) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_next(sy);
        return;
    }

    vars = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(cf, "Environment"),
               "Variables");
    ic = cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(cf, "ImageConfigResponse"),
             "ImageConfig");

    body = ngx_http_sockerless_json_bind(sy->pool, cJSON_CreateObject());
    if (body == NULL) {
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_done(sy);
        return;
    }

    cJSON_AddStringToObject(body, "Image", ngx_http_sockerless_json_str(
        cJSON_GetObjectItemCaseSensitive(ac->json, "Code"), "ImageUri"));
    cJSON_AddItemToObject(body, "Cmd", cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(ic, "Command"), 1));

    val = ngx_http_sockerless_json_str(ic, "WorkingDirectory");
    if (val) {
        cJSON_AddStringToObject(body, "WorkingDir", val);
    }

    env = cJSON_AddArrayToObject(body, "Env");

    cJSON_ArrayForEach(v, vars) {
        u_char  *e;

        if (!cJSON_IsString(v)
            || ngx_strncmp(v->string, "SOCKERLESS_", 11) == 0)
        {
            continue;
        }

        e = ngx_pnalloc(sy->pool, ngx_strlen(v->string)
                                  + ngx_strlen(v->valuestring) + 2);
        if (e == NULL) {
            break;
        }

        ngx_sprintf(e, "%s=%s%Z", v->string, v->valuestring);
        cJSON_AddItemToArray(env, cJSON_CreateString((char *) e));
    }

    labels = cJSON_AddObjectToObject(body, "Labels");

    cJSON_ArrayForEach(v, tags) {
        if (cJSON_IsString(v)
            && ngx_strncmp(v->string, "sockerless:label:",
                           sizeof("sockerless:label:") - 1) == 0)
        {
            cJSON_AddStringToObject(labels,
                             v->string + sizeof("sockerless:label:") - 1,
                             v->valuestring);
        }
    }

    ngx_memzero(&b, sizeof(ngx_http_sockerless_build_t));
    b.pool = sy->pool;
    b.log = sy->log;
    b.body = body;
    ngx_cpystrn((u_char *) b.id, (u_char *) id, sizeof(b.id));

    val = ngx_http_sockerless_json_str(tags, "sockerless:name");
    if (val) {
        b.name.data = (u_char *) val;
        b.name.len = ngx_strlen(val);
    }

    if (ngx_http_sockerless_container_build(&b) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, sy->log, 0,
                      "sockerless lambda: container %s from Lambda cannot "
                      "be rebuilt: %s", id, b.message);
        ngx_http_sockerless_aws_free(ac);
        ngx_http_sockerless_lambda_sync_next(sy);
        return;
    }

    sls = cJSON_GetObjectItemCaseSensitive(b.rec, "_sls");
    cJSON_AddStringToObject(sls, "function",
                            ngx_http_sockerless_json_str(cf, "FunctionName"));
    cJSON_AddTrueToObject(sls, "reverse");

    token = ngx_http_sockerless_json_str(vars, "SOCKERLESS_AGENT_TOKEN");
    if (token) {
        cJSON_DeleteItemFromObjectCaseSensitive(sls, "token");
        cJSON_AddStringToObject(sls, "token", token);
    }

    ngx_http_sockerless_aws_free(ac);

    if (ngx_http_sockerless_store_put(key, b.rec) != NGX_OK) {
        (void) ngx_http_sockerless_name_release(b.iname, id);

    } else {
        sy->adopted++;
        ngx_log_error(NGX_LOG_NOTICE, sy->log, 0,
                      "sockerless lambda: container %s (%s) rebuilt from "
                      "Lambda", id, b.iname);
    }

    ngx_http_sockerless_lambda_sync_next(sy);
}


static void
ngx_http_sockerless_lambda_sync_done(ngx_http_sockerless_lambda_sync_t *sy)
{
    if (sy->adopted) {
        ngx_log_error(NGX_LOG_NOTICE, sy->log, 0,
                      "sockerless lambda: %ui containers rebuilt from "
                      "Lambda", sy->adopted);
    }

    ngx_destroy_pool(sy->pool);
}
