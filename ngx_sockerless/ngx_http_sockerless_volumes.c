
/*
 * Copyright (C) sockerless contributors
 *
 * Volumes with the "local" driver: a record "v/<name>" in the store and a
 * directory <data>/volumes/<name>/_data that containers bind. Create,
 * list, inspect, remove (409 while a container uses it) and prune.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_containers.h>
#include <sls_filters.h>


#define SLS_ANONYMOUS_LABEL  "com.docker.volume.anonymous"


static ngx_int_t ngx_http_sockerless_volume_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_volume_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_volume_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_volume_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_volume_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_volume_users(ngx_pool_t *pool,
    const char *name, cJSON *ids);
static ngx_int_t ngx_http_sockerless_volume_remove(ngx_pool_t *pool,
    cJSON *vol, off_t *size);
static cJSON *ngx_http_sockerless_volume_public(cJSON *v);
static cJSON *ngx_http_sockerless_volume_of(ngx_http_request_t *r,
    ngx_str_t *id);


ngx_http_sockerless_route_t  ngx_http_sockerless_volume_routes[] = {

    { NGX_HTTP_POST, ngx_string("/volumes/create"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_volume_create },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/volumes"),
      ngx_null_string, 0,
      ngx_http_sockerless_volume_list },

    { NGX_HTTP_POST, ngx_string("/volumes/prune"),
      ngx_null_string, 0,
      ngx_http_sockerless_volume_prune },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/volumes/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_volume_inspect },

    { NGX_HTTP_DELETE, ngx_string("/volumes/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_volume_delete },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* dockerd's local driver: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */

ngx_int_t
ngx_http_sockerless_volume_name_ok(const u_char *p, size_t len)
{
    size_t  i;

    if (len < 2 || len > 255 || !isalnum(p[0])) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if (!isalnum(p[i]) && p[i] != '_' && p[i] != '.' && p[i] != '-') {
            return 0;
        }
    }

    return 1;
}


static ngx_int_t
ngx_http_sockerless_volume_new(void *data, cJSON **value)
{
    cJSON  *v = data;

    if (*value != NULL) {
        /* dockerd answers with the volume that is there */
        return NGX_DECLINED;
    }

    *value = v;

    return NGX_OK;
}


/*
 * The volume named name, made if missing (a bind of a name makes it, as
 * dockerd does); NULL on failure. Its record is bound to pool.
 */

cJSON *
ngx_http_sockerless_volume_get(ngx_pool_t *pool, const char *name,
    cJSON *labels, ngx_uint_t anonymous, ngx_uint_t create)
{
    char                             *key, *dir;
    cJSON                            *v, *sls;
    size_t                            len;
    char                              now[64];
    ngx_http_sockerless_main_conf_t  *smcf;

    len = ngx_strlen(name);

    key = ngx_pnalloc(pool, len + 3);
    if (key == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "v/%s%Z", name);

    v = ngx_http_sockerless_store_get(pool, key);
    if (v || !create) {
        return v;
    }

    smcf = ngx_http_sockerless_conf();

    dir = ngx_pnalloc(pool, smcf->data_dir.len + len + 32);
    if (dir == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) dir, "%V/volumes%Z", &smcf->data_dir);
    (void) ngx_create_dir(dir, 0700);
    ngx_sprintf((u_char *) dir, "%V/volumes/%s%Z", &smcf->data_dir, name);
    (void) ngx_create_dir(dir, 0700);
    ngx_sprintf((u_char *) dir, "%V/volumes/%s/_data%Z", &smcf->data_dir,
                name);

    if (ngx_create_dir(dir, 0755) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", dir);
        return NULL;
    }

    v = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (v == NULL) {
        return NULL;
    }

    ngx_http_sockerless_now(now, sizeof(now));

    cJSON_AddStringToObject(v, "CreatedAt", now);
    cJSON_AddStringToObject(v, "Driver", "local");
    cJSON_AddItemToObject(v, "Labels", labels ? cJSON_Duplicate(labels, 1)
                                              : cJSON_CreateObject());

    if (anonymous) {
        /* dockerd labels a volume made without a name */
        sls = cJSON_GetObjectItemCaseSensitive(v, "Labels");
        cJSON_DeleteItemFromObjectCaseSensitive(sls, SLS_ANONYMOUS_LABEL);
        cJSON_AddStringToObject(sls, SLS_ANONYMOUS_LABEL, "");
    }
    cJSON_AddStringToObject(v, "Mountpoint", dir);
    cJSON_AddStringToObject(v, "Name", name);
    cJSON_AddObjectToObject(v, "Options");
    cJSON_AddStringToObject(v, "Scope", "local");
    sls = cJSON_AddObjectToObject(v, "_sls");
    cJSON_AddBoolToObject(sls, "anonymous", anonymous);

    switch (ngx_http_sockerless_store_update(pool, key,
                                             ngx_http_sockerless_volume_new,
                                             v))
    {
    case NGX_OK:
        (void) ngx_http_sockerless_event_kv("volume", "create", name,
                                            "driver", "local", NULL);
        return v;

    case NGX_DECLINED:
        /* another request made it first */
        return ngx_http_sockerless_store_get(pool, key);

    default:
        return NULL;
    }
}


static cJSON *
ngx_http_sockerless_volume_public(cJSON *v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(v, "_sls");

    return v;
}


static ngx_int_t
ngx_http_sockerless_volume_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON       *body, *labels, *opts, *v;
    const char  *name, *driver;
    char         id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];

    body = args->body;
    name = body ? cJSON_GetStringValue(cJSON_GetObjectItem(body, "Name"))
                : NULL;
    driver = body ? cJSON_GetStringValue(cJSON_GetObjectItem(body, "Driver"))
                  : NULL;
    labels = body ? cJSON_GetObjectItem(body, "Labels") : NULL;
    opts = body ? cJSON_GetObjectItem(body, "DriverOpts") : NULL;

    if (driver && *driver && ngx_strcmp(driver, "local") != 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                              "error looking up volume plugin %s: plugin "
                              "\"%s\" not found", driver, driver);
    }

    if (cJSON_IsObject(opts) && opts->child) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "create %s: the local driver of sockerless "
                              "takes no options (type, device, o): it "
                              "does not mount filesystems",
                              name ? name : "");
    }

    if (labels && !cJSON_IsObject(labels) && !cJSON_IsNull(labels)) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "invalid JSON: Labels must be an object");
    }

    if (name == NULL || *name == '\0') {
        ngx_http_sockerless_random_id(id);
        name = id;

    } else if (!ngx_http_sockerless_volume_name_ok((u_char *) name,
                                                   ngx_strlen(name)))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "create %s: \"%s\" includes invalid characters "
                              "for a local volume name, only "
                              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
                              "you intended to pass a host directory, use "
                              "absolute path", name, name);
    }

    v = ngx_http_sockerless_volume_get(r->pool, name,
                                       cJSON_IsObject(labels) ? labels : NULL,
                                       name == id, 1);
    if (v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_CREATED,
                                 ngx_http_sockerless_volume_public(v));
}


