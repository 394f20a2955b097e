/*
 * Copyright (C) sockerless contributors
 *
 * Health checks: Config.Healthcheck at create, State.Health at start and
 * the state machine of dockerd's daemon/health.go for each probe result
 * an agent reports.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_containers.h>
#include <sls_time.h>


#define NGX_HTTP_SOCKERLESS_HEALTH_LOG      5
#define NGX_HTTP_SOCKERLESS_HEALTH_RETRIES  3
#define NGX_HTTP_SOCKERLESS_HEALTH_TIMEOUT  30000000000LL


typedef struct {
    cJSON                 *results;
    double                 from;       /* the last seq applied before */
    ngx_uint_t             changed;
    char                   status[16];
} ngx_http_sockerless_health_ctx_t;


static void ngx_http_sockerless_health_execs(ngx_pool_t *pool, cJSON *rec,
    ngx_http_sockerless_health_ctx_t *ctx);
static ngx_int_t ngx_http_sockerless_health_update(void *data,
    cJSON **value);
static void ngx_http_sockerless_health_apply(cJSON *rec, cJSON *health,
    cJSON *result);
static int64_t ngx_http_sockerless_health_ns(cJSON *hc, const char *name);
static int64_t ngx_http_sockerless_health_time(const char *s);


static const char  *ngx_http_sockerless_health_durations[] = {
    "Interval", "Timeout", "StartPeriod", "StartInterval", NULL
};


/*
 * The container's Healthcheck over the image's, as dockerd merges them:
 * no Healthcheck takes the image's (done by the caller), an empty Test
 * and zero fields take the image's. Then dockerd's checks, as a 400.
 */

