
/*
 * Copyright (C) sockerless contributors
 *
 * ngx_http_sockerless_aws_module: the AWS configuration (region,
 * endpoints, credentials, timeout, retries) and the calls of the AWS
 * backends. A call builds a canonical URL (sls_aws), lets curl sign it
 * with CURLOPT_AWS_SIGV4 on the worker's multi, retries throttling, 5xx
 * and transport errors with full-jitter backoff on an nginx timer, and
 * parses the answer. Credentials from the environment or a file are read
 * at config time (nginx empties the workers' environment); those of the
 * ECS and EC2 metadata endpoints are fetched by each worker through the
 * same bridge, cached and refreshed before they expire.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_http_sockerless_aws.h>
#include <sls_aws.h>


#define NGX_HTTP_SOCKERLESS_AWS_ENV      1
#define NGX_HTTP_SOCKERLESS_AWS_FILE     2
#define NGX_HTTP_SOCKERLESS_AWS_ECS      3
#define NGX_HTTP_SOCKERLESS_AWS_EC2      4
#define NGX_HTTP_SOCKERLESS_AWS_CHAIN    5

/* where a worker's credentials come from, resolved at config time */
#define NGX_HTTP_SOCKERLESS_AWS_STATIC   1
#define NGX_HTTP_SOCKERLESS_AWS_FROM_ECS 2
#define NGX_HTTP_SOCKERLESS_AWS_FROM_EC2 3

#define NGX_HTTP_SOCKERLESS_AWS_BACKOFF_BASE   100
#define NGX_HTTP_SOCKERLESS_AWS_BACKOFF_CAP    5000
#define NGX_HTTP_SOCKERLESS_AWS_REFRESH        300     /* s before expiry */
#define NGX_HTTP_SOCKERLESS_AWS_META_TIMEOUT   5000
#define NGX_HTTP_SOCKERLESS_AWS_FILE_MAX       (1024 * 1024)
#define NGX_HTTP_SOCKERLESS_AWS_MAX_RETRIES    10

#define NGX_HTTP_SOCKERLESS_AWS_IMDS_TOKEN     1
#define NGX_HTTP_SOCKERLESS_AWS_IMDS_ROLE      2
#define NGX_HTTP_SOCKERLESS_AWS_IMDS_CREDS     3


typedef struct {
    ngx_str_t                      region;
    ngx_array_t                   *endpoints;    /* ngx_keyval_t */
    ngx_uint_t                     mode;
    ngx_str_t                      file;
    ngx_str_t                      profile;
    ngx_msec_t                     timeout;
    ngx_int_t                      retries;
    ngx_str_t                      ca_file;

    ngx_uint_t                     source;       /* 0: none */
    ngx_str_t                      none;         /* why there is none */
    ngx_str_t                      ecs_uri;
    ngx_str_t                      ecs_token;
    ngx_str_t                      ecs_token_file;
    ngx_str_t                      imds;

    /* per worker */
    sls_aws_creds_t               *creds;
    ngx_queue_t                    waiting;
    ngx_pool_t                    *fetch_pool;
    ngx_http_sockerless_curl_t    *fetch;
    ngx_uint_t                     fetch_step;
    ngx_str_t                      imds_token;
    ngx_str_t                      imds_role;
} ngx_http_sockerless_aws_main_conf_t;


static void *ngx_http_sockerless_aws_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_sockerless_aws_init_main_conf(ngx_conf_t *cf,
    void *conf);
