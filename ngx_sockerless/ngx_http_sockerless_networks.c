
/*
 * Copyright (C) sockerless contributors
 *
 * Networks with the "bridge" driver, plus dockerd's builtin "bridge",
 * "host" and "none". A network is a record "n/<id>" in the store, its
 * name a record "nn/<name>" (so that two creates of one name cannot both
 * win) and the subnets in use one record "nsub" (so that two creates
 * cannot take overlapping ones). The addresses a network gave out are
 * in its record (_sls.ips, address -> container id), taken and given
 * back in one store update. A container's endpoints live in its own
 * record, NetworkSettings.Networks, as dockerd shows them.
 *
 * Name resolution is a hosts file per container (HostsPath) that the
 * module writes and the agent binds on /etc/hosts: each write is in
 * place, so running containers see the names of ones started later.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_networks.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_resources.h>
#include <sls_filters.h>
#include <arpa/inet.h>


#define NGX_HTTP_SOCKERLESS_NET_POOL_FIRST  0xac120000  /* 172.18.0.0 */
#define NGX_HTTP_SOCKERLESS_NET_POOL_LAST   0xac1fff00  /* 172.31.255.0 */


/* a connect or disconnect that the backend carries out */

typedef struct {
    ngx_http_sockerless_op_t       op;
    ngx_http_request_t            *r;
    cJSON                         *net;
    cJSON                         *ep;
    const char                    *name;
    ngx_uint_t                     connect;
    char                           cid[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
} ngx_http_sockerless_nlive_t;


static ngx_int_t ngx_http_sockerless_network_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_connect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_disconnect(
    ngx_http_request_t *r, ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_network_live(
    ngx_http_sockerless_nlive_t *nl, cJSON *rec);
static void ngx_http_sockerless_network_live_done(
    ngx_http_sockerless_op_t *op, ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_network_finish(
    ngx_http_sockerless_nlive_t *nl, ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_network_defaults(ngx_pool_t *pool);
static cJSON *ngx_http_sockerless_network_new(ngx_pool_t *pool,
    const char *name, const char *driver, const char *subnet,
    const char *gateway, const char *range, cJSON *body, ngx_uint_t builtin,
    ngx_uint_t *status, char *err, size_t size);
static ngx_int_t ngx_http_sockerless_network_remove(ngx_pool_t *pool,
    cJSON *net);
static cJSON *ngx_http_sockerless_network_containers(ngx_pool_t *pool,
    const char *id);
static ngx_int_t ngx_http_sockerless_cidr(const char *s, uint32_t *addr,
    ngx_uint_t *len);
static void ngx_http_sockerless_ip_text(uint32_t a, char *buf);
static ngx_int_t ngx_http_sockerless_ip_parse(const char *s, uint32_t *a);
static u_char *ngx_http_sockerless_network_extra_hosts(ngx_pool_t *pool,
    cJSON *rec, u_char *p, u_char *last);


ngx_http_sockerless_route_t  ngx_http_sockerless_network_routes[] = {

    { NGX_HTTP_POST, ngx_string("/networks/create"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_network_create },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/networks"),
      ngx_null_string, 0,
      ngx_http_sockerless_network_list },

    { NGX_HTTP_POST, ngx_string("/networks/prune"),
      ngx_null_string, 0,
      ngx_http_sockerless_network_prune },

    { NGX_HTTP_POST, ngx_string("/networks/"),
      ngx_string("connect"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_network_connect },

    { NGX_HTTP_POST, ngx_string("/networks/"),
      ngx_string("disconnect"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_network_disconnect },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/networks/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_network_inspect },

    { NGX_HTTP_DELETE, ngx_string("/networks/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_network_delete },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* addresses */

static ngx_int_t
ngx_http_sockerless_ip_parse(const char *s, uint32_t *a)
{
    struct in_addr  in;

    if (s == NULL || inet_pton(AF_INET, s, &in) != 1) {
        return NGX_ERROR;
    }

    *a = ntohl(in.s_addr);

    return NGX_OK;
}


static void
ngx_http_sockerless_ip_text(uint32_t a, char *buf)
{
    ngx_sprintf((u_char *) buf, "%uD.%uD.%uD.%uD%Z", a >> 24,
                (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}


static ngx_int_t
ngx_http_sockerless_cidr(const char *s, uint32_t *addr, ngx_uint_t *len)
{
    char        ip[32];
    size_t      n;
    ngx_int_t   l;
    const char *slash;

    slash = s ? strchr(s, '/') : NULL;

    if (slash == NULL || (n = slash - s) >= sizeof(ip)) {
        return NGX_ERROR;
    }

    ngx_memcpy(ip, s, n);
    ip[n] = '\0';

    l = ngx_atoi((u_char *) slash + 1, ngx_strlen(slash + 1));

    if (l < 8 || l > 30 || ngx_http_sockerless_ip_parse(ip, addr) != NGX_OK) {
        return NGX_ERROR;
    }

    *len = l;

    return NGX_OK;
}


static uint32_t
ngx_http_sockerless_mask(ngx_uint_t len)
{
    return len ? 0xffffffffu << (32 - len) : 0;
}


/* the records */

static cJSON *
ngx_http_sockerless_network_get(ngx_pool_t *pool, const char *id)
{
    char  key[NGX_HTTP_SOCKERLESS_ID_LEN + 8];

    if (ngx_strlen(id) > NGX_HTTP_SOCKERLESS_ID_LEN) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "n/%s%Z", id);

    return ngx_http_sockerless_store_get(pool, key);
}


typedef struct {
    ngx_str_t    prefix;
    cJSON       *found;
    ngx_uint_t   n;
} ngx_http_sockerless_nprefix_t;


static ngx_int_t
ngx_http_sockerless_network_prefix(void *data, const char *key, cJSON *v)
{
    ngx_http_sockerless_nprefix_t *np = data;

    np->n++;
    np->found = v;

    return NGX_OK;
}


/* dockerd's order: a full id, a name, then a unique id prefix */

cJSON *
ngx_http_sockerless_network_find(ngx_pool_t *pool, const char *ref)
{
    char                           *key;
    cJSON                          *v, *idx;
    size_t                          len;
    const char                     *id;
    ngx_http_sockerless_nprefix_t   np;

    if (ngx_http_sockerless_network_defaults(pool) != NGX_OK) {
        return NULL;
    }

    len = ngx_strlen(ref);

    if (len == 0 || len > 255) {
        return NULL;
    }

    if (len == NGX_HTTP_SOCKERLESS_ID_LEN) {
        v = ngx_http_sockerless_network_get(pool, ref);
        if (v) {
            return v;
        }
    }

    key = ngx_pnalloc(pool, len + 4);
    if (key == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "nn/%s%Z", ref);

    idx = ngx_http_sockerless_store_get(pool, key);
    id = ngx_http_sockerless_json_str(idx, "Id");

    if (id) {
        return ngx_http_sockerless_network_get(pool, id);
    }

    if (strspn(ref, "0123456789abcdef") != len) {
        return NULL;
    }

    ngx_memzero(&np, sizeof(ngx_http_sockerless_nprefix_t));
    ngx_sprintf((u_char *) key, "n/%s%Z", ref);

    if (ngx_http_sockerless_store_scan(pool, key,
                                       ngx_http_sockerless_network_prefix,
                                       &np)
        != NGX_OK || np.n != 1)
    {
        return NULL;
    }

    return np.found;
}


static ngx_int_t
ngx_http_sockerless_name_claim(void *data, cJSON **value)
{
    cJSON  *v = data;

    if (*value != NULL) {
        return NGX_DECLINED;
    }

    *value = v;

    return NGX_OK;
}


/* nsub: subnet -> network id; a new one must overlap none */

typedef struct {
    uint32_t     addr;
    ngx_uint_t   len;
    ngx_uint_t   pick;        /* find a free /24 in the default pool */
    const char  *id;
    char         subnet[32];
    ngx_pool_t  *pool;
} ngx_http_sockerless_nsub_t;


static ngx_int_t
ngx_http_sockerless_nsub_overlaps(cJSON *all, uint32_t addr, ngx_uint_t len)
{
    cJSON       *e;
    uint32_t     a, m;
    ngx_uint_t   l;

    cJSON_ArrayForEach(e, all) {
        if (ngx_http_sockerless_cidr(e->string, &a, &l) != NGX_OK) {
            continue;
        }

        m = ngx_http_sockerless_mask(l < len ? l : len);

        if ((a & m) == (addr & m)) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_sockerless_nsub_take(void *data, cJSON **value)
{
    ngx_http_sockerless_nsub_t *ns = data;

    cJSON     *all;
    uint32_t   a;

    all = *value;

    if (all == NULL) {
        all = ngx_http_sockerless_json_bind(ns->pool, cJSON_CreateObject());
        if (all == NULL) {
            return NGX_ERROR;
        }

        *value = all;
    }

    if (ns->pick) {
        for (a = NGX_HTTP_SOCKERLESS_NET_POOL_FIRST;
             a <= NGX_HTTP_SOCKERLESS_NET_POOL_LAST;
             a += 0x100)
        {
            if (!ngx_http_sockerless_nsub_overlaps(all, a, 24)) {
                ns->addr = a;
                ns->len = 24;
                break;
            }
        }

        if (a > NGX_HTTP_SOCKERLESS_NET_POOL_LAST) {
            return NGX_ABORT;
        }

    } else if (ngx_http_sockerless_nsub_overlaps(all, ns->addr, ns->len)) {
        return NGX_BUSY;
    }

    ngx_http_sockerless_ip_text(ns->addr, ns->subnet);
    ngx_sprintf((u_char *) ns->subnet + ngx_strlen(ns->subnet), "/%ui%Z",
                ns->len);

    cJSON_AddStringToObject(all, ns->subnet, ns->id);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_nsub_give(void *data, cJSON **value)
{
    const char *subnet = data;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(*value, subnet);

    return NGX_OK;
}


/*
 * A network record, stored; NULL with *status and err on refusal
 * (*status 0: an internal failure).
 */

static cJSON *
ngx_http_sockerless_network_new(ngx_pool_t *pool, const char *name,
    const char *driver, const char *subnet, const char *gateway,
    const char *range, cJSON *body, ngx_uint_t builtin, ngx_uint_t *status,
    char *err, size_t size)
{
    char                        *key;
    cJSON                       *n, *idx, *ipam, *cfg, *c, *sls, *item;
    uint32_t                     gw, ra;
    ngx_int_t                    rc;
    ngx_uint_t                   rl, bridge;
    char                         now[64], gwt[32];
    char                         id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    ngx_http_sockerless_nsub_t   ns;

    *status = 0;
    bridge = (ngx_strcmp(driver, "bridge") == 0);

    ngx_memzero(&ns, sizeof(ngx_http_sockerless_nsub_t));
    ns.pool = pool;

    if (bridge) {
        if (subnet && *subnet) {
            if (ngx_http_sockerless_cidr(subnet, &ns.addr, &ns.len)
                != NGX_OK)
            {
                *status = NGX_HTTP_BAD_REQUEST;
                ngx_snprintf((u_char *) err, size, "invalid subnet %s: "
                             "an IPv4 CIDR from /8 to /30 is needed%Z",
                             subnet);
                return NULL;
            }

            ns.addr &= ngx_http_sockerless_mask(ns.len);

        } else {
            ns.pick = 1;
        }
    }

    /* the name first: dockerd answers 409 for a taken one */

    ngx_http_sockerless_random_id(id);

    key = ngx_pnalloc(pool, ngx_strlen(name) + NGX_HTTP_SOCKERLESS_ID_LEN
                            + 4);
    idx = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (key == NULL || idx == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "nn/%s%Z", name);
    cJSON_AddStringToObject(idx, "Id", id);

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_name_claim, idx);
    if (rc == NGX_DECLINED) {
        *status = NGX_HTTP_CONFLICT;
        ngx_snprintf((u_char *) err, size, "network with name %s already "
                     "exists%Z", name);
        return NULL;
    }

    if (rc != NGX_OK) {
        return NULL;
    }

    if (bridge) {
        ns.id = id;

        rc = ngx_http_sockerless_store_update(pool, "nsub",
                                     ngx_http_sockerless_nsub_take, &ns);
        if (rc != NGX_OK) {
            (void) ngx_http_sockerless_store_del(key);

            if (rc == NGX_BUSY) {
                *status = NGX_HTTP_FORBIDDEN;
                ngx_snprintf((u_char *) err, size, "Pool overlaps with "
                             "other one on this address space%Z");

            } else if (rc == NGX_ABORT) {
                *status = NGX_HTTP_FORBIDDEN;
                ngx_snprintf((u_char *) err, size, "could not find an "
                             "available, non-overlapping IPv4 address pool "
                             "among the defaults to assign to the "
                             "network%Z");
            }

            return NULL;
        }

        if (gateway && *gateway) {
            if (ngx_http_sockerless_ip_parse(gateway, &gw) != NGX_OK
                || (gw & ngx_http_sockerless_mask(ns.len)) != ns.addr)
            {
                *status = NGX_HTTP_BAD_REQUEST;
                ngx_snprintf((u_char *) err, size, "invalid gateway %s: it "
                             "must be an address in %s%Z", gateway,
                             ns.subnet);
                goto refused;
            }

        } else {
            gw = ns.addr + 1;
        }

        if (range && *range
            && (ngx_http_sockerless_cidr(range, &ra, &rl) != NGX_OK
                || rl < ns.len
                || (ra & ngx_http_sockerless_mask(ns.len)) != ns.addr))
        {
            *status = NGX_HTTP_BAD_REQUEST;
            ngx_snprintf((u_char *) err, size, "invalid ip range %s: it "
                         "must be a CIDR inside %s%Z", range, ns.subnet);
            goto refused;
        }

        ngx_http_sockerless_ip_text(gw, gwt);
    }

    n = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (n == NULL) {
        goto refused;
    }

    ngx_http_sockerless_now(now, sizeof(now));

    cJSON_AddStringToObject(n, "Name", name);
    cJSON_AddStringToObject(n, "Id", id);
    cJSON_AddStringToObject(n, "Created", now);
    cJSON_AddStringToObject(n, "Scope", "local");
    cJSON_AddStringToObject(n, "Driver", driver);
    cJSON_AddFalseToObject(n, "EnableIPv6");

    ipam = cJSON_AddObjectToObject(n, "IPAM");
    cJSON_AddStringToObject(ipam, "Driver", "default");
    cJSON_AddNullToObject(ipam, "Options");
    cfg = cJSON_AddArrayToObject(ipam, "Config");

    if (bridge) {
        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "Subnet", ns.subnet);
        if (range && *range) {
            cJSON_AddStringToObject(c, "IPRange", range);
        }
        cJSON_AddStringToObject(c, "Gateway", gwt);
        cJSON_AddItemToArray(cfg, c);
    }

    item = body ? cJSON_GetObjectItem(body, "Internal") : NULL;
    cJSON_AddBoolToObject(n, "Internal", cJSON_IsTrue(item));
    item = body ? cJSON_GetObjectItem(body, "Attachable") : NULL;
    cJSON_AddBoolToObject(n, "Attachable", cJSON_IsTrue(item));
    cJSON_AddFalseToObject(n, "Ingress");
    item = cJSON_AddObjectToObject(n, "ConfigFrom");
    cJSON_AddStringToObject(item, "Network", "");
    cJSON_AddFalseToObject(n, "ConfigOnly");
    cJSON_AddObjectToObject(n, "Containers");

    item = body ? cJSON_GetObjectItem(body, "Options") : NULL;
    cJSON_AddItemToObject(n, "Options", cJSON_IsObject(item)
                                        ? cJSON_Duplicate(item, 1)
                                        : cJSON_CreateObject());

    if (builtin && bridge) {
        item = cJSON_GetObjectItem(n, "Options");
        cJSON_AddStringToObject(item, "com.docker.network.bridge."
                                "default_bridge", "true");
        ngx_http_sockerless_network_bridge_name(id, gwt);
        cJSON_AddStringToObject(item, "com.docker.network.bridge.name",
                                gwt);
    }

    item = body ? cJSON_GetObjectItem(body, "Labels") : NULL;
    cJSON_AddItemToObject(n, "Labels", cJSON_IsObject(item)
                                       ? cJSON_Duplicate(item, 1)
                                       : cJSON_CreateObject());

    sls = cJSON_AddObjectToObject(n, "_sls");
    cJSON_AddBoolToObject(sls, "builtin", builtin);
    cJSON_AddObjectToObject(sls, "ips");

    if (bridge) {
        cJSON_AddStringToObject(sls, "subnet", ns.subnet);
    }

    ngx_sprintf((u_char *) key, "n/%s%Z", id);

    if (ngx_http_sockerless_store_put(key, n) != NGX_OK) {
        goto refused;
    }

    item = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (item) {
        cJSON_AddStringToObject(item, "name", name);
        cJSON_AddStringToObject(item, "type", driver);
        (void) ngx_http_sockerless_event("network", "create", id, item);
    }

    return n;

refused:

    if (bridge) {
        (void) ngx_http_sockerless_store_update(pool, "nsub",
                                    ngx_http_sockerless_nsub_give, ns.subnet);
    }

    ngx_sprintf((u_char *) key, "nn/%s%Z", name);
    (void) ngx_http_sockerless_store_del(key);

    return NULL;
}


/* bridge, host and none, made once per data directory */

static ngx_int_t
ngx_http_sockerless_network_defaults(ngx_pool_t *pool)
{
    char        err[256];
    ngx_uint_t  i, status;

    static ngx_uint_t  done;

    static const char  *builtin[][3] = {
        { "bridge", "bridge", "172.17.0.0/16" },
        { "host", "host", NULL },
        { "none", "null", NULL }
    };

    if (done) {
        return NGX_OK;
    }

    for (i = 0; i < 3; i++) {
        if (ngx_http_sockerless_store_get(pool, i == 0 ? "nn/bridge"
                                                : i == 1 ? "nn/host"
                                                : "nn/none"))
        {
            continue;
        }

        if (ngx_http_sockerless_network_new(pool, builtin[i][0],
                                            builtin[i][1], builtin[i][2],
                                            NULL, NULL, NULL, 1, &status,
                                            err, sizeof(err))
            == NULL && status != NGX_HTTP_CONFLICT)
        {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "sockerless: making the network \"%s\" failed%s%s",
                          builtin[i][0], status ? ": " : "",
                          status ? err : "");
            return NGX_ERROR;
        }
    }

    done = 1;

    return NGX_OK;
}


static cJSON *
ngx_http_sockerless_network_public(ngx_pool_t *pool, cJSON *n,
    ngx_uint_t containers)
{
    cJSON       *out;
    const char  *id;

    out = ngx_http_sockerless_json_bind(pool, cJSON_Duplicate(n, 1));
    if (out == NULL) {
        return NULL;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(out, "_sls");

    if (containers) {
        id = ngx_http_sockerless_json_str(n, "Id");
        cJSON_DeleteItemFromObjectCaseSensitive(out, "Containers");
        cJSON_AddItemToObject(out, "Containers",
                    cJSON_Duplicate(ngx_http_sockerless_network_containers(
                                        pool, id ? id : ""), 1));
    }

    return out;
}


static ngx_int_t
ngx_http_sockerless_network_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON       *body, *n, *ipam, *cfg, *out;
    char         err[512];
    ngx_uint_t   status;
    const char  *name, *driver, *subnet, *gateway, *range;

    if (ngx_http_sockerless_network_defaults(r->pool) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    body = args->body;
    name = ngx_http_sockerless_json_str(body, "Name");
    driver = ngx_http_sockerless_json_str(body, "Driver");

    if (name == NULL || *name == '\0') {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid name: name is empty");
    }

    if (!ngx_http_sockerless_volume_name_ok((u_char *) name,
                                            ngx_strlen(name)))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "invalid network name \"%s\": only "
                              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                              name);
    }

    if (driver == NULL || *driver == '\0') {
        driver = "bridge";
    }

    if (ngx_strcmp(driver, "host") == 0 || ngx_strcmp(driver, "null") == 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_FORBIDDEN,
                              "only one instance of \"%s\" network is "
                              "allowed", driver);
    }

    if (ngx_strcmp(driver, "overlay") == 0
        || ngx_strcmp(driver, "macvlan") == 0
        || ngx_strcmp(driver, "ipvlan") == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                              "the \"%s\" network driver is not supported "
                              "by sockerless: only \"bridge\" networks can "
                              "be created", driver);
    }

    if (ngx_strcmp(driver, "bridge") != 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                              "plugin \"%s\" not found", driver);
    }

    if (cJSON_IsTrue(cJSON_GetObjectItem(body, "EnableIPv6"))) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                              "IPv6 networks are not supported by "
                              "sockerless");
    }

    ipam = cJSON_GetObjectItem(body, "IPAM");
    cfg = cJSON_GetArrayItem(cJSON_GetObjectItem(ipam, "Config"), 0);

    if (cJSON_GetArraySize(cJSON_GetObjectItem(ipam, "Config")) > 1) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                              "a network of sockerless has one IPv4 "
                              "subnet: more than one IPAM config is not "
                              "supported");
    }

    subnet = ngx_http_sockerless_json_str(cfg, "Subnet");
    gateway = ngx_http_sockerless_json_str(cfg, "Gateway");
    range = ngx_http_sockerless_json_str(cfg, "IPRange");

    if ((gateway && *gateway) && !(subnet && *subnet)) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "a gateway needs a subnet");
    }

    n = ngx_http_sockerless_network_new(r->pool, name, driver, subnet,
                                        gateway, range, body, 0, &status,
                                        err, sizeof(err));
    if (n == NULL) {
        if (status == 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_sockerless_send_error(r, status, "%s", err);
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(out, "Id", ngx_http_sockerless_json_str(n, "Id"));
    cJSON_AddStringToObject(out, "Warning", "");

    return ngx_http_sockerless_send_json(r, NGX_HTTP_CREATED, out);
}


/* the containers on a network, as its inspect shows them */

typedef struct {
    const char  *id;
    cJSON       *out;
    cJSON       *ids;     /* or only their ids */
} ngx_http_sockerless_nusers_t;


static ngx_int_t
ngx_http_sockerless_network_user(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_nusers_t *nu = data;

    cJSON       *nets, *e, *c;
    char         addr[48];
    const char  *cid, *name, *ip, *nid;

    nets = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
               "Networks");
    cid = ngx_http_sockerless_json_str(rec, "Id");

    cJSON_ArrayForEach(e, nets) {
        nid = ngx_http_sockerless_json_str(e, "NetworkID");

        if (nid == NULL || cid == NULL || ngx_strcmp(nid, nu->id) != 0) {
            continue;
        }

        if (nu->ids) {
            cJSON_AddItemToArray(nu->ids, cJSON_CreateString(cid));
            break;
        }

        name = ngx_http_sockerless_json_str(rec, "Name");
        ip = ngx_http_sockerless_json_str(e, "IPAddress");

        c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "Name", name ? name + 1 : "");
        cJSON_AddStringToObject(c, "EndpointID",
                      ngx_http_sockerless_json_str(e, "EndpointID"));
        cJSON_AddStringToObject(c, "MacAddress",
                      ngx_http_sockerless_json_str(e, "MacAddress"));

        if (ip && *ip) {
            ngx_sprintf((u_char *) addr, "%s/%d%Z", ip,
                        (int) cJSON_GetNumberValue(
                                  cJSON_GetObjectItem(e, "IPPrefixLen")));

        } else {
            addr[0] = '\0';
        }

        cJSON_AddStringToObject(c, "IPv4Address", addr);
        cJSON_AddStringToObject(c, "IPv6Address", "");
        cJSON_AddItemToObject(nu->out, cid, c);
        break;
    }

    return NGX_OK;
}


