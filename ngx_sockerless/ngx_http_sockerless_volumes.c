
/*
 * Copyright (C) sockerless contributors
 *
 * Volumes with the "local" driver: a record "v/<name>" in the store and a
 * directory <data>/volumes/<name>/_data that containers bind. Create,
 * list, inspect, remove (409 while a container uses it) and prune.
 */


#include <ngx_http_sockerless_module.h>
#include <sls_filters.h>


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
        (void) ngx_http_sockerless_event("volume", "create", name,
                                         cJSON_GetObjectItem(v, "Labels"));
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
                && !cJSON_IsTrue(cJSON_GetObjectItem(sls, "anonymous"))))
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
    const char  *id;

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

    (void) ngx_http_sockerless_event("volume", "destroy", name, NULL);

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

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}