ngx_int_t
ngx_http_sockerless_health_merge(cJSON *conf, cJSON *iconf, char *err,
    size_t size)
{
    cJSON        *hc, *ihc, *v, *iv;
    const char  **name;

    hc = cJSON_GetObjectItemCaseSensitive(conf, "Healthcheck");
    ihc = cJSON_GetObjectItemCaseSensitive(iconf, "Healthcheck");

    if (!cJSON_IsObject(hc)) {
        return NGX_OK;
    }

    if (cJSON_IsObject(ihc) && hc != ihc) {
        v = cJSON_GetObjectItemCaseSensitive(hc, "Test");
        iv = cJSON_GetObjectItemCaseSensitive(ihc, "Test");

        if (cJSON_GetArraySize(v) == 0 && cJSON_IsArray(iv)) {
            cJSON_DeleteItemFromObjectCaseSensitive(hc, "Test");
            cJSON_AddItemToObject(hc, "Test", cJSON_Duplicate(iv, 1));
        }

        for (name = ngx_http_sockerless_health_durations; *name; name++) {
            if (ngx_http_sockerless_health_ns(hc, *name) == 0
                && ngx_http_sockerless_health_ns(ihc, *name) > 0)
            {
                cJSON_DeleteItemFromObjectCaseSensitive(hc, *name);
                cJSON_AddNumberToObject(hc, *name, (double)
                    ngx_http_sockerless_health_ns(ihc, *name));
            }
        }

        if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc,
                                                                  "Retries"))
            == 0
            && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ihc,
                                                               "Retries")))
        {
            cJSON_DeleteItemFromObjectCaseSensitive(hc, "Retries");
            cJSON_AddNumberToObject(hc, "Retries", cJSON_GetNumberValue(
                cJSON_GetObjectItemCaseSensitive(ihc, "Retries")));
        }
    }

    /* dockerd's validateHealthCheck() */

    for (name = ngx_http_sockerless_health_durations; *name; name++) {
        v = cJSON_GetObjectItemCaseSensitive(hc, *name);

        if (v != NULL && !cJSON_IsNumber(v) && !cJSON_IsNull(v)) {
            snprintf(err, size, "%s in Healthcheck must be a number of "
                     "nanoseconds", *name);
            return NGX_DECLINED;
        }

        if (ngx_http_sockerless_health_ns(hc, *name) != 0
            && ngx_http_sockerless_health_ns(hc, *name) < 1000000)
        {
            snprintf(err, size, "%s in Healthcheck cannot be less than 1ms",
                     *name);
            return NGX_DECLINED;
        }
    }

    if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(hc, "Retries"))
        < 0)
    {
        snprintf(err, size, "Retries in Healthcheck cannot be negative");
        return NGX_DECLINED;
    }

    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(hc, "Test")) {
        if (!cJSON_IsString(v)) {
            snprintf(err, size, "Test in Healthcheck must be strings");
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static int64_t
ngx_http_sockerless_health_ns(cJSON *hc, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(hc, name);

    return cJSON_IsNumber(v) ? (int64_t) v->valuedouble : 0;
}


/*
 * The "healthcheck" of agent.json for a container's Config, or NULL when
 * it has no probe (no Healthcheck, an empty Test, NONE, or a type dockerd
 * does not know either): the argv with CMD-SHELL resolved to Config.Shell
 * (default /bin/sh -c) and the times in ms with dockerd's defaults
 */

cJSON *
ngx_http_sockerless_health_agent(cJSON *conf)
{
    cJSON       *hc, *test, *t, *j, *argv, *item;
    int64_t      ns;
    ngx_uint_t   shell, i;
    const char  *kind;

    static const struct {
        const char  *name;
        const char  *key;
        int64_t      dflt;
    } times[] = {
        { "Interval", "interval", 30000 },
        { "Timeout", "timeout", 30000 },
        { "StartPeriod", "start_period", 0 },
        { "StartInterval", "start_interval", 5000 },
        { NULL, NULL, 0 }
    };

    hc = cJSON_GetObjectItemCaseSensitive(conf, "Healthcheck");
    test = cJSON_GetObjectItemCaseSensitive(hc, "Test");

    if (cJSON_GetArraySize(test) < 2) {
        return NULL;
    }

    kind = cJSON_GetArrayItem(test, 0)->valuestring;

    if (kind == NULL) {
        return NULL;
    }

    if (ngx_strcmp(kind, "CMD") == 0) {
        shell = 0;

    } else if (ngx_strcmp(kind, "CMD-SHELL") == 0) {
        shell = 1;

    } else {
        return NULL;
    }

    j = cJSON_CreateObject();
    if (j == NULL) {
        return NULL;
    }

    argv = cJSON_AddArrayToObject(j, "test");

    if (shell) {
        t = cJSON_GetObjectItemCaseSensitive(conf, "Shell");

        if (cJSON_GetArraySize(t) > 0) {
            cJSON_ArrayForEach(item, t) {
                if (cJSON_IsString(item)) {
                    cJSON_AddItemToArray(argv,
                               cJSON_CreateString(item->valuestring));
                }
            }

        } else {
            cJSON_AddItemToArray(argv, cJSON_CreateString("/bin/sh"));
            cJSON_AddItemToArray(argv, cJSON_CreateString("-c"));
        }
    }

    for (item = test->child->next; item; item = item->next) {
        if (cJSON_IsString(item)) {
            cJSON_AddItemToArray(argv, cJSON_CreateString(item->valuestring));
        }
    }

    for (i = 0; times[i].name; i++) {
        ns = ngx_http_sockerless_health_ns(hc, times[i].name);
        cJSON_AddNumberToObject(j, times[i].key, ns > 0
                                ? (double) ((ns + 999999) / 1000000)
                                : (double) times[i].dflt);
    }

    return j;
}


/*
 * A run starts (dockerd's initHealthMonitor): with a probe, Health is
 * "starting" with no failing streak and the earlier log kept
 */

void
ngx_http_sockerless_health_start(cJSON *rec)
{
    cJSON  *state, *health, *log, *sls, *probe;

    probe = ngx_http_sockerless_health_agent(
                cJSON_GetObjectItemCaseSensitive(rec, "Config"));

    if (probe == NULL) {
        return;
    }

    cJSON_Delete(probe);

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    log = cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(state, "Health"), "Log");
    log = cJSON_IsArray(log) ? cJSON_Duplicate(log, 1) : cJSON_CreateArray();

    health = cJSON_CreateObject();
    cJSON_AddStringToObject(health, "Status", "starting");
    cJSON_AddNumberToObject(health, "FailingStreak", 0);
    cJSON_AddItemToObject(health, "Log", log);

    cJSON_DeleteItemFromObjectCaseSensitive(state, "Health");
    cJSON_AddItemToObject(state, "Health", health);

    /* the results of this run are counted from 1 by its agent */

    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    if (sls) {
        cJSON_DeleteItemFromObjectCaseSensitive(sls, "health_seq");
        cJSON_AddNumberToObject(sls, "health_seq", 0);
    }
}


/* State.Health.Status, or "none" without a health check */

const char *
ngx_http_sockerless_health_status(cJSON *rec)
{
    const char  *s;

    s = ngx_http_sockerless_json_str(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(rec, "State"), "Health"),
            "Status");

    return s ? s : "none";
}


