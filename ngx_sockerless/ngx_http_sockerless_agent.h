
/*
 * Copyright (C) sockerless contributors
 *
 * The WebSocket client to a container's agent (docs/agent-protocol.md),
 * on nginx events with wslay.
 */


#ifndef _NGX_HTTP_SOCKERLESS_AGENT_H_INCLUDED_
#define _NGX_HTTP_SOCKERLESS_AGENT_H_INCLUDED_


#include <ngx_http_sockerless_module.h>


typedef struct ngx_http_sockerless_agent_s  ngx_http_sockerless_agent_t;


/*
 * Handlers, all optional but "closed":
 *   opened:  the handshake is done; messages may be sent.
 *   control: a text frame, parsed; the tree is freed after the call.
 *   data:    a data frame; the bytes must be taken during the call. Return
 *            NGX_AGAIN to stop reading the agent until agent_resume().
 *   drain:   the queued output fell under the low-water mark after a
 *            send returned NGX_AGAIN.
 *   closed:  once, when the connection ends for any reason but
 *            agent_close(); the object is freed right after it returns.
 */
typedef struct {
    void       (*opened)(ngx_http_sockerless_agent_t *a);
    void       (*control)(ngx_http_sockerless_agent_t *a, cJSON *msg);
    ngx_int_t  (*data)(ngx_http_sockerless_agent_t *a, ngx_uint_t stream,
                       u_char *p, size_t len);
    void       (*drain)(ngx_http_sockerless_agent_t *a);
    void       (*closed)(ngx_http_sockerless_agent_t *a, ngx_int_t rc);
} ngx_http_sockerless_agent_handlers_t;


/* NULL on an immediate failure (nothing to free, no callback) */
ngx_http_sockerless_agent_t *ngx_http_sockerless_agent_connect(
    ngx_log_t *log, const char *path, const char *token,
    ngx_http_sockerless_agent_handlers_t *h, void *data);

void *ngx_http_sockerless_agent_data(ngx_http_sockerless_agent_t *a);

/* the agent dialed back: its connection is TCP, no descriptor passing */
ngx_uint_t ngx_http_sockerless_agent_remote(ngx_http_sockerless_agent_t *a);

/* NGX_OK, NGX_AGAIN (queued, but over the high-water mark), NGX_ERROR */
ngx_int_t ngx_http_sockerless_agent_send_control(
    ngx_http_sockerless_agent_t *a, cJSON *msg);
ngx_int_t ngx_http_sockerless_agent_send_data(ngx_http_sockerless_agent_t *a,
    ngx_uint_t stream, const char *id, u_char *p, size_t len);

void ngx_http_sockerless_agent_resume(ngx_http_sockerless_agent_t *a);

/*
 * fd goes to the agent (SCM_RIGHTS) with the next bytes sent, which must
 * be the message that tells it what the descriptor is for; fd must stay
 * open until then. -1 takes it back.
 */
void ngx_http_sockerless_agent_pass_fd(ngx_http_sockerless_agent_t *a,
    ngx_socket_t fd);

/* the client connection whose request the handlers serve (or NULL) */
void ngx_http_sockerless_agent_owner(ngx_http_sockerless_agent_t *a,
    ngx_connection_t *c);

/* ends the connection without calling "closed"; a is gone afterwards */
void ngx_http_sockerless_agent_close(ngx_http_sockerless_agent_t *a);

/* <data>/containers/<id>/agent.sock */
u_char *ngx_http_sockerless_agent_socket(ngx_pool_t *pool, const char *id);


#endif /* _NGX_HTTP_SOCKERLESS_AGENT_H_INCLUDED_ */
