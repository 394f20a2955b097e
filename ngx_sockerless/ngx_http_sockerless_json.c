
/*
 * Copyright (C) sockerless contributors
 *
 * cJSON <-> pool glue, query arguments, and the one way every Docker
 * answer and Docker-style error is sent.
 */


#include <ngx_http_sockerless_module.h>
#include <sls_filters.h>
#include <sls_time.h>


static void ngx_http_sockerless_json_cleanup(void *data);
static void ngx_http_sockerless_free_cleanup(void *data);
static ngx_int_t ngx_http_sockerless_common_headers(ngx_http_request_t *r);


static void
ngx_http_sockerless_json_cleanup(void *data)
{
    cJSON_Delete(data);
}


static void
ngx_http_sockerless_free_cleanup(void *data)
{
    cJSON_free(data);
}


/* binds a cJSON tree to a pool; the tree is deleted with the pool */

cJSON *
ngx_http_sockerless_json_bind(ngx_pool_t *pool, cJSON *json)
{
    ngx_pool_cleanup_t  *cln;

    if (json == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        cJSON_Delete(json);
        return NULL;
    }

    cln->handler = ngx_http_sockerless_json_cleanup;
    cln->data = json;

    return json;
}


cJSON *
ngx_http_sockerless_json_parse(ngx_pool_t *pool, u_char *p, size_t len)
{
    cJSON               *json;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    json = cJSON_ParseWithLength((const char *) p, len);
    if (json == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_sockerless_json_cleanup;
    cln->data = json;

    return json;
}


u_char *
ngx_http_sockerless_json_print(ngx_pool_t *pool, cJSON *json, size_t *len)
{
    char                *s;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    s = cJSON_PrintUnformatted(json);
    if (s == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_sockerless_free_cleanup;
    cln->data = s;

    *len = ngx_strlen(s);

    return (u_char *) s;
}


static ngx_int_t
ngx_http_sockerless_common_headers(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    static ngx_str_t  names[] = {
        ngx_string("Api-Version"),
        ngx_string("Docker-Experimental"),
        ngx_string("Ostype"),
    };

    static ngx_str_t  values[] = {
        ngx_string(NGX_HTTP_SOCKERLESS_API_VERSION),
        ngx_string("false"),
        ngx_string("linux"),
    };

    ngx_uint_t  i;

    for (i = 0; i < sizeof(names) / sizeof(ngx_str_t); i++) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        h->key = names[i];
        h->value = values[i];
    }

    return NGX_OK;
}


/* the text of an answer: dockerd ends every JSON answer with a newline */

u_char *
ngx_http_sockerless_json_text(ngx_pool_t *pool, cJSON *json, size_t *len)
{
    u_char  *p, *text;

    p = ngx_http_sockerless_json_print(pool, json, len);
    if (p == NULL) {
        return NULL;
    }

    text = ngx_pnalloc(pool, *len + 1);
    if (text == NULL) {
        return NULL;
    }

    ngx_memcpy(text, p, *len);
    text[(*len)++] = '\n';

    return text;
}


ngx_int_t
ngx_http_sockerless_send_json(ngx_http_request_t *r, ngx_uint_t status,
    cJSON *json)
{
    size_t   len;
    u_char  *text;

    text = ngx_http_sockerless_json_text(r->pool, json, &len);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_text(r, status, text, len);
}


/* a JSON text that is ready, newline included; it must outlive the send */

ngx_int_t
ngx_http_sockerless_send_text(ngx_http_request_t *r, ngx_uint_t status,
    u_char *text, size_t len)
{
    ngx_buf_t    *b;
    ngx_int_t     rc;
    ngx_chain_t   out;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->start = text;
    b->pos = text;
    b->last = text + len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (ngx_http_sockerless_common_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_http_sockerless_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char   *p;
    cJSON    *json;
    va_list   args;
    u_char    msg[1024];

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg) - 1, fmt, args);
    va_end(args);

    *p = '\0';

    json = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (json == NULL
        || cJSON_AddStringToObject(json, "message", (char *) msg) == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status >= NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "sockerless: %ui \"%s\"", status, msg);
    }

    return ngx_http_sockerless_send_json(r, status, json);
}


ngx_int_t
ngx_http_sockerless_send_empty(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_int_t  rc;

    r->headers_out.status = status;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    if (ngx_http_sockerless_common_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


/* a query argument, percent-decoded; NGX_DECLINED when absent */

ngx_int_t
ngx_http_sockerless_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    u_char     *dst, *src;
    ngx_str_t   raw;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &raw) != NGX_OK) {
        return NGX_DECLINED;
    }

    dst = ngx_pnalloc(r->pool, raw.len + 1);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    value->data = dst;
    src = raw.data;

    ngx_unescape_uri(&dst, &src, raw.len, NGX_UNESCAPE_URI);

    value->len = dst - value->data;
    *dst = '\0';

    /* '+' is a space in a query */

    for (dst = value->data; dst < value->data + value->len; dst++) {
        if (*dst == '+') {
            *dst = ' ';
        }
    }

    return NGX_OK;
}


