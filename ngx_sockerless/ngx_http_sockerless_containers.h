
/*
 * Copyright (C) sockerless contributors
 *
 * Container records and the state machine shared by the handlers, the
 * streams and the backends.
 */


#ifndef _NGX_HTTP_SOCKERLESS_CONTAINERS_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_CONTAINERS_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


/*
 * The record "c/<id>" for an id, a name (with or without the leading
 * slash) or a unique id prefix, bound to pool; NULL when there is none.
 * *ambiguous is set when a prefix matched more than one container.
 */
cJSON *ngx_http_sockerless_container_find(ngx_pool_t *pool, ngx_str_t *ref);
cJSON *ngx_http_sockerless_container_lookup(ngx_pool_t *pool, ngx_str_t *ref,
    ngx_uint_t *ambiguous);

/*
 * A container record from a create body, as POST /containers/create makes
 * it (the name reserved, its directory and log made), not stored yet:
 * NGX_OK with rec, id and iname set, or NGX_ERROR with status and message
 * (status 0: an internal error). id may be given (all 64 hex digits), else
 * a new one is made.
 */
typedef struct {
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;
    cJSON                         *body;
    ngx_str_t                      name;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];

    cJSON                         *rec;
    char                          *iname;
    ngx_uint_t                     status;
    char                           message[512];
} ngx_http_sockerless_build_t;

ngx_int_t ngx_http_sockerless_container_build(ngx_http_sockerless_build_t *b);

/* the name "n/<name>" taken by id goes back (a build that is not kept) */
ngx_int_t ngx_http_sockerless_name_release(const char *name, const char *id);

/*
 * The main process of container "id" ended: record the exit, emit "die",
 * then apply AutoRemove or the restart policy. "started" is the StartedAt
 * of the run that ended (NULL: whatever run is recorded); a report for an
 * older run is ignored. Called by backends from any worker; exactly one
 * caller wins through the store transaction.
 */
ngx_int_t ngx_http_sockerless_container_exited(ngx_log_t *log,
    const char *id, ngx_int_t code, const char *finished, const char *error);

/* an exec process ended */
ngx_int_t ngx_http_sockerless_exec_exited(ngx_log_t *log, const char *id,
    ngx_int_t code);

/* <data>/containers/<id>/<file>, NUL-terminated, from pool */
cJSON *ngx_http_sockerless_container_attrs(ngx_pool_t *pool, cJSON *rec);
void ngx_http_sockerless_exec_event(ngx_pool_t *pool, const char *xid,
    const char *action, ngx_int_t code);
void ngx_http_sockerless_exec_event_of(ngx_pool_t *pool, cJSON *rec,
    const char *xid, const char *action, ngx_int_t code, cJSON *cmd);
u_char *ngx_http_sockerless_container_path(ngx_pool_t *pool, const char *id,
    const char *file);
/* the same into buf (NGX_MAX_PATH is enough), or NULL when it is too long */
u_char *ngx_http_sockerless_container_file(u_char *buf, size_t size,
    const char *id, const char *file);

ngx_int_t ngx_http_sockerless_signal_parse(ngx_str_t *s);

/*
 * health.c: the create body's Healthcheck merged over the image's and
 * checked (NGX_DECLINED with err: a 400); the agent's "healthcheck" for a
 * Config (NULL: no probe; the caller frees it); State.Health reset for a
 * new run; State.Health.Status or "none"; an agent's results applied
 */
ngx_int_t ngx_http_sockerless_health_merge(cJSON *conf, cJSON *iconf,
    char *err, size_t size);
cJSON *ngx_http_sockerless_health_agent(cJSON *conf);
void ngx_http_sockerless_health_start(cJSON *rec);
const char *ngx_http_sockerless_health_status(cJSON *rec);
void ngx_http_sockerless_health_report(ngx_log_t *log, const char *id,
    u_char *p, size_t len);

/* the /containers/json summary of a record, sizes when "size" */
cJSON *ngx_http_sockerless_list_item(ngx_pool_t *pool, cJSON *rec,
    ngx_uint_t size);

/* a prune "until": a Go duration ago, or a timestamp; err set on error */
ngx_int_t ngx_http_sockerless_prune_until(const char *s, time_t *until,
    char *err, size_t size);

ngx_int_t ngx_http_sockerless_exec_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
ngx_int_t ngx_http_sockerless_exec_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);


#endif /* _NGX_HTTP_SOCKERLESS_CONTAINERS_H_INCLUDED_ */