typedef struct {
    ngx_pool_t         *pool;
    cJSON              *out;
    sls_filters_t      *filters;
    ngx_int_t           dangling;     /* -1: either */
    ngx_uint_t          all;          /* prune: named ones too */
    ngx_uint_t          prune;
    off_t               space;
} ngx_http_sockerless_vscan_t;


static ngx_int_t
ngx_http_sockerless_volume_each(void *data, const char *key, cJSON *v)
{
    ngx_http_sockerless_vscan_t *vs = data;

    cJSON       *users, *sls;
    off_t        size;
    ngx_int_t    used;
    const char  *name, *driver;

    name = ngx_http_sockerless_json_str(v, "Name");
    driver = ngx_http_sockerless_json_str(v, "Driver");

    if (name == NULL) {
        return NGX_OK;
    }

    if (vs->filters) {
        if (sls_filters_has(vs->filters, "name")) {
            size_t  i, n;

            n = sls_filters_count(vs->filters, "name");

            for (i = 0; i < n; i++) {
                /* dockerd: a part of the name will do */
                if (ngx_strstr(name, sls_filters_value(vs->filters, "name",
                                                       i)))
                {
                    break;
                }
            }

            if (i == n) {
                return NGX_OK;
            }
        }

        if (!sls_filters_match_exact(vs->filters, "driver", driver)
            || !sls_filters_match_label(vs->filters, "label",
                                        cJSON_GetObjectItem(v, "Labels")))
        {
            return NGX_OK;
        }
    }

    /* who uses it is a scan of the containers: only when it matters */

    used = NGX_DECLINED;

    if (vs->prune || vs->dangling != -1) {
        users = cJSON_CreateArray();
        if (users == NULL) {
            return NGX_ERROR;
        }

        used = ngx_http_sockerless_volume_users(vs->pool, name, users);
        cJSON_Delete(users);

        if (used == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (vs->dangling != -1 && (used == NGX_OK) == (vs->dangling == 1)) {
        return NGX_OK;
    }

    if (vs->prune) {
        sls = cJSON_GetObjectItemCaseSensitive(v, "_sls");

        if (used == NGX_OK
            || (!vs->all
                && !cJSON_IsTrue(cJSON_GetObjectItem(sls, "anonymous"))
                && !cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItem(v, "Labels"),
                        SLS_ANONYMOUS_LABEL)))
        {
            return NGX_OK;
        }

        size = 0;

        if (ngx_http_sockerless_volume_remove(vs->pool, v, &size) == NGX_OK) {
            vs->space += size;
            cJSON_AddItemToArray(vs->out, cJSON_CreateString(name));
        }

        return NGX_OK;
    }

    v = ngx_http_sockerless_volume_public(v);
    cJSON_AddItemToArray(vs->out, cJSON_Duplicate(v, 1));

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_volume_scan_args(ngx_http_request_t *r,
    ngx_http_sockerless_vscan_t *vs, const char *const *allowed)
{
    int        b;
    char       err[256];
    ngx_str_t  s;

    vs->pool = r->pool;
    vs->dangling = -1;

    if (ngx_http_sockerless_arg(r, "filters", &s) != NGX_OK || s.len == 0) {
        return NGX_OK;
    }

    vs->filters = ngx_http_sockerless_filters(r, &s, allowed, err,
                                              sizeof(err));
    if (vs->filters == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              err);
    }

    if (sls_filters_has(vs->filters, "dangling")) {
        if (sls_filters_bool(vs->filters, "dangling", 0, &b, err,
                             sizeof(err)) != 0)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        vs->dangling = b;
    }

    if (sls_filters_has(vs->filters, "all")) {
        if (sls_filters_bool(vs->filters, "all", 0, &b, err, sizeof(err))
            != 0)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        vs->all = b;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_volume_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *out;
    ngx_int_t                     rc;
    ngx_http_sockerless_vscan_t   vs;

    static const char  *allowed[] = {
        "name", "driver", "label", "dangling", NULL
    };

    ngx_memzero(&vs, sizeof(ngx_http_sockerless_vscan_t));

    rc = ngx_http_sockerless_volume_scan_args(r, &vs, allowed);
    if (rc != NGX_OK) {
        return rc;
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    vs.out = cJSON_AddArrayToObject(out, "Volumes");
    cJSON_AddArrayToObject(out, "Warnings");

    if (ngx_http_sockerless_store_scan(r->pool, "v/",
                                       ngx_http_sockerless_volume_each, &vs)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/* the volume a request names, or NULL (a name no volume can have too) */

static cJSON *
ngx_http_sockerless_volume_of(ngx_http_request_t *r, ngx_str_t *id)
{
    char  *name;

    if (!ngx_http_sockerless_volume_name_ok(id->data, id->len)) {
        return NULL;
    }

    name = ngx_http_sockerless_cstr(r->pool, id);
    if (name == NULL) {
        return NULL;
    }

    return ngx_http_sockerless_volume_get(r->pool, name, NULL, 0, 0);
}


static ngx_int_t
ngx_http_sockerless_volume_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON  *v;

    v = ngx_http_sockerless_volume_of(r, &args->id);

    if (v == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "get %V: no such volume",
                                              &args->id);
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK,
                                 ngx_http_sockerless_volume_public(v));
}


/* containers whose binds name the volume: NGX_OK if any (ids filled) */

typedef struct {
    const char  *name;
    size_t       len;
    cJSON       *ids;
} ngx_http_sockerless_vuse_t;


static ngx_int_t
ngx_http_sockerless_volume_user(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_vuse_t *vu = data;

    cJSON       *b;
    const char  *id, *s;

    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(rec, "Mounts")) {
        s = ngx_http_sockerless_json_str(b, "Name");

        if (s && ngx_strcmp(s, vu->name) == 0) {
            id = ngx_http_sockerless_json_str(rec, "Id");
            cJSON_AddItemToArray(vu->ids, cJSON_CreateString(id ? id : ""));
            return NGX_OK;
        }
    }

    cJSON_ArrayForEach(b, cJSON_GetObjectItem(
                              cJSON_GetObjectItemCaseSensitive(rec,
                                                               "HostConfig"),
                              "Binds"))
    {
        if (cJSON_IsString(b)
            && ngx_strncmp(b->valuestring, vu->name, vu->len) == 0
            && b->valuestring[vu->len] == ':')
        {
            id = ngx_http_sockerless_json_str(rec, "Id");
            cJSON_AddItemToArray(vu->ids, cJSON_CreateString(id ? id : ""));
            break;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_volume_users(ngx_pool_t *pool, const char *name,
    cJSON *ids)
{
    ngx_http_sockerless_vuse_t  vu;

    vu.name = name;
    vu.len = ngx_strlen(name);
    vu.ids = ids;

    if (ngx_http_sockerless_store_scan(pool, "c/",
                                       ngx_http_sockerless_volume_user, &vu)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return cJSON_GetArraySize(ids) ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_sockerless_volume_remove(ngx_pool_t *pool, cJSON *v, off_t *size)
{
    char        *key, *dir, *slash;
    const char  *name, *mp;

    name = ngx_http_sockerless_json_str(v, "Name");
    mp = ngx_http_sockerless_json_str(v, "Mountpoint");

    if (name == NULL || mp == NULL) {
        return NGX_ERROR;
    }

    /* the volume's own directory: Mountpoint without its "/_data" */

    dir = ngx_pnalloc(pool, ngx_strlen(mp) + 1);
    key = ngx_pnalloc(pool, ngx_strlen(name) + 3);
    if (dir == NULL || key == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) dir, (u_char *) mp, ngx_strlen(mp) + 1);

    slash = strrchr(dir, '/');
    if (slash && ngx_strcmp(slash, "/_data") == 0) {
        *slash = '\0';
    }

    ngx_sprintf((u_char *) key, "v/%s%Z", name);

    if (ngx_http_sockerless_store_del(key) != NGX_OK) {
        return NGX_ERROR;
    }

    *size = ngx_http_sockerless_du(pool, dir);
    ngx_http_sockerless_rm_rf(dir);

    (void) ngx_http_sockerless_event_kv("volume", "destroy", name,
                                        "driver", "local", NULL);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_volume_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    off_t        size;
    cJSON       *v, *ids;
    char        *name, *list;
    ngx_int_t    force;

    force = ngx_http_sockerless_arg_bool(r, "force", 0);

    v = ngx_http_sockerless_volume_of(r, &args->id);

    if (v == NULL) {
        if (force) {
            return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "get %V: no such volume",
                                              &args->id);
    }

    name = (char *) ngx_http_sockerless_json_str(v, "Name");

    ids = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (ids == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ngx_http_sockerless_volume_users(r->pool, name, ids)) {

    case NGX_OK:
        /* dockerd, even with force: "... in use - [id1 id2]" (Go's %v) */
        list = ngx_pnalloc(r->pool, cJSON_GetArraySize(ids)
                                    * (NGX_HTTP_SOCKERLESS_ID_LEN + 1) + 1);
        if (list == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        {
            u_char  *q;
            cJSON   *e;

            q = (u_char *) list;

            cJSON_ArrayForEach(e, ids) {
                q = ngx_sprintf(q, "%s%s", q == (u_char *) list ? "" : " ",
                                e->valuestring);
            }

            *q = '\0';
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                   "remove %s: volume is in use - [%s]",
                                   name, list);

    case NGX_DECLINED:
        break;

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_volume_remove(r->pool, v, &size) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


static ngx_int_t
ngx_http_sockerless_volume_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *out;
    ngx_int_t                     rc;
    ngx_http_sockerless_vscan_t   vs;
    char                          num[NGX_OFF_T_LEN + 1];

    static const char  *allowed[] = { "label", "all", NULL };

    ngx_memzero(&vs, sizeof(ngx_http_sockerless_vscan_t));

    rc = ngx_http_sockerless_volume_scan_args(r, &vs, allowed);
    if (rc != NGX_OK) {
        return rc;
    }

    /* since API 1.42 only anonymous volumes, unless all=true */
    if (args->api_minor < 42) {
        vs.all = 1;
    }

    vs.prune = 1;

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    vs.out = cJSON_AddArrayToObject(out, "VolumesDeleted");

    if (ngx_http_sockerless_store_scan(r->pool, "v/",
                                       ngx_http_sockerless_volume_each, &vs)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddNumberToObject(out, "SpaceReclaimed", (double) vs.space);

    ngx_sprintf((u_char *) num, "%O%Z", vs.space);
    (void) ngx_http_sockerless_event_kv("volume", "prune", "", "reclaimed",
                                        num, NULL);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/*
 * Mount points of a new container, as dockerd's registerMountPoints()
 * and createContainerOSSpecificSettings() make them: VolumesFrom first,
 * then Binds, then Mounts (a target twice among these two is a 400), then
 * Config.Volumes (the image's merged in) where nothing is mounted yet.
 * Each point is an object with the fields of inspect's "Mounts" and
 * private ones: "_anon" (no source was given: rm -v removes the volume),
 * "_copy" (the image's content goes into an empty volume), "_labels",
 * "_size" and "_mode" (tmpfs).
 */

typedef struct {
    ngx_pool_t         *pool;
    cJSON              *points;       /* destination -> point */
    ngx_uint_t          status;
    char               *err;
    size_t              size;
} ngx_http_sockerless_mnt_t;


static ngx_int_t
ngx_http_sockerless_mnt_fail(ngx_http_sockerless_mnt_t *m, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   ap;

    m->status = status;

    va_start(ap, fmt);
    p = ngx_vslprintf((u_char *) m->err, (u_char *) m->err + m->size - 1,
                      fmt, ap);
    va_end(ap);

    *p = '\0';

    return NGX_DECLINED;
}


/* Go's filepath.Clean for an absolute path, into pool */

static char *
ngx_http_sockerless_mnt_clean(ngx_pool_t *pool, const char *path)
{
    char    *out, *q;
    size_t   len;

    len = ngx_strlen(path);

    out = ngx_pnalloc(pool, len + 2);
    if (out == NULL) {
        return NULL;
    }

    q = out;
    *q++ = '/';

    while (*path) {
        while (*path == '/') {
            path++;
        }

        if (*path == '\0') {
            break;
        }

        len = strcspn(path, "/");

        if (len == 1 && path[0] == '.') {
            path += len;
            continue;
        }

        if (len == 2 && path[0] == '.' && path[1] == '.') {
            while (q > out + 1 && *--q != '/') { /* void */ }

            if (q == out) {
                q++;
            }

            path += len;
            continue;
        }

        if (q > out + 1) {
            *q++ = '/';
        }

        ngx_memcpy(q, path, len);
        q += len;
        path += len;
    }

    *q = '\0';

    return out;
}


/* dockerd's linux ValidMountMode: a list of known words */

static ngx_int_t
ngx_http_sockerless_mnt_mode_ok(const char *mode)
{
    size_t       len, i;
    const char  *p;

    static const char  *words[] = {
        "rw", "ro", "z", "Z", "shared", "rshared", "slave", "rslave",
        "private", "rprivate", "nocopy", NULL
    };

    if (*mode == '\0') {
        return 1;
    }

    for (p = mode; ; p += len + 1) {
        len = strcspn(p, ",");

        for (i = 0; words[i]; i++) {
            if (ngx_strlen(words[i]) == len
                && ngx_strncmp(words[i], p, len) == 0)
            {
                break;
            }
        }

        if (words[i] == NULL) {
            return 0;
        }

        if (p[len] == '\0') {
            return 1;
        }
    }
}


static ngx_int_t
ngx_http_sockerless_mnt_has(const char *mode, const char *word)
{
    size_t  len, wlen;

    wlen = ngx_strlen(word);

    for ( ;; ) {
        len = strcspn(mode, ",");

        if (len == wlen && ngx_strncmp(mode, word, len) == 0) {
            return 1;
        }

        if (mode[len] == '\0') {
            return 0;
        }

        mode += len + 1;
    }
}


static const char *
ngx_http_sockerless_mnt_propagation(const char *mode)
{
    ngx_uint_t  i;

    static const char  *props[] = {
        "shared", "rshared", "slave", "rslave", "private", "rprivate", NULL
    };

    for (i = 0; props[i]; i++) {
        if (ngx_http_sockerless_mnt_has(mode, props[i])) {
            return props[i];
        }
    }

    return "rprivate";
}


/* a point replaces whatever was mounted at its destination */

static cJSON *
ngx_http_sockerless_mnt_point(ngx_http_sockerless_mnt_t *m, const char *type,
    const char *dst)
{
    cJSON  *p;

    cJSON_DeleteItemFromObjectCaseSensitive(m->points, dst);

    p = cJSON_AddObjectToObject(m->points, dst);
    if (p == NULL) {
        return NULL;
    }

    cJSON_AddStringToObject(p, "Type", type);
    cJSON_AddStringToObject(p, "Name", "");
    cJSON_AddStringToObject(p, "Source", "");
    cJSON_AddStringToObject(p, "Destination", dst);
    cJSON_AddStringToObject(p, "Driver", "");
    cJSON_AddStringToObject(p, "Mode", "");
    cJSON_AddTrueToObject(p, "RW");
    cJSON_AddStringToObject(p, "Propagation", "");

    return p;
}


static void
ngx_http_sockerless_mnt_set(cJSON *p, const char *field, const char *value)
{
    ngx_http_sockerless_json_set(p, field, cJSON_CreateString(value));
}


static ngx_int_t
ngx_http_sockerless_mnt_from(ngx_http_sockerless_mnt_t *m, const char *spec)
{
    char        *ref, *mode;
    cJSON       *rec, *e, *p, *list;
    ngx_str_t    s;
    ngx_uint_t   rw;

    ref = ngx_pnalloc(m->pool, ngx_strlen(spec) + 1);
    if (ref == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) ref, (u_char *) spec, ngx_strlen(spec) + 1);

    rw = 1;
    mode = ngx_strchr(ref, ':');

    if (mode) {
        *mode++ = '\0';

        if (!ngx_http_sockerless_mnt_mode_ok(mode)) {
            return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                                "invalid mode: %s", mode);
        }

        rw = !ngx_http_sockerless_mnt_has(mode, "ro");
    }

    s.data = (u_char *) ref;
    s.len = ngx_strlen(ref);

    rec = ngx_http_sockerless_container_find(m->pool, &s);
    if (rec == NULL) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_NOT_FOUND,
                                            "No such container: %s", ref);
    }

    list = ngx_http_sockerless_mounts_list(m->pool, rec);
    if (list == NULL) {
        return NGX_ERROR;
    }

    /* dockerd copies all but the mode; nothing is copied up again */

    cJSON_ArrayForEach(e, list) {
        p = cJSON_Duplicate(e, 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_http_sockerless_mnt_set(p, "Mode", "");
        ngx_http_sockerless_json_set(p, "_copy", cJSON_CreateFalse());

        if (!rw) {
            ngx_http_sockerless_json_set(p, "RW", cJSON_CreateFalse());
        }

        cJSON_DeleteItemFromObjectCaseSensitive(m->points,
                      ngx_http_sockerless_json_str(p, "Destination"));
        cJSON_AddItemToObject(m->points,
                      ngx_http_sockerless_json_str(p, "Destination"), p);
    }

    return NGX_OK;
}


/* dockerd's linux ParseMountRaw: [source:]target[:mode] */

static ngx_int_t
ngx_http_sockerless_mnt_bind(ngx_http_sockerless_mnt_t *m, const char *raw,
    cJSON *seen)
{
    char        *a[4], *copy, *c;
    cJSON       *p;
    ngx_uint_t   n;
    const char  *src, *dst, *mode, *type;

    copy = ngx_pnalloc(m->pool, ngx_strlen(raw) + 1);
    if (copy == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) copy, (u_char *) raw, ngx_strlen(raw) + 1);

    n = 0;
    a[n++] = copy;

    for (c = copy; *c && n < 4; c++) {
        if (*c == ':') {
            *c = '\0';
            a[n++] = c + 1;
        }
    }

    src = "";
    mode = "";

    switch (n) {

    case 1:
        dst = a[0];
        break;

    case 2:
        if (ngx_http_sockerless_mnt_mode_ok(a[1]) && a[1][0] != '/') {
            dst = a[0];
            mode = a[1];

        } else {
            src = a[0];
            dst = a[1];
        }

        break;

    case 3:
        src = a[0];
        dst = a[1];
        mode = a[2];
        break;

    default:
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid volume specification: '%s'", raw);
    }

    if (!ngx_http_sockerless_mnt_mode_ok(mode)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid mode: %s", mode);
    }

    type = (src[0] == '/') ? "bind" : "volume";

    if (dst[0] != '/') {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid volume specification: '%s': "
                                   "invalid mount config for type \"%s\": "
                                   "invalid mount path: '%s' mount path "
                                   "must be absolute", raw, type, dst);
    }

    dst = ngx_http_sockerless_mnt_clean(m->pool, dst);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    if (ngx_strcmp(dst, "/") == 0) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid volume specification: '%s': "
                                   "invalid mount config for type \"%s\": "
                                   "invalid specification: destination "
                                   "can't be '/'", raw, type);
    }

    if (src[0] != '\0' && src[0] != '/'
        && !ngx_http_sockerless_volume_name_ok((u_char *) src,
                                               ngx_strlen(src)))
    {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                              "create %s: \"%s\" includes invalid characters "
                              "for a local volume name, only "
                              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
                              "you intended to pass a host directory, use "
                              "absolute path", src, src);
    }

    if (cJSON_GetObjectItemCaseSensitive(seen, dst)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "Duplicate mount point: %s", dst);
    }

    cJSON_AddTrueToObject(seen, dst);

    p = ngx_http_sockerless_mnt_point(m, type, dst);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_sockerless_json_set(p, "RW",
                cJSON_CreateBool(!ngx_http_sockerless_mnt_has(mode, "ro")));

    if (src[0] == '/') {
        src = ngx_http_sockerless_mnt_clean(m->pool, src);
        if (src == NULL) {
            return NGX_ERROR;
        }

        ngx_http_sockerless_mnt_set(p, "Source", src);
        ngx_http_sockerless_mnt_set(p, "Mode", mode);
        ngx_http_sockerless_mnt_set(p, "Propagation",
                                ngx_http_sockerless_mnt_propagation(mode));
        return NGX_OK;
    }

    /* a volume, named or not; dockerd's local driver mode is "z" */

    ngx_http_sockerless_mnt_set(p, "Name", src);
    ngx_http_sockerless_mnt_set(p, "Mode", mode[0] ? mode : "z");
    cJSON_AddBoolToObject(p, "_anon", src[0] == '\0');
    cJSON_AddBoolToObject(p, "_copy",
                          !ngx_http_sockerless_mnt_has(mode, "nocopy"));

    return NGX_OK;
}


/* Go's filepath.IsLocal: relative, and no ".." leads out of it */

static ngx_uint_t
ngx_http_sockerless_mnt_local(const char *path)
{
    size_t      len;
    ngx_int_t   depth;

    if (*path == '\0' || *path == '/') {
        return 0;
    }

    depth = 0;

    while (*path) {
        len = strcspn(path, "/");

        if (len == 2 && path[0] == '.' && path[1] == '.') {
            if (--depth < 0) {
                return 0;
            }

        } else if (len && !(len == 1 && path[0] == '.')) {
            depth++;
        }

        path += len;

        while (*path == '/') {
            path++;
        }
    }

    return 1;
}


/* one of HostConfig.Mounts (docker run --mount), as ParseMountSpec */

static ngx_int_t
ngx_http_sockerless_mnt_mount(ngx_http_sockerless_mnt_t *m, cJSON *spec,
    cJSON *seen)
{
    cJSON            *p, *bo, *vo, *to, *dc, *item;
    double            size, mode;
    ngx_uint_t        ro;
    ngx_file_info_t   fi;
    const char       *type, *src, *dst, *drv;

    if (!cJSON_IsObject(spec)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid JSON: a mount must be an object");
    }

    type = ngx_http_sockerless_json_str(spec, "Type");
    src = ngx_http_sockerless_json_str(spec, "Source");
    dst = ngx_http_sockerless_json_str(spec, "Target");
    ro = cJSON_IsTrue(cJSON_GetObjectItem(spec, "ReadOnly"));

    type = type ? type : "";
    src = src ? src : "";
    dst = dst ? dst : "";

    bo = cJSON_GetObjectItem(spec, "BindOptions");
    vo = cJSON_GetObjectItem(spec, "VolumeOptions");
    to = cJSON_GetObjectItem(spec, "TmpfsOptions");
    bo = cJSON_IsObject(bo) ? bo : NULL;
    vo = cJSON_IsObject(vo) ? vo : NULL;
    to = cJSON_IsObject(to) ? to : NULL;

#define sls_mount_fail(msg, ...)                                              \
    return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,              \
                          "invalid mount config for type \"%s\": " msg, type, \
                          ##__VA_ARGS__)

    if (ngx_strcmp(type, "bind") != 0 && ngx_strcmp(type, "volume") != 0
        && ngx_strcmp(type, "tmpfs") != 0)
    {
        sls_mount_fail("mount type unknown");
    }

    if (dst[0] == '\0') {
        sls_mount_fail("field Target must not be empty");
    }

    if (dst[0] != '/') {
        sls_mount_fail("invalid mount path: '%s' mount path must be "
                       "absolute", dst);
    }

    dst = ngx_http_sockerless_mnt_clean(m->pool, dst);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    if (ngx_strcmp(dst, "/") == 0) {
        sls_mount_fail("invalid specification: destination can't be '/'");
    }

    if (ngx_strcmp(type, "bind") == 0) {
        if (vo) {
            sls_mount_fail("field VolumeOptions must not be specified");
        }

        if (to) {
            sls_mount_fail("field TmpfsOptions must not be specified");
        }

        if (src[0] == '\0') {
            sls_mount_fail("field Source must not be empty");
        }

        if (src[0] != '/') {
            sls_mount_fail("invalid mount path: '%s' mount path must be "
                           "absolute", src);
        }

        if (ngx_file_info(src, &fi) == NGX_FILE_ERROR) {
            sls_mount_fail("bind source path does not exist: %s", src);
        }

    } else if (ngx_strcmp(type, "volume") == 0) {
        if (bo) {
            sls_mount_fail("field BindOptions must not be specified");
        }

        if (to) {
            sls_mount_fail("field TmpfsOptions must not be specified");
        }

        if (src[0] == '\0' && ro) {
            sls_mount_fail("must not set ReadOnly mode when using "
                           "anonymous volumes");
        }

        if (src[0] && !ngx_http_sockerless_volume_name_ok((u_char *) src,
                                                          ngx_strlen(src)))
        {
            return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                              "create %s: \"%s\" includes invalid characters "
                              "for a local volume name, only "
                              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
                              "you intended to pass a host directory, use "
                              "absolute path", src, src);
        }

        dc = vo ? cJSON_GetObjectItem(vo, "DriverConfig") : NULL;
        drv = ngx_http_sockerless_json_str(dc, "Name");

        if (drv && *drv && ngx_strcmp(drv, "local") != 0) {
            return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_NOT_FOUND,
                              "error looking up volume plugin %s: plugin "
                              "\"%s\" not found", drv, drv);
        }

        item = dc ? cJSON_GetObjectItem(dc, "Options") : NULL;

        if (cJSON_IsObject(item) && item->child) {
            return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                              "create %s: the local driver of sockerless "
                              "takes no options (type, device, o): it "
                              "does not mount filesystems", src);
        }

        item = vo ? cJSON_GetObjectItem(vo, "Subpath") : NULL;

        if (cJSON_IsString(item) && item->valuestring[0]) {
            if (src[0] == '\0') {
                sls_mount_fail("must not set Subpath when using anonymous "
                               "volumes");
            }

            if (!ngx_http_sockerless_mnt_local(item->valuestring)) {
                sls_mount_fail("subpath must be a relative path within the "
                               "volume");
            }
        }

    } else {
        if (src[0]) {
            sls_mount_fail("field Source must not be specified");
        }

        if (bo) {
            sls_mount_fail("field BindOptions must not be specified");
        }

        if (vo) {
            sls_mount_fail("field VolumeOptions must not be specified");
        }
    }

    if (cJSON_GetObjectItemCaseSensitive(seen, dst)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "Duplicate mount point: %s", dst);
    }

    cJSON_AddTrueToObject(seen, dst);

    p = ngx_http_sockerless_mnt_point(m, type, dst);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_sockerless_json_set(p, "RW", cJSON_CreateBool(!ro));

    if (ngx_strcmp(type, "bind") == 0) {
        src = ngx_http_sockerless_mnt_clean(m->pool, src);
        if (src == NULL) {
            return NGX_ERROR;
        }

        ngx_http_sockerless_mnt_set(p, "Source", src);
        drv = ngx_http_sockerless_json_str(bo, "Propagation");
        ngx_http_sockerless_mnt_set(p, "Propagation",
                                    (drv && *drv) ? drv : "rprivate");

    } else if (ngx_strcmp(type, "volume") == 0) {
        ngx_http_sockerless_mnt_set(p, "Name", src);
        ngx_http_sockerless_mnt_set(p, "Mode", "z");
        cJSON_AddBoolToObject(p, "_anon", src[0] == '\0');
        cJSON_AddBoolToObject(p, "_copy",
                      !cJSON_IsTrue(cJSON_GetObjectItem(vo, "NoCopy")));

        item = vo ? cJSON_GetObjectItem(vo, "Labels") : NULL;
        if (cJSON_IsObject(item)) {
            cJSON_AddItemToObject(p, "_labels", cJSON_Duplicate(item, 1));
        }

        item = vo ? cJSON_GetObjectItem(vo, "Subpath") : NULL;
        if (cJSON_IsString(item) && item->valuestring[0]) {
            cJSON_AddStringToObject(p, "_subpath", item->valuestring);
        }

    } else {
        size = cJSON_GetNumberValue(cJSON_GetObjectItem(to, "SizeBytes"));
        mode = cJSON_GetNumberValue(cJSON_GetObjectItem(to, "Mode"));

        if (size < 0) {
            sls_mount_fail("invalid tmpfs size: %.0f", size);
        }

        cJSON_AddNumberToObject(p, "_size", (size == size) ? size : 0);
        cJSON_AddNumberToObject(p, "_mode", (mode == mode && mode > 0)
                                            ? mode : 0);
    }

