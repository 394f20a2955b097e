
/*
 * Copyright (C) sockerless contributors
 *
 * The docker backend (DESIGN.md D8): sockerless in front of a real Docker
 * daemon. Every request goes to the daemon on a connection of its own, as
 * the client sent it but for "Connection", and the daemon's answer comes
 * back byte for byte: status, headers, chunked or raw bodies, and after
 * "101 UPGRADED" the hijacked stream, with half-close kept both ways (the
 * pump is ours: nginx's proxy ends the tunnel at the first EOF). Nothing
 * is buffered whole: each direction has one buffer and back-pressure.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>


#define NGX_HTTP_SOCKERLESS_DOCKER_BUF  65536
#define NGX_HTTP_SOCKERLESS_DOCKER_MAX  (1024 * 1024)

#define NGX_HTTP_SOCKERLESS_DOCKER_VERSION  1
#define NGX_HTTP_SOCKERLESS_DOCKER_INFO     2
#define NGX_HTTP_SOCKERLESS_DOCKER_CREATE   3     /* create, first try */
#define NGX_HTTP_SOCKERLESS_DOCKER_PULL     4     /* its missing image */
#define NGX_HTTP_SOCKERLESS_DOCKER_CREATE2  5     /* create again */
#define NGX_HTTP_SOCKERLESS_DOCKER_KEEP     6     /* collected, kept alive */

#define NGX_HTTP_SOCKERLESS_DOCKER_HOP      0     /* headers to send */
#define NGX_HTTP_SOCKERLESS_DOCKER_FRAMED   1
#define NGX_HTTP_SOCKERLESS_DOCKER_AUTH     2


typedef struct {
    ngx_str_t                      endpoint;     /* as configured */
    ngx_addr_t                    *addr;
    ngx_str_t                      unix_path;    /* "" for TCP */
    ngx_msec_t                     timeout;
    ngx_str_t                      host;         /* https: the name */
    ngx_str_t                      tls_cert;
    ngx_str_t                      tls_key;
    ngx_str_t                      tls_trusted;
    ngx_ssl_t                     *ssl;          /* https only */
} ngx_http_sockerless_docker_conf_t;


typedef struct {
    ngx_http_request_t            *request;
    ngx_http_sockerless_docker_conf_t  *dcf;
    ngx_peer_connection_t          peer;
    ngx_buf_t                     *up;           /* client to daemon */
    ngx_buf_t                     *down;         /* daemon to client */
    ngx_uint_t                     status;
    ngx_uint_t                     rewrite;      /* VERSION, ..., 0 */
    ngx_uint_t                     trimmed;      /* a pull's head dropped */
    ngx_str_t                      body;         /* create's, read whole */
    ngx_str_t                      image;        /* create's "Image" */
    unsigned                       connected:1;
    unsigned                       no_shut:1;
    unsigned                       verified:1;
    unsigned                       ping:1;
    unsigned                       keep:1;       /* the client's stays */
    unsigned                       head_done:1;
    unsigned                       upgraded:1;
    unsigned                       client_eof:1;
    unsigned                       daemon_eof:1;
    unsigned                       up_shut:1;
    unsigned                       down_shut:1;
    unsigned                       done:1;
} ngx_http_sockerless_docker_proxy_t;


