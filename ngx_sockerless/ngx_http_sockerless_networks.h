
/*
 * Copyright (C) sockerless contributors
 *
 * Networks (networks.c): the endpoints of containers, their addresses,
 * the hosts files that resolve them and the bridges of the memory
 * backend.
 */


#ifndef _NGX_HTTP_SOCKERLESS_NETWORKS_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_NETWORKS_H_INCLUDED_


#include <ngx_http_sockerless_module.h>
#include <net/if.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>



cJSON *ngx_http_sockerless_network_find(ngx_pool_t *pool, const char *ref);
ngx_int_t ngx_http_sockerless_network_attach(ngx_pool_t *pool, cJSON *rec,
    cJSON *net, cJSON *epc, ngx_uint_t *status, char *err, size_t size);
ngx_int_t ngx_http_sockerless_network_create_endpoints(ngx_pool_t *pool,
    cJSON *rec, cJSON *body, ngx_uint_t *status, char *err, size_t size);
void ngx_http_sockerless_network_top(cJSON *rec, cJSON *ep);
void ngx_http_sockerless_network_release(ngx_pool_t *pool, cJSON *ep);
void ngx_http_sockerless_network_forget(ngx_pool_t *pool, cJSON *rec);
ngx_int_t ngx_http_sockerless_network_match(cJSON *rec, const char *ref);
/* the default bridge's gateway, for "host-gateway"; NULL: there is none */
const char *ngx_http_sockerless_network_host_gateway(ngx_pool_t *pool);
u_char *ngx_http_sockerless_network_hosts_text(ngx_pool_t *pool, cJSON *rec,
    cJSON *all, size_t *len);
ngx_int_t ngx_http_sockerless_network_hosts_write(ngx_pool_t *pool,
    cJSON *rec);
void ngx_http_sockerless_network_hosts(ngx_pool_t *pool);
void ngx_http_sockerless_network_bridge_name(const char *id, char *name);
void ngx_http_sockerless_network_bridge_remove(const char *id);


#endif /* _NGX_HTTP_SOCKERLESS_NETWORKS_H_INCLUDED_ */
