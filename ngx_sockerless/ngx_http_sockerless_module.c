
/*
 * Copyright (C) sockerless contributors
 *
 * The sockerless module: directives, the location content handler and the
 * router that maps Docker Engine API paths to handlers.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_images.h>


static ngx_int_t ngx_http_sockerless_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_version_prefix(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_route(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args, ngx_http_sockerless_route_t **route);
static void ngx_http_sockerless_body_handler(ngx_http_request_t *r);
static void *ngx_http_sockerless_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_sockerless_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_sockerless(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_sockerless_backend_set(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_sockerless_insecure_set(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_sockerless_init_process(ngx_cycle_t *cycle);
static void ngx_http_sockerless_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_sockerless_commands[] = {

    { ngx_string("sockerless"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_sockerless,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_data_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, data_dir),
      NULL },

    { ngx_string("sockerless_agent"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, agent_path),
      NULL },

    { ngx_string("sockerless_backend"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_sockerless_backend_set,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_json_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, json_max),
      NULL },

    { ngx_string("sockerless_unpack_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, unpack_max),
      NULL },

    { ngx_string("sockerless_registry_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, registry_timeout),
      NULL },

    { ngx_string("sockerless_insecure_registries"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_sockerless_insecure_set,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_event_history"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_main_conf_t, event_history),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_create_main_conf,  /* create main configuration */
    ngx_http_sockerless_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_sockerless_create_loc_conf,   /* create location configuration */
    ngx_http_sockerless_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_module_ctx,       /* module context */
    ngx_http_sockerless_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_sockerless_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_sockerless_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_sockerless_route_t  ngx_http_sockerless_system_routes[] = {

    { NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST, ngx_string("/_ping"),
      ngx_null_string, 0, ngx_http_sockerless_ping },

    { NGX_HTTP_GET, ngx_string("/version"),
      ngx_null_string, 0, ngx_http_sockerless_version },

    { NGX_HTTP_GET, ngx_string("/info"),
      ngx_null_string, 0, ngx_http_sockerless_info },

    { NGX_HTTP_GET, ngx_string("/events"),
      ngx_null_string, 0, ngx_http_sockerless_events },

    { NGX_HTTP_POST, ngx_string("/build"),
      ngx_null_string, 0, ngx_http_sockerless_build },

    { NGX_HTTP_POST, ngx_string("/build/prune"),
      ngx_null_string, 0, ngx_http_sockerless_build_prune },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


static ngx_http_sockerless_route_t  *ngx_http_sockerless_tables[] = {
    ngx_http_sockerless_system_routes,
    ngx_http_sockerless_container_routes,
    ngx_http_sockerless_exec_routes,
    ngx_http_sockerless_image_routes,
    ngx_http_sockerless_volume_routes,
    ngx_http_sockerless_network_routes,
    ngx_http_sockerless_callback_routes,
    ngx_http_sockerless_tree_routes,
    ngx_http_sockerless_archive_routes,
    ngx_http_sockerless_resource_routes,
    NULL
};


static ngx_int_t
ngx_http_sockerless_handler(ngx_http_request_t *r)
{
    ngx_int_t                         rc;
    ngx_http_sockerless_ctx_t        *ctx;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_sockerless_module);

    rc = ngx_http_sockerless_version_prefix(r, &ctx->args);

    if (ctx->args.api_minor == 0) {
        /* the version was refused and the answer sent */
        return rc;
    }

    if (smcf->backend->passthrough) {
        return smcf->backend->passthrough(r, &ctx->args);
    }

    rc = ngx_http_sockerless_route(r, &ctx->args, &ctx->route);

    if (rc == NGX_DECLINED) {
        ngx_http_discard_request_body(r);
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "page not found");
    }

    if (rc == NGX_HTTP_NOT_ALLOWED) {
        ngx_http_discard_request_body(r);
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_ALLOWED,
                                              "method not allowed");
    }

    if (ctx->route->flags & NGX_HTTP_SOCKERLESS_ROUTE_BODY) {

        if (r->headers_in.content_length_n > (off_t) smcf->json_max) {
            ngx_http_discard_request_body(r);
            return ngx_http_sockerless_send_error(r,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "request body is larger than %uz "
                                        "bytes", smcf->json_max);
        }

        r->request_body_in_single_buf = 1;
        r->request_body_in_persistent_file = 0;

        rc = ngx_http_read_client_request_body(r,
                                            ngx_http_sockerless_body_handler);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (ctx->route->flags & NGX_HTTP_SOCKERLESS_ROUTE_RAW) {
        r->request_body_in_file_only = 1;
        r->request_body_in_persistent_file = 1;
        r->request_body_in_clean_file = 1;
        r->request_body_file_log_level = 0;

        rc = ngx_http_read_client_request_body(r,
                                            ngx_http_sockerless_body_handler);

        if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        return NGX_DONE;
    }

    if (!(r->headers_in.upgrade && r->method == NGX_HTTP_POST)
        && !(ctx->route->flags & NGX_HTTP_SOCKERLESS_ROUTE_OWN_BODY))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    return ctx->route->handler(r, &ctx->args);
}


