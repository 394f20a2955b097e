
/*
 * Copyright (C) sockerless contributors
 *
 * System endpoints: /_ping, /version, /info and the /events stream.
 */


#include <ngx_http_sockerless_module.h>
#include <sls_filters.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>


typedef struct {
    ngx_http_request_t           *request;
    ngx_http_sockerless_watch_t   watch;
    ngx_event_t                   timer;
    sls_filters_t                *filters;
    double                        since;
    double                        until;
    uint64_t                      last;
    ngx_pool_t                   *pool;
    unsigned                      done:1;
} ngx_http_sockerless_events_t;


static ngx_int_t ngx_http_sockerless_add_header(ngx_http_request_t *r,
    const char *name, const char *value);
static ngx_int_t ngx_http_sockerless_events_send(
    ngx_http_sockerless_events_t *es);
static void ngx_http_sockerless_events_watch(ngx_http_sockerless_watch_t *w);
static void ngx_http_sockerless_events_timer(ngx_event_t *ev);
static void ngx_http_sockerless_events_cleanup(void *data);


static ngx_int_t
ngx_http_sockerless_add_header(ngx_http_request_t *r, const char *name,
    const char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = ngx_strlen(value);

    return NGX_OK;
}


/* GET|HEAD|POST /_ping: "OK" with dockerd's headers */

ngx_int_t
ngx_http_sockerless_ping(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_int_t    rc;
    ngx_buf_t   *b;
    ngx_chain_t  out;

    static const char  *headers[][2] = {
        { "Api-Version", NGX_HTTP_SOCKERLESS_API_VERSION },
        { "Builder-Version", "1" },
        { "Docker-Experimental", "false" },
        { "Ostype", "linux" },
        { "Swarm", "inactive" },
        { "Cache-Control", "no-cache, no-store, must-revalidate" },
        { "Pragma", "no-cache" },
    };

    ngx_uint_t  i;

    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        if (ngx_http_sockerless_add_header(r, headers[i][0], headers[i][1])
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/plain; charset=utf-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (r->method == NGX_HTTP_HEAD) {
        r->headers_out.content_length_n = 0;
        r->header_only = 1;
        return ngx_http_send_header(r);
    }

    r->headers_out.content_length_n = 2;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = (u_char *) "OK";
    b->last = b->pos + 2;
    b->memory = 1;
    b->last_buf = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_sockerless_version(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                            *v, *comps, *c, *d, *p;
    struct utsname                    u;
    ngx_http_sockerless_main_conf_t  *smcf;
    char                              be[64];

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    if (uname(&u) == -1) {
        ngx_memzero(&u, sizeof(struct utsname));
    }

    v = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_cpystrn((u_char *) be, smcf->backend_name.data,
                ngx_min(smcf->backend_name.len + 1, sizeof(be)));

    p = cJSON_AddObjectToObject(v, "Platform");
    cJSON_AddStringToObject(p, "Name", "sockerless");

    comps = cJSON_AddArrayToObject(v, "Components");
    c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "Name", "Engine");
    cJSON_AddStringToObject(c, "Version", NGX_HTTP_SOCKERLESS_VERSION);
    d = cJSON_AddObjectToObject(c, "Details");
    cJSON_AddStringToObject(d, "ApiVersion", NGX_HTTP_SOCKERLESS_API_VERSION);
    cJSON_AddStringToObject(d, "MinAPIVersion",
                            NGX_HTTP_SOCKERLESS_API_MIN_VERSION);
    cJSON_AddStringToObject(d, "Backend", be);
    cJSON_AddStringToObject(d, "Os", "linux");
    cJSON_AddStringToObject(d, "Arch", "amd64");
    cJSON_AddStringToObject(d, "KernelVersion", u.release);
    cJSON_AddItemToArray(comps, c);

    cJSON_AddStringToObject(v, "Version", NGX_HTTP_SOCKERLESS_VERSION);
    cJSON_AddStringToObject(v, "ApiVersion", NGX_HTTP_SOCKERLESS_API_VERSION);
    cJSON_AddStringToObject(v, "MinAPIVersion",
                            NGX_HTTP_SOCKERLESS_API_MIN_VERSION);
    cJSON_AddStringToObject(v, "GitCommit", "");
    cJSON_AddStringToObject(v, "GoVersion", "");
    cJSON_AddStringToObject(v, "Os", "linux");
    cJSON_AddStringToObject(v, "Arch", "amd64");
    cJSON_AddStringToObject(v, "KernelVersion", u.release);
    cJSON_AddStringToObject(v, "BuildTime", "");

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, v);
}


