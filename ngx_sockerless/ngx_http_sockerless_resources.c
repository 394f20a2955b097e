
/*
 * Copyright (C) sockerless contributors
 *
 * Resources: the limits of HostConfig (Memory, NanoCpus, CpuShares, ...)
 * checked with dockerd's words, handed to the backend, which limits them
 * or discards them with dockerd's warnings, and changed by
 * POST /containers/{id}/update; HostConfig.ExtraHosts checked.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_networks.h>
#include <ngx_http_sockerless_resources.h>
#include <sls_cgroup.h>


#define NGX_HTTP_SOCKERLESS_MIN_MEMORY  (6 * 1024 * 1024)


static ngx_int_t ngx_http_sockerless_container_update(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_res_verify(cJSON *res,
    ngx_uint_t update, char *err, size_t size);
static ngx_int_t ngx_http_sockerless_res_policy(cJSON *rp, char *err,
    size_t size);
static ngx_int_t ngx_http_sockerless_res_hosts(ngx_pool_t *pool, cJSON *hc,
    char *err, size_t size);
static ngx_int_t ngx_http_sockerless_res_backend(ngx_pool_t *pool,
    ngx_log_t *log, cJSON *rec, cJSON *res, ngx_uint_t update,
    cJSON **warnings, ngx_uint_t *status, ngx_str_t *message);
static ngx_int_t ngx_http_sockerless_res_merge(cJSON *hc, cJSON *body,
    char *err, size_t size);
static ngx_uint_t ngx_http_sockerless_res_asked(cJSON *body);
static ngx_int_t ngx_http_sockerless_res_store(void *data, cJSON **value);
static ngx_int_t ngx_http_sockerless_res_oom(void *data, cJSON **value);


ngx_http_sockerless_route_t  ngx_http_sockerless_resource_routes[] = {

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("update"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_container_update },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* the Resources members an update may change (dockerd's UpdateContainer) */

static const char  *ngx_http_sockerless_res_numbers[] = {
    "BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota",
    "Memory", "MemorySwap", "MemoryReservation", NULL
};


/* dockerd's verifyPlatformContainerResources, the host-independent part */

