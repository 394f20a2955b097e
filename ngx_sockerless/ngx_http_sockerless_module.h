
/*
 * Copyright (C) sockerless contributors
 *
 * Declarations shared by the files of the sockerless module: configuration,
 * the request context, the store, JSON replies and the Docker handlers.
 */


#ifndef _NGX_HTTP_SOCKERLESS_MODULE_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <cjson/cJSON.h>


#define NGX_HTTP_SOCKERLESS_API_VERSION      "1.50"
#define NGX_HTTP_SOCKERLESS_API_MIN_VERSION  "1.24"
#define NGX_HTTP_SOCKERLESS_VERSION          "0.1.0"

#define NGX_HTTP_SOCKERLESS_ID_LEN           64


typedef struct ngx_http_sockerless_backend_s  ngx_http_sockerless_backend_t;
typedef struct ngx_http_sockerless_watch_s    ngx_http_sockerless_watch_t;


typedef struct {
    ngx_str_t                      data_dir;
    ngx_str_t                      agent_path;
    ngx_str_t                      backend_name;
    ngx_http_sockerless_backend_t *backend;
    void                          *backend_conf;
    size_t                         json_max;
    off_t                          unpack_max;  /* 0: no limit */
    size_t                         event_history;
    ngx_msec_t                     registry_timeout;
    ngx_array_t                   *insecure_registries; /* ngx_str_t */
    ngx_flag_t                     enabled;
} ngx_http_sockerless_main_conf_t;


typedef struct {
    ngx_flag_t                     enable;
} ngx_http_sockerless_loc_conf_t;


/* the request, routed */

typedef struct {
    ngx_str_t                      path;      /* without the /vX.Y prefix */
    ngx_str_t                      id;        /* {id} or {name} segment */
    ngx_str_t                      sub;       /* the action after {id} */
    ngx_uint_t                     api_minor; /* 50 for v1.50 */
    cJSON                         *body;      /* parsed JSON body or NULL */
    ngx_chain_t                   *raw;       /* raw body, if not JSON */
} ngx_http_sockerless_args_t;


typedef ngx_int_t (*ngx_http_sockerless_handler_pt)(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);


typedef struct {
    ngx_uint_t                      method;   /* NGX_HTTP_GET|... */
    ngx_str_t                       prefix;   /* "/containers/" */
    ngx_str_t                       sub;      /* "start", "" = none */
    ngx_uint_t                      flags;
    ngx_http_sockerless_handler_pt  handler;
} ngx_http_sockerless_route_t;


/* the request's context: handlers that outlive the call hang off "data" */

typedef struct {
    ngx_http_sockerless_args_t      args;
    ngx_http_sockerless_route_t    *route;
    void                           *data;
} ngx_http_sockerless_ctx_t;


#define NGX_HTTP_SOCKERLESS_ROUTE_BODY   0x01   /* read and parse JSON */
#define NGX_HTTP_SOCKERLESS_ROUTE_RAW    0x02   /* read raw body to file */
#define NGX_HTTP_SOCKERLESS_ROUTE_ID     0x04   /* /prefix/{id}/sub */
#define NGX_HTTP_SOCKERLESS_ROUTE_OWN_BODY  0x08  /* the handler's to read */


/* store watches: called in every worker after any store change */

typedef void (*ngx_http_sockerless_watch_pt)(ngx_http_sockerless_watch_t *w);

struct ngx_http_sockerless_watch_s {
    ngx_queue_t                    queue;
    ngx_http_sockerless_watch_pt   handler;
    void                          *data;
    unsigned                       active:1;
};


extern ngx_module_t  ngx_http_sockerless_module;


/* json.c */
ngx_int_t ngx_http_sockerless_send_json(ngx_http_request_t *r,
    ngx_uint_t status, cJSON *json);
ngx_int_t ngx_http_sockerless_send_text(ngx_http_request_t *r,
    ngx_uint_t status, u_char *text, size_t len);
ngx_int_t ngx_http_sockerless_send_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *fmt, ...);
ngx_int_t ngx_http_sockerless_send_empty(ngx_http_request_t *r,
    ngx_uint_t status);
cJSON *ngx_http_sockerless_json_bind(ngx_pool_t *pool, cJSON *json);
struct sls_filters_s *ngx_http_sockerless_filters(ngx_http_request_t *r,
    ngx_str_t *text, const char *const *allowed, char *err, size_t size);
cJSON *ngx_http_sockerless_json_parse(ngx_pool_t *pool, u_char *p,
    size_t len);
u_char *ngx_http_sockerless_json_print(ngx_pool_t *pool, cJSON *json,
    size_t *len);
u_char *ngx_http_sockerless_json_text(ngx_pool_t *pool, cJSON *json,
    size_t *len);
ngx_int_t ngx_http_sockerless_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_sockerless_arg_bool(ngx_http_request_t *r,
    const char *name, ngx_flag_t dflt);
ngx_int_t ngx_http_sockerless_arg_time(ngx_http_request_t *r,
    const char *name, uint64_t *ns, char *err, size_t size);
time_t ngx_http_sockerless_parse_time(const char *s);
ngx_int_t ngx_http_sockerless_arg_int(ngx_http_request_t *r,
    const char *name, ngx_int_t dflt);
cJSON *ngx_http_sockerless_arg_json(ngx_http_request_t *r, const char *name);
char *ngx_http_sockerless_cstr(ngx_pool_t *pool, ngx_str_t *s);
const char *ngx_http_sockerless_json_str(cJSON *obj, const char *name);
int64_t ngx_http_sockerless_json_int(cJSON *obj, const char *name);
void ngx_http_sockerless_json_set(cJSON *obj, const char *name, cJSON *item);
void ngx_http_sockerless_now(char *buf, size_t size);
void ngx_http_sockerless_random_id(char id[NGX_HTTP_SOCKERLESS_ID_LEN + 1]);