typedef struct {
    ngx_uint_t  all;
    ngx_uint_t  running;
    ngx_uint_t  paused;
    ngx_uint_t  stopped;
    ngx_uint_t  images;
} ngx_http_sockerless_counts_t;


static ngx_int_t
ngx_http_sockerless_count_containers(void *data, const char *key,
    cJSON *rec)
{
    ngx_http_sockerless_counts_t *n = data;

    cJSON  *state;

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    n->all++;

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Paused"))) {
        n->paused++;

    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state,
                                                             "Running")))
    {
        n->running++;

    } else {
        n->stopped++;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_count_images(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_counts_t *n = data;

    n->images++;

    return NGX_OK;
}


static void
ngx_http_sockerless_os_name(char *buf, size_t size)
{
    FILE  *f;
    char   line[256], *p, *q;

    snprintf(buf, size, "Linux");

    f = fopen("/etc/os-release", "r");
    if (f == NULL) {
        return;
    }

    while (fgets(line, sizeof(line), f)) {
        if (ngx_strncmp(line, "PRETTY_NAME=", 12) != 0) {
            continue;
        }

        p = line + 12;
        if (*p == '"') {
            p++;
        }

        q = p + ngx_strlen(p);
        while (q > p && (q[-1] == '\n' || q[-1] == '"')) {
            *--q = '\0';
        }

        snprintf(buf, size, "%s", p);
        break;
    }

    fclose(f);
}


ngx_int_t
ngx_http_sockerless_info(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                              *s;
    cJSON                             *i, *meta, *o, *rt;
    struct utsname                     u;
    struct sysinfo                     si;
    ngx_http_sockerless_counts_t       n;
    ngx_http_sockerless_main_conf_t   *smcf;
    char                               id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                               os[128], host[256], now[64];

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    ngx_memzero(&n, sizeof(ngx_http_sockerless_counts_t));

    (void) ngx_http_sockerless_store_scan(r->pool, "c/",
                                   ngx_http_sockerless_count_containers, &n);
    (void) ngx_http_sockerless_store_scan(r->pool, "i/",
                                   ngx_http_sockerless_count_images, &n);

    /* a stable identity for this gateway, made once */

    meta = ngx_http_sockerless_store_get(r->pool, "meta/id");
    if (meta == NULL) {
        ngx_http_sockerless_random_id(id);
        meta = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
        if (meta == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddStringToObject(meta, "ID", id);
        (void) ngx_http_sockerless_store_put("meta/id", meta);
    }

    if (uname(&u) == -1) {
        ngx_memzero(&u, sizeof(struct utsname));
    }

    if (sysinfo(&si) == -1) {
        ngx_memzero(&si, sizeof(struct sysinfo));
    }

    if (gethostname(host, sizeof(host)) == -1) {
        ngx_cpystrn((u_char *) host, (u_char *) "localhost", sizeof(host));
    }

    ngx_http_sockerless_os_name(os, sizeof(os));
    ngx_http_sockerless_now(now, sizeof(now));

    i = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (i == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s = (char *) ngx_http_sockerless_json_str(meta, "ID");
    cJSON_AddStringToObject(i, "ID", s ? s : "");
    cJSON_AddNumberToObject(i, "Containers", n.all);
    cJSON_AddNumberToObject(i, "ContainersRunning", n.running);
    cJSON_AddNumberToObject(i, "ContainersPaused", n.paused);
    cJSON_AddNumberToObject(i, "ContainersStopped", n.stopped);
    cJSON_AddNumberToObject(i, "Images", n.images);
    cJSON_AddStringToObject(i, "Driver", "overlay2");
    cJSON_AddArrayToObject(i, "DriverStatus");

    o = cJSON_AddObjectToObject(i, "Plugins");
    cJSON_AddArrayToObject(o, "Volume");
    cJSON_AddArrayToObject(o, "Network");
    cJSON_AddArrayToObject(o, "Authorization");
    cJSON_AddArrayToObject(o, "Log");

    cJSON_AddFalseToObject(i, "MemoryLimit");
    cJSON_AddFalseToObject(i, "SwapLimit");
    cJSON_AddFalseToObject(i, "CpuCfsPeriod");
    cJSON_AddFalseToObject(i, "CpuCfsQuota");
    cJSON_AddFalseToObject(i, "IPv4Forwarding");
    cJSON_AddFalseToObject(i, "Debug");
    cJSON_AddNumberToObject(i, "NFd", 0);
    cJSON_AddFalseToObject(i, "OomKillDisable");
    cJSON_AddNumberToObject(i, "NGoroutines", 0);
    cJSON_AddStringToObject(i, "SystemTime", now);
    cJSON_AddStringToObject(i, "LoggingDriver", "local");
    cJSON_AddStringToObject(i, "CgroupDriver", "none");
    cJSON_AddStringToObject(i, "CgroupVersion", "2");
    cJSON_AddNumberToObject(i, "NEventsListener", 0);
    cJSON_AddStringToObject(i, "KernelVersion", u.release);
    cJSON_AddStringToObject(i, "OperatingSystem", os);
    cJSON_AddStringToObject(i, "OSVersion", "");
    cJSON_AddStringToObject(i, "OSType", "linux");
    cJSON_AddStringToObject(i, "Architecture", u.machine);
    cJSON_AddNumberToObject(i, "NCPU", ngx_ncpu);
    cJSON_AddNumberToObject(i, "MemTotal",
                            (double) si.totalram * si.mem_unit);
    cJSON_AddStringToObject(i, "IndexServerAddress",
                            "https://index.docker.io/v1/");

    o = cJSON_AddObjectToObject(i, "RegistryConfig");
    cJSON_AddArrayToObject(o, "InsecureRegistryCIDRs");
    cJSON_AddObjectToObject(o, "IndexConfigs");
    cJSON_AddArrayToObject(o, "Mirrors");

    s = ngx_http_sockerless_cstr(r->pool, &smcf->data_dir);
    cJSON_AddStringToObject(i, "DockerRootDir", s ? s : "");
    cJSON_AddStringToObject(i, "Name", host);
    cJSON_AddArrayToObject(i, "Labels");
    cJSON_AddFalseToObject(i, "ExperimentalBuild");
    cJSON_AddStringToObject(i, "ServerVersion", NGX_HTTP_SOCKERLESS_VERSION);

    rt = cJSON_AddObjectToObject(i, "Runtimes");
    o = cJSON_AddObjectToObject(rt, "sockerless-agent");
    s = ngx_http_sockerless_cstr(r->pool, &smcf->agent_path);
    cJSON_AddStringToObject(o, "path", s ? s : "");
    cJSON_AddStringToObject(i, "DefaultRuntime", "sockerless-agent");

    o = cJSON_AddObjectToObject(i, "Swarm");
    cJSON_AddStringToObject(o, "NodeID", "");
    cJSON_AddStringToObject(o, "NodeAddr", "");
    cJSON_AddStringToObject(o, "LocalNodeState", "inactive");
    cJSON_AddFalseToObject(o, "ControlAvailable");
    cJSON_AddStringToObject(o, "Error", "");
    cJSON_AddNullToObject(o, "RemoteManagers");

    cJSON_AddFalseToObject(i, "LiveRestoreEnabled");
    cJSON_AddStringToObject(i, "Isolation", "");
    cJSON_AddStringToObject(i, "InitBinary", "");
    cJSON_AddArrayToObject(i, "SecurityOptions");
    cJSON_AddArrayToObject(i, "Warnings");

    o = cJSON_AddObjectToObject(i, "Sockerless");
    s = ngx_http_sockerless_cstr(r->pool, &smcf->backend_name);
    cJSON_AddStringToObject(o, "Backend", s ? s : "");

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, i);
}


/*
 * an image reference without its tag or digest, in its familiar form
 * (dockerd's stripTag: "docker.io/library/busybox:1" is "busybox")
 */

static const char *
ngx_http_sockerless_events_strip(char *buf, size_t size, const char *ref)
{
    char  *p, *slash;

    if (ngx_strncmp(ref, "sha256:", 7) == 0 || ngx_strlen(ref) >= size) {
        return ref;
    }

    ngx_cpystrn((u_char *) buf, (u_char *) ref, size);

    p = strchr(buf, '@');
    if (p) {
        *p = '\0';
    }

    slash = strrchr(buf, '/');
    p = strrchr(slash ? slash : buf, ':');
    if (p) {
        *p = '\0';
    }

    p = buf;

    if (ngx_strncmp(p, "docker.io/", 10) == 0) {
        p += 10;

    } else if (ngx_strncmp(p, "index.docker.io/", 16) == 0) {
        p += 16;
    }

    if (p != buf && ngx_strncmp(p, "library/", 8) == 0
        && strchr(p + 8, '/') == NULL)
    {
        p += 8;
    }

    return p;
}


/* GET /events: dockerd's events.Filter.Include, test by test */

static ngx_int_t
ngx_http_sockerless_events_match(sls_filters_t *filters, cJSON *ev)
{
    cJSON       *actor, *attrs;
    size_t       i;
    ngx_uint_t   fuzzy;
    const char  *v, *type, *action, *id, *name, *image;
    char         b1[512], b2[512];

    static const char  *named[] = {
        "daemon", "container", "plugin", "volume", "network", "node",
        "service", "secret", "config", NULL
    };

    type = ngx_http_sockerless_json_str(ev, "Type");
    action = ngx_http_sockerless_json_str(ev, "Action");
    actor = cJSON_GetObjectItemCaseSensitive(ev, "Actor");
    attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
    id = ngx_http_sockerless_json_str(actor, "ID");
    name = ngx_http_sockerless_json_str(attrs, "name");

    type = type ? type : "";
    action = action ? action : "";
    id = id ? id : "";
    name = name ? name : "";

    /*
     * "event": exact, unless one of the values is health_status,
     * exec_create or exec_start without their ": ..." (then a prefix)
     */

    fuzzy = 0;

    for (i = 0; (v = sls_filters_value(filters, "event", i)); i++) {
        if (ngx_strcmp(v, "health_status") == 0
            || ngx_strcmp(v, "exec_create") == 0
            || ngx_strcmp(v, "exec_start") == 0)
        {
            fuzzy = 1;
        }
    }

    if (!(fuzzy ? sls_filters_match_prefix(filters, "event", action)
                : sls_filters_match_exact(filters, "event", action))
        || !sls_filters_match_exact(filters, "type", type)
        || (sls_filters_count(filters, "scope")
            && !sls_filters_match_exact(filters, "scope", "local")))
    {
        return 0;
    }

    /* the id or the "name" attribute starts with a value, whatever type */

    for (i = 0; named[i]; i++) {
        if (!sls_filters_match_prefix(filters, named[i], id)
            && !sls_filters_match_prefix(filters, named[i], name))
        {
            return 0;
        }
    }

    /* the image: an image event's id or name, a container's "image" */

    if (sls_filters_count(filters, "image")) {
        image = ngx_http_sockerless_json_str(attrs,
                                ngx_strcmp(type, "image") == 0 ? "name"
                                                               : "image");
        image = image ? image : "";

        if (!sls_filters_match_exact(filters, "image", id)
            && !sls_filters_match_exact(filters, "image", image)
            && !sls_filters_match_exact(filters, "image",
                     ngx_http_sockerless_events_strip(b1, sizeof(b1), id))
            && !sls_filters_match_exact(filters, "image",
                     ngx_http_sockerless_events_strip(b2, sizeof(b2),
                                                      image)))
        {
            return 0;
        }
    }

    return sls_filters_count(filters, "label") == 0
           || sls_filters_match_label(filters, "label", attrs);
}


static ngx_int_t
ngx_http_sockerless_events_scan(void *data, const char *key, cJSON *ev)
{
    ngx_http_sockerless_events_t *es = data;

    u_char       *p;
    size_t        len;
    double        t;
    uint64_t      seq;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    seq = (uint64_t) cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(ev, "_seq"));

    if (seq <= es->last) {
        return NGX_OK;
    }

    es->last = seq;

    t = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ev,
                                                              "timeNano"))
        / 1e9;

    if (t + 0.001 < es->since || (es->until > 0 && t > es->until)) {
        return NGX_OK;
    }

    if (es->filters && !ngx_http_sockerless_events_match(es->filters, ev)) {
        return NGX_OK;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(ev, "_seq");

    {
        cJSON       *raw;
        const char  *nano;
        u_char       num[32];

        /* Go reads these as int64: no exponent, every digit exact */

        nano = ngx_http_sockerless_json_str(ev, "_nano");
        if (nano) {
            raw = cJSON_CreateRaw(nano);
            if (raw) {
                cJSON_ReplaceItemInObjectCaseSensitive(ev, "timeNano", raw);
            }
        }

        ngx_sprintf(num, "%T%Z", (time_t) t);
        raw = cJSON_CreateRaw((char *) num);
        if (raw) {
            cJSON_ReplaceItemInObjectCaseSensitive(ev, "time", raw);
        }

        cJSON_DeleteItemFromObjectCaseSensitive(ev, "_nano");
    }

    p = ngx_http_sockerless_json_print(es->pool, ev, &len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b = ngx_create_temp_buf(es->request->pool, len + 1);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, p, len);
    *b->last++ = '\n';
    b->flush = 1;

    out.buf = b;
    out.next = NULL;

    if (ngx_http_output_filter(es->request, &out) == NGX_ERROR) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_events_send(ngx_http_sockerless_events_t *es)
{
    ngx_int_t    rc;
    ngx_pool_t  *pool;

    /* a pool per pass: a long stream must not grow the request's */

    pool = ngx_create_pool(4096, es->request->connection->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    es->pool = pool;

    rc = ngx_http_sockerless_store_scan(pool, "ev/",
                                        ngx_http_sockerless_events_scan, es);
    es->pool = NULL;
    ngx_destroy_pool(pool);

    return rc;
}


static void
ngx_http_sockerless_events_end(ngx_http_sockerless_events_t *es)
{
    if (es->done) {
        return;
    }

    es->done = 1;

    ngx_http_sockerless_store_unwatch(&es->watch);

    if (es->timer.timer_set) {
        ngx_del_timer(&es->timer);
    }

    ngx_http_finalize_request(es->request,
                              ngx_http_send_special(es->request,
                                                    NGX_HTTP_LAST));
}


static void
ngx_http_sockerless_events_watch(ngx_http_sockerless_watch_t *w)
{
    ngx_http_sockerless_events_t *es = w->data;

    if (es->done) {
        return;
    }

    if (es->request->connection->error
        || ngx_http_sockerless_events_send(es) != NGX_OK)
    {
        es->done = 1;
        ngx_http_sockerless_store_unwatch(&es->watch);
        ngx_http_finalize_request(es->request, NGX_ERROR);
    }
}


static void
ngx_http_sockerless_events_timer(ngx_event_t *ev)
{
    ngx_http_sockerless_events_t *es = ev->data;

    (void) ngx_http_sockerless_events_send(es);
    ngx_http_sockerless_events_end(es);
}


static void
ngx_http_sockerless_events_cleanup(void *data)
{
    ngx_http_sockerless_events_t *es = data;

    ngx_http_sockerless_store_unwatch(&es->watch);

    if (es->timer.timer_set) {
        ngx_del_timer(&es->timer);
    }
}


ngx_int_t
ngx_http_sockerless_events(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    double                         now;
    uint64_t                       ns;
    ngx_int_t                      rc;
    ngx_str_t                      s;
    ngx_pool_cleanup_t            *cln;
    ngx_http_sockerless_events_t  *es;
    char                           err[256];

    static const char  *known[] = {
        "type", "event", "container", "image", "label", "scope", "daemon",
        "network", "volume", "plugin", "node", "service", "secret",
        "config", NULL
    };

    es = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_events_t));
    if (es == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    es->request = r;

    if (ngx_http_sockerless_arg(r, "filters", &s) == NGX_OK && s.len) {
        es->filters = ngx_http_sockerless_filters(r, &s, known, err,
                                                  sizeof(err));
        if (es->filters == NULL) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }
    }

    now = (double) ngx_time();
    es->since = now;

    rc = ngx_http_sockerless_arg_time(r, "since", &ns, err, sizeof(err));

    if (rc == NGX_OK) {
        es->since = ns / 1e9;
    }

    if (rc != NGX_ERROR) {
        rc = ngx_http_sockerless_arg_time(r, "until", &ns, err, sizeof(err));

        if (rc == NGX_OK) {
            es->until = ns / 1e9;
        }
    }

    if (rc == NGX_ERROR) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "%s", err);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_sockerless_events_cleanup;
    cln->data = es;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_events_send(es) != NGX_OK) {
        return NGX_ERROR;
    }

    if (es->until > 0 && es->until <= now) {
        return ngx_http_send_special(r, NGX_HTTP_LAST);
    }

    es->watch.handler = ngx_http_sockerless_events_watch;
    es->watch.data = es;

    if (ngx_http_sockerless_store_watch(&es->watch) != NGX_OK) {
        return NGX_ERROR;
    }

    if (es->until > 0) {
        es->timer.handler = ngx_http_sockerless_events_timer;
        es->timer.data = es;
        es->timer.log = r->connection->log;
        ngx_add_timer(&es->timer, (ngx_msec_t) ((es->until - now) * 1000));
    }

    r->read_event_handler = ngx_http_test_reading;
    r->connection->idle = 1;
    r->main->count++;

    return NGX_DONE;
}


