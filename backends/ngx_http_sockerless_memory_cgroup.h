
/*
 * Copyright (C) sockerless contributors
 *
 * The memory backend's cgroups (memory_cgroup.c): one cgroup per
 * container under a parent one, in each v1 hierarchy of a controller or
 * in the unified (v2) one, with HostConfig's limits written into it.
 */


#ifndef _NGX_HTTP_SOCKERLESS_MEMORY_CGROUP_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_MEMORY_CGROUP_H_INCLUDED_


#include <ngx_http_sockerless_module.h>
#include <sls_cgroup.h>


/* what the host lets us limit, dockerd's sysinfo fields */
#define NGX_HTTP_SOCKERLESS_CG_MEMORY       0x0001
#define NGX_HTTP_SOCKERLESS_CG_SWAP         0x0002
#define NGX_HTTP_SOCKERLESS_CG_RESERVATION  0x0004
#define NGX_HTTP_SOCKERLESS_CG_PIDS         0x0008
#define NGX_HTTP_SOCKERLESS_CG_SHARES       0x0010
#define NGX_HTTP_SOCKERLESS_CG_CFS          0x0020
#define NGX_HTTP_SOCKERLESS_CG_CPUSET       0x0040
#define NGX_HTTP_SOCKERLESS_CG_BLKIO        0x0080


enum {
    NGX_HTTP_SOCKERLESS_CG_MEM = 0,
    NGX_HTTP_SOCKERLESS_CG_CPU,
    NGX_HTTP_SOCKERLESS_CG_CPUACCT,
    NGX_HTTP_SOCKERLESS_CG_SET,
    NGX_HTTP_SOCKERLESS_CG_PID,
    NGX_HTTP_SOCKERLESS_CG_IO,
    NGX_HTTP_SOCKERLESS_CG_N
};


typedef struct {
    char                          *dir[NGX_HTTP_SOCKERLESS_CG_N];
    ngx_uint_t                     v2[NGX_HTTP_SOCKERLESS_CG_N];
    ngx_uint_t                     caps;
    char                           cpus[256];   /* cpuset.cpus we may use */
    unsigned char                  cpu_mask[SLS_CGROUP_MAX_CPUS / 8];
} ngx_http_sockerless_cgroup_t;


/*
 * Finds the hierarchies, makes the parent cgroup (relative to this
 * process's own cgroup, or from the root when it starts with "/") and
 * notes what can be limited. Needs root; otherwise, or with the parent
 * "off", nothing can.
 */
ngx_int_t ngx_http_sockerless_cgroup_init(ngx_cycle_t *cycle,
    ngx_http_sockerless_cgroup_t *cg, ngx_str_t *parent);

/* the parent cgroups, removed when empty (at a worker's exit) */
void ngx_http_sockerless_cgroup_done(ngx_http_sockerless_cgroup_t *cg);

/*
 * dockerd's verifyPlatformContainerResources for this host, on res (a
 * HostConfig or an update's body): limits it cannot set are dropped with
 * dockerd's warning added to warnings; NGX_DECLINED with err: a 400
 */
ngx_int_t ngx_http_sockerless_cgroup_verify(ngx_http_sockerless_cgroup_t *cg,
    cJSON *res, cJSON *warnings, char *err, size_t size);

/*
 * The container's cgroups made with hc's limits: an array of their
 * directories (for agent.json "cgroups"), empty when none can be made;
 * NULL with err on failure
 */
cJSON *ngx_http_sockerless_cgroup_create(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *hc, char *err, size_t size);

/* hc's limits written to the container's existing cgroups */
ngx_int_t ngx_http_sockerless_cgroup_apply(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *hc, char *err, size_t size);

void ngx_http_sockerless_cgroup_remove(ngx_http_sockerless_cgroup_t *cg,
    const char *id);

/*
 * memory_stats, cpu_stats.cpu_usage.total_usage and pids_stats of a
 * stats document from the container's cgroups; NGX_DECLINED when it has
 * no memory cgroup
 */
ngx_int_t ngx_http_sockerless_cgroup_stats(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *stats);


#endif /* _NGX_HTTP_SOCKERLESS_MEMORY_CGROUP_H_INCLUDED_ */