static void
ngx_http_sockerless_body_handler(ngx_http_request_t *r)
{
    size_t                            len;
    u_char                           *p;
    ngx_buf_t                        *b;
    ngx_int_t                         rc;
    ngx_chain_t                      *cl;
    ngx_http_sockerless_ctx_t        *ctx;
    ngx_http_sockerless_main_conf_t  *smcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    if (r->request_body == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ctx->route->flags & NGX_HTTP_SOCKERLESS_ROUTE_RAW) {
        ctx->args.raw = r->request_body->bufs;
        ngx_http_finalize_request(r, ctx->route->handler(r, &ctx->args));
        return;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            len += b->file_last - b->file_pos;

        } else {
            len += b->last - b->pos;
        }
    }

    if (len > smcf->json_max) {
        rc = ngx_http_sockerless_send_error(r,
                                        NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "request body is larger than %uz "
                                        "bytes", smcf->json_max);
        ngx_http_finalize_request(r, rc);
        return;
    }

    if (len > 0) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        len = 0;

        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;

            if (b->in_file) {
                ssize_t  n;

                n = ngx_read_file(b->file, p + len,
                                  b->file_last - b->file_pos, b->file_pos);
                if (n == NGX_ERROR) {
                    ngx_http_finalize_request(r,
                                              NGX_HTTP_INTERNAL_SERVER_ERROR);
                    return;
                }

                len += n;

            } else {
                len = ngx_cpymem(p + len, b->pos, b->last - b->pos) - p;
            }
        }

        ctx->args.body = ngx_http_sockerless_json_parse(r->pool, p, len);

        if (ctx->args.body == NULL) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "sockerless: malformed JSON body");
            rc = ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid JSON: the request body is "
                                       "not a valid JSON document");
            ngx_http_finalize_request(r, rc);
            return;
        }
    }

    ngx_http_finalize_request(r, ctx->route->handler(r, &ctx->args));
}


static ngx_int_t
ngx_http_sockerless_version_prefix(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    u_char     *p, *last;
    ngx_uint_t  major, minor;

    p = r->uri.data;
    last = p + r->uri.len;

    args->api_minor = 50;

    if (last - p > 2 && p[0] == '/' && p[1] == 'v'
        && p[2] >= '0' && p[2] <= '9')
    {
        p += 2;
        major = 0;
        minor = 0;

        while (p < last && *p >= '0' && *p <= '9') {
            major = major * 10 + (*p++ - '0');
            if (major > 1000) {
                goto bad;
            }
        }

        if (p == last || *p != '.') {
            goto bad;
        }

        p++;

        if (p == last || *p < '0' || *p > '9') {
            goto bad;
        }

        while (p < last && *p >= '0' && *p <= '9') {
            minor = minor * 10 + (*p++ - '0');
            if (minor > 1000) {
                goto bad;
            }
        }

        if (p == last || *p != '/') {
            goto bad;
        }

        if (major > 1 || (major == 1 && minor > 50)) {
            args->api_minor = 0;
            (void) ngx_http_discard_request_body(r);
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "client version %ui.%ui is too new. Maximum "
                       "supported API version is "
                       NGX_HTTP_SOCKERLESS_API_VERSION, major, minor);
        }

        if (major < 1 || minor < 24) {
            args->api_minor = 0;
            (void) ngx_http_discard_request_body(r);
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "client version %ui.%ui is too old. Minimum "
                       "supported API version is "
                       NGX_HTTP_SOCKERLESS_API_MIN_VERSION ", please "
                       "upgrade your client to a newer version",
                       major, minor);
        }

        args->api_minor = minor;
    }

    args->path.data = p;
    args->path.len = last - p;

    return NGX_OK;