/*
 * An agent's report: {"id", "results": [{"seq", "start", "end",
 * "exitCode", "timedOut", "output"}, ...]} with its last results, oldest
 * first. The store transaction applies those newer than the record's
 * _sls.health_seq, so every worker may read the same report and each
 * result counts once, in order; "health_status" goes out on a change.
 */

void
ngx_http_sockerless_health_report(ngx_log_t *log, const char *id,
    u_char *p, size_t len)
{
    char                              key[80];
    cJSON                            *report, *rec, *attrs;
    ngx_int_t                         rc;
    ngx_pool_t                       *pool;
    ngx_http_sockerless_health_ctx_t  ctx;

    if (ngx_strlen(id) != NGX_HTTP_SOCKERLESS_ID_LEN) {
        return;
    }

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return;
    }

    report = ngx_http_sockerless_json_parse(pool, p, len);
    ngx_memzero(&ctx, sizeof(ngx_http_sockerless_health_ctx_t));
    ctx.results = cJSON_GetObjectItemCaseSensitive(report, "results");

    if (!cJSON_IsArray(ctx.results)) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "sockerless: malformed health report of \"%s\"", id);
        goto done;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_health_update,
                                          &ctx);

    if (rc != NGX_OK) {
        goto done;
    }

    rec = ngx_http_sockerless_store_get(pool, key);

    ngx_http_sockerless_health_execs(pool, rec, &ctx);

    if (!ctx.changed) {
        goto done;
    }

    attrs = ngx_http_sockerless_container_attrs(pool, rec);

    if (attrs) {
        ngx_sprintf((u_char *) key, "health_status: %s%Z", ctx.status);
        (void) ngx_http_sockerless_event("container", key, id, attrs);
    }

done:

    ngx_destroy_pool(pool);
}


/*
 * dockerd runs each probe as an exec it registers for the time of the
 * probe: "exec_create", "exec_start" and "exec_die" for each result
 * applied, with an exec id of their own
 */