static cJSON *
ngx_http_sockerless_network_containers(ngx_pool_t *pool, const char *id)
{
    ngx_http_sockerless_nusers_t  nu;

    nu.id = id;
    nu.ids = NULL;
    nu.out = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());

    if (nu.out) {
        (void) ngx_http_sockerless_store_scan(pool, "c/",
                                      ngx_http_sockerless_network_user, &nu);
    }

    return nu.out;
}


static ngx_int_t
ngx_http_sockerless_network_users(ngx_pool_t *pool, const char *id,
    cJSON *ids)
{
    ngx_http_sockerless_nusers_t  nu;

    nu.id = id;
    nu.ids = ids;
    nu.out = NULL;

    if (ngx_http_sockerless_store_scan(pool, "c/",
                                       ngx_http_sockerless_network_user, &nu)
        == NGX_ERROR)
    {
        return NGX_ERROR;
    }

    return cJSON_GetArraySize(ids) ? NGX_OK : NGX_DECLINED;
}


typedef struct {
    ngx_pool_t         *pool;
    cJSON              *out;
    sls_filters_t      *filters;
    ngx_int_t           dangling;     /* -1: either */
    ngx_uint_t          prune;
    time_t              until;
} ngx_http_sockerless_nscan_t;


static ngx_int_t
ngx_http_sockerless_network_each(void *data, const char *key, cJSON *n)
{
    ngx_http_sockerless_nscan_t *ns = data;

    cJSON       *ids, *item;
    ngx_int_t    used, builtin;
    const char  *name, *id, *driver, *created;

    name = ngx_http_sockerless_json_str(n, "Name");
    id = ngx_http_sockerless_json_str(n, "Id");
    driver = ngx_http_sockerless_json_str(n, "Driver");

    if (name == NULL || id == NULL || driver == NULL) {
        return NGX_OK;
    }

    builtin = cJSON_IsTrue(cJSON_GetObjectItem(
                  cJSON_GetObjectItemCaseSensitive(n, "_sls"), "builtin"));

    if (ns->filters) {
        if (!sls_filters_match_regex(ns->filters, "name", name)
            || !sls_filters_match_prefix(ns->filters, "id", id)
            || !sls_filters_match_exact(ns->filters, "driver", driver)
            || !sls_filters_match_label(ns->filters, "label",
                                        cJSON_GetObjectItem(n, "Labels"))
            || !sls_filters_match_exact(ns->filters, "type",
                                        builtin ? "builtin" : "custom"))
        {
            return NGX_OK;
        }

        if (sls_filters_has(ns->filters, "label!")) {
            if (sls_filters_match_label(ns->filters, "label!",
                                        cJSON_GetObjectItem(n, "Labels")))
            {
                return NGX_OK;
            }
        }
    }

    if (ns->until) {
        created = ngx_http_sockerless_json_str(n, "Created");

        if (created
            && ngx_http_sockerless_parse_time(created) >= ns->until)
        {
            return NGX_OK;
        }
    }

    used = NGX_DECLINED;

    if (ns->prune || ns->dangling != -1) {
        ids = cJSON_CreateArray();
        if (ids == NULL) {
            return NGX_ERROR;
        }

        used = ngx_http_sockerless_network_users(ns->pool, id, ids);
        cJSON_Delete(ids);

        if (used == NGX_ERROR) {
            return NGX_ERROR;
        }
    }

    if (ns->dangling != -1) {
        /* dockerd: the builtin ones are never dangling */
        if ((ns->dangling == 1) == (builtin || used == NGX_OK)) {
            return NGX_OK;
        }
    }

    if (ns->prune) {
        if (builtin || used == NGX_OK) {
            return NGX_OK;
        }

        if (ngx_http_sockerless_network_remove(ns->pool, n) == NGX_OK) {
            cJSON_AddItemToArray(ns->out, cJSON_CreateString(name));
        }

        return NGX_OK;
    }

    item = ngx_http_sockerless_network_public(ns->pool, n, 0);
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(ns->out, cJSON_Duplicate(item, 1));

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_network_scan_args(ngx_http_request_t *r,
    ngx_http_sockerless_nscan_t *ns, const char *const *allowed)
{
    int         b;
    char        err[256];
    const char *s;
    ngx_str_t   text;

    ns->pool = r->pool;
    ns->dangling = -1;

    if (ngx_http_sockerless_arg(r, "filters", &text) != NGX_OK
        || text.len == 0)
    {
        return NGX_OK;
    }

    ns->filters = ngx_http_sockerless_filters(r, &text, allowed, err,
                                              sizeof(err));
    if (ns->filters == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST, "%s",
                                              err);
    }

    if (sls_filters_has(ns->filters, "dangling")) {
        if (sls_filters_bool(ns->filters, "dangling", 0, &b, err,
                             sizeof(err)) != 0)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        ns->dangling = b;
    }

    if (sls_filters_has(ns->filters, "type")) {
        s = sls_filters_value(ns->filters, "type", 0);

        if (ngx_strcmp(s, "custom") != 0 && ngx_strcmp(s, "builtin") != 0) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "invalid filter: 'type'='%s'", s);
        }
    }

    if (sls_filters_has(ns->filters, "until")) {
        s = sls_filters_value(ns->filters, "until", 0);

        if (ngx_http_sockerless_prune_until(s, &ns->until, err, sizeof(err))
            != NGX_OK)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_network_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *out;
    ngx_int_t                     rc;
    ngx_http_sockerless_nscan_t   ns;

    static const char  *allowed[] = {
        "name", "id", "label", "driver", "type", "dangling", "scope", NULL
    };

    if (ngx_http_sockerless_network_defaults(r->pool) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&ns, sizeof(ngx_http_sockerless_nscan_t));

    rc = ngx_http_sockerless_network_scan_args(r, &ns, allowed);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ns.filters && sls_filters_has(ns.filters, "scope")
        && !sls_filters_match_exact(ns.filters, "scope", "local"))
    {
        out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
        return out ? ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out)
                   : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ns.out = out;

    if (ngx_http_sockerless_store_scan(r->pool, "n/",
                                       ngx_http_sockerless_network_each, &ns)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


static cJSON *
ngx_http_sockerless_network_of(ngx_http_request_t *r, ngx_str_t *ref)
{
    char  *s;

    s = ngx_http_sockerless_cstr(r->pool, ref);
    if (s == NULL) {
        return NULL;
    }

    return ngx_http_sockerless_network_find(r->pool, s);
}


static ngx_int_t
ngx_http_sockerless_network_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON  *n;

    n = ngx_http_sockerless_network_of(r, &args->id);

    if (n == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "network %V not found",
                                              &args->id);
    }

    n = ngx_http_sockerless_network_public(r->pool, n, 1);
    if (n == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, n);
}


