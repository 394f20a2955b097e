
/*
 * Copyright (C) sockerless contributors
 *
 * The worker's inotify service, shared by the store's change notification,
 * exit reports of agents and log followers.
 */


#ifndef _NGX_HTTP_SOCKERLESS_STORE_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_STORE_H_INCLUDED_


#include <ngx_http_sockerless_module.h>
#include <sys/inotify.h>


typedef void (*ngx_http_sockerless_inotify_pt)(void *data,
    struct inotify_event *ie);


/*
 * Several subscribers may watch one path; each gets every event of it.
 * Returns the watch descriptor or -1; remove with the same data pointer.
 */
int ngx_http_sockerless_inotify_add(const char *path, uint32_t mask,
    ngx_http_sockerless_inotify_pt handler, void *data);
void ngx_http_sockerless_inotify_rm(int wd, void *data);


#endif /* _NGX_HTTP_SOCKERLESS_STORE_H_INCLUDED_ */