#undef sls_mount_fail

    return NGX_OK;
}


/*
 * one of HostConfig.Tmpfs (docker run --tmpfs /run:size=64m): dockerd's
 * options "noexec,nosuid,nodev,rprivate" then the given ones, merged as
 * MergeTmpfsOptions does (the last of each flag or key wins; a word that
 * is neither a mount flag nor a tmpfs key=value is refused); not among
 * inspect's Mounts, as in dockerd
 */

static ngx_int_t
ngx_http_sockerless_mnt_tmpfs(ngx_http_sockerless_mnt_t *m, cJSON *e,
    cJSON *seen)
{
    u_char      *out, *w;
    cJSON       *p;
    size_t       len, n, k, total;
    ngx_int_t    group, taken[16];
    ngx_str_t    word[64];
    ngx_uint_t   i, j, ro, dup;
    const char  *dst, *q, *end, *data;

    static const struct {
        const char  *name;
        ngx_int_t    group;     /* 0: propagation, one mode in all */
    } flags[] = {
        { "ro", 1 }, { "rw", 1 }, { "suid", 2 }, { "nosuid", 2 },
        { "dev", 3 }, { "nodev", 3 }, { "exec", 4 }, { "noexec", 4 },
        { "sync", 5 }, { "async", 5 }, { "dirsync", 6 }, { "remount", 7 },
        { "mand", 8 }, { "nomand", 8 }, { "atime", 9 }, { "noatime", 9 },
        { "diratime", 10 }, { "nodiratime", 10 }, { "relatime", 11 },
        { "norelatime", 11 }, { "strictatime", 12 },
        { "nostrictatime", 12 }, { "bind", 0 }, { "rbind", 0 },
        { "unbindable", 0 }, { "runbindable", 0 }, { "private", 0 },
        { "rprivate", 0 }, { "shared", 0 }, { "rshared", 0 },
        { "slave", 0 }, { "rslave", 0 }
    };

    static const char  *keys[] = {
        "", "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"
    };

    if (!cJSON_IsString(e)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "json: cannot unmarshal %s into Go struct "
                                   "field HostConfig.Tmpfs of type string",
                                   cJSON_IsNumber(e) ? "number" : "value");
    }

    if (e->string[0] != '/') {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid mount path: '%s' mount path must "
                                   "be absolute", e->string);
    }

    dst = ngx_http_sockerless_mnt_clean(m->pool, e->string);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    if (ngx_strcmp(dst, "/") == 0) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid specification: destination "
                                   "can't be '/'");
    }

    if (cJSON_GetObjectItemCaseSensitive(seen, dst)) {
        return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "Duplicate mount point: %s", dst);
    }

    /* the words: dockerd's defaults, then the given ones */

    n = 0;
    ngx_str_set(&word[n], "noexec"); n++;
    ngx_str_set(&word[n], "nosuid"); n++;
    ngx_str_set(&word[n], "nodev"); n++;
    ngx_str_set(&word[n], "rprivate"); n++;

    data = e->valuestring;

    for (q = data; *data; q = end + 1) {
        end = strchr(q, ',');
        if (end == NULL) {
            end = q + ngx_strlen(q);
        }

        if (n == sizeof(word) / sizeof(word[0])) {
            return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "too many tmpfs options for %s", dst);
        }

        word[n].data = (u_char *) q;
        word[n].len = end - q;
        n++;

        if (*end == '\0') {
            break;
        }
    }

    /* from the last: the first seen of a flag group or a key stays */

    total = n;

    out = ngx_pnalloc(m->pool, ngx_strlen(e->valuestring) + 64);
    if (out == NULL) {
        return NGX_ERROR;
    }

    w = out + ngx_strlen(e->valuestring) + 63;
    *w = '\0';
    ro = 0;
    k = 0;
    ngx_memzero(taken, sizeof(taken));

    while (n--) {
        if (word[n].len == 8
            && ngx_strncmp(word[n].data, "defaults", 8) == 0)
        {
            continue;
        }

        for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
            if (ngx_strlen(flags[i].name) == word[n].len
                && ngx_strncmp(flags[i].name, word[n].data, word[n].len)
                   == 0)
            {
                break;
            }
        }

        if (i < sizeof(flags) / sizeof(flags[0])) {
            group = flags[i].group;

            if (taken[group]) {
                continue;
            }

            taken[group] = 1;

            if (group == 1) {
                ro = (ngx_strcmp(flags[i].name, "ro") == 0);
            }

        } else {
            q = (char *) ngx_strlchr(word[n].data, word[n].data + word[n].len,
                                     '=');
            len = q ? (size_t) (q - (char *) word[n].data) : 0;

            for (i = 0; q && i < sizeof(keys) / sizeof(keys[0]); i++) {
                if (ngx_strlen(keys[i]) == len
                    && ngx_strncmp(keys[i], word[n].data, len) == 0)
                {
                    break;
                }
            }

            if (q == NULL || i == sizeof(keys) / sizeof(keys[0])) {
                return ngx_http_sockerless_mnt_fail(m, NGX_HTTP_BAD_REQUEST,
                                   "invalid tmpfs option \"%*s\"",
                                   q ? len : word[n].len, word[n].data);
            }

            /* a key seen later wins: look among those kept */

            dup = 0;

            for (j = n + 1; j < total; j++) {
                if (word[j].data == NULL) {
                    continue;
                }

                if (word[j].len > len && word[j].data[len] == '='
                    && ngx_strncmp(word[j].data, word[n].data, len) == 0)
                {
                    dup = 1;
                    break;
                }
            }

            if (dup) {
                word[n].data = NULL;
                continue;
            }
        }

        if (k++) {
            *--w = ',';
        }

        w -= word[n].len;
        ngx_memcpy(w, word[n].data, word[n].len);
    }

    cJSON_AddTrueToObject(seen, dst);

    p = ngx_http_sockerless_mnt_point(m, "tmpfs", dst);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_sockerless_json_set(p, "RW", cJSON_CreateBool(!ro));
    cJSON_AddNumberToObject(p, "_size", 0);
    cJSON_AddNumberToObject(p, "_mode", 0);
    cJSON_AddTrueToObject(p, "_hidden");
    cJSON_AddStringToObject(p, "_options", (char *) w);

    return NGX_OK;
}