static void
ngx_http_sockerless_health_execs(ngx_pool_t *pool, cJSON *rec,
    ngx_http_sockerless_health_ctx_t *ctx)
{
    cJSON       *test, *cmd, *r, *seq, *w;
    ngx_int_t    code;
    const char  *kind;
    char         xid[NGX_HTTP_SOCKERLESS_ID_LEN + 1];

    test = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(
                   cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                   "Healthcheck"),
               "Test");
    kind = cJSON_IsString(cJSON_GetArrayItem(test, 0))
           ? cJSON_GetArrayItem(test, 0)->valuestring : "";

    cmd = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());
    if (cmd == NULL) {
        return;
    }

    if (ngx_strcmp(kind, "CMD-SHELL") == 0) {
        cJSON_AddItemToArray(cmd, cJSON_CreateString("/bin/sh"));
        cJSON_AddItemToArray(cmd, cJSON_CreateString("-c"));
        w = cJSON_GetArrayItem(test, 1);
        cJSON_AddItemToArray(cmd, cJSON_CreateString(
                                 cJSON_IsString(w) ? w->valuestring : ""));

    } else {
        for (w = test ? test->child : NULL; w; w = w->next) {
            if (w != test->child && cJSON_IsString(w)) {
                cJSON_AddItemToArray(cmd,
                                     cJSON_CreateString(w->valuestring));
            }
        }
    }

    cJSON_ArrayForEach(r, ctx->results) {
        seq = cJSON_GetObjectItemCaseSensitive(r, "seq");

        if (!cJSON_IsNumber(seq) || seq->valuedouble <= ctx->from) {
            continue;
        }

        code = (ngx_int_t) cJSON_GetNumberValue(
                               cJSON_GetObjectItemCaseSensitive(r,
                                                                "exitCode"));

        ngx_http_sockerless_random_id(xid);

        ngx_http_sockerless_exec_event_of(pool, rec, xid, "exec_create", -1,
                                          cmd);
        ngx_http_sockerless_exec_event_of(pool, rec, xid, "exec_start", -1,
                                          cmd);

        /* a probe that could not run: runc's "cannot execute" */
        ngx_http_sockerless_exec_event_of(pool, rec, xid, "exec_die",
                                          code >= 0 ? code : 126, cmd);
    }
}


static ngx_int_t
ngx_http_sockerless_health_update(void *data, cJSON **value)
{
    ngx_http_sockerless_health_ctx_t *ctx = data;

    cJSON       *state, *health, *sls, *r, *seq;
    char         before[16];
    double       last;
    ngx_uint_t   applied;
    const char  *old, *now;

    state = cJSON_GetObjectItemCaseSensitive(*value, "State");
    health = cJSON_GetObjectItemCaseSensitive(state, "Health");
    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");

    /* a stopped or paused container's health does not move */

    if (health == NULL || sls == NULL
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))
        || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Paused")))
    {
        return NGX_DECLINED;
    }

    last = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                                    sls, "health_seq"));
    if (last != last) {
        last = 0;
    }

    ctx->from = last;

    old = ngx_http_sockerless_json_str(health, "Status");
    ngx_cpystrn((u_char *) before, (u_char *) (old ? old : ""),
                sizeof(before));

    applied = 0;

    cJSON_ArrayForEach(r, ctx->results) {
        seq = cJSON_GetObjectItemCaseSensitive(r, "seq");

        if (!cJSON_IsNumber(seq) || seq->valuedouble <= last) {
            continue;
        }

        ngx_http_sockerless_health_apply(*value, health, r);
        last = seq->valuedouble;
        applied = 1;
    }

    if (!applied) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(sls, "health_seq");
    cJSON_AddNumberToObject(sls, "health_seq", last);

    now = ngx_http_sockerless_json_str(health, "Status");

    if (now && ngx_strcmp(now, before) != 0) {
        ctx->changed = 1;
        ngx_cpystrn((u_char *) ctx->status, (u_char *) now,
                    sizeof(ctx->status));
    }

    return NGX_OK;
}


/* dockerd's handleProbeResult() */