/* addresses: taken and given back in the network's record */

typedef struct {
    ngx_pool_t  *pool;
    const char  *cid;
    const char  *want;        /* a static address, or NULL */
    char         ip[32];
    ngx_uint_t   status;
    char        *err;
    size_t       size;
} ngx_http_sockerless_ntake_t;


static ngx_int_t
ngx_http_sockerless_ip_take(void *data, cJSON **value)
{
    ngx_http_sockerless_ntake_t *nt = data;

    cJSON       *n, *ips, *cfg;
    uint32_t     net, a, first, last, gw, w, ra;
    ngx_uint_t   len, rl;
    const char  *s;

    n = *value;

    if (n == NULL) {
        nt->status = NGX_HTTP_NOT_FOUND;
        ngx_snprintf((u_char *) nt->err, nt->size, "network is gone%Z");
        return NGX_DECLINED;
    }

    ips = cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(n, "_sls"), "ips");
    cfg = cJSON_GetArrayItem(cJSON_GetObjectItem(
                                 cJSON_GetObjectItem(n, "IPAM"), "Config"),
                             0);

    if (ips == NULL
        || ngx_http_sockerless_cidr(ngx_http_sockerless_json_str(cfg,
                                                                 "Subnet"),
                                    &net, &len)
           != NGX_OK
        || ngx_http_sockerless_ip_parse(ngx_http_sockerless_json_str(cfg,
                                                                 "Gateway"),
                                        &gw)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    first = net + 1;
    last = (net | ~ngx_http_sockerless_mask(len)) - 1;

    s = ngx_http_sockerless_json_str(cfg, "IPRange");

    if (s && ngx_http_sockerless_cidr(s, &ra, &rl) == NGX_OK) {
        ra &= ngx_http_sockerless_mask(rl);
        first = ra > first ? ra : first;
        a = (ra | ~ngx_http_sockerless_mask(rl));
        last = a < last ? a : last;
    }

    if (nt->want) {
        if (ngx_http_sockerless_ip_parse(nt->want, &w) != NGX_OK
            || (w & ngx_http_sockerless_mask(len)) != net
            || w == net || w == (net | ~ngx_http_sockerless_mask(len)))
        {
            nt->status = NGX_HTTP_BAD_REQUEST;
            ngx_snprintf((u_char *) nt->err, nt->size, "invalid address "
                         "%s: it is not in the network's subnet%Z",
                         nt->want);
            return NGX_DECLINED;
        }

        ngx_http_sockerless_ip_text(w, nt->ip);

        if (w == gw || cJSON_GetObjectItemCaseSensitive(ips, nt->ip)) {
            nt->status = NGX_HTTP_FORBIDDEN;
            ngx_snprintf((u_char *) nt->err, nt->size, "Address already in "
                         "use%Z");
            return NGX_DECLINED;
        }

        cJSON_AddStringToObject(ips, nt->ip, nt->cid);

        return NGX_OK;
    }

    for (a = first; a <= last; a++) {
        if (a == gw) {
            continue;
        }

        ngx_http_sockerless_ip_text(a, nt->ip);

        if (cJSON_GetObjectItemCaseSensitive(ips, nt->ip) == NULL) {
            cJSON_AddStringToObject(ips, nt->ip, nt->cid);
            return NGX_OK;
        }
    }

    nt->status = NGX_HTTP_SERVICE_UNAVAILABLE;
    ngx_snprintf((u_char *) nt->err, nt->size, "no available IPv4 "
                 "addresses on this network's address pools%Z");

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_sockerless_ip_give(void *data, cJSON **value)
{
    const char *ip = data;

    cJSON  *ips;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    ips = cJSON_GetObjectItemCaseSensitive(
              cJSON_GetObjectItemCaseSensitive(*value, "_sls"), "ips");

    if (ips == NULL || cJSON_GetObjectItemCaseSensitive(ips, ip) == NULL) {
        return NGX_DECLINED;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(ips, ip);

    return NGX_OK;
}


/*
 * Puts the container (record rec, not yet stored or stored by the caller
 * afterwards) on network net: an endpoint in NetworkSettings.Networks,
 * with an address for bridge networks. NGX_DECLINED with *status and err
 * on refusal.
 */

ngx_int_t
ngx_http_sockerless_network_attach(ngx_pool_t *pool, cJSON *rec, cJSON *net,
    cJSON *epc, ngx_uint_t *status, char *err, size_t size)
{
    char                         key[NGX_HTTP_SOCKERLESS_ID_LEN + 8];
    cJSON                       *nets, *ep, *item, *e, *dns, *ns, *cfg;
    uint32_t                     a;
    ngx_int_t                    rc;
    ngx_uint_t                   len;
    const char                  *nid, *nname, *cid, *cname, *driver, *gw;
    char                         mac[32], eid[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    ngx_http_sockerless_ntake_t  nt;

    *status = 0;

    nid = ngx_http_sockerless_json_str(net, "Id");
    nname = ngx_http_sockerless_json_str(net, "Name");
    driver = ngx_http_sockerless_json_str(net, "Driver");
    cid = ngx_http_sockerless_json_str(rec, "Id");
    cname = ngx_http_sockerless_json_str(rec, "Name");

    if (nid == NULL || nname == NULL || driver == NULL || cid == NULL) {
        return NGX_ERROR;
    }

    ns = cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings");
    nets = cJSON_GetObjectItemCaseSensitive(ns, "Networks");

    if (nets == NULL) {
        return NGX_ERROR;
    }

    if (cJSON_GetObjectItemCaseSensitive(nets, nname)) {
        *status = NGX_HTTP_FORBIDDEN;
        ngx_snprintf((u_char *) err, size, "endpoint with name %s already "
                     "exists in network %s%Z", cname ? cname + 1 : cid,
                     nname);
        return NGX_DECLINED;
    }

    ngx_memzero(&nt, sizeof(ngx_http_sockerless_ntake_t));
    nt.pool = pool;
    nt.cid = cid;
    nt.err = err;
    nt.size = size;

    ep = cJSON_CreateObject();
    if (ep == NULL) {
        return NGX_ERROR;
    }

    item = cJSON_GetObjectItem(epc, "IPAMConfig");
    nt.want = ngx_http_sockerless_json_str(item, "IPv4Address");

    if (nt.want && *nt.want == '\0') {
        nt.want = NULL;
    }

    if (nt.want && ngx_strcmp(nname, "bridge") == 0) {
        cJSON_Delete(ep);
        *status = NGX_HTTP_BAD_REQUEST;
        ngx_snprintf((u_char *) err, size, "user specified IP address is "
                     "supported only when connecting to networks with user "
                     "configured subnets%Z");
        return NGX_DECLINED;
    }

    if (ngx_strcmp(driver, "bridge") == 0) {
        ngx_sprintf((u_char *) key, "n/%s%Z", nid);

        rc = ngx_http_sockerless_store_update(pool, key,
                                              ngx_http_sockerless_ip_take,
                                              &nt);
        if (rc != NGX_OK) {
            cJSON_Delete(ep);
            *status = nt.status;
            return rc == NGX_DECLINED && nt.status ? NGX_DECLINED
                                                   : NGX_ERROR;
        }
    }

    cJSON_AddItemToObject(ep, "IPAMConfig", nt.want
                          ? cJSON_Duplicate(item, 1) : cJSON_CreateNull());
    cJSON_AddNullToObject(ep, "Links");

    item = cJSON_GetObjectItem(epc, "Aliases");
    cJSON_AddItemToObject(ep, "Aliases", cJSON_IsArray(item)
                          ? cJSON_Duplicate(item, 1) : cJSON_CreateNull());

    mac[0] = '\0';
    ngx_http_sockerless_random_id(eid);

    cfg = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(net,
                                                                 "IPAM"),
                                                 "Config"),
                             0);
    gw = ngx_http_sockerless_json_str(cfg, "Gateway");

    if (nt.ip[0]
        && ngx_http_sockerless_ip_parse(nt.ip, &a) == NGX_OK
        && ngx_http_sockerless_cidr(ngx_http_sockerless_json_str(cfg,
                                                                 "Subnet"),
                                    &a, &len)
           == NGX_OK)
    {
        (void) ngx_http_sockerless_ip_parse(nt.ip, &a);
        ngx_sprintf((u_char *) mac, "02:42:%02xD:%02xD:%02xD:%02xD%Z",
                    a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);

    } else {
        len = 0;
        gw = NULL;
    }

    cJSON_AddStringToObject(ep, "MacAddress", mac);
    cJSON_AddNullToObject(ep, "DriverOpts");
    cJSON_AddStringToObject(ep, "NetworkID", nid);
    cJSON_AddStringToObject(ep, "EndpointID", eid);
    cJSON_AddStringToObject(ep, "Gateway", gw ? gw : "");
    cJSON_AddStringToObject(ep, "IPAddress", nt.ip);
    cJSON_AddNumberToObject(ep, "IPPrefixLen", nt.ip[0] ? len : 0);
    cJSON_AddStringToObject(ep, "IPv6Gateway", "");
    cJSON_AddStringToObject(ep, "GlobalIPv6Address", "");
    cJSON_AddNumberToObject(ep, "GlobalIPv6PrefixLen", 0);

    /* the names other containers resolve this one by, on this network */

    dns = cJSON_AddArrayToObject(ep, "DNSNames");

    if (nt.ip[0] && ngx_strcmp(nname, "bridge") != 0) {
        if (cname) {
            cJSON_AddItemToArray(dns, cJSON_CreateString(cname + 1));
        }

        cJSON_ArrayForEach(e, cJSON_GetObjectItem(ep, "Aliases")) {
            if (cJSON_IsString(e)) {
                cJSON_AddItemToArray(dns,
                                     cJSON_CreateString(e->valuestring));
            }
        }

        ngx_memcpy(eid, cid, 12);
        eid[12] = '\0';
        cJSON_AddItemToArray(dns, cJSON_CreateString(eid));

    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(ep, "DNSNames");
        cJSON_AddNullToObject(ep, "DNSNames");
    }

    cJSON_AddItemToObject(nets, nname, ep);

    /* dockerd fills the top-level fields for the default bridge only */

    if (ngx_strcmp(nname, "bridge") == 0) {
        ngx_http_sockerless_network_top(rec, ep);
    }

    return NGX_OK;
}


void
ngx_http_sockerless_network_top(cJSON *rec, cJSON *ep)
{
    cJSON       *ns;
    ngx_uint_t   i;

    static const char  *fields[] = {
        "EndpointID", "Gateway", "IPAddress", "IPPrefixLen", "MacAddress",
        "IPv6Gateway", "GlobalIPv6Address", "GlobalIPv6PrefixLen", NULL
    };

    ns = cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings");

    for (i = 0; fields[i]; i++) {
        cJSON_DeleteItemFromObjectCaseSensitive(ns, fields[i]);

        if (ep) {
            cJSON_AddItemToObject(ns, fields[i],
                cJSON_Duplicate(cJSON_GetObjectItem(ep, fields[i]), 1));

        } else if (ngx_strstr(fields[i], "Len")) {
            cJSON_AddNumberToObject(ns, fields[i], 0);

        } else {
            cJSON_AddStringToObject(ns, fields[i], "");
        }
    }
}


/* gives back the address of the endpoint ep (the name of its network) */

void
ngx_http_sockerless_network_release(ngx_pool_t *pool, cJSON *ep)
{
    char         key[NGX_HTTP_SOCKERLESS_ID_LEN + 8];
    const char  *nid, *ip;

    nid = ngx_http_sockerless_json_str(ep, "NetworkID");
    ip = ngx_http_sockerless_json_str(ep, "IPAddress");

    if (nid == NULL || ip == NULL || *ip == '\0'
        || ngx_strlen(nid) > NGX_HTTP_SOCKERLESS_ID_LEN)
    {
        return;
    }

    ngx_sprintf((u_char *) key, "n/%s%Z", nid);

    (void) ngx_http_sockerless_store_update(pool, key,
                                            ngx_http_sockerless_ip_give,
                                            (void *) ip);
}


/* a removed container: its addresses go back, its peers forget it */

void
ngx_http_sockerless_network_forget(ngx_pool_t *pool, cJSON *rec)
{
    cJSON  *ep;

    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(rec,
                                                       "NetworkSettings"),
                               "Networks"))
    {
        ngx_http_sockerless_network_release(pool, ep);
    }

    ngx_http_sockerless_network_hosts(pool);
}