static int
ngx_http_sockerless_mnt_cmp(const void *one, const void *two)
{
    cJSON *const  *a = one;
    cJSON *const  *b = two;

    return ngx_strcmp((*a)->string, (*b)->string);
}


ngx_int_t
ngx_http_sockerless_mounts_build(ngx_pool_t *pool, cJSON *rec,
    ngx_uint_t *status, char *err, size_t size)
{
    char                       *name;
    cJSON                      *hc, *conf, *e, *seen, *p, *v, *labels;
    cJSON                      *list, *pub, **sorted;
    ngx_int_t                   rc;
    ngx_uint_t                  n, i;
    const char                 *s, *dst;
    ngx_http_sockerless_mnt_t   m;
    char                        id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];

    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");

    m.pool = pool;
    m.status = 0;
    m.err = err;
    m.size = size;
    m.points = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    seen = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());

    if (m.points == NULL || seen == NULL) {
        return NGX_ERROR;
    }

    /* first every check, so that a refused create makes no volume */

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc, "VolumesFrom")) {
        if (!cJSON_IsString(e)) {
            continue;
        }

        rc = ngx_http_sockerless_mnt_from(&m, e->valuestring);
        if (rc != NGX_OK) {
            goto done;
        }
    }

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc, "Binds")) {
        if (!cJSON_IsString(e)) {
            continue;
        }

        rc = ngx_http_sockerless_mnt_bind(&m, e->valuestring, seen);
        if (rc != NGX_OK) {
            goto done;
        }
    }

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc, "Mounts")) {
        rc = ngx_http_sockerless_mnt_mount(&m, e, seen);
        if (rc != NGX_OK) {
            goto done;
        }
    }

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc, "Tmpfs")) {
        rc = ngx_http_sockerless_mnt_tmpfs(&m, e, seen);
        if (rc != NGX_OK) {
            goto done;
        }
    }

    /* -v /path and the image's VOLUME: anonymous volumes */

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(conf, "Volumes")) {
        if (e->string == NULL || e->string[0] != '/') {
            continue;
        }

        dst = ngx_http_sockerless_mnt_clean(pool, e->string);
        if (dst == NULL) {
            return NGX_ERROR;
        }

        if (ngx_strcmp(dst, "/") == 0
            || cJSON_GetObjectItemCaseSensitive(m.points, dst))
        {
            continue;
        }

        p = ngx_http_sockerless_mnt_point(&m, "volume", dst);
        if (p == NULL) {
            return NGX_ERROR;
        }

        cJSON_AddTrueToObject(p, "_anon");
        cJSON_AddTrueToObject(p, "_copy");
    }

    /* then the volumes: made when missing, named ones kept as they are */

    cJSON_ArrayForEach(p, m.points) {
        if (ngx_strcmp(ngx_http_sockerless_json_str(p, "Type"), "volume")
            != 0)
        {
            continue;
        }

        s = ngx_http_sockerless_json_str(p, "Name");
        labels = cJSON_GetObjectItemCaseSensitive(p, "_labels");

        if (s && *s) {
            v = ngx_http_sockerless_volume_get(pool, s, labels, 0, 1);

        } else {
            ngx_http_sockerless_random_id(id);
            name = id;
            v = ngx_http_sockerless_volume_get(pool, name, labels, 1, 1);
        }

        if (v == NULL) {
            return NGX_ERROR;
        }

        ngx_http_sockerless_mnt_set(p, "Name",
                                    ngx_http_sockerless_json_str(v, "Name"));
        ngx_http_sockerless_mnt_set(p, "Source",
                            ngx_http_sockerless_json_str(v, "Mountpoint"));
        ngx_http_sockerless_mnt_set(p, "Driver", "local");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "_labels");
    }

    /* sorted by destination: a parent is mounted before its children */

    n = cJSON_GetArraySize(m.points);

    sorted = ngx_palloc(pool, (n + 1) * sizeof(cJSON *));
    if (sorted == NULL) {
        return NGX_ERROR;
    }

    i = 0;

    cJSON_ArrayForEach(p, m.points) {
        sorted[i++] = p;
    }

    ngx_qsort(sorted, n, sizeof(cJSON *), ngx_http_sockerless_mnt_cmp);

    list = cJSON_CreateArray();
    pub = cJSON_CreateArray();

    for (i = 0; i < n; i++) {
        p = cJSON_Duplicate(sorted[i], 1);
        cJSON_AddItemToArray(list, p);

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "_hidden"))) {
            continue;
        }

        /* inspect's MountPoint: Type, Name and Driver are omitempty */

        p = cJSON_Duplicate(sorted[i], 1);

        for (e = p->child; e; e = v) {
            v = e->next;

            if (e->string[0] == '_'
                || ((ngx_strcmp(e->string, "Name") == 0
                     || ngx_strcmp(e->string, "Driver") == 0)
                    && e->valuestring[0] == '\0'))
            {
                cJSON_DeleteItemFromObjectCaseSensitive(p, e->string);
            }
        }

        cJSON_AddItemToArray(pub, p);
    }

    ngx_http_sockerless_json_set(rec, "Mounts", pub);

    e = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    if (e == NULL) {
        e = cJSON_AddObjectToObject(rec, "_sls");
    }

    cJSON_DeleteItemFromObjectCaseSensitive(e, "mounts");
    cJSON_AddItemToObject(e, "mounts", list);

    return NGX_OK;