static char *ngx_http_sockerless_aws_endpoint(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_sockerless_aws_credentials(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_sockerless_aws_read_env(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required);
static char *ngx_http_sockerless_aws_read_file(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required);
static char *ngx_http_sockerless_aws_read_ecs(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required);
static char *ngx_http_sockerless_aws_missing(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, const char *why,
    ngx_str_t *path, const char *detail);
static ngx_int_t ngx_http_sockerless_aws_getenv(ngx_conf_t *cf,
    const char *name, ngx_str_t *value);
static ngx_int_t ngx_http_sockerless_aws_slurp(ngx_pool_t *pool,
    ngx_log_t *log, ngx_str_t *path, ngx_str_t *text);
static ngx_int_t ngx_http_sockerless_aws_build(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_aws_credentials_ready(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_aws_attempt(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_aws_done(ngx_http_sockerless_curl_t *hc);
static ngx_uint_t ngx_http_sockerless_aws_retryable(
    ngx_http_sockerless_aws_call_t *ac);
static void ngx_http_sockerless_aws_retry(ngx_event_t *ev);
static void ngx_http_sockerless_aws_posted(ngx_event_t *ev);
static void ngx_http_sockerless_aws_fail(ngx_http_sockerless_aws_call_t *ac,
    const char *type, ngx_str_t *message);
static void ngx_http_sockerless_aws_finish(
    ngx_http_sockerless_aws_call_t *ac);
static ngx_int_t ngx_http_sockerless_aws_fetch(
    ngx_http_sockerless_aws_main_conf_t *amcf);
static ngx_int_t ngx_http_sockerless_aws_fetch_step(
    ngx_http_sockerless_aws_main_conf_t *amcf);
static void ngx_http_sockerless_aws_fetched(ngx_http_sockerless_curl_t *hc);
static void ngx_http_sockerless_aws_fetch_end(
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_str_t *error);
static void ngx_http_sockerless_aws_cjson_cleanup(void *data);


static ngx_command_t  ngx_http_sockerless_aws_commands[] = {

    { ngx_string("sockerless_aws_region"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_aws_main_conf_t, region),
      NULL },

    { ngx_string("sockerless_aws_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_sockerless_aws_endpoint,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_aws_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE123,
      ngx_http_sockerless_aws_credentials,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("sockerless_aws_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_aws_main_conf_t, timeout),
      NULL },

    { ngx_string("sockerless_aws_retries"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_aws_main_conf_t, retries),
      NULL },

    { ngx_string("sockerless_aws_ca_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_sockerless_aws_main_conf_t, ca_file),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_sockerless_aws_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_sockerless_aws_create_main_conf, /* create main configuration */
    ngx_http_sockerless_aws_init_main_conf, /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_sockerless_aws_module = {
    NGX_MODULE_V1,
    &ngx_http_sockerless_aws_module_ctx,   /* module context */
    ngx_http_sockerless_aws_commands,      /* module directives */
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


ngx_http_sockerless_aws_call_t *
ngx_http_sockerless_aws_create(ngx_log_t *log, const char *service)
{
    ngx_pool_t                           *pool;
    ngx_http_sockerless_aws_call_t       *ac;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_sockerless_aws_module);
    if (amcf == NULL) {
        return NULL;
    }

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NULL;
    }

    ac = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_aws_call_t));
    if (ac == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ac->pool = pool;
    ac->log = log;
    ac->retries = -1;
    ac->amcf = amcf;

    ac->service.len = ngx_strlen(service);
    ac->service.data = ngx_pnalloc(pool, ac->service.len);
    if (ac->service.data == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    ngx_memcpy(ac->service.data, service, ac->service.len);

    ac->ev.data = ac;
    ac->ev.log = log;

    return ac;
}


ngx_int_t
ngx_http_sockerless_aws_start(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ac->amcf;

    if (ac->started || ac->handler == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_aws_build(ac) != NGX_OK) {
        return NGX_ERROR;
    }

    ac->started = 1;
    ac->max_retries = ac->retries >= 0 ? ac->retries : amcf->retries;

    if (ac->timeout == 0) {
        ac->timeout = amcf->timeout;
    }

    /* even with credentials at hand the first attempt waits for the loop */

    ac->ev.handler = ngx_http_sockerless_aws_retry;
    ngx_post_event(&ac->ev, &ngx_posted_events);

    return NGX_OK;
}


ngx_str_t *
ngx_http_sockerless_aws_header(ngx_http_sockerless_aws_call_t *ac,
    const char *name)
{
    if (ac->hc == NULL) {
        return NULL;
    }

    return ngx_http_sockerless_curl_header(ac->hc, name);
}


void
ngx_http_sockerless_aws_free(ngx_http_sockerless_aws_call_t *ac)
{
    if (ac->waiting) {
        ngx_queue_remove(&ac->queue);
        ac->waiting = 0;
    }

    if (ac->ev.posted) {
        ngx_delete_posted_event(&ac->ev);
    }

    if (ac->ev.timer_set) {
        ngx_del_timer(&ac->ev);
    }

    /* the curl call's pool cleanup takes it out of the multi */

    ngx_destroy_pool(ac->pool);
}


ngx_str_t *
ngx_http_sockerless_aws_region(void)
{
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_sockerless_aws_module);

    return amcf ? &amcf->region : NULL;
}


/* the URL (canonical: curl signs it as it stands) and the payload */

static ngx_int_t
ngx_http_sockerless_aws_build(ngx_http_sockerless_aws_call_t *ac)
{
    char                                 *out;
    u_char                               *p;
    size_t                                plen, qlen;
    ngx_str_t                             base;
    ngx_uint_t                            i;
    ngx_keyval_t                         *kv;
    sls_aws_pair_t                       *pairs;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ac->amcf;

    ngx_str_null(&base);

    if (amcf->endpoints) {
        kv = amcf->endpoints->elts;

        for (i = 0; i < amcf->endpoints->nelts; i++) {
            if (kv[i].key.len == ac->service.len
                && ngx_strncmp(kv[i].key.data, ac->service.data,
                               ac->service.len) == 0)
            {
                base = kv[i].value;
                break;
            }
        }
    }

    if (base.len == 0) {
        base.len = sizeof("https://api..amazonaws.com.cn") - 1
                   + ac->service.len + amcf->region.len;
        base.data = ngx_pnalloc(ac->pool, base.len);
        if (base.data == NULL) {
            return NGX_ERROR;
        }

        /* ECR's API is api.ecr.REGION; China's regions end in .cn */

        base.len = ngx_sprintf(base.data, "https://%s%V.%V.amazonaws.com%s",
                               (ac->service.len == 3
                                && ngx_strncmp(ac->service.data, "ecr", 3)
                                   == 0) ? "api." : "",
                               &ac->service, &amcf->region,
                               (amcf->region.len > 3
                                && ngx_strncmp(amcf->region.data, "cn-", 3)
                                   == 0) ? ".cn" : "")
                   - base.data;
    }

    pairs = NULL;
    qlen = 0;

    if (ac->target.len) {
        plen = 1;

    } else {
        plen = sls_aws_path(NULL, (char *) ac->path.data, ac->path.len);

        if (plen == (size_t) -1) {
            ngx_log_error(NGX_LOG_ALERT, ac->log, 0,
                          "sockerless aws: the path \"%V\" has a \".\" or "
                          "\"..\" segment", &ac->path);
            return NGX_ERROR;
        }

        if (ac->query && ac->query->nelts) {
            pairs = ngx_palloc(ac->pool,
                               ac->query->nelts * sizeof(sls_aws_pair_t));
            if (pairs == NULL) {
                return NGX_ERROR;
            }

            kv = ac->query->elts;

            for (i = 0; i < ac->query->nelts; i++) {
                pairs[i].name = (char *) kv[i].key.data;
                pairs[i].name_len = kv[i].key.len;
                pairs[i].value = (char *) kv[i].value.data;
                pairs[i].value_len = kv[i].value.len;
            }

            qlen = 1 + sls_aws_query(NULL, pairs, ac->query->nelts);
        }
    }

    ac->url.data = ngx_pnalloc(ac->pool, base.len + plen + qlen);
    if (ac->url.data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(ac->url.data, base.data, base.len);

    if (ac->target.len) {
        *p++ = '/';

    } else {
        out = (char *) p;
        p += sls_aws_path(out, (char *) ac->path.data, ac->path.len);

        /*
         * curl 7.88 signs the path as it stands where AWS encodes it once
         * more: only unreserved characters sign the same both ways
         */

        if (!sls_aws_path_signable(out, (char *) p - out)) {
            ngx_log_error(NGX_LOG_ALERT, ac->log, 0,
                          "sockerless aws: the path \"%V\" needs percent-"
                          "encoding, which libcurl's SigV4 signs wrongly",
                          &ac->path);
            return NGX_ERROR;
        }

        if (pairs) {
            *p++ = '?';
            p += sls_aws_query((char *) p, pairs, ac->query->nelts);
        }
    }

    ac->url.len = p - ac->url.data;

    if (ac->body) {
        out = cJSON_PrintUnformatted(ac->body);
        if (out == NULL) {
            return NGX_ERROR;
        }

        ac->payload.len = ngx_strlen(out);
        ac->payload.data = ngx_pnalloc(ac->pool, ac->payload.len + 1);
        if (ac->payload.data == NULL) {
            cJSON_free(out);
            return NGX_ERROR;
        }

        ngx_memcpy(ac->payload.data, out, ac->payload.len + 1);
        cJSON_free(out);

    } else if (ac->target.len) {
        ngx_str_set(&ac->payload, "{}");
    }

    return NGX_OK;
}


/* ev: the first attempt (posted by start) or one after a backoff */

static void
ngx_http_sockerless_aws_retry(ngx_event_t *ev)
{
    ngx_http_sockerless_aws_call_t       *ac;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    ac = ev->data;
    amcf = ac->amcf;

    if (amcf->source == 0) {
        ngx_http_sockerless_aws_fail(ac, "MissingCredentials", &amcf->none);
        return;
    }

    if (amcf->source == NGX_HTTP_SOCKERLESS_AWS_STATIC
        || (amcf->creds->key_id[0]
            && (amcf->creds->expiration == 0
                || amcf->creds->expiration - NGX_HTTP_SOCKERLESS_AWS_REFRESH
                   > ngx_time())))
    {
        ngx_http_sockerless_aws_attempt(ac);
        return;
    }

    /* wait for the worker's fetch of credentials, starting it if need be */

    ngx_queue_insert_tail(&amcf->waiting, &ac->queue);
    ac->waiting = 1;

    if (amcf->fetch_pool == NULL && ngx_http_sockerless_aws_fetch(amcf)
                                    != NGX_OK)
    {
        ngx_str_set(&amcf->none, "the credentials could not be fetched");
        ngx_http_sockerless_aws_fetch_end(amcf, &amcf->none);
    }
}


static void
ngx_http_sockerless_aws_credentials_ready(ngx_http_sockerless_aws_call_t *ac)
{
    ac->waiting = 0;
    ngx_http_sockerless_aws_attempt(ac);
}


static void
ngx_http_sockerless_aws_attempt(ngx_http_sockerless_aws_call_t *ac)
{
    u_char                               *p;
    ngx_str_t                            *h, text;
    sls_aws_creds_t                      *creds;
    ngx_http_sockerless_curl_t           *hc;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ac->amcf;
    creds = amcf->creds;

    ac->attempts++;
    ac->status = 0;
    ac->json = NULL;
    ngx_str_null(&ac->body_out);
    ngx_str_null(&ac->error_type);
    ngx_str_null(&ac->message);

    hc = ngx_http_sockerless_curl_create(ac->pool, ac->log);
    if (hc == NULL) {
        goto failed;
    }

    ac->hc = hc;

    hc->headers = ngx_array_create(ac->pool, 3, sizeof(ngx_str_t));
    if (hc->headers == NULL) {
        goto failed;
    }

    if (ac->target.len) {
        h = ngx_array_push_n(hc->headers, 2);
        if (h == NULL) {
            goto failed;
        }

        ngx_str_set(&h[0], "Content-Type: application/x-amz-json-1.1");

        h[1].data = ngx_pnalloc(ac->pool,
                                sizeof("X-Amz-Target: ") - 1 + ac->target.len);
        if (h[1].data == NULL) {
            goto failed;
        }

        h[1].len = ngx_sprintf(h[1].data, "X-Amz-Target: %V", &ac->target)
                   - h[1].data;
        ngx_str_set(&hc->method, "POST");

    } else {
        hc->method = ac->method;

        if (ac->payload.data) {
            h = ngx_array_push(hc->headers);
            if (h == NULL) {
                goto failed;
            }

            ngx_str_set(h, "Content-Type: application/json");
        }
    }

    if (creds->token[0]) {
        h = ngx_array_push(hc->headers);
        if (h == NULL) {
            goto failed;
        }

        h->len = sizeof("X-Amz-Security-Token: ") - 1
                 + ngx_strlen(creds->token);
        h->data = ngx_pnalloc(ac->pool, h->len);
        if (h->data == NULL) {
            goto failed;
        }

        ngx_sprintf(h->data, "X-Amz-Security-Token: %s", creds->token);
    }

    hc->sigv4.len = sizeof("aws:amz::") - 1 + amcf->region.len
                    + ac->service.len;
    hc->sigv4.data = ngx_pnalloc(ac->pool, hc->sigv4.len);
    if (hc->sigv4.data == NULL) {
        goto failed;
    }

    ngx_sprintf(hc->sigv4.data, "aws:amz:%V:%V", &amcf->region,
                &ac->service);

    hc->user.data = (u_char *) creds->key_id;
    hc->user.len = ngx_strlen(creds->key_id);
    hc->password.data = (u_char *) creds->secret;
    hc->password.len = ngx_strlen(creds->secret);

    hc->url = ac->url;
    hc->body = ac->payload;
    hc->timeout = ac->timeout;
    hc->detached = ac->detached ? 1 : 0;
    hc->ca_file = amcf->ca_file;
    hc->handler = ngx_http_sockerless_aws_done;
    hc->data = ac;

    if (ngx_http_sockerless_curl_start(hc) == NGX_OK) {
        return;
    }

failed:

    p = (u_char *) "the request could not be started";
    text.data = p;
    text.len = ngx_strlen(p);

    ngx_http_sockerless_aws_fail(ac, "ConnectionError", &text);
}


static void
ngx_http_sockerless_aws_done(ngx_http_sockerless_curl_t *hc)
{
    u_char                           buf[256], *p;
    char                             type[128], msg[1024];
    size_t                           start, n;
    ngx_msec_t                       delay, cap;
    ngx_str_t                       *h;
    cJSON                           *json;
    ngx_pool_cleanup_t              *cln;
    ngx_http_sockerless_aws_call_t  *ac;

    ac = hc->data;

    if (hc->result != CURLE_OK) {
        ac->status = 0;

        if (hc->result == CURLE_OPERATION_TIMEDOUT) {
            ngx_str_set(&ac->error_type, "RequestTimeout");

        } else {
            ngx_str_set(&ac->error_type, "ConnectionError");
        }

        ac->message = hc->error;
        ac->body_out = hc->body_out;

        goto answered;
    }

    ac->status = hc->status;
    ac->body_out = hc->body_out;

    cln = ngx_pool_cleanup_add(ac->pool, 0);
    if (cln == NULL) {
        ngx_str_set(&ac->error_type, "ConnectionError");
        ngx_str_set(&ac->message, "out of memory");
        goto answered;
    }

    json = cJSON_ParseWithLength((char *) hc->body_out.data,
                                 hc->body_out.len);
    cln->handler = ngx_http_sockerless_aws_cjson_cleanup;
    cln->data = json;

    ac->json = cJSON_IsObject(json) ? json : NULL;

    if (ac->status >= 200 && ac->status < 300) {
        goto answered;
    }

    (void) sls_aws_parse_error((char *) hc->body_out.data, hc->body_out.len,
                               type, sizeof(type), msg, sizeof(msg));

    if (type[0] == '\0') {
        h = ngx_http_sockerless_curl_header(hc, "X-Amzn-ErrorType");

        if (h && sls_aws_error_name((char *) h->data, h->len, &start, &n)
                 == 0
            && n < sizeof(type))
        {
            ngx_memcpy(type, h->data + start, n);
            type[n] = '\0';
        }
    }

    if (type[0] == '\0') {
        ngx_snprintf((u_char *) type, sizeof(type), "HTTP%ui%Z", ac->status);
    }

    if (msg[0] == '\0') {
        p = ngx_snprintf(buf, sizeof(buf) - 1, "%V answered HTTP %ui",
                         &ac->service, ac->status);
        *p = '\0';
        ngx_cpystrn((u_char *) msg, buf, sizeof(msg));
    }

    ac->error_type.len = ngx_strlen(type);
    ac->error_type.data = ngx_pnalloc(ac->pool, ac->error_type.len);
    ac->message.len = ngx_strlen(msg);
    ac->message.data = ngx_pnalloc(ac->pool, ac->message.len);

    if (ac->error_type.data == NULL || ac->message.data == NULL) {
        ngx_str_set(&ac->error_type, "ConnectionError");
        ngx_str_set(&ac->message, "out of memory");
        goto answered;
    }

    ngx_memcpy(ac->error_type.data, type, ac->error_type.len);
    ngx_memcpy(ac->message.data, msg, ac->message.len);

    h = ngx_http_sockerless_curl_header(hc, "X-Amzn-RequestId");

    ngx_log_error(NGX_LOG_ERR, ac->log, 0,
                  "sockerless aws: %V answered %ui %V (request id \"%s\", "
                  "attempt %ui)", &ac->service, ac->status, &ac->error_type,
                  h ? (char *) h->data : "", ac->attempts);

answered:

    if (ac->attempts > (ngx_uint_t) ac->max_retries
        || !ngx_http_sockerless_aws_retryable(ac))
    {
        ngx_http_sockerless_aws_finish(ac);
        return;
    }

    /* full jitter: uniform in [0, min(cap, base * 2^attempt)) */

    cap = NGX_HTTP_SOCKERLESS_AWS_BACKOFF_BASE;
    for (n = 1; n < ac->attempts && cap < NGX_HTTP_SOCKERLESS_AWS_BACKOFF_CAP;
         n++)
    {
        cap *= 2;
    }

    cap = ngx_min(cap, NGX_HTTP_SOCKERLESS_AWS_BACKOFF_CAP);
    delay = (ngx_msec_t) ngx_random() % cap;

    ngx_log_error(NGX_LOG_WARN, ac->log, 0,
                  "sockerless aws: %V %V, retrying in %Mms",
                  &ac->service, &ac->error_type, delay);

    ac->ev.handler = ngx_http_sockerless_aws_retry;
    ngx_add_timer(&ac->ev, delay);
}


static ngx_uint_t
ngx_http_sockerless_aws_retryable(ngx_http_sockerless_aws_call_t *ac)
{
    ngx_str_t                            *t;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    static ngx_str_t  retry[] = {
        ngx_string("ThrottlingException"),
        ngx_string("Throttling"),
        ngx_string("TooManyRequestsException"),
        ngx_string("RequestLimitExceeded"),
        ngx_string("RequestTimeout"),
        ngx_string("ConnectionError"),
        ngx_null_string
    };

    amcf = ac->amcf;

    if (ac->status == 429 || ac->status >= 500) {
        return 1;
    }

    for (t = retry; t->len; t++) {
        if (t->len == ac->error_type.len
            && ngx_strncmp(t->data, ac->error_type.data, t->len) == 0)
        {
            return 1;
        }
    }

    /* fetched credentials that expired early: fetch again, once */

    if (amcf->source != NGX_HTTP_SOCKERLESS_AWS_STATIC && !ac->refreshed
        && ((ac->error_type.len == sizeof("ExpiredTokenException") - 1
             && ngx_strncmp(ac->error_type.data, "ExpiredTokenException",
                            ac->error_type.len) == 0)
            || (ac->error_type.len == sizeof("ExpiredToken") - 1
                && ngx_strncmp(ac->error_type.data, "ExpiredToken",
                               ac->error_type.len) == 0)))
    {
        ac->refreshed = 1;
        amcf->creds->key_id[0] = '\0';
        return 1;
    }

    return 0;
}


/* a failure found before any answer: the handler still runs from the loop */

static void
ngx_http_sockerless_aws_fail(ngx_http_sockerless_aws_call_t *ac,
    const char *type, ngx_str_t *message)
{
    ac->status = 0;
    ac->error_type.data = (u_char *) type;
    ac->error_type.len = ngx_strlen(type);
    ac->message = *message;

    if (ac->body_out.data == NULL) {
        ngx_str_set(&ac->body_out, "");
    }

    ac->ev.handler = ngx_http_sockerless_aws_posted;
    ngx_post_event(&ac->ev, &ngx_posted_events);
}


static void
ngx_http_sockerless_aws_posted(ngx_event_t *ev)
{
    ngx_http_sockerless_aws_finish(ev->data);
}


static void
ngx_http_sockerless_aws_finish(ngx_http_sockerless_aws_call_t *ac)
{
    if (ac->body_out.data == NULL) {
        ngx_str_set(&ac->body_out, "");
    }

    ac->handler(ac);
}


/* the worker's credentials from the ECS endpoint or IMDSv2 */

static ngx_int_t
ngx_http_sockerless_aws_fetch(ngx_http_sockerless_aws_main_conf_t *amcf)
{
    amcf->fetch_pool = ngx_create_pool(4096, ngx_cycle->log);
    if (amcf->fetch_pool == NULL) {
        return NGX_ERROR;
    }

    amcf->fetch_step = NGX_HTTP_SOCKERLESS_AWS_IMDS_TOKEN;

    return ngx_http_sockerless_aws_fetch_step(amcf);
}


static ngx_int_t
ngx_http_sockerless_aws_fetch_step(ngx_http_sockerless_aws_main_conf_t *amcf)
{
    ngx_str_t                   *h, token;
    ngx_pool_t                  *pool;
    ngx_http_sockerless_curl_t  *hc;

    pool = amcf->fetch_pool;

    hc = ngx_http_sockerless_curl_create(pool, ngx_cycle->log);
    if (hc == NULL) {
        return NGX_ERROR;
    }

    hc->headers = ngx_array_create(pool, 1, sizeof(ngx_str_t));
    if (hc->headers == NULL) {
        return NGX_ERROR;
    }

    hc->timeout = NGX_HTTP_SOCKERLESS_AWS_META_TIMEOUT;
    hc->handler = ngx_http_sockerless_aws_fetched;
    hc->data = amcf;
    hc->max_body = 64 * 1024;

    if (amcf->source == NGX_HTTP_SOCKERLESS_AWS_FROM_ECS) {
        hc->url = amcf->ecs_uri;
        token = amcf->ecs_token;

        if (amcf->ecs_token_file.len
            && ngx_http_sockerless_aws_slurp(pool, ngx_cycle->log,
                                             &amcf->ecs_token_file, &token)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        while (token.len && (token.data[token.len - 1] == '\n'
                             || token.data[token.len - 1] == '\r'))
        {
            token.len--;
        }

        if (token.len) {
            h = ngx_array_push(hc->headers);
            if (h == NULL) {
                return NGX_ERROR;
            }

            h->len = sizeof("Authorization: ") - 1 + token.len;
            h->data = ngx_pnalloc(pool, h->len);
            if (h->data == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(h->data, "Authorization: %V", &token);
        }

        amcf->fetch = hc;

        return ngx_http_sockerless_curl_start(hc);
    }

    h = ngx_array_push(hc->headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    switch (amcf->fetch_step) {

    case NGX_HTTP_SOCKERLESS_AWS_IMDS_TOKEN:
        ngx_str_set(&hc->method, "PUT");
        ngx_str_set(h, "X-aws-ec2-metadata-token-ttl-seconds: 21600");
        hc->url.len = amcf->imds.len + sizeof("/latest/api/token") - 1;
        break;

    case NGX_HTTP_SOCKERLESS_AWS_IMDS_ROLE:
        hc->url.len = amcf->imds.len
                      + sizeof("/latest/meta-data/iam/security-credentials/")
                      - 1;
        break;

    default: /* NGX_HTTP_SOCKERLESS_AWS_IMDS_CREDS */
        hc->url.len = amcf->imds.len
                      + sizeof("/latest/meta-data/iam/security-credentials/")
                      - 1 + amcf->imds_role.len;
        break;
    }

    hc->url.data = ngx_pnalloc(pool, hc->url.len);
    if (hc->url.data == NULL) {
        return NGX_ERROR;
    }

    if (amcf->fetch_step == NGX_HTTP_SOCKERLESS_AWS_IMDS_TOKEN) {
        ngx_sprintf(hc->url.data, "%V/latest/api/token", &amcf->imds);

        /* curl sends PUT without a body as an upload: an empty one */
        ngx_str_set(&hc->body, "");

    } else {
        ngx_sprintf(hc->url.data,
                    "%V/latest/meta-data/iam/security-credentials/%V",
                    &amcf->imds, &amcf->imds_role);

        h->len = sizeof("X-aws-ec2-metadata-token: ") - 1
                 + amcf->imds_token.len;
        h->data = ngx_pnalloc(pool, h->len);
        if (h->data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(h->data, "X-aws-ec2-metadata-token: %V",
                    &amcf->imds_token);
    }

    amcf->fetch = hc;

    return ngx_http_sockerless_curl_start(hc);
}


static void
ngx_http_sockerless_aws_fetched(ngx_http_sockerless_curl_t *hc)
{
    char                                  err[128];
    u_char                               *p, *nl, buf[512];
    ngx_str_t                             error, *body;
    sls_aws_creds_t                       creds;
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = hc->data;
    body = &hc->body_out;

    if (hc->result != CURLE_OK || hc->status != 200) {
        p = ngx_snprintf(buf, sizeof(buf),
                         "no credentials from %V: %s%V (HTTP %ui)",
                         &hc->url,
                         hc->result != CURLE_OK ? "" : "the endpoint said ",
                         hc->result != CURLE_OK ? &hc->error
                                                : &hc->body_out,
                         hc->status);
        goto failed;
    }

    if (amcf->source == NGX_HTTP_SOCKERLESS_AWS_FROM_EC2) {

        switch (amcf->fetch_step) {

        case NGX_HTTP_SOCKERLESS_AWS_IMDS_TOKEN:
            amcf->imds_token = *body;
            amcf->fetch_step = NGX_HTTP_SOCKERLESS_AWS_IMDS_ROLE;
            goto next;

        case NGX_HTTP_SOCKERLESS_AWS_IMDS_ROLE:
            nl = ngx_strlchr(body->data, body->data + body->len, '\n');
            amcf->imds_role.data = body->data;
            amcf->imds_role.len = (nl ? nl : body->data + body->len)
                                  - body->data;

            if (amcf->imds_role.len == 0) {
                p = ngx_snprintf(buf, sizeof(buf), "no credentials from "
                                 "IMDS: the instance has no IAM role");
                goto failed;
            }

            amcf->fetch_step = NGX_HTTP_SOCKERLESS_AWS_IMDS_CREDS;
            goto next;

        default:
            break;
        }
    }

    if (sls_aws_parse_creds_json((char *) body->data, body->len, &creds, err,
                                 sizeof(err))
        != 0)
    {
        p = ngx_snprintf(buf, sizeof(buf), "no credentials from %V: %s",
                         &hc->url, err);
        goto failed;
    }

    ngx_memcpy(amcf->creds, &creds, sizeof(sls_aws_creds_t));
    ngx_explicit_memzero(&creds, sizeof(sls_aws_creds_t));

    ngx_log_error(NGX_LOG_INFO, ngx_cycle->log, 0,
                  "sockerless aws: credentials of key \"%s\" fetched",
                  amcf->creds->key_id);

    ngx_http_sockerless_aws_fetch_end(amcf, NULL);
    return;

next:

    if (ngx_http_sockerless_aws_fetch_step(amcf) == NGX_OK) {
        return;
    }

    p = ngx_snprintf(buf, sizeof(buf), "no credentials: the IMDS request "
                     "could not be started");

failed:

    error.len = p - buf;
    error.data = buf;

    ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0, "sockerless aws: %V",
                  &error);

    ngx_http_sockerless_aws_fetch_end(amcf, &error);
}


/* wakes the calls waiting; error NULL: they have credentials */

static void
ngx_http_sockerless_aws_fetch_end(ngx_http_sockerless_aws_main_conf_t *amcf,
    ngx_str_t *error)
{
    ngx_str_t                        msg;
    ngx_pool_t                      *pool;
    ngx_queue_t                     *q;
    ngx_http_sockerless_aws_call_t  *ac;

    pool = amcf->fetch_pool;

    amcf->fetch_pool = NULL;
    amcf->fetch = NULL;
    ngx_str_null(&amcf->imds_token);
    ngx_str_null(&amcf->imds_role);

    while (!ngx_queue_empty(&amcf->waiting)) {
        q = ngx_queue_head(&amcf->waiting);
        ngx_queue_remove(q);
        ac = ngx_queue_data(q, ngx_http_sockerless_aws_call_t, queue);

        if (error == NULL) {
            ngx_http_sockerless_aws_credentials_ready(ac);
            continue;
        }

        ac->waiting = 0;

        msg.len = error->len;
        msg.data = ngx_pnalloc(ac->pool, msg.len);
        if (msg.data == NULL) {
            ngx_str_set(&msg, "no credentials");

        } else {
            ngx_memcpy(msg.data, error->data, msg.len);
        }

        ngx_http_sockerless_aws_fail(ac, "MissingCredentials", &msg);
    }

    /* the answer just handled lives in it: destroyed last */

    if (pool) {
        ngx_destroy_pool(pool);
    }
}


static void
ngx_http_sockerless_aws_cjson_cleanup(void *data)
{
    cJSON_Delete(data);
}


static void *
ngx_http_sockerless_aws_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_sockerless_aws_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_sockerless_aws_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->region = { 0, NULL };
     *     amcf->endpoints = NULL;
     *     amcf->mode = 0;
     *     amcf->source = 0;
     *     amcf->fetch_pool = NULL;
     */

    amcf->timeout = NGX_CONF_UNSET_MSEC;
    amcf->retries = NGX_CONF_UNSET;

    amcf->creds = ngx_pcalloc(cf->pool, sizeof(sls_aws_creds_t));
    if (amcf->creds == NULL) {
        return NULL;
    }

    ngx_queue_init(&amcf->waiting);

    return amcf;
}


static char *
ngx_http_sockerless_aws_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_sockerless_aws_main_conf_t *amcf = conf;

    char       *rv;
    ngx_str_t   v;

    if (amcf->region.len == 0) {
        if (ngx_http_sockerless_aws_getenv(cf, "AWS_REGION", &amcf->region)
            != NGX_OK
            && ngx_http_sockerless_aws_getenv(cf, "AWS_DEFAULT_REGION",
                                              &amcf->region) != NGX_OK)
        {
            ngx_str_set(&amcf->region, "us-east-1");
        }
    }

    ngx_conf_init_msec_value(amcf->timeout, 30000);
    ngx_conf_init_value(amcf->retries, 4);

    if (amcf->retries > NGX_HTTP_SOCKERLESS_AWS_MAX_RETRIES) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_aws_retries must be at most %d",
                           NGX_HTTP_SOCKERLESS_AWS_MAX_RETRIES);
        return NGX_CONF_ERROR;
    }

    if (amcf->ca_file.len) {
        if (ngx_conf_full_name(cf->cycle, &amcf->ca_file, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        if (access((char *) amcf->ca_file.data, R_OK) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "sockerless_aws_ca_certificate \"%V\" cannot "
                               "be read", &amcf->ca_file);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_sockerless_aws_getenv(cf, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                       &amcf->imds) != NGX_OK)
    {
        ngx_str_set(&amcf->imds, "http://169.254.169.254");
    }

    while (amcf->imds.len && amcf->imds.data[amcf->imds.len - 1] == '/') {
        amcf->imds.len--;
    }

    switch (amcf->mode) {

    case NGX_HTTP_SOCKERLESS_AWS_ENV:
        return ngx_http_sockerless_aws_read_env(cf, amcf, 1);

    case NGX_HTTP_SOCKERLESS_AWS_FILE:
        return ngx_http_sockerless_aws_read_file(cf, amcf, 1);

    case NGX_HTTP_SOCKERLESS_AWS_ECS:
        return ngx_http_sockerless_aws_read_ecs(cf, amcf, 1);

    case NGX_HTTP_SOCKERLESS_AWS_EC2:
        amcf->source = NGX_HTTP_SOCKERLESS_AWS_FROM_EC2;
        return NGX_CONF_OK;

    default: /* chain, like the SDKs */
        break;
    }

    rv = ngx_http_sockerless_aws_read_env(cf, amcf, 0);
    if (rv != NGX_CONF_OK || amcf->source) {
        return rv;
    }

    rv = ngx_http_sockerless_aws_read_file(cf, amcf, 0);
    if (rv != NGX_CONF_OK || amcf->source) {
        return rv;
    }

    rv = ngx_http_sockerless_aws_read_ecs(cf, amcf, 0);
    if (rv != NGX_CONF_OK || amcf->source) {
        return rv;
    }

    if (ngx_http_sockerless_aws_getenv(cf, "AWS_EC2_METADATA_DISABLED", &v)
        == NGX_OK
        && v.len == 4 && ngx_strncasecmp(v.data, (u_char *) "true", 4) == 0)
    {
        ngx_str_set(&amcf->none, "no AWS credentials: none in the "
                    "environment, no credentials file, no ECS endpoint, and "
                    "AWS_EC2_METADATA_DISABLED is set");
        return NGX_CONF_OK;
    }

    amcf->source = NGX_HTTP_SOCKERLESS_AWS_FROM_EC2;

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_aws_read_env(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required)
{
    ngx_str_t  id, secret, token;

    if (ngx_http_sockerless_aws_getenv(cf, "AWS_ACCESS_KEY_ID", &id)
        != NGX_OK
        || ngx_http_sockerless_aws_getenv(cf, "AWS_SECRET_ACCESS_KEY",
                                          &secret) != NGX_OK)
    {
        if (required) {
            return ngx_http_sockerless_aws_missing(cf, amcf,
                       "sockerless_aws_credentials env, but "
                       "AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not "
                       "set", NULL, NULL);
        }

        return NGX_CONF_OK;
    }

    if (ngx_http_sockerless_aws_getenv(cf, "AWS_SESSION_TOKEN", &token)
        != NGX_OK)
    {
        ngx_str_null(&token);
    }

    if (id.len >= SLS_AWS_KEY_ID_SIZE || secret.len >= SLS_AWS_SECRET_SIZE
        || token.len >= SLS_AWS_TOKEN_SIZE)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_aws_credentials env: a value is too "
                           "long");
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(amcf->creds->key_id, id.data, id.len);
    ngx_memcpy(amcf->creds->secret, secret.data, secret.len);
    ngx_memcpy(amcf->creds->token, token.data, token.len);

    amcf->source = NGX_HTTP_SOCKERLESS_AWS_STATIC;

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_aws_read_file(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required)
{
    char        err[128];
    u_char     *profile;
    ngx_str_t   path, home, text;

    path = amcf->file;

    if (path.len == 0
        && ngx_http_sockerless_aws_getenv(cf, "AWS_SHARED_CREDENTIALS_FILE",
                                          &path) != NGX_OK)
    {
        if (ngx_http_sockerless_aws_getenv(cf, "HOME", &home) != NGX_OK) {
            if (required) {
                return ngx_http_sockerless_aws_missing(cf, amcf,
                           "sockerless_aws_credentials file without a path, "
                           "and HOME is not set", NULL, NULL);
            }

            return NGX_CONF_OK;
        }

        path.len = home.len + sizeof("/.aws/credentials") - 1;
        path.data = ngx_pnalloc(cf->pool, path.len);
        if (path.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(path.data, "%V/.aws/credentials", &home);
    }

    if (amcf->profile.len == 0
        && ngx_http_sockerless_aws_getenv(cf, "AWS_PROFILE", &amcf->profile)
           != NGX_OK)
    {
        ngx_str_set(&amcf->profile, "default");
    }

    if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (!required && access((char *) path.data, F_OK) != 0) {
        return NGX_CONF_OK;
    }

    if (ngx_http_sockerless_aws_slurp(cf->temp_pool, cf->log, &path, &text)
        != NGX_OK)
    {
        return ngx_http_sockerless_aws_missing(cf, amcf,
                   "the credentials file cannot be read", &path, NULL);
    }

    profile = ngx_pnalloc(cf->temp_pool, amcf->profile.len + 1);
    if (profile == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(profile, amcf->profile.data, amcf->profile.len + 1);

    if (sls_aws_parse_profile((char *) text.data, text.len, (char *) profile,
                              amcf->creds, err, sizeof(err))
        != 0)
    {
        return ngx_http_sockerless_aws_missing(cf, amcf,
                   "the credentials file is unusable", &path, err);
    }

    ngx_explicit_memzero(text.data, text.len);

    amcf->source = NGX_HTTP_SOCKERLESS_AWS_STATIC;

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_aws_read_ecs(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, ngx_uint_t required)
{
    ngx_str_t  rel;

    if (ngx_http_sockerless_aws_getenv(cf,
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", &rel) == NGX_OK)
    {
        amcf->ecs_uri.len = sizeof("http://169.254.170.2") - 1 + rel.len;
        amcf->ecs_uri.data = ngx_pnalloc(cf->pool, amcf->ecs_uri.len);
        if (amcf->ecs_uri.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(amcf->ecs_uri.data, "http://169.254.170.2%V", &rel);

    } else if (ngx_http_sockerless_aws_getenv(cf,
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI", &amcf->ecs_uri)
               != NGX_OK)
    {
        if (required) {
            return ngx_http_sockerless_aws_missing(cf, amcf,
                       "sockerless_aws_credentials ecs, but neither "
                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                       "AWS_CONTAINER_CREDENTIALS_FULL_URI is set", NULL,
                       NULL);
        }

        return NGX_CONF_OK;
    }

    if (ngx_http_sockerless_aws_getenv(cf, "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                                       &amcf->ecs_token) != NGX_OK)
    {
        (void) ngx_http_sockerless_aws_getenv(cf,
                   "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                   &amcf->ecs_token_file);
    }

    amcf->source = NGX_HTTP_SOCKERLESS_AWS_FROM_ECS;

    return NGX_CONF_OK;
}


/*
 * Credentials asked for but absent are not a configuration error (nginx
 * -s and -t run with whatever environment they have): calls then fail
 * with MissingCredentials and this text
 */

static char *
ngx_http_sockerless_aws_missing(ngx_conf_t *cf,
    ngx_http_sockerless_aws_main_conf_t *amcf, const char *why,
    ngx_str_t *path, const char *detail)
{
    size_t   len;
    u_char  *p;

    len = sizeof("no AWS credentials: ") - 1 + ngx_strlen(why)
          + (path ? path->len + sizeof(" \"\"") - 1 : 0)
          + (detail ? ngx_strlen(detail) + 2 : 0);

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    amcf->none.data = p;

    p = ngx_sprintf(p, "no AWS credentials: %s", why);

    if (path) {
        p = ngx_sprintf(p, " \"%V\"", path);
    }

    if (detail) {
        p = ngx_sprintf(p, ": %s", detail);
    }

    amcf->none.len = p - amcf->none.data;
    amcf->source = 0;

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0, "sockerless aws: %V",
                       &amcf->none);

    return NGX_CONF_OK;
}


/* NGX_OK with a copy in cf->pool when set and not empty */

static ngx_int_t
ngx_http_sockerless_aws_getenv(ngx_conf_t *cf, const char *name,
    ngx_str_t *value)
{
    char  *v;

    v = getenv(name);
    if (v == NULL || *v == '\0') {
        return NGX_DECLINED;
    }

    value->len = ngx_strlen(v);
    value->data = ngx_pnalloc(cf->pool, value->len + 1);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(value->data, (u_char *) v, value->len + 1);

    return NGX_OK;
}


/* a small file whole (config time, or an ECS token file of a few bytes) */

static ngx_int_t
ngx_http_sockerless_aws_slurp(ngx_pool_t *pool, ngx_log_t *log,
    ngx_str_t *path, ngx_str_t *text)
{
    u_char     *name;
    ssize_t     n;
    ngx_fd_t    fd;
    ngx_file_t  file;

    name = ngx_pnalloc(pool, path->len + 1);
    if (name == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(name, path->data, path->len + 1);

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", name);
        return NGX_ERROR;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name.data = name;
    file.name.len = path->len;
    file.log = log;

    text->data = ngx_pnalloc(pool, NGX_HTTP_SOCKERLESS_AWS_FILE_MAX);
    if (text->data == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = ngx_read_file(&file, text->data, NGX_HTTP_SOCKERLESS_AWS_FILE_MAX, 0);

    ngx_close_file(fd);

    if (n == NGX_ERROR || n == NGX_HTTP_SOCKERLESS_AWS_FILE_MAX) {
        return NGX_ERROR;
    }

    text->len = n;

    return NGX_OK;
}


static char *
ngx_http_sockerless_aws_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_sockerless_aws_main_conf_t *amcf = conf;

    u_char        *host;
    ngx_str_t     *value, url;
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    value = cf->args->elts;
    url = value[2];

    while (url.len && url.data[url.len - 1] == '/') {
        url.len--;
    }

    if (url.len > 7 && ngx_strncmp(url.data, "http://", 7) == 0) {
        host = url.data + 7;

    } else if (url.len > 8 && ngx_strncmp(url.data, "https://", 8) == 0) {
        host = url.data + 8;

    } else {
        host = NULL;
    }

    if (host == NULL
        || ngx_strlchr(host, url.data + url.len, '/')
        || ngx_strlchr(host, url.data + url.len, '?')
        || ngx_strlchr(host, url.data + url.len, '@'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_aws_endpoint \"%V\": the URL must be "
                           "http://host[:port] or https://host[:port]",
                           &value[2]);
        return NGX_CONF_ERROR;
    }

    if (amcf->endpoints == NULL) {
        amcf->endpoints = ngx_array_create(cf->pool, 4, sizeof(ngx_keyval_t));
        if (amcf->endpoints == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    kv = amcf->endpoints->elts;

    for (i = 0; i < amcf->endpoints->nelts; i++) {
        if (kv[i].key.len == value[1].len
            && ngx_strncmp(kv[i].key.data, value[1].data, value[1].len) == 0)
        {
            return "is duplicate for this service";
        }
    }

    kv = ngx_array_push(amcf->endpoints);
    if (kv == NULL) {
        return NGX_CONF_ERROR;
    }

    kv->key = value[1];
    kv->value = url;

    return NGX_CONF_OK;
}


static char *
ngx_http_sockerless_aws_credentials(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_sockerless_aws_main_conf_t *amcf = conf;

    ngx_str_t  *value;

    if (amcf->mode) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "file") == 0) {
        amcf->mode = NGX_HTTP_SOCKERLESS_AWS_FILE;

        if (cf->args->nelts > 2) {
            amcf->file = value[2];
        }

        if (cf->args->nelts > 3) {
            amcf->profile = value[3];
        }

        return NGX_CONF_OK;
    }

    if (cf->args->nelts > 2) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_aws_credentials \"%V\" takes no "
                           "parameters", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[1].data, "env") == 0) {
        amcf->mode = NGX_HTTP_SOCKERLESS_AWS_ENV;

    } else if (ngx_strcmp(value[1].data, "ecs") == 0) {
        amcf->mode = NGX_HTTP_SOCKERLESS_AWS_ECS;

    } else if (ngx_strcmp(value[1].data, "ec2") == 0) {
        amcf->mode = NGX_HTTP_SOCKERLESS_AWS_EC2;

    } else if (ngx_strcmp(value[1].data, "chain") == 0) {
        amcf->mode = NGX_HTTP_SOCKERLESS_AWS_CHAIN;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "sockerless_aws_credentials \"%V\": expected env, "
                           "file, ecs, ec2 or chain", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