/*
 * The endpoints of a new container: HostConfig.NetworkMode and
 * NetworkingConfig.EndpointsConfig, as dockerd reads them.
 */

ngx_int_t
ngx_http_sockerless_network_create_endpoints(ngx_pool_t *pool, cJSON *rec,
    cJSON *body, ngx_uint_t *status, char *err, size_t size)
{
    cJSON       *hc, *epcs, *e, *net, *ep;
    ngx_int_t    rc;
    const char  *mode;

    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
    mode = ngx_http_sockerless_json_str(hc, "NetworkMode");

    if (mode == NULL || *mode == '\0' || ngx_strcmp(mode, "default") == 0) {
        mode = "bridge";
    }

    if (ngx_strncmp(mode, "container:", 10) == 0) {
        *status = NGX_HTTP_NOT_IMPLEMENTED;
        ngx_snprintf((u_char *) err, size, "network mode \"%s\": sharing "
                     "another container's network namespace is not "
                     "supported by sockerless%Z", mode);
        return NGX_DECLINED;
    }

    epcs = cJSON_GetObjectItem(cJSON_GetObjectItem(body, "NetworkingConfig"),
                               "EndpointsConfig");

    net = ngx_http_sockerless_network_find(pool, mode);
    if (net == NULL) {
        *status = NGX_HTTP_NOT_FOUND;
        ngx_snprintf((u_char *) err, size, "network %s not found%Z", mode);
        return NGX_DECLINED;
    }

    e = cJSON_GetObjectItem(epcs, mode);

    if (e == NULL && ngx_strcmp(mode, "bridge") == 0) {
        e = cJSON_GetObjectItem(epcs, "default");
    }

    rc = ngx_http_sockerless_network_attach(pool, rec, net, e, status, err,
                                            size);
    if (rc != NGX_OK) {
        goto failed;
    }

    cJSON_ArrayForEach(e, epcs) {
        if (e->string == NULL || ngx_strcmp(e->string, mode) == 0
            || (ngx_strcmp(e->string, "default") == 0
                && ngx_strcmp(mode, "bridge") == 0))
        {
            continue;
        }

        net = ngx_http_sockerless_network_find(pool, e->string);

        if (net
            && ngx_strcmp(ngx_http_sockerless_json_str(net, "Name"), mode)
               == 0)
        {
            continue;
        }

        if (net == NULL) {
            *status = NGX_HTTP_NOT_FOUND;
            ngx_snprintf((u_char *) err, size, "network %s not found%Z",
                         e->string);
            rc = NGX_DECLINED;
            goto failed;
        }

        if (ngx_strcmp(mode, "host") == 0 || ngx_strcmp(mode, "none") == 0) {
            *status = NGX_HTTP_BAD_REQUEST;
            ngx_snprintf((u_char *) err, size, "container cannot be "
                         "connected to multiple networks with one of the "
                         "networks in private (none) mode%Z");
            rc = NGX_DECLINED;
            goto failed;
        }

        rc = ngx_http_sockerless_network_attach(pool, rec, net, e, status,
                                                err, size);
        if (rc != NGX_OK) {
            goto failed;
        }
    }

    return NGX_OK;

failed:

    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(rec,
                                                       "NetworkSettings"),
                               "Networks"))
    {
        ngx_http_sockerless_network_release(pool, ep);
    }

    return rc;
}