static void
ngx_http_sockerless_health_apply(cJSON *rec, cJSON *health, cJSON *result)
{
    char         text[64], dur[SLS_TIME_BUFSIZE];
    cJSON       *conf, *hc, *log, *entry;
    u_char      *msg;
    size_t       len;
    int64_t      period, started, start, timeout;
    ngx_int_t    code, retries, streak;
    const char  *status, *out;

    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");
    hc = cJSON_GetObjectItemCaseSensitive(conf, "Healthcheck");

    code = (ngx_int_t) cJSON_GetNumberValue(
                           cJSON_GetObjectItemCaseSensitive(result,
                                                            "exitCode"));
    out = ngx_http_sockerless_json_str(result, "output");
    out = out ? out : "";

    entry = cJSON_CreateObject();
    if (entry == NULL) {
        return;
    }

    cJSON_AddStringToObject(entry, "Start",
                ngx_http_sockerless_json_str(result, "start")
                ? ngx_http_sockerless_json_str(result, "start") : "");
    cJSON_AddStringToObject(entry, "End",
                ngx_http_sockerless_json_str(result, "end")
                ? ngx_http_sockerless_json_str(result, "end") : "");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "timedOut"))) {
        code = -1;
        timeout = ngx_http_sockerless_health_ns(hc, "Timeout");
        (void) sls_time_go_duration(dur, sizeof(dur), timeout > 0
                                    ? timeout
                                    : NGX_HTTP_SOCKERLESS_HEALTH_TIMEOUT);

        len = ngx_strlen(out) + sizeof(dur) + 64;
        msg = malloc(len);
        if (msg == NULL) {
            cJSON_Delete(entry);
            return;
        }

        if (*out) {
            ngx_snprintf(msg, len, "Health check exceeded timeout (%s): %s%Z",
                         dur, out);

        } else {
            ngx_snprintf(msg, len, "Health check exceeded timeout (%s)%Z",
                         dur);
        }

        cJSON_AddNumberToObject(entry, "ExitCode", (double) code);
        cJSON_AddStringToObject(entry, "Output", (char *) msg);
        free(msg);

    } else {
        cJSON_AddNumberToObject(entry, "ExitCode", (double) code);
        cJSON_AddStringToObject(entry, "Output", out);
    }

    log = cJSON_GetObjectItemCaseSensitive(health, "Log");
    if (!cJSON_IsArray(log)) {
        cJSON_DeleteItemFromObjectCaseSensitive(health, "Log");
        log = cJSON_AddArrayToObject(health, "Log");
    }

    cJSON_AddItemToArray(log, entry);

    while (cJSON_GetArraySize(log) > NGX_HTTP_SOCKERLESS_HEALTH_LOG) {
        cJSON_DeleteItemFromArray(log, 0);
    }

    retries = (ngx_int_t) cJSON_GetNumberValue(
                              cJSON_GetObjectItemCaseSensitive(hc,
                                                               "Retries"));
    if (retries <= 0) {
        retries = NGX_HTTP_SOCKERLESS_HEALTH_RETRIES;
    }

    streak = (ngx_int_t) cJSON_GetNumberValue(
                             cJSON_GetObjectItemCaseSensitive(
                                 health, "FailingStreak"));
    status = ngx_http_sockerless_json_str(health, "Status");
    status = status ? status : "starting";

    if (code == 0) {
        streak = 0;
        status = "healthy";

    } else {
        /* failures in the start period do not count while starting */

        period = ngx_http_sockerless_health_ns(hc, "StartPeriod");
        started = ngx_http_sockerless_health_time(
                      ngx_http_sockerless_json_str(
                          cJSON_GetObjectItemCaseSensitive(rec, "State"),
                          "StartedAt"));
        start = ngx_http_sockerless_health_time(
                    ngx_http_sockerless_json_str(result, "start"));

        if (!(ngx_strcmp(status, "starting") == 0
              && start - started < period))
        {
            streak++;

            if (streak >= retries) {
                status = "unhealthy";
            }
        }
    }

    ngx_cpystrn((u_char *) text, (u_char *) status, sizeof(text));

    /* dockerd's member order */

    log = cJSON_DetachItemViaPointer(health, log);
    cJSON_DeleteItemFromObjectCaseSensitive(health, "Status");
    cJSON_DeleteItemFromObjectCaseSensitive(health, "FailingStreak");
    cJSON_AddStringToObject(health, "Status", text);
    cJSON_AddNumberToObject(health, "FailingStreak", (double) streak);
    cJSON_AddItemToObject(health, "Log", log);
}


/* an RFC 3339 time in ns since the epoch, 0 when it is not one */

static int64_t
ngx_http_sockerless_health_time(const char *s)
{
    long     nsec;
    int64_t  sec;

    if (s == NULL
        || sls_time_parse_rfc3339(s, ngx_strlen(s), &sec, &nsec) != 0)
    {
        return 0;
    }

    return sec * 1000000000LL + nsec;
}
