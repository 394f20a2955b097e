
/*
 * Copyright (C) sockerless contributors
 *
 * The backend operations contract (STYLE.md section 5): a named table of
 * capabilities and operations that the core calls for what a backend's
 * cloud or host must do. Docker semantics live in the core.
 */


#ifndef _NGX_HTTP_SOCKERLESS_BACKEND_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_BACKEND_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


#define SLS_SUPPORTS_EXEC       0x0001
#define SLS_SUPPORTS_ATTACH     0x0002
#define SLS_SUPPORTS_PAUSE      0x0004
#define SLS_SUPPORTS_SIGNALS    0x0008
#define SLS_SUPPORTS_LOGS       0x0010
#define SLS_SUPPORTS_TOP        0x0020
#define SLS_SUPPORTS_STATS      0x0040
#define SLS_REMOTE_IMAGES       0x0080   /* the cloud pulls images */
#define SLS_SUPPORTS_ARCHIVE    0x0100   /* docker cp through the agent */
#define SLS_SUPPORTS_HEALTH     0x0200   /* its agents run health probes */
#define SLS_SUPPORTS_NETWORKS   0x0400   /* containers join Docker networks */
#define SLS_SUPPORTS_VOLUMES    0x0800   /* binds, volumes, tmpfs mounted */


typedef struct ngx_http_sockerless_op_s  ngx_http_sockerless_op_t;

typedef ngx_int_t (*ngx_http_sockerless_op_pt)(ngx_http_sockerless_op_t *op);


/*
 * One operation on one container. "container" is the store record (the
 * inspect document plus the private "_sls" object); a backend that changes
 * it says so through the result and the core writes the store.
 */

struct ngx_http_sockerless_op_s {
    ngx_http_request_t            *request;   /* NULL when background */
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;
    void                          *conf;      /* backend module conf */
    void                          *state;     /* op_state_size bytes */
    cJSON                         *container; /* store record */
    ngx_int_t                      signal;    /* kill */
    cJSON                         *result;    /* op-specific answer */
    ngx_uint_t                     status;    /* Docker HTTP status */
    ngx_str_t                      message;   /* Docker error message */
    void                          *data;
    void                         (*handler)(ngx_http_sockerless_op_t *op,
                                            ngx_int_t rc);
};


struct ngx_http_sockerless_backend_s {
    ngx_str_t                      name;
    ngx_uint_t                     supports;
    size_t                         op_state_size;

    ngx_int_t                    (*init_process)(ngx_cycle_t *cycle,
                                                 void *conf);
    void                         (*exit_process)(ngx_cycle_t *cycle,
                                                 void *conf);

    /*
     * container_create: make what the cloud needs for a new record (a
     * task definition, a function); what it keeps goes into "_sls"
     */
    ngx_http_sockerless_op_pt      container_create;

    /*
     * container_start: make the container's main process run. On NGX_OK
     * the result is {"Pid": N} and the "_sls" object of the record
     * carries what the backend needs to reach the agent again.
     */
    ngx_http_sockerless_op_pt      container_start;

    /*
     * container_resources: the limits of op->data (a HostConfig, or with
     * op->signal 1 an update's body; op->container is the record) against
     * what this backend can enforce. What it cannot is discarded from
     * op->data with dockerd's warning added to op->result (an array bound
     * to op->pool, or NULL for none); a value it cannot take at all is
     * NGX_ERROR with op->status 400. NULL: limits are the backend's own
     * business (it maps or refuses them at container_create).
     */
    ngx_http_sockerless_op_pt      container_resources;

    /*
     * container_update: the resources of op->container's HostConfig (an
     * update merged in, not yet recorded) applied to its running
     * processes, synchronously. NULL: a container's limits cannot change
     * once it is created, and an update asking for one is refused.
     */
    ngx_http_sockerless_op_pt      container_update;

    /* container_kill: deliver op->signal to the main process */
    ngx_http_sockerless_op_pt      container_kill;
    ngx_http_sockerless_op_pt      container_pause;
    ngx_http_sockerless_op_pt      container_unpause;

    /* container_remove: release what start and create made */
    ngx_http_sockerless_op_pt      container_remove;

    /* container_top: result is {"Titles": [...], "Processes": [[...]]} */
    ngx_http_sockerless_op_pt      container_top;

    /* container_stats: result is the Docker stats document */
    ngx_http_sockerless_op_pt      container_stats;

    /*
     * container_layers: where the container's files are on this host, for
     * changes, export and commit: the result is {"lower": the image's
     * root filesystem, "upper": the overlay upper directory of its
     * writes (absent until the first start)}; read while it may run.
     */
    ngx_http_sockerless_op_pt      container_layers;

    /*
     * container_archive: an agent that serves docker cp (archive_stat,
     * archive_get, archive_put) for a container that is not running; the
     * result is {"socket": its unix socket, "token": its token}. It
     * exits once its connection ends. NULL: only running containers.
     */
    ngx_http_sockerless_op_pt      container_archive;

    /*
     * container_alive: NGX_OK when the agent of a running record still
     * exists, NGX_DECLINED when it vanished without an exit report.
     */
    ngx_http_sockerless_op_pt      container_alive;

    /*
     * container_started: the core has recorded the start (or its failure);
     * an exit the run reported before that may be applied now
     */
    void                         (*container_started)(
                                      ngx_http_sockerless_op_t *op);

    /*
     * agent_called_back: an agent dialed back and was parked; rec is the
     * container's record (a backend may start reading a run again)
     */
    void                         (*agent_called_back)(cJSON *rec);

    /*
     * network_connect: a running container gets (op->signal 1) or loses
     * (op->signal 0) the endpoint op->result, a member of its record's
     * NetworkSettings.Networks; NULL: only stopped containers change
     */
    ngx_http_sockerless_op_pt      network_connect;

    /*
     * passthrough: when set, every request goes to it after the /vX.Y
     * check (the docker backend: another daemon answers for the core)
     */
    ngx_int_t                    (*passthrough)(ngx_http_request_t *r,
                                      ngx_http_sockerless_args_t *args);
};


ngx_http_sockerless_backend_t *ngx_http_sockerless_backend(void);
void *ngx_http_sockerless_backend_conf(void);

/*
 * op->status and op->message (in op->pool) for a failed op; returns
 * NGX_ERROR. The message stays empty when the pool has no room.
 */
ngx_int_t ngx_http_sockerless_op_error(ngx_http_sockerless_op_t *op,
    ngx_uint_t status, const char *fmt, ...);

/* dockerd's words for a command that could not be started, with %s */
#define NGX_HTTP_SOCKERLESS_OCI_FAILED                                        \
    "failed to create task for container: failed to create shim task: "      \
    "OCI runtime create failed: %s: unknown"


#endif /* _NGX_HTTP_SOCKERLESS_BACKEND_H_INCLUDED_ */