/* connect and disconnect: the container's record, then the backend */

typedef struct {
    cJSON       *ep;          /* connect: the new endpoint */
    const char  *name;        /* the network's name */
    ngx_uint_t   connect;
    ngx_uint_t   status;
    char         err[256];
} ngx_http_sockerless_nedit_t;


static ngx_int_t
ngx_http_sockerless_network_edit(void *data, cJSON **value)
{
    ngx_http_sockerless_nedit_t *ne = data;

    cJSON  *nets;

    if (*value == NULL) {
        ne->status = NGX_HTTP_NOT_FOUND;
        ngx_snprintf((u_char *) ne->err, sizeof(ne->err), "container is "
                     "gone%Z");
        return NGX_DECLINED;
    }

    nets = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(*value, "NetworkSettings"),
               "Networks");
    if (nets == NULL) {
        return NGX_ERROR;
    }

    if (ne->connect) {
        if (cJSON_GetObjectItemCaseSensitive(nets, ne->name)) {
            ne->status = NGX_HTTP_FORBIDDEN;
            ngx_snprintf((u_char *) ne->err, sizeof(ne->err), "endpoint "
                         "with name %s already exists in network %s%Z",
                         ngx_http_sockerless_json_str(*value, "Name") + 1,
                         ne->name);
            return NGX_DECLINED;
        }

        cJSON_AddItemToObject(nets, ne->name, cJSON_Duplicate(ne->ep, 1));

        if (ngx_strcmp(ne->name, "bridge") == 0) {
            ngx_http_sockerless_network_top(*value, ne->ep);
        }

        return NGX_OK;
    }

    ne->ep = cJSON_DetachItemFromObjectCaseSensitive(nets, ne->name);

    if (ne->ep == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_strcmp(ne->name, "bridge") == 0) {
        ngx_http_sockerless_network_top(*value, NULL);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_network_connect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                          key[NGX_HTTP_SOCKERLESS_ID_LEN + 8];
    char                          err[256];
    cJSON                        *net, *rec, *copy, *ep;
    ngx_str_t                     ref;
    ngx_int_t                     rc;
    ngx_uint_t                    status;
    const char                   *cref, *nname, *mode, *cid;
    ngx_http_sockerless_nedit_t   ne;
    ngx_http_sockerless_nlive_t  *nl;

    net = ngx_http_sockerless_network_of(r, &args->id);
    if (net == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "network %V not found",
                                              &args->id);
    }

    cref = ngx_http_sockerless_json_str(args->body, "Container");
    if (cref == NULL || *cref == '\0') {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "no container given");
    }

    ref.data = (u_char *) cref;
    ref.len = ngx_strlen(cref);

    rec = ngx_http_sockerless_container_find(r->pool, &ref);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %s", cref);
    }

    nname = ngx_http_sockerless_json_str(net, "Name");
    mode = ngx_http_sockerless_json_str(
               cJSON_GetObjectItemCaseSensitive(rec, "HostConfig"),
               "NetworkMode");
    cid = ngx_http_sockerless_json_str(rec, "Id");

    if (ngx_strcmp(nname, "host") == 0 || ngx_strcmp(nname, "none") == 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "container cannot be disconnected from host "
                              "network or connected to host network");
    }

    if (mode && (ngx_strcmp(mode, "host") == 0
                 || ngx_strcmp(mode, "none") == 0))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_FORBIDDEN,
                              "container sharing network namespace with "
                              "another container or host cannot be "
                              "connected to any other network");
    }

    /* the endpoint is made on a copy, then put in the stored record */

    copy = ngx_http_sockerless_json_bind(r->pool, cJSON_Duplicate(rec, 1));
    if (copy == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ep = cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(copy, "NetworkSettings"),
             "Networks");
    while (ep && ep->child) {
        cJSON_DeleteItemFromObjectCaseSensitive(ep, ep->child->string);
    }

    rc = ngx_http_sockerless_network_attach(r->pool, copy, net,
                          cJSON_GetObjectItem(args->body, "EndpointConfig"),
                          &status, err, sizeof(err));
    if (rc == NGX_DECLINED) {
        return ngx_http_sockerless_send_error(r, status, "%s", err);
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ep = cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(copy, "NetworkSettings"),
                 "Networks"),
             nname);

    ngx_memzero(&ne, sizeof(ngx_http_sockerless_nedit_t));
    ne.connect = 1;
    ne.name = nname;
    ne.ep = ep;

    ngx_sprintf((u_char *) key, "c/%s%Z", cid);

    rc = ngx_http_sockerless_store_update(r->pool, key,
                                          ngx_http_sockerless_network_edit,
                                          &ne);
    if (rc != NGX_OK) {
        ngx_http_sockerless_network_release(r->pool, ep);

        if (rc == NGX_DECLINED && ne.status) {
            return ngx_http_sockerless_send_error(r, ne.status, "%s",
                                                  ne.err);
        }

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a running container gets the interface now */

    nl = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_nlive_t));
    if (nl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nl->r = r;
    nl->net = net;
    nl->ep = ep;
    nl->name = nname;
    nl->connect = 1;
    ngx_cpystrn((u_char *) nl->cid, (u_char *) cid, sizeof(nl->cid));

    return ngx_http_sockerless_network_live(nl,
                            ngx_http_sockerless_container_find(r->pool, &ref));
}


