
/*
 * Copyright (C) sockerless contributors
 *
 * Resources (resources.c): HostConfig's limits checked as dockerd checks
 * them, ExtraHosts, and POST /containers/{id}/update.
 */


#ifndef _NGX_HTTP_SOCKERLESS_RESOURCES_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_RESOURCES_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


/*
 * A new record's HostConfig: its limits and ExtraHosts checked (NGX_DECLINED
 * with *status and err: dockerd's 400), then what the backend cannot
 * limit discarded with dockerd's warnings (container_resources), which
 * are kept in "_sls"."warnings" until the create answers, and dockerd's
 * defaults applied (MemorySwap twice Memory).
 */
ngx_int_t ngx_http_sockerless_resources_create(ngx_pool_t *pool,
    ngx_log_t *log, cJSON *rec, ngx_uint_t *status, char *err, size_t size);

/* the create's warnings, taken out of the record (NULL: none) */
cJSON *ngx_http_sockerless_resources_warnings(cJSON *rec);

/*
 * One HostConfig.ExtraHosts entry ("name:ip", "name=ip", ip "[v6]" or
 * "host-gateway") split: NGX_OK with name and ip pointing into buf.
 */
ngx_int_t ngx_http_sockerless_extra_host(const char *entry, char *buf,
    size_t size, char **name, char **ip);

/*
 * The kernel's OOM killer killed a process of container "id" during the
 * run that is ending: State.OOMKilled is set and "oom" emitted (dockerd
 * does both before "die"); call it before container_exited().
 */
ngx_int_t ngx_http_sockerless_container_oom(ngx_log_t *log, const char *id);


#endif /* _NGX_HTTP_SOCKERLESS_RESOURCES_H_INCLUDED_ */