done:

    if (rc == NGX_DECLINED) {
        *status = m.status;
    }

    return rc;
}


/*
 * The mount points of a container: "_sls.mounts", or for a record made
 * before them, its Binds as they were read then
 */

cJSON *
ngx_http_sockerless_mounts_list(ngx_pool_t *pool, cJSON *rec)
{
    cJSON                      *list, *e, *p, *seen;
    const char                 *s;
    ngx_http_sockerless_mnt_t   m;
    char                        err[256];

    list = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(rec, "_sls"), "mounts");

    if (cJSON_IsArray(list)) {
        return list;
    }

    m.pool = pool;
    m.err = err;
    m.size = sizeof(err);
    m.points = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    seen = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    list = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (m.points == NULL || seen == NULL || list == NULL) {
        return NULL;
    }

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(
                              cJSON_GetObjectItemCaseSensitive(rec,
                                                               "HostConfig"),
                              "Binds"))
    {
        if (cJSON_IsString(e)) {
            (void) ngx_http_sockerless_mnt_bind(&m, e->valuestring, seen);
        }
    }

    cJSON_ArrayForEach(p, m.points) {
        s = ngx_http_sockerless_json_str(p, "Name");

        if (s && *s) {
            e = ngx_http_sockerless_volume_get(pool, s, NULL, 0, 1);
            if (e == NULL) {
                return NULL;
            }

            ngx_http_sockerless_mnt_set(p, "Source",
                            ngx_http_sockerless_json_str(e, "Mountpoint"));
            ngx_http_sockerless_mnt_set(p, "Driver", "local");
        }

        if (ngx_http_sockerless_json_str(p, "Source")[0] == '/') {
            cJSON_AddItemToArray(list, cJSON_Duplicate(p, 1));
        }
    }

    return list;
}