static ngx_int_t
ngx_http_sockerless_network_disconnect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *net, *rec, *ep;
    ngx_str_t                     ref;
    const char                   *cref, *nname, *cid;
    ngx_http_sockerless_nlive_t  *nl;

    net = ngx_http_sockerless_network_of(r, &args->id);
    if (net == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "network %V not found",
                                              &args->id);
    }

    cref = ngx_http_sockerless_json_str(args->body, "Container");
    if (cref == NULL || *cref == '\0') {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "no container given");
    }

    ref.data = (u_char *) cref;
    ref.len = ngx_strlen(cref);

    rec = ngx_http_sockerless_container_find(r->pool, &ref);
    nname = ngx_http_sockerless_json_str(net, "Name");

    if (rec == NULL) {
        if (cJSON_IsTrue(cJSON_GetObjectItem(args->body, "Force"))) {
            return ngx_http_sockerless_send_empty(r, NGX_HTTP_OK);
        }

        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %s", cref);
    }

    if (ngx_strcmp(nname, "host") == 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                              "container cannot be disconnected from host "
                              "network or connected to host network");
    }

    cid = ngx_http_sockerless_json_str(rec, "Id");

    ep = cJSON_GetObjectItemCaseSensitive(
             cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
                 "Networks"),
             nname);

    if (ep == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_FORBIDDEN,
                              "container %s is not connected to network %s",
                              cref, nname);
    }

    nl = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_nlive_t));
    if (nl == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nl->r = r;
    nl->net = net;
    nl->ep = ep;
    nl->name = nname;
    ngx_cpystrn((u_char *) nl->cid, (u_char *) cid, sizeof(nl->cid));

    /* the interface goes first, while the record still names it */

    return ngx_http_sockerless_network_live(nl, rec);
}