/*
 * POST /build: sockerless has no builder (neither dockerd's classic one
 * nor BuildKit's session); an image built elsewhere comes in by pull or
 * load
 */

ngx_int_t
ngx_http_sockerless_build(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_http_discard_request_body(r);

    return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                 "building images is not supported by sockerless: build "
                 "with a builder of your own (docker buildx, kaniko, "
                 "buildah), push the image to a registry and pull it, or "
                 "docker load it");
}


/*
 * POST /build/prune (docker builder prune, docker system prune): with
 * no builder there is no build cache, so nothing is deleted; the
 * filters are still checked as dockerd checks them
 */

ngx_int_t
ngx_http_sockerless_build_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON      *out;
    ngx_str_t   fs;
    char        err[256];

    static const char  *known[] = {
        "until", "unused-for", "id", "parent", "type", "description",
        "inuse", "shared", "private", "reserved-space", "max-used-space",
        "min-free-space", NULL
    };

    ngx_http_discard_request_body(r);

    if (ngx_http_sockerless_arg(r, "filters", &fs) == NGX_OK && fs.len
        && ngx_http_sockerless_filters(r, &fs, known, err, sizeof(err))
           == NULL)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              err);
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddNullToObject(out, "CachesDeleted");
    cJSON_AddNumberToObject(out, "SpaceReclaimed", 0);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}
