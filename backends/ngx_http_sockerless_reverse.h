
/*
 * Copyright (C) sockerless contributors
 *
 * What the cloud backends share about agents that dial back
 * (callback.c, docs/architecture.md "Agents that dial back"): the record
 * made ready for a run, the wait for the agent's first park, the pump
 * that reads main's output into the container's log, and signals.
 */


#ifndef _NGX_HTTP_SOCKERLESS_REVERSE_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_REVERSE_H_INCLUDED_


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>


typedef struct ngx_http_sockerless_rwait_s  ngx_http_sockerless_rwait_t;

typedef void (*ngx_http_sockerless_rwait_pt)(ngx_http_sockerless_rwait_t *w,
    ngx_int_t rc);


struct ngx_http_sockerless_rwait_s {
    /* set by the caller */
    ngx_http_sockerless_op_t      *op;        /* the start: its errors */
    ngx_http_sockerless_rwait_pt   handler;   /* once, unless cancelled */
    void                          *data;

    /* the agent's pid, when the handler got NGX_OK */
    ngx_int_t                      pid;

    /* private */
    ngx_http_sockerless_watch_t    watch;
    void                          *pump;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           token[65];
    unsigned                       waiting:1;
};


/*
 * The record (and op->container) made ready for a run: "starting" set,
 * what the last run left dropped; a new token when token is not NULL.
 * NGX_OK, or NGX_ERROR with op->status and op->message set.
 */
ngx_int_t ngx_http_sockerless_reverse_prepare(ngx_http_sockerless_op_t *op,
    const char *token);

/*
 * Waits for the agent of op->container to call back, then opens the pump;
 * the handler gets NGX_OK once the pump reads (w->pid set), or NGX_ERROR
 * with op->status and op->message (the agent could not start the command,
 * the record went, the agent could not be reached).
 */
ngx_int_t ngx_http_sockerless_reverse_wait(ngx_http_sockerless_rwait_t *w);

/* no handler any more; a pump not open yet is dropped */
void ngx_http_sockerless_reverse_cancel(ngx_http_sockerless_rwait_t *w);

/*
 * NGX_ERROR with a 400 in op when the container asks for binds, mounts,
 * volumes, health checks or process options (--privileged, --device,
 * --sysctl, --pid...) which a cloud task of this backend cannot have
 * (yet); with linux_params the backend maps --read-only, --init,
 * --cap-add, --cap-drop and --ulimit itself, else they are refused too
 */
ngx_int_t ngx_http_sockerless_reverse_refuse(ngx_http_sockerless_op_t *op,
    const char *backend, ngx_uint_t linux_params);

/*
 * the same for ExtraHosts, Dns* and the HostConfig limits other than the
 * task's size (Memory, and NanoCpus when cpu is 1)
 */
ngx_int_t ngx_http_sockerless_reverse_refuse_resources(
    ngx_http_sockerless_op_t *op, const char *backend, ngx_uint_t cpu);

/*
 * reads a running container's output from now on (its reader's worker
 * went): NGX_OK under way, NGX_DECLINED no agent to reach now
 */
ngx_int_t ngx_http_sockerless_reverse_read(cJSON *rec);

/*
 * NGX_OK for the one worker that takes the store record key (valid a
 * minute): the workers of one start do a thing once
 */
ngx_int_t ngx_http_sockerless_reverse_once(ngx_pool_t *pool,
    const char *key);

/* a failed cloud call as a Docker error in op ("ECS", "RunTask") */
void ngx_http_sockerless_reverse_error(ngx_http_sockerless_op_t *op,
    ngx_uint_t status, ngx_str_t *type, ngx_str_t *message,
    const char *cloud, const char *action);

/* the backends' container_alive and container_started */
ngx_int_t ngx_http_sockerless_reverse_alive(ngx_http_sockerless_op_t *op);
void ngx_http_sockerless_reverse_started(ngx_http_sockerless_op_t *op);

/* the backends' agent_called_back */
void ngx_http_sockerless_reverse_called_back(cJSON *rec);

/* closes this worker's pumps; for the backends' exit_process */
void ngx_http_sockerless_reverse_exit_process(void);

/* the signal through the agent: NGX_OK sent, NGX_DECLINED no agent */
ngx_int_t ngx_http_sockerless_reverse_signal(cJSON *rec, ngx_int_t sig);


#endif /* _NGX_HTTP_SOCKERLESS_REVERSE_H_INCLUDED_ */