/*
 * A running container gets or loses the interface through the backend
 * (network_connect); a stopped one only changes its record, which its
 * next start reads.
 */

static ngx_int_t
ngx_http_sockerless_network_live(ngx_http_sockerless_nlive_t *nl, cJSON *rec)
{
    ngx_int_t                       rc;
    ngx_http_request_t             *r;
    ngx_http_sockerless_op_t       *op;
    ngx_http_sockerless_backend_t  *be;

    r = nl->r;
    be = ngx_http_sockerless_backend();

    if (rec == NULL
        || !cJSON_IsTrue(cJSON_GetObjectItem(
                             cJSON_GetObjectItemCaseSensitive(rec, "State"),
                             "Running")))
    {
        return ngx_http_sockerless_network_finish(nl, NGX_OK);
    }

    op = &nl->op;
    op->request = r;
    op->pool = r->pool;
    op->log = r->connection->log;
    op->conf = ngx_http_sockerless_backend_conf();
    op->container = rec;
    op->signal = nl->connect;
    op->result = nl->ep;
    op->data = nl;
    op->handler = ngx_http_sockerless_network_live_done;

    if (be->network_connect == NULL) {
        op->status = NGX_HTTP_NOT_IMPLEMENTED;
        ngx_str_set(&op->message, "connecting or disconnecting a running "
                    "container is not supported by this backend");
        return ngx_http_sockerless_network_finish(nl, NGX_DECLINED);
    }

    if (be->op_state_size) {
        op->state = ngx_pcalloc(r->pool, be->op_state_size);
        if (op->state == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = be->network_connect(op);

    if (rc == NGX_AGAIN) {
        r->main->count++;
        return NGX_DONE;
    }

    return ngx_http_sockerless_network_finish(nl, rc);
}


static void
ngx_http_sockerless_network_live_done(ngx_http_sockerless_op_t *op,
    ngx_int_t rc)
{
    ngx_http_sockerless_nlive_t *nl = op->data;

    ngx_http_finalize_request(nl->r,
                              ngx_http_sockerless_network_finish(nl, rc));
}


static ngx_int_t
ngx_http_sockerless_network_finish(ngx_http_sockerless_nlive_t *nl,
    ngx_int_t rc)
{
    char                          key[NGX_HTTP_SOCKERLESS_ID_LEN + 8];
    cJSON                        *attrs;
    ngx_http_request_t           *r;
    ngx_http_sockerless_nedit_t   ne;

    r = nl->r;

    ngx_memzero(&ne, sizeof(ngx_http_sockerless_nedit_t));
    ne.name = nl->name;
    ngx_sprintf((u_char *) key, "c/%s%Z", nl->cid);

    if (rc != NGX_OK) {
        if (nl->connect) {
            /* the record gives the endpoint back */
            if (ngx_http_sockerless_store_update(r->pool, key,
                                         ngx_http_sockerless_network_edit,
                                         &ne)
                == NGX_OK && ne.ep)
            {
                cJSON_Delete(ne.ep);
            }

            ngx_http_sockerless_network_release(r->pool, nl->ep);
        }

        if (nl->op.status == 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_sockerless_send_error(r, nl->op.status, "%V",
                                              &nl->op.message);
    }

    if (!nl->connect) {
        rc = ngx_http_sockerless_store_update(r->pool, key,
                                       ngx_http_sockerless_network_edit, &ne);
        if (rc == NGX_DECLINED) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_FORBIDDEN,
                              "container %s is not connected to network %s",
                              nl->cid, nl->name);
        }

        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ne.ep) {
            ngx_http_sockerless_network_release(r->pool, ne.ep);
            cJSON_Delete(ne.ep);
        }
    }

    ngx_http_sockerless_network_hosts(r->pool);

    attrs = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (attrs) {
        cJSON_AddStringToObject(attrs, "container", nl->cid);
        cJSON_AddStringToObject(attrs, "name", nl->name);
        cJSON_AddStringToObject(attrs, "type",
                        ngx_http_sockerless_json_str(nl->net, "Driver"));
        (void) ngx_http_sockerless_event("network",
                        nl->connect ? "connect" : "disconnect",
                        ngx_http_sockerless_json_str(nl->net, "Id"), attrs);
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_OK);
}


static ngx_int_t
ngx_http_sockerless_network_remove(ngx_pool_t *pool, cJSON *net)
{
    char         key[300];
    cJSON       *attrs;
    const char  *id, *name, *subnet, *driver;

    id = ngx_http_sockerless_json_str(net, "Id");
    name = ngx_http_sockerless_json_str(net, "Name");
    driver = ngx_http_sockerless_json_str(net, "Driver");
    subnet = ngx_http_sockerless_json_str(
                 cJSON_GetObjectItemCaseSensitive(net, "_sls"), "subnet");

    if (id == NULL || name == NULL || ngx_strlen(name) > 255) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "n/%s%Z", id);

    if (ngx_http_sockerless_store_del(key) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "nn/%s%Z", name);
    (void) ngx_http_sockerless_store_del(key);

    if (subnet) {
        (void) ngx_http_sockerless_store_update(pool, "nsub",
                                     ngx_http_sockerless_nsub_give,
                                     (void *) subnet);
    }

    ngx_http_sockerless_network_bridge_remove(id);

    attrs = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (attrs) {
        cJSON_AddStringToObject(attrs, "name", name);
        cJSON_AddStringToObject(attrs, "type", driver ? driver : "bridge");
        (void) ngx_http_sockerless_event("network", "destroy", id, attrs);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_network_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON       *net, *ids;
    const char  *name, *id;

    net = ngx_http_sockerless_network_of(r, &args->id);
    if (net == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "network %V not found",
                                              &args->id);
    }

    name = ngx_http_sockerless_json_str(net, "Name");
    id = ngx_http_sockerless_json_str(net, "Id");

    if (cJSON_IsTrue(cJSON_GetObjectItem(
                         cJSON_GetObjectItemCaseSensitive(net, "_sls"),
                         "builtin")))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_FORBIDDEN,
                              "%s is a pre-defined network and cannot be "
                              "removed", name);
    }

    ids = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (ids == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    switch (ngx_http_sockerless_network_users(r->pool, id, ids)) {

    case NGX_OK:
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                              "error while removing network: network %s "
                              "id %s has active endpoints", name, id);

    case NGX_DECLINED:
        break;

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_network_remove(r->pool, net) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


static ngx_int_t
ngx_http_sockerless_network_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *out;
    ngx_int_t                     rc;
    ngx_http_sockerless_nscan_t   ns;

    static const char  *allowed[] = { "label", "label!", "until", NULL };

    if (ngx_http_sockerless_network_defaults(r->pool) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&ns, sizeof(ngx_http_sockerless_nscan_t));

    rc = ngx_http_sockerless_network_scan_args(r, &ns, allowed);
    if (rc != NGX_OK) {
        return rc;
    }

    ns.prune = 1;

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ns.out = cJSON_AddArrayToObject(out, "NetworksDeleted");

    if (ngx_http_sockerless_store_scan(r->pool, "n/",
                                       ngx_http_sockerless_network_each, &ns)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* dockerd reclaims no space from networks and says so */
    (void) ngx_http_sockerless_event_kv("network", "prune", "", "reclaimed",
                                        "0", NULL);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/* does a container's endpoint list name the network (name or id)? */

ngx_int_t
ngx_http_sockerless_network_match(cJSON *rec, const char *ref)
{
    cJSON       *e;
    size_t       len;
    const char  *nid;

    len = ngx_strlen(ref);

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec,
                                                       "NetworkSettings"),
                              "Networks"))
    {
        nid = ngx_http_sockerless_json_str(e, "NetworkID");

        if ((e->string && ngx_strcmp(e->string, ref) == 0)
            || (nid && len && ngx_strncmp(nid, ref, len) == 0))
        {
            return 1;
        }
    }

    return 0;
}