/*
 * agent.json's "mounts": binds (volumes are binds of their directory,
 * copied up into when "copy_up") and tmpfs
 */

cJSON *
ngx_http_sockerless_mounts_agent(ngx_pool_t *pool, cJSON *rec)
{
    cJSON       *list, *out, *p, *a;
    const char  *type, *s;

    list = ngx_http_sockerless_mounts_list(pool, rec);
    if (list == NULL) {
        return NULL;
    }

    out = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());
    if (out == NULL) {
        return NULL;
    }

    cJSON_ArrayForEach(p, list) {
        type = ngx_http_sockerless_json_str(p, "Type");

        a = cJSON_CreateObject();
        cJSON_AddItemToArray(out, a);

        if (ngx_strcmp(type, "tmpfs") == 0) {
            cJSON_AddStringToObject(a, "type", "tmpfs");

            s = ngx_http_sockerless_json_str(p, "_options");
            if (s) {
                cJSON_AddStringToObject(a, "tmpfs_options", s);
            }

            cJSON_AddNumberToObject(a, "tmpfs_size", cJSON_GetNumberValue(
                              cJSON_GetObjectItemCaseSensitive(p, "_size")));
            cJSON_AddNumberToObject(a, "tmpfs_mode", cJSON_GetNumberValue(
                              cJSON_GetObjectItemCaseSensitive(p, "_mode")));

        } else {
            cJSON_AddStringToObject(a, "source",
                                    ngx_http_sockerless_json_str(p,
                                                                 "Source"));
        }

        cJSON_AddStringToObject(a, "target",
                                ngx_http_sockerless_json_str(p,
                                                             "Destination"));
        cJSON_AddBoolToObject(a, "readonly",
                      !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p,
                                                                     "RW")));

        if (ngx_strcmp(type, "volume") == 0
            && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "_copy")))
        {
            cJSON_AddTrueToObject(a, "copy_up");
        }

        s = ngx_http_sockerless_json_str(p, "_subpath");
        if (s && ngx_strcmp(type, "tmpfs") != 0) {
            cJSON_AddStringToObject(a, "subpath", s);
        }
    }

    return out;
}


/*
 * docker rm -v and --rm: the anonymous volumes of a removed container go,
 * unless another container still uses them (dockerd ignores that error)
 */

void
ngx_http_sockerless_mounts_release(ngx_pool_t *pool, cJSON *rec)
{
    off_t        size;
    cJSON       *p, *v, *ids;
    const char  *name;

    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec, "_sls"),
                              "mounts"))
    {
        name = ngx_http_sockerless_json_str(p, "Name");

        if (name == NULL || *name == '\0'
            || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "_anon")))
        {
            continue;
        }

        ids = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());
        if (ids == NULL) {
            return;
        }

        if (ngx_http_sockerless_volume_users(pool, name, ids)
            != NGX_DECLINED)
        {
            continue;
        }

        v = ngx_http_sockerless_volume_get(pool, name, NULL, 0, 0);

        if (v) {
            (void) ngx_http_sockerless_volume_remove(pool, v, &size);
        }
    }
}