bad:

    args->path = r->uri;

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_route(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args, ngx_http_sockerless_route_t **route)
{
    u_char                        *p, *last;
    ngx_uint_t                     i, allowed;
    ngx_str_t                      id, sub;
    ngx_http_sockerless_route_t   *rt, **table;

    allowed = 0;

    for (table = ngx_http_sockerless_tables; *table; table++) {

        for (rt = *table; rt->handler; rt++) {

            if (!(rt->flags & NGX_HTTP_SOCKERLESS_ROUTE_ID)) {
                if (args->path.len != rt->prefix.len
                    || ngx_strncmp(args->path.data, rt->prefix.data,
                                   rt->prefix.len)
                       != 0)
                {
                    continue;
                }

                if (!(rt->method & r->method)) {
                    allowed = 1;
                    continue;
                }

                *route = rt;
                return NGX_OK;
            }

            /* "/prefix/" {id} [ "/" sub ] */

            if (args->path.len <= rt->prefix.len
                || ngx_strncmp(args->path.data, rt->prefix.data,
                               rt->prefix.len)
                   != 0)
            {
                continue;
            }

            p = args->path.data + rt->prefix.len;
            last = args->path.data + args->path.len;

            if (rt->sub.len == 0) {

                /* image names may hold slashes: {name} is the rest */

                id.data = p;
                id.len = last - p;
                ngx_str_null(&sub);

            } else {
                if ((size_t) (last - p) <= rt->sub.len + 1
                    || last[-(ssize_t) rt->sub.len - 1] != '/'
                    || ngx_strncmp(last - rt->sub.len, rt->sub.data,
                                   rt->sub.len)
                       != 0)
                {
                    continue;
                }

                id.data = p;
                id.len = (last - rt->sub.len - 1) - p;
                sub = rt->sub;
            }

            if (id.len == 0) {
                continue;
            }

            /* container and exec ids hold no slash */

            if (ngx_strncmp(rt->prefix.data, "/images/", 8) != 0
                && ngx_strlchr(id.data, id.data + id.len, '/'))
            {
                continue;
            }

            if (!(rt->method & r->method)) {
                allowed = 1;
                continue;
            }

            args->id = id;
            args->sub = sub;

            for (i = 0; i < id.len; i++) {
                if (id.data[i] == '%') {
                    /* a percent-encoded name: decode it */
                    u_char  *dst, *src;

                    dst = ngx_pnalloc(r->pool, id.len);
                    if (dst == NULL) {
                        return NGX_ERROR;
                    }

                    args->id.data = dst;
                    src = id.data;
                    ngx_unescape_uri(&dst, &src, id.len, 0);
                    args->id.len = dst - args->id.data;
                    break;
                }
            }

            *route = rt;
            return NGX_OK;
        }
    }

    return allowed ? NGX_HTTP_NOT_ALLOWED : NGX_DECLINED;
}


ngx_http_sockerless_main_conf_t *
ngx_http_sockerless_conf(void)
{
    return ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_sockerless_module);
}


ngx_http_sockerless_backend_t *
ngx_http_sockerless_backend(void)
{
    return ngx_http_sockerless_conf()->backend;
}


void *
ngx_http_sockerless_backend_conf(void)
{
    return ngx_http_sockerless_conf()->backend_conf;
}


ngx_int_t
ngx_http_sockerless_op_error(ngx_http_sockerless_op_t *op, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    buf[1024];

    op->status = status;

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    op->message.data = ngx_pnalloc(op->pool, p - buf);
    op->message.len = 0;

    if (op->message.data) {
        op->message.len = p - buf;
        ngx_memcpy(op->message.data, buf, op->message.len);
    }

    return NGX_ERROR;
}


static void *
ngx_http_sockerless_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->data_dir = { 0, NULL };
     *     smcf->agent_path = { 0, NULL };
     *     smcf->backend_name = { 0, NULL };
     *     smcf->backend = NULL;
     *     smcf->enabled = 0;
     *     smcf->insecure_registries = NULL;
     */

    smcf->json_max = NGX_CONF_UNSET_SIZE;
    smcf->unpack_max = NGX_CONF_UNSET;
    smcf->event_history = NGX_CONF_UNSET_SIZE;
    smcf->registry_timeout = NGX_CONF_UNSET_MSEC;

    return smcf;
}


extern ngx_http_sockerless_backend_t  ngx_http_sockerless_memory_backend;
extern ngx_module_t                   ngx_http_sockerless_memory_module;
extern ngx_http_sockerless_backend_t  ngx_http_sockerless_docker_backend;
extern ngx_module_t                   ngx_http_sockerless_docker_module;
extern ngx_http_sockerless_backend_t  ngx_http_sockerless_ecs_backend;
extern ngx_module_t                   ngx_http_sockerless_ecs_module;
extern ngx_http_sockerless_backend_t  ngx_http_sockerless_lambda_backend;
extern ngx_module_t                   ngx_http_sockerless_lambda_module;