/* hosts files */

typedef struct {
    ngx_pool_t  *pool;
    cJSON       *all;         /* the records of every container */
} ngx_http_sockerless_nhosts_t;


static ngx_int_t
ngx_http_sockerless_hosts_collect(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_nhosts_t *nh = data;

    cJSON_AddItemToArray(nh->all, cJSON_Duplicate(rec, 1));

    return NGX_OK;
}


const char *
ngx_http_sockerless_network_host_gateway(ngx_pool_t *pool)
{
    cJSON       *n;
    const char  *gw;

    n = ngx_http_sockerless_network_find(pool, "bridge");

    gw = ngx_http_sockerless_json_str(
             cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(n, "IPAM"), "Config"), 0),
             "Gateway");

    return (gw && *gw) ? gw : NULL;
}


/*
 * HostConfig.ExtraHosts as dockerd writes them, "ip<TAB>name", after
 * the defaults; "host-gateway" is the default bridge's gateway
 */

static u_char *
ngx_http_sockerless_network_extra_hosts(ngx_pool_t *pool, cJSON *rec,
    u_char *p, u_char *last)
{
    char        *name, *ip, buf[512];
    cJSON       *e;
    const char  *gw;

    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec,
                                                           "HostConfig"),
                              "ExtraHosts"))
    {
        if (!cJSON_IsString(e)
            || ngx_http_sockerless_extra_host(e->valuestring, buf,
                                              sizeof(buf), &name, &ip)
               != NGX_OK)
        {
            continue;
        }

        if (ngx_strcmp(ip, "host-gateway") == 0) {
            gw = ngx_http_sockerless_network_host_gateway(pool);
            if (gw == NULL) {
                continue;
            }

            ip = (char *) gw;
        }

        p = ngx_slprintf(p, last, "%s\t%s\n", ip, name);
    }

    return p;
}


/* the hosts file of rec, among the containers all */

u_char *
ngx_http_sockerless_network_hosts_text(ngx_pool_t *pool, cJSON *rec,
    cJSON *all, size_t *len)
{
    u_char      *text, *p, *last;
    cJSON       *nets, *ep, *other, *oep, *e;
    size_t       size;
    const char  *hostname, *ip, *oid, *id, *name, *oip;

    size = 4096;

    cJSON_ArrayForEach(other, all) {
        size += 512;
    }

    size += 520 * cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetObjectItemCaseSensitive(rec, "HostConfig"),
                      "ExtraHosts"));

    text = ngx_pnalloc(pool, size);
    if (text == NULL) {
        return NULL;
    }

    p = text;
    last = text + size - 1;

    hostname = ngx_http_sockerless_json_str(
                   cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                   "Hostname");
    id = ngx_http_sockerless_json_str(rec, "Id");
    nets = cJSON_GetObjectItemCaseSensitive(
               cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
               "Networks");

    p = ngx_slprintf(p, last, "127.0.0.1\tlocalhost\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n");

    p = ngx_http_sockerless_network_extra_hosts(pool, rec, p, last);

    /* its own name on its first address, as dockerd writes it */

    ip = NULL;

    cJSON_ArrayForEach(ep, nets) {
        ip = ngx_http_sockerless_json_str(ep, "IPAddress");

        if (ip && *ip) {
            break;
        }

        ip = NULL;
    }

    if (hostname && *hostname) {
        p = ngx_slprintf(p, last, "%s\t%s\n", ip ? ip : "127.0.0.1",
                         hostname);
    }

    /* its own names and aliases, which dockerd's resolver answers too */

    cJSON_ArrayForEach(ep, nets) {
        ip = ngx_http_sockerless_json_str(ep, "IPAddress");

        if (ip == NULL || *ip == '\0'
            || cJSON_GetArraySize(cJSON_GetObjectItem(ep, "DNSNames")) == 0)
        {
            continue;
        }

        p = ngx_slprintf(p, last, "%s", ip);

        cJSON_ArrayForEach(e, cJSON_GetObjectItem(ep, "DNSNames")) {
            if (cJSON_IsString(e)) {
                p = ngx_slprintf(p, last, "\t%s", e->valuestring);
            }
        }

        p = ngx_slprintf(p, last, "\n");
    }

    /* every other container on one of its networks, by name and alias */

    cJSON_ArrayForEach(ep, nets) {
        if (ep->string == NULL || ngx_strcmp(ep->string, "bridge") == 0) {
            continue;
        }

        cJSON_ArrayForEach(other, all) {
            oid = ngx_http_sockerless_json_str(other, "Id");

            if (oid == NULL || id == NULL || ngx_strcmp(oid, id) == 0) {
                continue;
            }

            oep = cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(other,
                                                   "NetworkSettings"),
                          "Networks"),
                      ep->string);
            oip = ngx_http_sockerless_json_str(oep, "IPAddress");

            if (oip == NULL || *oip == '\0') {
                continue;
            }

            name = NULL;
            p = ngx_slprintf(p, last, "%s", oip);

            cJSON_ArrayForEach(e, cJSON_GetObjectItem(oep, "DNSNames")) {
                if (cJSON_IsString(e)) {
                    p = ngx_slprintf(p, last, "\t%s", e->valuestring);
                    name = e->valuestring;
                }
            }

            if (name == NULL) {
                name = ngx_http_sockerless_json_str(other, "Name");
                p = ngx_slprintf(p, last, "\t%s", name ? name + 1 : oid);
            }

            p = ngx_slprintf(p, last, "\n");
        }
    }

    *len = p - text;

    return text;
}


/*
 * Rewrites, in place, the hosts file of every container that has one
 * (the agent binds it on /etc/hosts): a rename would leave the bind on
 * the old inode. Files whose text is the same are left alone.
 */

void
ngx_http_sockerless_network_hosts(ngx_pool_t *pool)
{
    int                            fd;
    cJSON                         *rec;
    u_char                        *text;
    size_t                         len;
    ssize_t                        n;
    const char                    *path;
    u_char                         old[16384];
    ngx_http_sockerless_nhosts_t   nh;

    nh.pool = pool;
    nh.all = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (nh.all == NULL
        || ngx_http_sockerless_store_scan(pool, "c/",
                                          ngx_http_sockerless_hosts_collect,
                                          &nh)
           != NGX_OK)
    {
        return;
    }

    cJSON_ArrayForEach(rec, nh.all) {
        path = ngx_http_sockerless_json_str(rec, "HostsPath");
        if (path == NULL) {
            continue;
        }

        fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd == -1) {
            /* not started yet: its start writes it */
            continue;
        }

        text = ngx_http_sockerless_network_hosts_text(pool, rec, nh.all,
                                                      &len);
        n = text ? read(fd, old, sizeof(old)) : -1;

        if (text && (n != (ssize_t) len || ngx_memcmp(old, text, len) != 0))
        {
            if (ftruncate(fd, 0) == -1
                || pwrite(fd, text, len, 0) != (ssize_t) len)
            {
                ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, ngx_errno,
                              "sockerless: writing \"%s\" failed", path);
            }
        }

        (void) close(fd);
    }
}


/* the bridge of a network, a Linux interface name */

void
ngx_http_sockerless_network_bridge_name(const char *id, char *name)
{
    ngx_sprintf((u_char *) name, "sls-%*s%Z", (size_t) 8, id);
}


/*
 * A removed network takes its bridge with it: SIOCBRDELBR after the
 * link is down, both at once, never blocking.
 */

void
ngx_http_sockerless_network_bridge_remove(const char *id)
{
    int           s;
    char          name[IFNAMSIZ + 1];
    struct ifreq  ifr;

    ngx_http_sockerless_network_bridge_name(id, name);

    s = socket(AF_LOCAL, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s == -1) {
        return;
    }

    ngx_memzero(&ifr, sizeof(struct ifreq));
    ngx_cpystrn((u_char *) ifr.ifr_name, (u_char *) name, IFNAMSIZ);

    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags &= ~IFF_UP;
        (void) ioctl(s, SIOCSIFFLAGS, &ifr);

        if (ioctl(s, SIOCBRDELBR, name) == -1) {
            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, ngx_errno,
                          "sockerless: removing the bridge \"%s\" failed",
                          name);
        }
    }

    (void) close(s);
}