/* Go's strconv.ParseBool, as dockerd's httputils.BoolValue */

ngx_int_t
ngx_http_sockerless_arg_bool(ngx_http_request_t *r, const char *name,
    ngx_flag_t dflt)
{
    ngx_str_t  v;

    if (ngx_http_sockerless_arg(r, name, &v) != NGX_OK) {
        return dflt;
    }

    if (v.len == 0) {
        return dflt;
    }

    if ((v.len == 1 && (v.data[0] == '0' || v.data[0] == 'f'
                        || v.data[0] == 'F'))
        || (v.len == 5 && ngx_strncasecmp(v.data, (u_char *) "false", 5)
                          == 0)
        || (v.len == 2 && ngx_strncasecmp(v.data, (u_char *) "no", 2) == 0))
    {
        return 0;
    }

    return 1;
}


ngx_int_t
ngx_http_sockerless_arg_int(ngx_http_request_t *r, const char *name,
    ngx_int_t dflt)
{
    ngx_int_t  n;
    ngx_str_t  v;

    if (ngx_http_sockerless_arg(r, name, &v) != NGX_OK || v.len == 0) {
        return dflt;
    }

    if (v.data[0] == '-') {
        n = ngx_atoi(v.data + 1, v.len - 1);
        return (n == NGX_ERROR) ? dflt : -n;
    }

    n = ngx_atoi(v.data, v.len);

    return (n == NGX_ERROR) ? dflt : n;
}


cJSON *
ngx_http_sockerless_arg_json(ngx_http_request_t *r, const char *name)
{
    ngx_str_t  v;

    if (ngx_http_sockerless_arg(r, name, &v) != NGX_OK || v.len == 0) {
        return NULL;
    }

    return ngx_http_sockerless_json_parse(r->pool, v.data, v.len);
}


char *
ngx_http_sockerless_cstr(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, s->data, s->len);
    p[s->len] = '\0';

    return (char *) p;
}


/* a number member as an integer; 0 when absent, not a number or NaN */

int64_t
ngx_http_sockerless_json_int(cJSON *obj, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!cJSON_IsNumber(v) || v->valuedouble != v->valuedouble) {
        return 0;
    }

    return (int64_t) v->valuedouble;
}


/* obj[name] = item, replacing what was there */

void
ngx_http_sockerless_json_set(cJSON *obj, const char *name, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name)) {
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);

    } else {
        cJSON_AddItemToObject(obj, name, item);
    }
}


const char *
ngx_http_sockerless_json_str(cJSON *obj, const char *name)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (cJSON_IsString(item)) {
        return item->valuestring;
    }

    return NULL;
}


static void
ngx_http_sockerless_filters_cleanup(void *data)
{
    sls_filters_free(data);
}


/*
 * The "filters" query parameter, parsed and checked against the keys the
 * endpoint accepts; freed with the request's pool. NULL with dockerd's
 * message in err (a 400) when it is not valid.
 */

sls_filters_t *
ngx_http_sockerless_filters(ngx_http_request_t *r, ngx_str_t *text,
    const char *const *allowed, char *err, size_t size)
{
    sls_filters_t       *f;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        ngx_cpystrn((u_char *) err, (u_char *) "out of memory", size);
        return NULL;
    }

    f = sls_filters_parse((char *) text->data, text->len, err, size);
    if (f == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_sockerless_filters_cleanup;
    cln->data = f;

    if (allowed && sls_filters_validate(f, allowed, err, size) != 0) {
        return NULL;
    }

    return f;
}


/*
 * A since/until argument as dockerd reads it (Unix seconds with a
 * fraction, or RFC 3339), in nanoseconds since the epoch, times before it
 * as 0. NGX_DECLINED when absent or empty; NGX_ERROR with dockerd's text
 * in err (a 400) when it is not a time.
 */

ngx_int_t
ngx_http_sockerless_arg_time(ngx_http_request_t *r, const char *name,
    uint64_t *ns, char *err, size_t size)
{
    long       nsec;
    int64_t    sec;
    ngx_str_t  v;

    if (ngx_http_sockerless_arg(r, name, &v) != NGX_OK || v.len == 0) {
        return NGX_DECLINED;
    }

    if (sls_time_parse_timestamp((char *) v.data, v.len, 0, &sec, &nsec,
                                 err, size)
        != 0)
    {
        return NGX_ERROR;
    }

    *ns = (sec < 0) ? 0 : (uint64_t) sec * 1000000000 + (uint64_t) nsec;

    return NGX_OK;
}


/* a time the module stored (RFC 3339), in Unix seconds; 0 if it is not */

time_t
ngx_http_sockerless_parse_time(const char *s)
{
    long     nsec;
    int64_t  sec;

    if (s == NULL
        || sls_time_parse_rfc3339(s, ngx_strlen(s), &sec, &nsec) != 0)
    {
        return 0;
    }

    return (time_t) sec;
}