/* store.c: LMDB shared by all workers; values are JSON documents */
ngx_int_t ngx_http_sockerless_store_init(ngx_cycle_t *cycle,
    ngx_http_sockerless_main_conf_t *smcf);
void ngx_http_sockerless_store_done(ngx_cycle_t *cycle);
cJSON *ngx_http_sockerless_store_get(ngx_pool_t *pool, const char *key);
ngx_int_t ngx_http_sockerless_store_put(const char *key, cJSON *value);
ngx_int_t ngx_http_sockerless_store_del(const char *key);

typedef ngx_int_t (*ngx_http_sockerless_scan_pt)(void *data, const char *key,
    cJSON *value);
ngx_int_t ngx_http_sockerless_store_scan(ngx_pool_t *pool,
    const char *prefix, ngx_http_sockerless_scan_pt handler, void *data);

/*
 * A read-modify-write: "update" runs inside one LMDB write transaction
 * with *value the current document (NULL if absent, else bound to the
 * pool). It returns NGX_OK to store *value (which it may replace with a
 * document bound to the same pool), NGX_DONE to delete the key,
 * NGX_DECLINED to write nothing, or another code that is passed back.
 */
typedef ngx_int_t (*ngx_http_sockerless_update_pt)(void *data,
    cJSON **value);
ngx_int_t ngx_http_sockerless_store_update(ngx_pool_t *pool, const char *key,
    ngx_http_sockerless_update_pt update, void *data);

ngx_int_t ngx_http_sockerless_store_watch(ngx_http_sockerless_watch_t *w);
void ngx_http_sockerless_store_unwatch(ngx_http_sockerless_watch_t *w);
void ngx_http_sockerless_store_changed(void);
uint64_t ngx_http_sockerless_store_version(void);
ngx_int_t ngx_http_sockerless_event(const char *type, const char *action,
    const char *id, cJSON *attributes);
ngx_int_t ngx_http_sockerless_event_kv(const char *type, const char *action,
    const char *id, ...);

/* handlers */
ngx_int_t ngx_http_sockerless_ping(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_version(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_info(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_events(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_build(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_build_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

extern ngx_http_sockerless_route_t  ngx_http_sockerless_container_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_exec_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_image_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_volume_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_network_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_callback_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_tree_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_archive_routes[];
extern ngx_http_sockerless_route_t  ngx_http_sockerless_resource_routes[];

/* callback.c: agents that dial back (reverse mode) */
#define NGX_HTTP_SOCKERLESS_RUN_LEN  16
void ngx_http_sockerless_relay_run(char *run, const char *token);

/*
 * agent.c: a unix socket path too long for sun_path as
 * "/proc/self/fd/<dir>/<name>"; the directory's descriptor (close it once
 * bound or connected), or -1
 */
int ngx_http_sockerless_agent_dirfd(const char *path,
    struct sockaddr_un *sun);
ngx_int_t ngx_http_sockerless_send_fd(ngx_socket_t s, ngx_socket_t fd);
ngx_int_t ngx_http_sockerless_recv_fd(ngx_socket_t s, ngx_socket_t *fd);
void ngx_http_sockerless_callback_apply(ngx_log_t *log, const char *id,
    cJSON *report);
ngx_int_t ngx_http_sockerless_callback_report(ngx_pool_t *pool,
    ngx_log_t *log, const char *id, cJSON *report, ngx_uint_t from_pump);
void ngx_http_sockerless_callback_started(ngx_pool_t *pool, ngx_log_t *log,
    const char *id);
void ngx_http_sockerless_callback_orphan(ngx_pool_t *pool, ngx_log_t *log,
    const char *id);
void ngx_http_sockerless_callback_exit_process(ngx_cycle_t *cycle);

/* files: rm -rf (images.c), du (containers.c) */
void ngx_http_sockerless_rm_rf(const char *path);
off_t ngx_http_sockerless_du(ngx_pool_t *pool, const char *path);

/* volumes.c: a bind of a name is a volume, made when missing */
ngx_int_t ngx_http_sockerless_volume_name_ok(const u_char *p, size_t len);
cJSON *ngx_http_sockerless_volume_get(ngx_pool_t *pool, const char *name,
    cJSON *labels, ngx_uint_t anonymous, ngx_uint_t create);

/*
 * volumes.c: a new container's mount points (VolumesFrom, Binds, Mounts,
 * Config.Volumes) into rec's "Mounts" and "_sls.mounts", volumes made;
 * NGX_DECLINED with status and err for a client error. The points of a
 * record (bound to pool); agent.json's "mounts" for them; the anonymous
 * volumes of a removed container removed (rm -v, AutoRemove).
 */
ngx_int_t ngx_http_sockerless_mounts_build(ngx_pool_t *pool, cJSON *rec,
    ngx_uint_t *status, char *err, size_t size);
cJSON *ngx_http_sockerless_mounts_list(ngx_pool_t *pool, cJSON *rec);
cJSON *ngx_http_sockerless_mounts_agent(ngx_pool_t *pool, cJSON *rec);
void ngx_http_sockerless_mounts_release(ngx_pool_t *pool, cJSON *rec);

ngx_http_sockerless_main_conf_t *ngx_http_sockerless_conf(void);


#endif /* _NGX_HTTP_SOCKERLESS_MODULE_H_INCLUDED_ */