static void *ngx_http_sockerless_docker_create_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_docker_init_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_sockerless_docker_endpoint(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static int ngx_http_sockerless_docker_verify(int ok,
    X509_STORE_CTX *x509_store);
static ngx_int_t ngx_http_sockerless_docker_tls(
    ngx_http_sockerless_docker_proxy_t *p);
static void ngx_http_sockerless_docker_tls_done(ngx_connection_t *c);
static ngx_int_t ngx_http_sockerless_docker_check_ip(ngx_connection_t *c,
    ngx_str_t *ip);
static ngx_int_t ngx_http_sockerless_docker_ping(
    ngx_http_sockerless_docker_proxy_t *p);
static void ngx_http_sockerless_docker_close_peer(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_passthrough(
    ngx_http_request_t *r, ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_docker_head(
    ngx_http_sockerless_docker_proxy_t *p);
static size_t ngx_http_sockerless_docker_headers(ngx_http_request_t *r,
    u_char *p, ngx_uint_t which);
static void ngx_http_sockerless_docker_daemon_handler(ngx_event_t *ev);
static void ngx_http_sockerless_docker_client_handler(ngx_http_request_t *r);
static void ngx_http_sockerless_docker_pump(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_parse_head(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_collect(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_rewrite(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_connect(
    ngx_http_sockerless_docker_proxy_t *p);
static void ngx_http_sockerless_docker_create_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_sockerless_docker_create_head(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_next(
    ngx_http_sockerless_docker_proxy_t *p, ngx_uint_t phase);
static ngx_int_t ngx_http_sockerless_docker_created(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_pulled(
    ngx_http_sockerless_docker_proxy_t *p);
static ngx_int_t ngx_http_sockerless_docker_reframe(
    ngx_http_sockerless_docker_proxy_t *p, u_char *text, size_t tlen);
static ngx_uint_t ngx_http_sockerless_docker_keepable(ngx_http_request_t *r,
    ngx_str_t *path);
static void ngx_http_sockerless_docker_fail(
    ngx_http_sockerless_docker_proxy_t *p, ngx_uint_t status,
    const char *why);
static void ngx_http_sockerless_docker_finish(
    ngx_http_sockerless_docker_proxy_t *p);
static void ngx_http_sockerless_docker_cleanup(void *data);


static ngx_command_t  ngx_http_sockerless_docker_commands[] = {

    { ngx_string("sockerless_docker_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_sockerless_docker_endpoint,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_docker_tls_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_docker_conf_t, tls_cert),
      NULL },

    { ngx_string("sockerless_docker_tls_certificate_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_docker_conf_t, tls_key),
      NULL },

    { ngx_string("sockerless_docker_tls_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_docker_conf_t, tls_trusted),
      NULL },

    { ngx_string("sockerless_docker_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_docker_conf_t, timeout),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_docker_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_docker_create_conf, /* create main configuration */
    ngx_http_sockerless_docker_init_conf,  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_docker_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_docker_module_ctx, /* module context */
    ngx_http_sockerless_docker_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_sockerless_backend_t  ngx_http_sockerless_docker_backend = {
    .name = ngx_string("docker"),
    .supports = SLS_SUPPORTS_EXEC|SLS_SUPPORTS_ATTACH|SLS_SUPPORTS_PAUSE
                |SLS_SUPPORTS_SIGNALS|SLS_SUPPORTS_LOGS|SLS_SUPPORTS_TOP
                |SLS_SUPPORTS_STATS,
    .passthrough = ngx_http_sockerless_docker_passthrough,
};


static void *
ngx_http_sockerless_docker_create_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_docker_conf_t  *dcf;

    dcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_docker_conf_t));
    if (dcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     dcf->endpoint = { 0, NULL };
     *     dcf->addr = NULL;
     *     dcf->unix_path = { 0, NULL };
     */

    dcf->timeout = NGX_CONF_UNSET_MSEC;

    return dcf;
}


static char *
ngx_http_sockerless_docker_init_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_docker_conf_t *dcf = conf;

    ngx_pool_cleanup_t  *cln;

    ngx_conf_init_msec_value(dcf->timeout, 60000);

    if (dcf->ssl == NULL) {
        if (dcf->tls_cert.len || dcf->tls_trusted.len) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "sockerless_docker_tls_* need an https:// "
                               "sockerless_docker_endpoint");
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    dcf->ssl->log = cf->log;

    if (ngx_ssl_create(dcf->ssl, NGX_SSL_TLSv1_2|NGX_SSL_TLSv1_3, NULL)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_ssl_cleanup_ctx(dcf->ssl);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_ssl_cleanup_ctx;
    cln->data = dcf->ssl;

    if (dcf->tls_cert.len) {
        if (dcf->tls_key.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "sockerless_docker_tls_certificate needs "
                               "sockerless_docker_tls_certificate_key");
            return NGX_CONF_ERROR;
        }

        if (ngx_ssl_certificate(cf, dcf->ssl, &dcf->tls_cert, &dcf->tls_key,
                                NULL)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    /* the daemon's certificate is checked after the handshake */

    if (dcf->tls_trusted.len) {
        if (ngx_ssl_trusted_certificate(cf, dcf->ssl, &dcf->tls_trusted, 8)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

    } else {
        SSL_CTX_set_verify(dcf->ssl->ctx, SSL_VERIFY_PEER,
                           ngx_http_sockerless_docker_verify);

        if (SSL_CTX_set_default_verify_paths(dcf->ssl->ctx) != 1) {
            ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                          "SSL_CTX_set_default_verify_paths() failed");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* verification is judged after the handshake, as nginx's proxy does */

static int
ngx_http_sockerless_docker_verify(int ok, X509_STORE_CTX *x509_store)
{
    return 1;
}


/* unix:/path, unix:///path, tcp://host:port */

static char *
ngx_http_sockerless_docker_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_sockerless_docker_conf_t *dcf = conf;

    ngx_str_t  *value, s;
    ngx_url_t   u;

    if (dcf->endpoint.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    dcf->endpoint = value[1];
    s = value[1];

    ngx_memzero(&u, sizeof(ngx_url_t));

    if (s.len > 5 && ngx_strncmp(s.data, "unix:", 5) == 0) {
        /* unix:///path is the docker CLI's spelling */
        if (s.len > 7 && ngx_strncmp(s.data + 5, "//", 2) == 0) {
            s.data += 7;
            s.len -= 7;

        } else {
            s.data += 5;
            s.len -= 5;
        }

        if (s.len == 0 || s.data[0] != '/') {
            return "needs an absolute socket path, as in "
                   "unix:/var/run/docker.sock";
        }

        dcf->unix_path.len = s.len;
        dcf->unix_path.data = ngx_pnalloc(cf->pool, s.len + 1);
        if (dcf->unix_path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(dcf->unix_path.data, s.data, s.len);
        dcf->unix_path.data[s.len] = '\0';

        u.url.len = s.len + 5;
        u.url.data = ngx_pnalloc(cf->pool, u.url.len);
        if (u.url.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(u.url.data, "unix:%V", &s);

    } else if (s.len > 6 && ngx_strncmp(s.data, "tcp://", 6) == 0) {
        u.url.data = s.data + 6;
        u.url.len = s.len - 6;

    } else if (s.len > 8 && ngx_strncmp(s.data, "https://", 8) == 0) {
        /* the daemon's --tlsverify: TLS, its name checked */
        u.url.data = s.data + 8;
        u.url.len = s.len - 8;

        dcf->ssl = ngx_pcalloc(cf->pool, sizeof(ngx_ssl_t));
        if (dcf->ssl == NULL) {
            return NGX_CONF_ERROR;
        }

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_docker_endpoint \"%V\": use "
                           "unix:/path, tcp://host:port or "
                           "https://host:port", &value[1]);
        return NGX_CONF_ERROR;
    }

    u.no_resolve = 0;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_docker_endpoint \"%V\": %s",
                           &value[1], u.err ? u.err : "invalid");
        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_docker_endpoint \"%V\": no address",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    dcf->addr = &u.addrs[0];
    dcf->host = u.host;

    return NGX_CONF_OK;
}


/*
 * The request, forwarded: the request line as received, every header but
 * the hop-by-hop ones, then "Connection: close" (the daemon ends its
 * answer by closing) or, for an upgrade, "Connection: Upgrade".
 */

static ngx_int_t
ngx_http_sockerless_docker_passthrough(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_int_t                           rc;
    ngx_http_sockerless_main_conf_t    *smcf;
    ngx_http_sockerless_docker_conf_t  *dcf;
    ngx_http_sockerless_docker_proxy_t *p;
    ngx_pool_cleanup_t                 *cln;
    ngx_http_sockerless_ctx_t          *ctx;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);
    dcf = smcf->backend_conf;

#if (NGX_HTTP_V2)
    if (r->stream) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                              "the docker backend serves HTTP/1.1 only");
    }
#endif

    if (dcf->addr == NULL) {
        return ngx_http_sockerless_send_error(r,
                              NGX_HTTP_INTERNAL_SERVER_ERROR,
                              "sockerless_backend docker needs "
                              "sockerless_docker_endpoint");
    }

    p = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_docker_proxy_t));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p->request = r;
    p->dcf = dcf;

    p->up = ngx_create_temp_buf(r->pool, NGX_HTTP_SOCKERLESS_DOCKER_BUF);
    p->down = ngx_create_temp_buf(r->pool, NGX_HTTP_SOCKERLESS_DOCKER_BUF);
    if (p->up == NULL || p->down == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_sockerless_docker_cleanup;
    cln->data = p;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    ctx->data = p;

    /* the gateway's additions: which daemon answers behind it */

    p->ping = (args->path.len == 6
               && ngx_strncmp(args->path.data, "/_ping", 6) == 0);

    if (r->method == NGX_HTTP_GET && args->path.len == 8
        && ngx_strncmp(args->path.data, "/version", 8) == 0)
    {
        p->rewrite = NGX_HTTP_SOCKERLESS_DOCKER_VERSION;

    } else if (r->method == NGX_HTTP_GET && args->path.len == 5
               && ngx_strncmp(args->path.data, "/info", 5) == 0)
    {
        p->rewrite = NGX_HTTP_SOCKERLESS_DOCKER_INFO;
    }

    if (ngx_http_sockerless_docker_keepable(r, &args->path)) {
        /*
         * a short answer with no body to the request: read whole, sent with
         * its length, and the client's connection stays for its next one
         */
        p->keep = 1;
        p->client_eof = 1;
        p->no_shut = 1;

        if (p->rewrite == 0) {
            p->rewrite = NGX_HTTP_SOCKERLESS_DOCKER_KEEP;
        }
    }

    if (r->method == NGX_HTTP_POST && args->path.len == 18
        && ngx_strncmp(args->path.data, "/containers/create", 18) == 0)
    {
        /* the seeds' addition: a missing image is pulled, then created */

        p->rewrite = NGX_HTTP_SOCKERLESS_DOCKER_CREATE;
        r->request_body_in_single_buf = 1;

        rc = ngx_http_read_client_request_body(r,
                                    ngx_http_sockerless_docker_create_body);

        return (rc >= NGX_HTTP_SPECIAL_RESPONSE) ? rc : NGX_DONE;
    }

    if (ngx_http_sockerless_docker_head(p) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_docker_connect(p) != NGX_OK) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_GATEWAY,
                              "Cannot connect to the Docker daemon at "
                              "%s%V. Is the docker daemon running?",
                              dcf->unix_path.len ? "unix://" : "",
                              dcf->unix_path.len ? &dcf->unix_path
                                                 : &dcf->endpoint);
    }

    r->read_event_handler = ngx_http_sockerless_docker_client_handler;
    r->write_event_handler = ngx_http_sockerless_docker_client_handler;

    r->main->count++;

    ngx_http_sockerless_docker_pump(p);

    return NGX_DONE;
}


/* a connection to the daemon for the request in p->up */

static ngx_int_t
ngx_http_sockerless_docker_connect(ngx_http_sockerless_docker_proxy_t *p)
{
    ngx_http_request_t                 *r;
    ngx_http_sockerless_docker_conf_t  *dcf;

    r = p->request;
    dcf = p->dcf;

    /*
     * the daemon removes its socket when it stops; connect() to a missing
     * path would be logged at "crit", so that case is told apart here
     */

    if (dcf->unix_path.len
        && access((char *) dcf->unix_path.data, F_OK) != 0)
    {
        return NGX_DECLINED;
    }

    ngx_memzero(&p->peer, sizeof(ngx_peer_connection_t));

    p->peer.sockaddr = dcf->addr->sockaddr;
    p->peer.socklen = dcf->addr->socklen;
    p->peer.name = &dcf->endpoint;
    p->peer.get = ngx_event_get_peer;
    p->peer.log = r->connection->log;
    p->peer.log_error = NGX_ERROR_ERR;

    switch (ngx_event_connect_peer(&p->peer)) {

    case NGX_ERROR:
    case NGX_BUSY:
    case NGX_DECLINED:
        if (p->peer.connection) {
            ngx_close_connection(p->peer.connection);
            p->peer.connection = NULL;
        }

        return NGX_DECLINED;

    default: /* NGX_OK, NGX_AGAIN */
        break;
    }

    p->connected = 0;
    p->head_done = 0;
    p->daemon_eof = 0;
    p->up_shut = 0;

    p->peer.connection->data = p;
    p->peer.connection->pool = r->pool;
    p->peer.connection->read->handler =
                                  ngx_http_sockerless_docker_daemon_handler;
    p->peer.connection->write->handler =
                                  ngx_http_sockerless_docker_daemon_handler;

    /* connect and the answer's head must come within the timeout */
    ngx_add_timer(p->peer.connection->read, dcf->timeout);

    p->verified = 0;

    if (dcf->ssl) {
        if (ngx_ssl_create_connection(dcf->ssl, p->peer.connection,
                                      NGX_SSL_BUFFER|NGX_SSL_CLIENT)
            != NGX_OK)
        {
            ngx_http_sockerless_docker_close_peer(p);
            return NGX_DECLINED;
        }

        p->peer.connection->sendfile = 0;
    }

    return NGX_OK;
}


/*
 * https: the handshake once connected, then the daemon's certificate:
 * trusted and issued to the endpoint's name. NGX_AGAIN while it runs.
 */

static ngx_int_t
ngx_http_sockerless_docker_tls(ngx_http_sockerless_docker_proxy_t *p)
{
    long               rc;
    ngx_connection_t  *dc;

    dc = p->peer.connection;

    if (!dc->ssl->handshaked) {
        if (dc->ssl->handler == NULL) {
            if (p->dcf->host.len
                && ngx_inet_addr(p->dcf->host.data, p->dcf->host.len)
                   == INADDR_NONE)
            {
                u_char  name[256];

                ngx_cpystrn(name, p->dcf->host.data,
                            ngx_min(p->dcf->host.len + 1, sizeof(name)));
                (void) SSL_set_tlsext_host_name(dc->ssl->connection,
                                                (char *) name);
            }

            dc->ssl->handler = ngx_http_sockerless_docker_tls_done;
        }

        rc = ngx_ssl_handshake(dc);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc != NGX_OK || !dc->ssl->handshaked) {
            return NGX_ERROR;
        }
    }

    rc = SSL_get_verify_result(dc->ssl->connection);

    if (rc != X509_V_OK) {
        ngx_log_error(NGX_LOG_ERR, dc->log, 0,
                      "sockerless: the Docker daemon's certificate: %s",
                      X509_verify_cert_error_string(rc));
        return NGX_DECLINED;
    }

    if (ngx_inet_addr(p->dcf->host.data, p->dcf->host.len) != INADDR_NONE
        ? ngx_http_sockerless_docker_check_ip(dc, &p->dcf->host) != NGX_OK
        : ngx_ssl_check_host(dc, &p->dcf->host) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, dc->log, 0,
                      "sockerless: the Docker daemon's certificate is not "
                      "for \"%V\"", &p->dcf->host);
        return NGX_DECLINED;
    }

    p->verified = 1;

    dc->read->handler = ngx_http_sockerless_docker_daemon_handler;
    dc->write->handler = ngx_http_sockerless_docker_daemon_handler;

    return NGX_OK;
}


static void
ngx_http_sockerless_docker_tls_done(ngx_connection_t *c)
{
    ngx_connection_t                    *client;
    ngx_http_sockerless_docker_proxy_t  *p;

    p = c->data;
    client = p->request->connection;

    c->read->handler = ngx_http_sockerless_docker_daemon_handler;
    c->write->handler = ngx_http_sockerless_docker_daemon_handler;

    if (c->read->timedout || c->write->timedout) {
        ngx_http_sockerless_docker_fail(p, NGX_HTTP_GATEWAY_TIME_OUT,
                                        "did not answer in time");

    } else {
        ngx_http_sockerless_docker_pump(p);
    }

    ngx_http_run_posted_requests(client);
}


/* an endpoint given by address: the certificate must name that address */

static ngx_int_t
ngx_http_sockerless_docker_check_ip(ngx_connection_t *c, ngx_str_t *ip)
{
    int    rc;
    X509  *cert;
    char   text[NGX_INET6_ADDRSTRLEN + 1];

    cert = SSL_get_peer_certificate(c->ssl->connection);
    if (cert == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) text, ip->data, ngx_min(ip->len + 1, sizeof(text)));

    rc = X509_check_ip_asc(cert, text, 0);
    X509_free(cert);

    return (rc == 1) ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_sockerless_docker_close_peer(ngx_http_sockerless_docker_proxy_t *p)
{
    ngx_connection_t  *dc;

    dc = p->peer.connection;

    if (dc == NULL) {
        return;
    }

    if (dc->ssl) {
        dc->ssl->no_wait_shutdown = 1;
        (void) ngx_ssl_shutdown(dc);
    }

    ngx_close_connection(dc);
    p->peer.connection = NULL;
}


/* POST /containers/create: its body, read whole, and the first try */

static void
ngx_http_sockerless_docker_create_body(ngx_http_request_t *r)
{
    u_char                              *d;
    size_t                               len;
    cJSON                               *json;
    ngx_buf_t                           *b;
    ngx_chain_t                         *cl;
    const char                          *image;
    ngx_http_sockerless_ctx_t           *ctx;
    ngx_http_sockerless_docker_proxy_t  *p;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);
    p = ctx->data;

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    d = ngx_pnalloc(r->pool, len + 1);
    if (d == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p->body.data = d;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (b->in_file) {
            if (ngx_read_file(b->file, d, b->file_last - b->file_pos,
                              b->file_pos)
                != b->file_last - b->file_pos)
            {
                ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
                return;
            }

            d += b->file_last - b->file_pos;

        } else {
            d = ngx_cpymem(d, b->pos, b->last - b->pos);
        }
    }

    p->body.len = d - p->body.data;

    /* the image to pull if the daemon has not got it (not JSON: no pull) */

    json = ngx_http_sockerless_json_parse(r->pool, p->body.data, p->body.len);
    image = json ? cJSON_GetStringValue(cJSON_GetObjectItem(json, "Image"))
                 : NULL;

    if (image && *image) {
        p->image.len = ngx_strlen(image);
        p->image.data = (u_char *) image;
    }

    if (ngx_http_sockerless_docker_create_head(p) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_sockerless_docker_connect(p) != NGX_OK) {
        ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                        "is not reachable");
        return;
    }

    r->read_event_handler = ngx_http_sockerless_docker_client_handler;
    r->write_event_handler = ngx_http_sockerless_docker_client_handler;

    ngx_http_sockerless_docker_pump(p);
}


/*
 * The create request (both tries) or the pull, over HTTP/1.0 so that the
 * answer comes whole and unchunked; the client's headers but the framing
 * and hop-by-hop ones, and X-Registry-Auth for the pull
 */

static ngx_int_t
ngx_http_sockerless_docker_create_head(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char              *q;
    size_t               len;
    ngx_buf_t           *b;
    ngx_uint_t           pull;
    ngx_str_t            esc;
    ngx_http_request_t  *r;

    r = p->request;
    pull = (p->rewrite == NGX_HTTP_SOCKERLESS_DOCKER_PULL);

    esc.len = 0;
    esc.data = NULL;

    if (pull) {
        esc.len = p->image.len
                  + 2 * ngx_escape_uri(NULL, p->image.data, p->image.len,
                                       NGX_ESCAPE_ARGS);
        esc.data = ngx_pnalloc(r->pool, esc.len);
        if (esc.data == NULL) {
            return NGX_ERROR;
        }

        ngx_escape_uri(esc.data, p->image.data, p->image.len,
                       NGX_ESCAPE_ARGS);
    }

    len = r->unparsed_uri.len + esc.len + p->body.len + 256
          + ngx_http_sockerless_docker_headers(r, NULL, 0);

    b = ngx_create_temp_buf(r->pool,
                            ngx_max(len, NGX_HTTP_SOCKERLESS_DOCKER_BUF));
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (pull) {
        /* the same /vX.Y as the client's request */
        q = ngx_strlcasestrn(r->unparsed_uri.data,
                             r->unparsed_uri.data + r->unparsed_uri.len,
                             (u_char *) "/containers/create", 18 - 1);

        b->last = ngx_cpymem(b->last, "POST ", 5);
        b->last = ngx_cpymem(b->last, r->unparsed_uri.data,
                             q ? (size_t) (q - r->unparsed_uri.data) : 0);
        b->last = ngx_sprintf(b->last, "/images/create?fromImage=%V "
                              "HTTP/1.0\r\n", &esc);

    } else {
        b->last = ngx_sprintf(b->last, "POST %V HTTP/1.0\r\n",
                              &r->unparsed_uri);
    }

    /* a pull carries the client's credentials, nothing else */

    b->last += ngx_http_sockerless_docker_headers(r, b->last,
                                   pull ? NGX_HTTP_SOCKERLESS_DOCKER_AUTH
                                        : NGX_HTTP_SOCKERLESS_DOCKER_FRAMED);

    b->last = ngx_sprintf(b->last, "Content-Length: %uz\r\n"
                          "Connection: close\r\n\r\n",
                          pull ? 0 : p->body.len);

    if (!pull) {
        b->last = ngx_cpymem(b->last, p->body.data, p->body.len);
    }

    p->up = b;

    /*
     * the client has nothing more to say for this request, and the daemon
     * must not see an EOF: Go cancels the request's context on it
     */
    p->client_eof = 1;
    p->no_shut = 1;

    p->down = ngx_create_temp_buf(r->pool, NGX_HTTP_SOCKERLESS_DOCKER_BUF);
    if (p->down == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the next request of a create: NGX_AGAIN once it is under way */

static ngx_int_t
ngx_http_sockerless_docker_next(ngx_http_sockerless_docker_proxy_t *p,
    ngx_uint_t phase)
{
    ngx_http_sockerless_docker_close_peer(p);

    p->rewrite = phase;

    if (ngx_http_sockerless_docker_create_head(p) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_docker_connect(p) != NGX_OK) {
        return NGX_DECLINED;
    }

    return NGX_AGAIN;
}


/* the first try answered: a missing image is pulled, else it is the answer */

static ngx_int_t
ngx_http_sockerless_docker_created(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char      *s, *last, *body;
    cJSON       *json;
    const char  *m;

    s = p->down->pos;
    last = p->down->last;

    body = ngx_strlcasestrn(s, last, (u_char *) "\r\n\r\n", 4 - 1);

    if (p->image.len == 0 || body == NULL || last - s < 12
        || ngx_strncmp(s + 8, " 404", 4) != 0)
    {
        return NGX_OK;
    }

    json = ngx_http_sockerless_json_parse(p->request->pool, body + 4,
                                          last - body - 4);
    m = json ? cJSON_GetStringValue(cJSON_GetObjectItem(json, "message"))
             : NULL;

    if (m == NULL || ngx_strncmp(m, "No such image: ", 15) != 0) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, p->request->connection->log, 0,
                  "sockerless: pulling \"%V\" for create", &p->image);

    return ngx_http_sockerless_docker_next(p, NGX_HTTP_SOCKERLESS_DOCKER_PULL);
}


/*
 * The pull's progress stream ended: an error in it (or an answer that is
 * not 200) is the create's answer, else create again
 */

static ngx_int_t
ngx_http_sockerless_docker_pulled(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char              *s, *last, *body, *line, *eol;
    cJSON               *json;
    ngx_int_t            status;
    const char          *m;
    ngx_http_request_t  *r;

    r = p->request;
    s = p->down->pos;
    last = p->down->last;

    if (p->trimmed) {
        status = NGX_HTTP_OK;
        body = s;

    } else {
        body = ngx_strlcasestrn(s, last, (u_char *) "\r\n\r\n", 4 - 1);

        if (body == NULL || last - s < 12) {
            return NGX_DECLINED;
        }

        status = ngx_atoi(s + 9, 3);
        body += 4;
    }

    if (status != NGX_HTTP_OK) {
        /* the daemon's own answer to the pull, as dockerd words it */
        return NGX_OK;
    }

    /* one JSON object per line; the first with "error" ends it badly */

    for (line = body; line < last; line = eol + 1) {
        eol = ngx_strlchr(line, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        if (ngx_strlcasestrn(line, eol, (u_char *) "\"error\"", 7 - 1)
            == NULL)
        {
            continue;
        }

        json = ngx_http_sockerless_json_parse(r->pool, line, eol - line);
        m = json ? cJSON_GetStringValue(cJSON_GetObjectItem(json, "error"))
                 : NULL;

        ngx_http_sockerless_docker_close_peer(p);
        p->done = 1;

        ngx_http_finalize_request(r, ngx_http_sockerless_send_error(r,
                                      NGX_HTTP_NOT_FOUND, "%s",
                                      m ? m : "pulling the image failed"));
        return NGX_DONE;
    }

    return ngx_http_sockerless_docker_next(p,
                                        NGX_HTTP_SOCKERLESS_DOCKER_CREATE2);
}


/*
 * GET and HEAD of documents (never of streams), without a body, from a
 * client that keeps its connection: lists, inspects, ping, version, info
 */

static ngx_uint_t
ngx_http_sockerless_docker_keepable(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char      *p, *last, *slash;
    ngx_uint_t   i;

    static ngx_str_t  exact[] = {
        ngx_string("/_ping"), ngx_string("/version"), ngx_string("/info"),
        ngx_string("/containers/json"), ngx_string("/images/json"),
        ngx_string("/volumes"), ngx_string("/networks"),
        ngx_string("/system/df")
    };

    static ngx_str_t  prefix[] = {
        ngx_string("/containers/"), ngx_string("/images/"),
        ngx_string("/exec/")
    };

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) || !r->keepalive
        || r->headers_in.upgrade || r->headers_in.content_length_n > 0
        || r->headers_in.chunked)
    {
        return 0;
    }

    for (i = 0; i < sizeof(exact) / sizeof(ngx_str_t); i++) {
        if (path->len == exact[i].len
            && ngx_strncmp(path->data, exact[i].data, path->len) == 0)
        {
            return 1;
        }
    }

    /* /containers/{id}/json, /images/{name}/json, /exec/{id}/json */

    last = path->data + path->len;

    if (path->len < 5 || ngx_strncmp(last - 5, "/json", 5) != 0) {
        return 0;
    }

    for (i = 0; i < sizeof(prefix) / sizeof(ngx_str_t); i++) {
        if (path->len > prefix[i].len + 5
            && ngx_strncmp(path->data, prefix[i].data, prefix[i].len) == 0)
        {
            p = path->data + prefix[i].len;
            slash = ngx_strlchr(p, last, '/');

            /* one {id} segment; image names may have slashes of their own */
            return slash == last - 5 || i == 1;
        }
    }

    return 0;
}


/*
 * The client's headers as "Key: value\r\n" lines at p (NULL: only the
 * length all of them need): HOP drops the hop-by-hop ones, FRAMED also
 * the body's framing (the body is sent with a length of its own), AUTH
 * keeps only Host and X-Registry-Auth. Returns the length written.
 */

static size_t
ngx_http_sockerless_docker_headers(ngx_http_request_t *r, u_char *p,
    ngx_uint_t which)
{
    u_char           *start;
    size_t            len;
    ngx_str_t        *k;
    ngx_uint_t        i, keep;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

#define sls_is(name)                                                         \
    (k->len == sizeof(name) - 1                                              \
     && ngx_strncasecmp(k->data, (u_char *) name, sizeof(name) - 1) == 0)

    start = p;
    len = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {
        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        k = &h[i].key;

        if (p == NULL) {
            len += k->len + h[i].value.len + 4;
            continue;
        }

        if (which == NGX_HTTP_SOCKERLESS_DOCKER_AUTH) {
            keep = sls_is("Host") || sls_is("X-Registry-Auth");

        } else {
            keep = !sls_is("Connection") && !sls_is("Keep-Alive")
                   && !sls_is("Proxy-Connection")
                   && (which == NGX_HTTP_SOCKERLESS_DOCKER_HOP
                       || (!sls_is("Content-Length")
                           && !sls_is("Transfer-Encoding")
                           && !sls_is("Expect")));
        }

        if (keep) {
            p = ngx_sprintf(p, "%V: %V\r\n", k, &h[i].value);
        }
    }

#undef sls_is

    return (start == NULL) ? len : (size_t) (p - start);
}


/* the request head into p->up, then what nginx read ahead of the body */

static ngx_int_t
ngx_http_sockerless_docker_head(ngx_http_sockerless_docker_proxy_t *p)
{
    size_t               len;
    ngx_buf_t           *b, *hb;
    ngx_http_request_t  *r;

    r = p->request;
    hb = r->header_in;

    len = r->method_name.len + 1 + r->unparsed_uri.len
          + sizeof(" HTTP/1.1\r\n") - 1
          + sizeof("Connection: Upgrade\r\n\r\n") - 1
          + (hb->last - hb->pos)
          + ngx_http_sockerless_docker_headers(r, NULL, 0);

    if (len > NGX_HTTP_SOCKERLESS_DOCKER_BUF) {
        b = ngx_create_temp_buf(r->pool, len);
        if (b == NULL) {
            return NGX_ERROR;
        }

        p->up = b;
    }

    b = p->up;

    b->last = ngx_cpymem(b->last, r->method_name.data, r->method_name.len);
    *b->last++ = ' ';
    b->last = ngx_cpymem(b->last, r->unparsed_uri.data, r->unparsed_uri.len);
    /* an answer to rewrite comes whole and unchunked to an HTTP/1.0 one */
    b->last = ngx_cpymem(b->last, p->rewrite ? " HTTP/1.0\r\n"
                                             : " HTTP/1.1\r\n",
                         sizeof(" HTTP/1.1\r\n") - 1);

    b->last += ngx_http_sockerless_docker_headers(r, b->last,
                                          NGX_HTTP_SOCKERLESS_DOCKER_HOP);

    if (r->headers_in.upgrade) {
        b->last = ngx_cpymem(b->last, "Connection: Upgrade\r\n\r\n",
                             sizeof("Connection: Upgrade\r\n\r\n") - 1);

    } else {
        b->last = ngx_cpymem(b->last, "Connection: close\r\n\r\n",
                             sizeof("Connection: close\r\n\r\n") - 1);
    }

    /*
     * the start of the body (or of a hijacked stream) nginx read with it;
     * a kept connection's next request stays for nginx
     */

    if (!p->keep) {
        b->last = ngx_cpymem(b->last, hb->pos, hb->last - hb->pos);
        hb->pos = hb->last;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_docker_daemon_handler(ngx_event_t *ev)
{
    ngx_connection_t                    *c, *client;
    ngx_http_sockerless_docker_proxy_t  *p;

    c = ev->data;
    p = c->data;
    client = p->request->connection;

    if (ev->timedout) {
        ev->timedout = 0;

        if (!p->head_done) {
            ngx_http_sockerless_docker_fail(p, NGX_HTTP_GATEWAY_TIME_OUT,
                                            "did not answer in time");
            goto done;
        }
    }

    ngx_http_sockerless_docker_pump(p);

done:

    /*
     * as ngx_http_upstream_handler(): a request ended here with an error
     * is only posted for termination, and nothing else would run it
     */
    ngx_http_run_posted_requests(client);
}


static void
ngx_http_sockerless_docker_client_handler(ngx_http_request_t *r)
{
    ngx_http_sockerless_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_sockerless_module);

    if (ctx == NULL || ctx->data == NULL) {
        return;
    }

    ngx_http_sockerless_docker_pump(ctx->data);
}


/*
 * Both directions until neither moves: one buffer each, read only when
 * it has room, so a slow side holds the other back. An EOF is passed on
 * as a half-close once its buffer has drained.
 */

static void
ngx_http_sockerless_docker_pump(ngx_http_sockerless_docker_proxy_t *p)
{
    size_t               size;
    ssize_t              n;
    ngx_int_t            rc;
    ngx_uint_t           progress;
    ngx_buf_t           *b;
    ngx_connection_t    *c, *dc;
    ngx_http_request_t  *r;

    if (p->done) {
        return;
    }

    r = p->request;
    c = r->connection;

again:

    dc = p->peer.connection;

    if (!p->connected) {
        if (!dc->write->ready && !dc->read->ready) {
            /* connect() in progress */
            goto arm;
        }

        p->connected = 1;
    }

    if (p->dcf->ssl && !p->verified) {
        switch (ngx_http_sockerless_docker_tls(p)) {

        case NGX_AGAIN:
            return;

        case NGX_ERROR:
            ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                            "failed the TLS handshake");
            return;

        case NGX_DECLINED:
            ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                 "has a certificate that is not trusted");
            return;
        }
    }

    do {
        progress = 0;

        /* the client's bytes to the daemon */

        b = p->up;

        if (b->pos < b->last && !p->up_shut) {
            n = dc->send(dc, b->pos, b->last - b->pos);

            if (n == NGX_ERROR) {
                if (!p->head_done) {
                    ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                         "closed the connection");
                    return;
                }

                /* the daemon stopped reading: what is left is dropped */
                p->client_eof = 1;
                b->pos = b->last;

            } else if (n > 0) {
                b->pos += n;
                progress = 1;
            }
        }

        if (b->pos == b->last) {
            b->pos = b->start;
            b->last = b->start;
        }

        if (!p->client_eof && b->last < b->end && c->read->ready) {
            n = c->recv(c, b->last, b->end - b->last);

            if (n > 0) {
                b->last += n;
                progress = 1;

            } else if (n == 0 || n == NGX_ERROR) {
                p->client_eof = 1;
                progress = 1;
            }
        }

        if (p->client_eof && b->pos == b->last && !p->up_shut
            && p->connected && !p->no_shut)
        {
            /* the client's end: the daemon sees it too */
            p->up_shut = 1;

            if (dc->ssl) {
                /* close_notify: what the CLI's CloseWrite sends over TLS */
                (void) SSL_shutdown(dc->ssl->connection);

            } else {
                (void) shutdown(dc->fd, SHUT_WR);
            }
        }

        /* the daemon's bytes to the client */

        b = p->down;

        if (p->head_done && b->pos < b->last && !c->error) {
            n = c->send(c, b->pos, b->last - b->pos);

            if (n == NGX_ERROR) {
                /* the client is gone: nothing more is owed to it */
                c->error = 1;
                b->pos = b->last;
                progress = 1;

            } else if (n > 0) {
                b->pos += n;
                progress = 1;
            }
        }

        if (b->pos == b->last && p->head_done) {
            b->pos = b->start;
            b->last = b->start;
        }

        if (!p->daemon_eof && b->last < b->end && dc->read->ready) {
            n = dc->recv(dc, b->last, b->end - b->last);

            if (n > 0) {
                b->last += n;
                progress = 1;

            } else if (n == 0 || n == NGX_ERROR) {
                p->daemon_eof = 1;
                progress = 1;
            }
        }

        if (p->rewrite && !p->head_done) {
            rc = ngx_http_sockerless_docker_collect(p);

            if (rc == NGX_ERROR) {
                ngx_http_sockerless_docker_fail(p,
                                     NGX_HTTP_INTERNAL_SERVER_ERROR,
                                     "answer could not be read");
                return;
            }

            if (rc == NGX_DECLINED) {
                ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                                "is not reachable");
                return;
            }

            if (rc == NGX_DONE) {
                if (p->done) {
                    return;
                }

                /* the next request of a create that pulls */
                goto again;
            }

            b = p->down;

            if (rc == NGX_AGAIN) {
                continue;
            }
        }

        if (!p->head_done && (b->last > b->pos || p->daemon_eof)) {
            rc = ngx_http_sockerless_docker_parse_head(p);

            if (rc == NGX_ERROR) {
                ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                                "sent an invalid answer");
                return;
            }

            if (rc == NGX_AGAIN && (p->daemon_eof || b->last == b->end)) {
                ngx_http_sockerless_docker_fail(p, NGX_HTTP_BAD_GATEWAY,
                                     p->daemon_eof && b->last == b->pos
                                     ? "closed the connection without an "
                                       "answer"
                                     : "sent an invalid answer");
                return;
            }

            if (rc == NGX_OK) {
                p->head_done = 1;
                progress = 1;

                if (dc->read->timer_set) {
                    ngx_del_timer(dc->read);
                }
            }
        }

        if (p->daemon_eof && p->head_done && b->pos == b->last) {

            if (!p->upgraded || c->error || p->client_eof) {
                ngx_http_sockerless_docker_finish(p);
                return;
            }

            if (!p->down_shut) {
                /* the stream's output ended; the client may still write */
                p->down_shut = 1;

#if (NGX_HTTP_SSL)
                if (c->ssl) {
                    /* no half-close in TLS here: the stream ends whole */
                    ngx_http_sockerless_docker_finish(p);
                    return;
                }
#endif

                (void) shutdown(c->fd, SHUT_WR);
            }
        }

        if (c->error && p->head_done) {
            /* the client is gone: the daemon hears it by the close */
            ngx_http_sockerless_docker_finish(p);
            return;
        }

    } while (progress);

arm:

    size = 0;

    if (ngx_handle_write_event(dc->write, size) != NGX_OK
        || ngx_handle_read_event(dc->read, 0) != NGX_OK
        || ngx_handle_write_event(c->write, size) != NGX_OK
        || ngx_handle_read_event(c->read, 0) != NGX_OK)
    {
        ngx_http_sockerless_docker_fail(p, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                        "event failed");
    }
}


/* "HTTP/1.x NNN ...\r\n" ... "\r\n\r\n" in the daemon's first bytes */

static ngx_int_t
ngx_http_sockerless_docker_parse_head(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char     *s, *last;
    ngx_buf_t  *b;

    b = p->down;
    s = b->pos;
    last = b->last;

    if (last - s >= 12) {
        if (ngx_strncmp(s, "HTTP/1.", 7) != 0
            || (s[7] != '0' && s[7] != '1') || s[8] != ' '
            || s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9'
            || s[11] < '0' || s[11] > '9')
        {
            return NGX_ERROR;
        }

    } else if (ngx_strncmp(s, "HTTP/1.", ngx_min(last - s, 7)) != 0) {
        return NGX_ERROR;
    }

    if (ngx_strlcasestrn(s, last, (u_char *) "\r\n\r\n", 4 - 1) == NULL) {
        return NGX_AGAIN;
    }

    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    p->upgraded = (p->status == NGX_HTTP_SWITCHING_PROTOCOLS);

    if (p->ping && ngx_http_sockerless_docker_ping(p) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the answer is the daemon's: nginx adds nothing to it */

    p->request->headers_out.status = p->status;
    p->request->header_sent = 1;
    p->request->keepalive = p->keep;

    return NGX_OK;
}


/*
 * An answer to rewrite is read whole (at most 1 MiB) before any of it
 * goes out: NGX_AGAIN until the daemon has closed, then the answer is
 * rewritten in p->down and takes the usual way.
 */

static ngx_int_t
ngx_http_sockerless_docker_collect(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char     *body;
    size_t      size, keep;
    ngx_int_t   rc;
    ngx_buf_t  *b, *nb;

    b = p->down;

    if (p->peer.connection && p->peer.connection->read->timer_set
        && ngx_strlcasestrn(b->pos, b->last, (u_char *) "\r\n\r\n", 4 - 1))
    {
        /* the head came in time; a pull may then take as long as it takes */
        ngx_del_timer(p->peer.connection->read);
    }

    if (!p->daemon_eof) {
        if (b->last < b->end) {
            return NGX_AGAIN;
        }

        size = (b->end - b->start) * 2;

        if (size > NGX_HTTP_SOCKERLESS_DOCKER_MAX) {

            if (p->rewrite == NGX_HTTP_SOCKERLESS_DOCKER_PULL) {
                /*
                 * a long progress stream: its status was 200 (it streams)
                 * and only its last lines can say it failed
                 */
                keep = NGX_HTTP_SOCKERLESS_DOCKER_BUF;
                ngx_memmove(b->start, b->last - keep, keep);
                b->pos = b->start;
                b->last = b->start + keep;
                p->trimmed = 1;
                return NGX_AGAIN;
            }

            /* too large to rewrite: it goes as it is, and ends by a close */
            p->rewrite = 0;
            p->keep = 0;
            return NGX_OK;
        }

        nb = ngx_create_temp_buf(p->request->pool, size);
        if (nb == NULL) {
            return NGX_ERROR;
        }

        nb->last = ngx_cpymem(nb->pos, b->pos, b->last - b->pos);
        p->down = nb;

        return NGX_AGAIN;
    }

    switch (p->rewrite) {

    case NGX_HTTP_SOCKERLESS_DOCKER_CREATE:
        rc = ngx_http_sockerless_docker_created(p);
        break;

    case NGX_HTTP_SOCKERLESS_DOCKER_PULL:
        rc = ngx_http_sockerless_docker_pulled(p);
        break;

    case NGX_HTTP_SOCKERLESS_DOCKER_CREATE2:
        rc = NGX_OK;
        break;

    default:
        rc = ngx_http_sockerless_docker_rewrite(p);
    }

    if (rc == NGX_AGAIN) {
        /* another request to the daemon is under way */
        return NGX_DONE;
    }

    if (rc != NGX_OK) {
        return rc;
    }

    /* not rewritten: the HTTP/1.0 answer as the client's HTTP/1.1 one */

    b = p->down;

    if (b->last - b->pos >= 8 && ngx_strncmp(b->pos, "HTTP/1.0", 8) == 0) {
        body = ngx_strlcasestrn(b->pos, b->last, (u_char *) "\r\n\r\n",
                                4 - 1);

        if (body == NULL) {
            /* no head: parse_head() says it is not an answer */
            p->keep = 0;

        } else if (ngx_http_sockerless_docker_reframe(p, body + 4,
                                                      b->last - body - 4)
                   != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    p->rewrite = 0;

    return NGX_OK;
}


/*
 * /version gets a "sockerless" component naming the endpoint, /info the
 * labels sockerless.backend and sockerless.endpoint; the daemon's other
 * headers stay, the length is the new one. Anything but a JSON 200 goes
 * back untouched.
 */

static ngx_int_t
ngx_http_sockerless_docker_rewrite(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char              *s, *last, *body, *text;
    size_t               tlen;
    cJSON               *json, *arr, *c, *d;
    ngx_buf_t           *b;
    ngx_http_request_t  *r;

    r = p->request;
    b = p->down;
    s = b->pos;
    last = b->last;

    body = ngx_strlcasestrn(s, last, (u_char *) "\r\n\r\n", 4 - 1);

    if (body == NULL || last - s < 12 || ngx_strncmp(s + 8, " 200", 4) != 0) {
        return NGX_OK;
    }

    body += 4;

    json = ngx_http_sockerless_json_parse(r->pool, body, last - body);
    if (json == NULL || !cJSON_IsObject(json)) {
        return NGX_OK;
    }

    if (p->rewrite == NGX_HTTP_SOCKERLESS_DOCKER_VERSION) {
        arr = cJSON_GetObjectItemCaseSensitive(json, "Components");
        if (!cJSON_IsArray(arr)) {
            cJSON_DeleteItemFromObjectCaseSensitive(json, "Components");
            arr = cJSON_AddArrayToObject(json, "Components");
        }

        c = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, c);
        cJSON_AddStringToObject(c, "Name", "sockerless");
        cJSON_AddStringToObject(c, "Version", NGX_HTTP_SOCKERLESS_VERSION);
        d = cJSON_AddObjectToObject(c, "Details");
        cJSON_AddStringToObject(d, "Backend", "docker");
        text = ngx_pnalloc(r->pool, p->dcf->endpoint.len + 1);
        if (text == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(text, "%V%Z", &p->dcf->endpoint);
        cJSON_AddStringToObject(d, "Endpoint", (char *) text);

    } else {
        arr = cJSON_GetObjectItemCaseSensitive(json, "Labels");
        if (!cJSON_IsArray(arr)) {
            cJSON_DeleteItemFromObjectCaseSensitive(json, "Labels");
            arr = cJSON_AddArrayToObject(json, "Labels");
        }

        cJSON_AddItemToArray(arr,
                             cJSON_CreateString("sockerless.backend=docker"));

        text = ngx_pnalloc(r->pool, p->dcf->endpoint.len + 32);
        if (text == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(text, "sockerless.endpoint=%V%Z", &p->dcf->endpoint);
        cJSON_AddItemToArray(arr, cJSON_CreateString((char *) text));
    }

    text = ngx_http_sockerless_json_text(r->pool, json, &tlen);
    if (text == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_sockerless_docker_reframe(p, text, tlen);
}


/*
 * The collected answer again, with text as its body: the status line as
 * HTTP/1.1, the daemon's headers but the framing ones, the length of text
 * (a HEAD answer keeps the daemon's), and "Connection: close" unless the
 * client's connection is to stay
 */

static ngx_int_t
ngx_http_sockerless_docker_reframe(ngx_http_sockerless_docker_proxy_t *p,
    u_char *text, size_t tlen)
{
    u_char              *s, *last, *body, *eol, *line;
    ngx_buf_t           *b, *nb;
    ngx_uint_t           head, length;
    ngx_http_request_t  *r;

    r = p->request;
    b = p->down;
    s = b->pos;
    last = b->last;

    body = ngx_strlcasestrn(s, last, (u_char *) "\r\n\r\n", 4 - 1);

    if (body == NULL || last - s < 12) {
        return NGX_OK;
    }

    body += 4;

    head = (r->method == NGX_HTTP_HEAD);
    length = !head && ngx_strncmp(s + 8, " 204", 4) != 0
             && ngx_strncmp(s + 8, " 304", 4) != 0;

    nb = ngx_create_temp_buf(r->pool, (body - s) + tlen + 64);
    if (nb == NULL) {
        return NGX_ERROR;
    }

    nb->last = ngx_cpymem(nb->last, "HTTP/1.1", 8);

    eol = ngx_strlcasestrn(s, last, (u_char *) "\r\n", 2 - 1);
    nb->last = ngx_cpymem(nb->last, s + 8, eol + 2 - (s + 8));

    for (line = eol + 2; line < body - 2; line = eol + 2) {
        eol = ngx_strlcasestrn(line, body, (u_char *) "\r\n", 2 - 1);

        if ((!head && eol - line > 15
             && ngx_strncasecmp(line, (u_char *) "Content-Length:", 15) == 0)
            || (eol - line > 18
                && ngx_strncasecmp(line, (u_char *) "Transfer-Encoding:", 18)
                   == 0)
            || (eol - line > 11
                && ngx_strncasecmp(line, (u_char *) "Connection:", 11) == 0))
        {
            continue;
        }

        nb->last = ngx_cpymem(nb->last, line, eol + 2 - line);
    }

    if (length) {
        nb->last = ngx_sprintf(nb->last, "Content-Length: %uz\r\n", tlen);
    }

    if (!p->keep) {
        nb->last = ngx_cpymem(nb->last, "Connection: close\r\n",
                              sizeof("Connection: close\r\n") - 1);
    }

    *nb->last++ = CR; *nb->last++ = LF;

    if (!head) {
        nb->last = ngx_cpymem(nb->last, text, tlen);
    }

    p->down = nb;

    return NGX_OK;
}


/*
 * /_ping is the daemon's (its Api-Version is what clients negotiate), with
 * one header of the gateway's after the status line: which daemon it is
 */

static ngx_int_t
ngx_http_sockerless_docker_ping(ngx_http_sockerless_docker_proxy_t *p)
{
    u_char     *eol;
    ngx_buf_t  *b, *nb;

    b = p->down;

    eol = ngx_strlcasestrn(b->pos, b->last, (u_char *) "\r\n", 2 - 1);
    if (eol == NULL) {
        return NGX_ERROR;
    }

    nb = ngx_create_temp_buf(p->request->pool, b->last - b->pos
                             + p->dcf->endpoint.len
                             + sizeof("Sockerless-Daemon: docker \r\n"));
    if (nb == NULL) {
        return NGX_ERROR;
    }

    nb->last = ngx_cpymem(nb->last, b->pos, eol + 2 - b->pos);
    nb->last = ngx_sprintf(nb->last, "Sockerless-Daemon: docker %V\r\n",
                           &p->dcf->endpoint);
    nb->last = ngx_cpymem(nb->last, eol + 2, b->last - (eol + 2));

    p->down = nb;

    return NGX_OK;
}


/* before the daemon answered: a Docker-style error of our own */

static void
ngx_http_sockerless_docker_fail(ngx_http_sockerless_docker_proxy_t *p,
    ngx_uint_t status, const char *why)
{
    ngx_int_t            rc;
    ngx_http_request_t  *r;

    r = p->request;

    if (p->done) {
        return;
    }

    p->done = 1;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "sockerless: the Docker daemon at %V %s",
                  &p->dcf->endpoint, why);

    if (p->peer.connection) {
        ngx_http_sockerless_docker_close_peer(p);
    }

    if (r->header_sent) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    r->keepalive = 0;

    rc = ngx_http_sockerless_send_error(r, status, "the Docker daemon at %V "
                                        "%s", &p->dcf->endpoint, why);

    ngx_http_finalize_request(r, rc);
}


static void
ngx_http_sockerless_docker_finish(ngx_http_sockerless_docker_proxy_t *p)
{
    ngx_http_request_t  *r;

    if (p->done) {
        return;
    }

    p->done = 1;
    r = p->request;

    if (p->peer.connection) {
        ngx_http_sockerless_docker_close_peer(p);
    }

    if (!p->keep) {
        /* unread bytes of the client's must not make the close a reset */
        r->lingering_close = 1;
    }

    ngx_http_finalize_request(r, r->connection->error ? NGX_ERROR : NGX_OK);
}


static void
ngx_http_sockerless_docker_cleanup(void *data)
{
    ngx_http_sockerless_docker_proxy_t *p = data;

    p->done = 1;

    if (p->peer.connection) {
        ngx_http_sockerless_docker_close_peer(p);
    }
}