static ngx_int_t
ngx_http_sockerless_res_verify(cJSON *res, ngx_uint_t update, char *err,
    size_t size)
{
    int64_t         mem, swap, resv, nano, period, quota, blkio;
    const char     *cpus;
    unsigned char   mask[SLS_CGROUP_MAX_CPUS / 8];

    mem = ngx_http_sockerless_json_int(res, "Memory");
    swap = ngx_http_sockerless_json_int(res, "MemorySwap");
    resv = ngx_http_sockerless_json_int(res, "MemoryReservation");
    nano = ngx_http_sockerless_json_int(res, "NanoCpus");
    period = ngx_http_sockerless_json_int(res, "CpuPeriod");
    quota = ngx_http_sockerless_json_int(res, "CpuQuota");
    blkio = ngx_http_sockerless_json_int(res, "BlkioWeight");

    if (mem != 0 && mem < NGX_HTTP_SOCKERLESS_MIN_MEMORY) {
        ngx_cpystrn((u_char *) err,
                    (u_char *) "Minimum memory limit allowed is 6MB", size);
        return NGX_DECLINED;
    }

    if (mem > 0 && swap > 0 && swap < mem) {
        ngx_cpystrn((u_char *) err, (u_char *) "Minimum memoryswap limit "
                    "should be larger than memory limit, see usage", size);
        return NGX_DECLINED;
    }

    if (mem == 0 && swap > 0 && !update) {
        ngx_cpystrn((u_char *) err, (u_char *) "You should always set the "
                    "Memory limit when using Memoryswap limit, see usage",
                    size);
        return NGX_DECLINED;
    }

    if (resv > 0 && resv < NGX_HTTP_SOCKERLESS_MIN_MEMORY) {
        ngx_cpystrn((u_char *) err, (u_char *) "Minimum memory reservation "
                    "allowed is 6MB", size);
        return NGX_DECLINED;
    }

    if (mem > 0 && resv > 0 && mem < resv) {
        ngx_cpystrn((u_char *) err, (u_char *) "Minimum memory limit can not "
                    "be less than memory reservation limit, see usage",
                    size);
        return NGX_DECLINED;
    }

    if (nano > 0 && period > 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "Conflicting options: Nano "
                    "CPUs and CPU Period cannot both be set", size);
        return NGX_DECLINED;
    }

    if (nano > 0 && quota > 0) {
        ngx_cpystrn((u_char *) err, (u_char *) "Conflicting options: Nano "
                    "CPUs and CPU Quota cannot both be set", size);
        return NGX_DECLINED;
    }

    if (period != 0 && (period < 1000 || period > 1000000)) {
        ngx_cpystrn((u_char *) err, (u_char *) "CPU cfs period can not be "
                    "less than 1ms (i.e. 1000) or larger than 1s "
                    "(i.e. 1000000)", size);
        return NGX_DECLINED;
    }

    if (quota > 0 && quota < 1000) {
        ngx_cpystrn((u_char *) err, (u_char *) "CPU cfs quota can not be "
                    "less than 1ms (i.e. 1000)", size);
        return NGX_DECLINED;
    }

    cpus = ngx_http_sockerless_json_str(res, "CpusetCpus");

    if (cpus && sls_cgroup_cpus(cpus, mask) != 0) {
        ngx_snprintf((u_char *) err, size, "Invalid value %s for cpuset "
                     "cpus: invalid format: %s%Z", cpus, cpus);
        return NGX_DECLINED;
    }

    cpus = ngx_http_sockerless_json_str(res, "CpusetMems");

    if (cpus && sls_cgroup_cpus(cpus, mask) != 0) {
        ngx_snprintf((u_char *) err, size, "Invalid value %s for cpuset "
                     "mems: invalid format: %s%Z", cpus, cpus);
        return NGX_DECLINED;
    }

    if (blkio > 0 && (blkio < 10 || blkio > 1000)) {
        ngx_cpystrn((u_char *) err, (u_char *) "Range of blkio weight is "
                    "from 10 to 1000", size);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* dockerd's ValidateRestartPolicy */

static ngx_int_t
ngx_http_sockerless_res_policy(cJSON *rp, char *err, size_t size)
{
    int64_t      max;
    const char  *name;

    name = ngx_http_sockerless_json_str(rp, "Name");
    max = ngx_http_sockerless_json_int(rp, "MaximumRetryCount");

    if (name == NULL || *name == '\0') {
        return NGX_OK;
    }

    if (ngx_strcmp(name, "always") == 0
        || ngx_strcmp(name, "unless-stopped") == 0
        || ngx_strcmp(name, "no") == 0)
    {
        if (max != 0) {
            ngx_snprintf((u_char *) err, size, "invalid restart policy: "
                         "maximum retry count can only be used with "
                         "'on-failure'%s%Z",
                         max < 0 ? " and cannot be negative" : "");
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    if (ngx_strcmp(name, "on-failure") == 0) {
        if (max < 0) {
            ngx_cpystrn((u_char *) err, (u_char *) "invalid restart policy: "
                        "maximum retry count cannot be negative", size);
            return NGX_DECLINED;
        }

        return NGX_OK;
    }

    ngx_snprintf((u_char *) err, size, "invalid restart policy: unknown "
                 "policy '%s'; use one of 'no', 'always', 'on-failure', or "
                 "'unless-stopped'%Z", name);

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_sockerless_extra_host(const char *entry, char *buf, size_t size,
    char **name, char **ip)
{
    char    *p, *v;
    size_t   len;

    len = ngx_strlen(entry);

    if (len + 1 > size) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, entry, len + 1);

    /* "name=ip" since docker 25, "name:ip" before (ip may hold colons) */

    p = strchr(buf, '=');
    if (p == NULL) {
        p = strchr(buf, ':');
    }

    if (p == NULL || p == buf) {
        return NGX_ERROR;
    }

    *p++ = '\0';
    v = p;

    len = ngx_strlen(v);

    if (len > 2 && v[0] == '[' && v[len - 1] == ']') {
        v[len - 1] = '\0';
        v++;
    }

    *name = buf;
    *ip = v;

    return NGX_OK;
}


/* dockerd's ValidateExtraHost for each of HostConfig.ExtraHosts */

static ngx_int_t
ngx_http_sockerless_res_hosts(ngx_pool_t *pool, cJSON *hc, char *err,
    size_t size)
{
    char             buf[512], *name, *ip;
    cJSON           *e;
    struct in_addr   a4;
    struct in6_addr  a6;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(hc, "ExtraHosts"))
    {
        if (!cJSON_IsString(e)) {
            ngx_cpystrn((u_char *) err, (u_char *) "ExtraHosts must be "
                        "strings", size);
            return NGX_DECLINED;
        }

        if (ngx_http_sockerless_extra_host(e->valuestring, buf, sizeof(buf),
                                           &name, &ip)
            != NGX_OK)
        {
            ngx_snprintf((u_char *) err, size, "bad format for add-host: "
                         "\"%s\"%Z", e->valuestring);
            return NGX_DECLINED;
        }

        if (ngx_strcmp(ip, "host-gateway") != 0
            && inet_pton(AF_INET, ip, &a4) != 1
            && inet_pton(AF_INET6, ip, &a6) != 1)
        {
            ngx_snprintf((u_char *) err, size, "invalid IP address in "
                         "add-host: \"%s\"%Z", ip);
            return NGX_DECLINED;
        }

        if (ngx_strcmp(ip, "host-gateway") == 0
            && ngx_http_sockerless_network_host_gateway(pool) == NULL)
        {
            ngx_cpystrn((u_char *) err, (u_char *) "unable to derive the IP "
                        "value for host-gateway: the default bridge network "
                        "has no gateway", size);
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/*
 * The backend's container_resources on res (a HostConfig, or an update's
 * body): what it cannot limit is discarded there, with warnings
 */

static ngx_int_t
ngx_http_sockerless_res_backend(ngx_pool_t *pool, ngx_log_t *log,
    cJSON *rec, cJSON *res, ngx_uint_t update, cJSON **warnings,
    ngx_uint_t *status, ngx_str_t *message)
{
    ngx_int_t                       rc;
    ngx_http_sockerless_op_t        op;
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();
    *warnings = NULL;

    if (be->container_resources == NULL) {
        return NGX_OK;
    }

    ngx_memzero(&op, sizeof(ngx_http_sockerless_op_t));
    op.pool = pool;
    op.log = log;
    op.conf = ngx_http_sockerless_backend_conf();
    op.container = rec;
    op.data = res;
    op.signal = update;

    if (be->op_state_size) {
        op.state = ngx_pcalloc(pool, be->op_state_size);
        if (op.state == NULL) {
            return NGX_ERROR;
        }
    }

    rc = be->container_resources(&op);

    if (rc != NGX_OK) {
        *status = op.status;
        *message = op.message;
        return (op.status == 0) ? NGX_ERROR : NGX_DECLINED;
    }

    *warnings = op.result;

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_resources_create(ngx_pool_t *pool, ngx_log_t *log,
    cJSON *rec, ngx_uint_t *status, char *err, size_t size)
{
    cJSON      *hc, *sls, *w;
    int64_t     mem;
    ngx_int_t   rc;
    ngx_str_t   msg;

    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");

    if (ngx_http_sockerless_res_verify(hc, 0, err, size) != NGX_OK
        || ngx_http_sockerless_res_hosts(pool, hc, err, size) != NGX_OK)
    {
        *status = NGX_HTTP_BAD_REQUEST;
        return NGX_DECLINED;
    }

    rc = ngx_http_sockerless_res_backend(pool, log, rec, hc, 0, &w, status,
                                         &msg);
    if (rc == NGX_DECLINED) {
        ngx_snprintf((u_char *) err, size, "%V%Z", &msg);
        return NGX_DECLINED;
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * dockerd's adaptContainerSettings, where the backend limits swap: a
     * cloud backend refuses a MemorySwap given, not one made up
     */

    mem = ngx_http_sockerless_json_int(hc, "Memory");

    if (mem > 0 && ngx_http_sockerless_json_int(hc, "MemorySwap") == 0
        && ngx_http_sockerless_backend()->container_resources)
    {
        ngx_http_sockerless_json_set(hc, "MemorySwap",
                                     cJSON_CreateNumber((double) mem * 2));
    }

    if (cJSON_GetArraySize(w) > 0) {
        sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
        if (sls == NULL) {
            sls = cJSON_AddObjectToObject(rec, "_sls");
        }

        cJSON_AddItemToObject(sls, "warnings", cJSON_Duplicate(w, 1));
    }

    return NGX_OK;
}


cJSON *
ngx_http_sockerless_resources_warnings(cJSON *rec)
{
    return cJSON_DetachItemFromObjectCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "warnings");
}


/* dockerd's UpdateContainer: what the body sets replaces the record's */

static ngx_int_t
ngx_http_sockerless_res_merge(cJSON *hc, cJSON *body, char *err,
    size_t size)
{
    cJSON        *v;
    int64_t       nano, period, quota, mem;
    ngx_uint_t    i;
    const char   *s, *name;

    nano = ngx_http_sockerless_json_int(body, "NanoCpus");
    period = ngx_http_sockerless_json_int(body, "CpuPeriod");
    quota = ngx_http_sockerless_json_int(body, "CpuQuota");
    mem = ngx_http_sockerless_json_int(body, "Memory");

    if (nano > 0 && ngx_http_sockerless_json_int(hc, "CpuPeriod") > 0) {
        s = "Conflicting options: Nano CPUs cannot be updated as CPU Period "
            "has already been set";
        goto conflict;
    }

    if (nano > 0 && ngx_http_sockerless_json_int(hc, "CpuQuota") > 0) {
        s = "Conflicting options: Nano CPUs cannot be updated as CPU Quota "
            "has already been set";
        goto conflict;
    }

    if (period > 0 && ngx_http_sockerless_json_int(hc, "NanoCpus") > 0) {
        s = "Conflicting options: CPU Period cannot be updated as NanoCPUs "
            "has already been set";
        goto conflict;
    }

    if (quota > 0 && ngx_http_sockerless_json_int(hc, "NanoCpus") > 0) {
        s = "Conflicting options: CPU Quota cannot be updated as NanoCPUs "
            "has already been set";
        goto conflict;
    }

    if (mem != 0 && mem > ngx_http_sockerless_json_int(hc, "MemorySwap")
        && ngx_http_sockerless_json_int(body, "MemorySwap") == 0)
    {
        s = "Memory limit should be smaller than already set memoryswap "
            "limit, update the memoryswap at the same time";
        goto conflict;
    }

    for (i = 0; ngx_http_sockerless_res_numbers[i]; i++) {
        name = ngx_http_sockerless_res_numbers[i];

        if (ngx_http_sockerless_json_int(body, name) != 0) {
            ngx_http_sockerless_json_set(hc, name, cJSON_CreateNumber(
                (double) ngx_http_sockerless_json_int(body, name)));
        }
    }

    s = ngx_http_sockerless_json_str(body, "CpusetCpus");
    if (s && *s) {
        ngx_http_sockerless_json_set(hc, "CpusetCpus", cJSON_CreateString(s));
    }

    s = ngx_http_sockerless_json_str(body, "CpusetMems");
    if (s && *s) {
        ngx_http_sockerless_json_set(hc, "CpusetMems", cJSON_CreateString(s));
    }

    v = cJSON_GetObjectItemCaseSensitive(body, "PidsLimit");
    if (cJSON_IsNumber(v)) {
        ngx_http_sockerless_json_set(hc, "PidsLimit", cJSON_Duplicate(v, 1));
    }

    v = cJSON_GetObjectItemCaseSensitive(body, "RestartPolicy");
    s = ngx_http_sockerless_json_str(v, "Name");

    if (s && *s) {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hc, "AutoRemove"))
            && ngx_strcmp(s, "no") != 0)
        {
            s = "Restart policy cannot be updated because AutoRemove is "
                "enabled for the container";
            goto conflict;
        }

        ngx_http_sockerless_json_set(hc, "RestartPolicy",
                                     cJSON_Duplicate(v, 1));
    }

    return NGX_OK;

conflict:

    ngx_cpystrn((u_char *) err, (u_char *) s, size);

    return NGX_DECLINED;
}


/* a limit is asked for: a backend without container_update refuses */

static ngx_uint_t
ngx_http_sockerless_res_asked(cJSON *body)
{
    ngx_uint_t   i;
    const char  *s;

    for (i = 0; ngx_http_sockerless_res_numbers[i]; i++) {
        if (ngx_http_sockerless_json_int(body,
                                         ngx_http_sockerless_res_numbers[i])
            != 0)
        {
            return 1;
        }
    }

    s = ngx_http_sockerless_json_str(body, "CpusetCpus");
    if (s && *s) {
        return 1;
    }

    s = ngx_http_sockerless_json_str(body, "CpusetMems");
    if (s && *s) {
        return 1;
    }

    return cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(body,
                                                           "PidsLimit"));
}


static ngx_int_t
ngx_http_sockerless_res_store(void *data, cJSON **value)
{
    cJSON *hc = data;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(*value, "HostConfig", cJSON_Duplicate(hc, 1));

    return NGX_OK;
}


/*
 * POST /containers/{id}/update: dockerd's ContainerUpdate. The body is
 * checked as a create's resources (400), merged into the record's
 * HostConfig (409 "Cannot update container <id>: ..." on a conflict),
 * handed to the backend (warnings; what it cannot limit is dropped) and,
 * when the container runs, applied to its processes (container_update)
 * before it is recorded. Answers {"Warnings": [...]} and emits "update".
 */

static ngx_int_t
ngx_http_sockerless_container_update(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                            err[512], key[80];
    cJSON                          *rec, *hc, *body, *w, *out, *attrs;
    ngx_int_t                       rc;
    ngx_str_t                       msg;
    ngx_uint_t                      status;
    const char                     *id;
    ngx_http_sockerless_op_t        op;
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();

    rec = ngx_http_sockerless_container_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    id = ngx_http_sockerless_json_str(rec, "Id");
    body = args->body;

    if (!cJSON_IsObject(body)) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid JSON: the body must "
                                              "be an object");
    }

    if (ngx_http_sockerless_res_verify(body, 1, err, sizeof(err)) != NGX_OK
        || ngx_http_sockerless_res_policy(
               cJSON_GetObjectItemCaseSensitive(body, "RestartPolicy"),
               err, sizeof(err))
           != NGX_OK)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              err);
    }

    if (ngx_http_sockerless_res_asked(body) && be->container_update == NULL)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "the %V backend cannot update a container's "
                        "resources: its limits are fixed when it is created",
                        &be->name);
    }

    status = 0;

    rc = ngx_http_sockerless_res_backend(r->pool, r->connection->log, rec,
                                         body, 1, &w, &status, &msg);
    if (rc == NGX_DECLINED) {
        return ngx_http_sockerless_send_error(r, status, "%V", &msg);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
    if (hc == NULL) {
        hc = cJSON_AddObjectToObject(rec, "HostConfig");
    }

    if (ngx_http_sockerless_res_merge(hc, body, err, sizeof(err)) != NGX_OK) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                              "Cannot update container %s: "
                                              "%s", id, err);
    }

    /* a running (or paused) container gets its new limits now */

    if (be->container_update
        && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(rec, "State"), "Running")))
    {
        ngx_memzero(&op, sizeof(ngx_http_sockerless_op_t));
        op.request = r;
        op.pool = r->pool;
        op.log = r->connection->log;
        op.conf = ngx_http_sockerless_backend_conf();
        op.container = rec;

        if (be->container_update(&op) != NGX_OK) {
            return ngx_http_sockerless_send_error(r,
                        op.status ? op.status
                                  : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "Cannot update container %s: %V", id, &op.message);
        }
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    rc = ngx_http_sockerless_store_update(r->pool, key,
                                          ngx_http_sockerless_res_store, hc);
    if (rc == NGX_DECLINED) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    attrs = ngx_http_sockerless_container_attrs(r->pool, rec);
    if (attrs) {
        (void) ngx_http_sockerless_event("container", "update", id, attrs);
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* dockerd answers a nil list as null */

    if (cJSON_GetArraySize(w) > 0) {
        cJSON_AddItemToObject(out, "Warnings", cJSON_Duplicate(w, 1));

    } else {
        cJSON_AddNullToObject(out, "Warnings");
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


static ngx_int_t
ngx_http_sockerless_res_oom(void *data, cJSON **value)
{
    cJSON  *state;

    state = cJSON_GetObjectItemCaseSensitive(*value, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(state, "OOMKilled", cJSON_CreateTrue());

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_container_oom(ngx_log_t *log, const char *id)
{
    char         key[80];
    cJSON       *rec, *attrs;
    ngx_int_t    rc;
    ngx_pool_t  *pool;

    if (ngx_strlen(id) > NGX_HTTP_SOCKERLESS_ID_LEN) {
        return NGX_ERROR;
    }

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_res_oom, NULL);

    if (rc == NGX_OK) {
        rec = ngx_http_sockerless_store_get(pool, key);
        attrs = rec ? ngx_http_sockerless_container_attrs(pool, rec) : NULL;

        if (attrs) {
            (void) ngx_http_sockerless_event("container", "oom", id, attrs);
        }
    }

    ngx_destroy_pool(pool);

    return rc;
}