static char *
ngx_http_sockerless_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_main_conf_t *smcf = conf;

    ngx_conf_init_size_value(smcf->json_max, 1024 * 1024);
    ngx_conf_init_value(smcf->unpack_max, (off_t) 64 * 1024 * 1024 * 1024);
    ngx_conf_init_size_value(smcf->event_history, 4096);
    ngx_conf_init_msec_value(smcf->registry_timeout, 60000);

    if (smcf->data_dir.len == 0) {
        ngx_str_set(&smcf->data_dir, "sockerless");
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->data_dir, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (smcf->agent_path.len == 0) {
        ngx_str_set(&smcf->agent_path, "sockerless-agent");
    }

    if (ngx_conf_full_name(cf->cycle, &smcf->agent_path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (smcf->enabled
        && ngx_http_sockerless_images_init_conf(cf) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (smcf->backend == NULL) {
        ngx_str_set(&smcf->backend_name, "memory");
        smcf->backend = &ngx_http_sockerless_memory_backend;
        smcf->backend_conf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_sockerless_memory_module);
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_sockerless_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    slcf->enable = NGX_CONF_UNSET;

    return slcf;
}


static char *
ngx_http_sockerless_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_sockerless_loc_conf_t *prev = parent;
    ngx_http_sockerless_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_sockerless_loc_conf_t *slcf = conf;

    ngx_http_core_loc_conf_t         *clcf;
    ngx_http_sockerless_main_conf_t  *smcf;

    if (slcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    slcf->enable = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_sockerless_handler;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_sockerless_module);
    smcf->enabled = 1;

    return NGX_CONF_OK;
}


/* sockerless_insecure_registries host[:port] ...; plain http for them */

static char *
ngx_http_sockerless_insecure_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_sockerless_main_conf_t *smcf = conf;

    ngx_str_t   *value, *s;
    ngx_uint_t   i;

    if (smcf->insecure_registries == NULL) {
        smcf->insecure_registries = ngx_array_create(cf->pool, 4,
                                                     sizeof(ngx_str_t));
        if (smcf->insecure_registries == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0 || value[i].len > 255
            || ngx_strlchr(value[i].data, value[i].data + value[i].len, '/'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid registry \"%V\": host[:port] "
                               "expected", &value[i]);
            return NGX_CONF_ERROR;
        }

        s = ngx_array_push(smcf->insecure_registries);
        if (s == NULL) {
            return NGX_CONF_ERROR;
        }

        *s = value[i];
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_backend_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_sockerless_main_conf_t *smcf = conf;

    ngx_str_t  *value;

    if (smcf->backend) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "memory", 6) == 0) {
        smcf->backend_name = value[1];
        smcf->backend = &ngx_http_sockerless_memory_backend;
        smcf->backend_conf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_sockerless_memory_module);
        return NGX_CONF_OK;
    }

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "docker", 6) == 0) {
        smcf->backend_name = value[1];
        smcf->backend = &ngx_http_sockerless_docker_backend;
        smcf->backend_conf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_sockerless_docker_module);
        return NGX_CONF_OK;
    }

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "ecs", 3) == 0) {
        smcf->backend_name = value[1];
        smcf->backend = &ngx_http_sockerless_ecs_backend;
        smcf->backend_conf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_sockerless_ecs_module);
        return NGX_CONF_OK;
    }

    if (value[1].len == 6 && ngx_strncmp(value[1].data, "lambda", 6) == 0) {
        smcf->backend_name = value[1];
        smcf->backend = &ngx_http_sockerless_lambda_backend;
        smcf->backend_conf = ngx_http_conf_get_module_main_conf(cf,
                                         ngx_http_sockerless_lambda_module);
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown sockerless backend \"%V\" (this build has: "
                       "memory, docker, ecs, lambda)", &value[1]);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_sockerless_init_process(ngx_cycle_t *cycle)
{
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_sockerless_module);
    if (smcf == NULL || !smcf->enabled) {
        return NGX_OK;
    }

    if (ngx_http_sockerless_store_init(cycle, smcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (smcf->backend->init_process
        && smcf->backend->init_process(cycle, smcf->backend_conf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_sockerless_module);
    if (smcf == NULL || !smcf->enabled) {
        return;
    }

    if (smcf->backend->exit_process) {
        smcf->backend->exit_process(cycle, smcf->backend_conf);
    }

    ngx_http_sockerless_callback_exit_process(cycle);
    ngx_http_sockerless_store_done(cycle);
}
