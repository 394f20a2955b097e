
/*
 * Copyright (C) sockerless contributors
 *
 * Containers: create, list, inspect and the state machine (start, stop,
 * kill, restart, pause, rename, wait, remove, prune, top, stats) that
 * every backend shares. Backends only make processes run and stop.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_backend.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_networks.h>
#include <ngx_http_sockerless_resources.h>
#include <ngx_http_sockerless_images.h>
#include <ngx_http_sockerless_stream.h>
#include <sls_id.h>
#include <sls_filters.h>
#include <sls_time.h>
#include <sls_ports.h>
#include <sls_runtime.h>
#include <openssl/rand.h>
#include <ftw.h>


#define NGX_HTTP_SOCKERLESS_ZERO_TIME  "0001-01-01T00:00:00Z"


typedef struct {
    ngx_http_request_t            *request;
    ngx_pool_t                    *pool;
    ngx_log_t                     *log;
    ngx_http_sockerless_op_t       op;
    ngx_http_sockerless_watch_t    watch;
    ngx_event_t                    timer;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
    char                           started[64];
    ngx_int_t                      condition;
    ngx_int_t                      exit_code;
    unsigned                       then_start:1;
    unsigned                       background:1;
    unsigned                       seen_running:1;
    unsigned                       done:1;
} ngx_http_sockerless_cctx_t;


#define NGX_HTTP_SOCKERLESS_WAIT_NOT_RUNNING  0
#define NGX_HTTP_SOCKERLESS_WAIT_NEXT_EXIT    1
#define NGX_HTTP_SOCKERLESS_WAIT_REMOVED      2


static ngx_int_t ngx_http_sockerless_container_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_create_done(ngx_http_request_t *r,
    cJSON *rec, const char *id, const char *iname);
static ngx_int_t ngx_http_sockerless_runtime_check(
    ngx_http_sockerless_build_t *b, cJSON *hc, cJSON *body);
static ngx_int_t ngx_http_sockerless_caps_check(
    ngx_http_sockerless_build_t *b, cJSON *hc, const char *field);
static ngx_int_t ngx_http_sockerless_ports_check(
    ngx_http_sockerless_build_t *b, cJSON *hc, cJSON *body);
static cJSON *ngx_http_sockerless_ports_list(cJSON *ports);
static ngx_int_t ngx_http_sockerless_port_filter(sls_filters_t *filters,
    const char *key, unsigned port, const char *proto, char *err,
    size_t size);
static ngx_int_t ngx_http_sockerless_create_backend(ngx_http_request_t *r,
    cJSON *rec, const char *id, const char *iname);
static void ngx_http_sockerless_created(ngx_http_sockerless_op_t *op,
    ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_container_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_start(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_stop(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_restart(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_kill(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_pause(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_unpause(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_rename(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_wait(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_top(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_container_stats(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);

static ngx_int_t ngx_http_sockerless_not_found(ngx_http_request_t *r,
    ngx_str_t *ref, ngx_uint_t ambiguous);
static cJSON *ngx_http_sockerless_state_new(void);
static ngx_int_t ngx_http_sockerless_is(cJSON *rec, const char *field);
static ngx_int_t ngx_http_sockerless_name_reserve(void *data, cJSON **value);
static ngx_int_t ngx_http_sockerless_run(ngx_http_sockerless_cctx_t *ctx,
    cJSON *rec);
static void ngx_http_sockerless_run_done(ngx_http_sockerless_op_t *op,
    ngx_int_t rc);
static ngx_int_t ngx_http_sockerless_run_record(void *data, cJSON **value);
static void ngx_http_sockerless_cctx_finish(ngx_http_sockerless_cctx_t *ctx,
    ngx_int_t rc);
static void ngx_http_sockerless_cctx_cleanup(void *data);
static ngx_http_sockerless_cctx_t *ngx_http_sockerless_cctx(
    ngx_http_request_t *r, cJSON *rec);
static ngx_int_t ngx_http_sockerless_signal(ngx_http_sockerless_cctx_t *ctx,
    cJSON *rec, ngx_int_t sig);
static void ngx_http_sockerless_stop_watch(ngx_http_sockerless_watch_t *w);
static void ngx_http_sockerless_stop_timer(ngx_event_t *ev);
static void ngx_http_sockerless_wait_watch(ngx_http_sockerless_watch_t *w);
static ngx_int_t ngx_http_sockerless_last_exit(ngx_pool_t *pool,
    const char *id);
static ngx_int_t ngx_http_sockerless_remove(ngx_pool_t *pool, ngx_log_t *log,
    cJSON *rec, ngx_uint_t volumes);
static ngx_int_t ngx_http_sockerless_set_state(void *data, cJSON **value);
static ngx_int_t ngx_http_sockerless_exit_record(void *data, cJSON **value);
static void ngx_http_sockerless_run_started(ngx_http_sockerless_op_t *op);
static void ngx_http_sockerless_restart_timer(ngx_event_t *ev);
static const char *ngx_http_sockerless_id(cJSON *rec);
static void ngx_http_sockerless_add_sizes(ngx_pool_t *pool, cJSON *out,
    cJSON *rec);
static ngx_int_t ngx_http_sockerless_filters_match(ngx_pool_t *pool,
    sls_filters_t *filters, cJSON *rec, cJSON *before, cJSON *since);
static void ngx_http_sockerless_human(char *buf, size_t size, time_t d);


ngx_http_sockerless_route_t  ngx_http_sockerless_container_routes[] = {

    { NGX_HTTP_POST, ngx_string("/containers/create"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_container_create },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/containers/json"),
      ngx_null_string, 0,
      ngx_http_sockerless_container_list },

    { NGX_HTTP_POST, ngx_string("/containers/prune"),
      ngx_null_string, 0,
      ngx_http_sockerless_container_prune },

    { NGX_HTTP_GET|NGX_HTTP_HEAD, ngx_string("/containers/"),
      ngx_string("json"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_inspect },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("start"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_start },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("stop"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_stop },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("restart"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_restart },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("kill"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_kill },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("pause"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_pause },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("unpause"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_unpause },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("rename"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_rename },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("wait"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_wait },

    { NGX_HTTP_GET, ngx_string("/containers/"),
      ngx_string("top"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_top },

    { NGX_HTTP_GET, ngx_string("/containers/"),
      ngx_string("stats"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_stats },

    { NGX_HTTP_GET, ngx_string("/containers/"),
      ngx_string("logs"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_logs },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("attach"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_attach },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("resize"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_resize },

    { NGX_HTTP_POST, ngx_string("/containers/"),
      ngx_string("exec"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_exec_create },

    { NGX_HTTP_DELETE, ngx_string("/containers/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_container_delete },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


/* the signal names dockerd accepts, with or without "SIG" */

static struct {
    const char  *name;
    ngx_int_t    signo;
} ngx_http_sockerless_signals[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
    { "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
    { "IOT", SIGIOT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
    { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },
    { "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
    { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
    { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
    { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
    { "POLL", SIGPOLL }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
    { NULL, 0 }
};


ngx_int_t
ngx_http_sockerless_signal_parse(ngx_str_t *s)
{
    u_char      *p, *name;
    size_t       len;
    ngx_int_t    n;
    ngx_uint_t   i;

    p = s->data;
    len = s->len;

    if (len == 0) {
        return NGX_ERROR;
    }

    n = ngx_atoi(p, len);
    if (n != NGX_ERROR) {
        return (n > 0 && n < 65) ? n : NGX_ERROR;
    }

    if (len > 3 && ngx_strncasecmp(p, (u_char *) "SIG", 3) == 0) {
        p += 3;
        len -= 3;
    }

    for (i = 0; ngx_http_sockerless_signals[i].name; i++) {
        name = (u_char *) ngx_http_sockerless_signals[i].name;

        if (ngx_strlen(name) == len && ngx_strncasecmp(p, name, len) == 0) {
            return ngx_http_sockerless_signals[i].signo;
        }
    }

    return NGX_ERROR;
}


/*
 * SizeRw and SizeRootFs as dockerd reports them: the bytes of the files
 * in the container's writable layer (the overlay's upper directory,
 * hard links counted once) and that plus the image's size
 */

static off_t  ngx_http_sockerless_du_total;
static ngx_array_t  *ngx_http_sockerless_du_inodes;


static int
ngx_http_sockerless_du_file(const char *path, const struct stat *sb,
    int flag, struct FTW *ftw)
{
    ngx_uint_t   i;
    ino_t       *ino;

    if (flag != FTW_F || S_ISDIR(sb->st_mode)) {
        return 0;
    }

    if (sb->st_nlink > 1 && ngx_http_sockerless_du_inodes) {
        ino = ngx_http_sockerless_du_inodes->elts;

        for (i = 0; i < ngx_http_sockerless_du_inodes->nelts; i++) {
            if (ino[i] == sb->st_ino) {
                return 0;
            }
        }

        ino = ngx_array_push(ngx_http_sockerless_du_inodes);
        if (ino) {
            *ino = sb->st_ino;
        }
    }

    ngx_http_sockerless_du_total += sb->st_size;

    return 0;
}


/* the bytes of the files under path, a file with several links once */

off_t
ngx_http_sockerless_du(ngx_pool_t *pool, const char *path)
{
    ngx_http_sockerless_du_total = 0;
    ngx_http_sockerless_du_inodes = ngx_array_create(pool, 16, sizeof(ino_t));

    (void) nftw(path, ngx_http_sockerless_du_file, 16, FTW_PHYS);

    ngx_http_sockerless_du_inodes = NULL;

    return ngx_http_sockerless_du_total;
}


static off_t
ngx_http_sockerless_rw_size(ngx_pool_t *pool, cJSON *rec)
{
    u_char      *upper;
    const char  *id;

    id = ngx_http_sockerless_id(rec);
    upper = id ? ngx_http_sockerless_container_path(pool, id, "upper")
               : NULL;

    return upper ? ngx_http_sockerless_du(pool, (char *) upper) : 0;
}


static void
ngx_http_sockerless_add_sizes(ngx_pool_t *pool, cJSON *out, cJSON *rec)
{
    off_t        rw;
    cJSON       *img;
    ngx_str_t    ref;
    const char  *s;
    double       image_size;

    rw = ngx_http_sockerless_rw_size(pool, rec);

    image_size = 0;
    s = ngx_http_sockerless_json_str(rec, "Image");

    if (s) {
        ref.data = (u_char *) s;
        ref.len = ngx_strlen(s);

        img = ngx_http_sockerless_image_find(pool, &ref);
        image_size = cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(img, "Size"));

        if (image_size != image_size) {
            /* NaN: no such image any more */
            image_size = 0;
        }
    }

    cJSON_AddNumberToObject(out, "SizeRw", (double) rw);
    cJSON_AddNumberToObject(out, "SizeRootFs", (double) rw + image_size);
}


u_char *
ngx_http_sockerless_container_file(u_char *buf, size_t size, const char *id,
    const char *file)
{
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    if (smcf->data_dir.len + sizeof("/containers//") + ngx_strlen(id)
        + ngx_strlen(file) > size)
    {
        return NULL;
    }

    ngx_sprintf(buf, "%V/containers/%s/%s%Z", &smcf->data_dir, id, file);

    return buf;
}


u_char *
ngx_http_sockerless_container_path(ngx_pool_t *pool, const char *id,
    const char *file)
{
    u_char                           *p;
    size_t                            len;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    len = smcf->data_dir.len + sizeof("/containers//") + ngx_strlen(id)
          + (file ? ngx_strlen(file) : 0);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NULL;
    }

    if (file) {
        ngx_sprintf(p, "%V/containers/%s/%s%Z", &smcf->data_dir, id, file);

    } else {
        ngx_sprintf(p, "%V/containers/%s%Z", &smcf->data_dir, id);
    }

    return p;
}


/*
 * Actor.Attributes of a container's events, as dockerd fills them: the
 * container's labels, then "image" and "name"; bound to the pool
 */

cJSON *
ngx_http_sockerless_container_attrs(ngx_pool_t *pool, cJSON *rec)
{
    cJSON       *attrs, *l;
    const char  *s;

    attrs = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (attrs == NULL) {
        return NULL;
    }

    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                              "Labels"))
    {
        if (cJSON_IsString(l)) {
            cJSON_AddStringToObject(attrs, l->string, l->valuestring);
        }
    }

    s = ngx_http_sockerless_json_str(
            cJSON_GetObjectItemCaseSensitive(rec, "Config"), "Image");
    cJSON_DeleteItemFromObjectCaseSensitive(attrs, "image");
    cJSON_AddStringToObject(attrs, "image", s ? s : "");

    s = ngx_http_sockerless_json_str(rec, "Name");
    cJSON_DeleteItemFromObjectCaseSensitive(attrs, "name");
    cJSON_AddStringToObject(attrs, "name", s && *s == '/' ? s + 1 : "");

    return attrs;
}

/*
 * dockerd's exec events: "exec_create: <cmd>", "exec_start: <cmd>" and
 * "exec_die", with the container's attributes, execID and, for exec_die,
 * exitCode (code >= 0)
 */

void
ngx_http_sockerless_exec_event(ngx_pool_t *pool, const char *xid,
    const char *action, ngx_int_t code)
{
    char         key[80];
    cJSON       *x, *rec;
    const char  *cid;

    if (ngx_strlen(xid) > 64) {
        return;
    }

    ngx_sprintf((u_char *) key, "x/%s%Z", xid);
    x = ngx_http_sockerless_store_get(pool, key);
    cid = ngx_http_sockerless_json_str(x, "ContainerID");

    if (cid == NULL || ngx_strlen(cid) > 64) {
        return;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", cid);
    rec = ngx_http_sockerless_store_get(pool, key);

    ngx_http_sockerless_exec_event_of(pool, rec, xid, action, code,
                      cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(x, "_sls"),
                          "cmd"));
}


/* the same for an exec of container rec running cmd (an array) */

void
ngx_http_sockerless_exec_event_of(ngx_pool_t *pool, cJSON *rec,
    const char *xid, const char *action, ngx_int_t code, cJSON *cmd)
{
    char         num[32];
    cJSON       *attrs, *a;
    size_t       len;
    u_char      *text, *p;
    const char  *cid;

    cid = ngx_http_sockerless_id(rec);
    attrs = ngx_http_sockerless_container_attrs(pool, rec);

    if (cid == NULL || attrs == NULL) {
        return;
    }

    cJSON_AddStringToObject(attrs, "execID", xid);

    if (code >= 0) {
        ngx_sprintf((u_char *) num, "%i%Z", code);
        cJSON_AddStringToObject(attrs, "exitCode", num);
        (void) ngx_http_sockerless_event("container", action, cid, attrs);
        return;
    }

    /* the command after the action, its words joined by spaces */

    len = ngx_strlen(action) + 2;

    cJSON_ArrayForEach(a, cmd) {
        if (cJSON_IsString(a)) {
            len += ngx_strlen(a->valuestring) + 1;
        }
    }

    text = ngx_pnalloc(pool, len + 1);
    if (text == NULL) {
        return;
    }

    p = ngx_sprintf(text, "%s:", action);

    cJSON_ArrayForEach(a, cmd) {
        if (cJSON_IsString(a)) {
            *p++ = ' ';
            p = ngx_cpymem(p, a->valuestring, ngx_strlen(a->valuestring));
        }
    }

    *p = '\0';

    (void) ngx_http_sockerless_event("container", (char *) text, cid, attrs);
}

typedef struct {
    ngx_pool_t   *pool;
    const char   *ref;
    size_t        len;
    cJSON        *found;
    ngx_uint_t    count;
} ngx_http_sockerless_prefix_t;


static ngx_int_t
ngx_http_sockerless_prefix_scan(void *data, const char *key, cJSON *value)
{
    ngx_http_sockerless_prefix_t *ps = data;

    ps->found = value;
    ps->count++;

    return (ps->count > 1) ? NGX_DONE : NGX_OK;
}


cJSON *
ngx_http_sockerless_container_lookup(ngx_pool_t *pool, ngx_str_t *ref,
    ngx_uint_t *ambiguous)
{
    char                          *key;
    cJSON                         *rec, *n;
    ngx_str_t                      name;
    ngx_http_sockerless_prefix_t   ps;

    *ambiguous = 0;

    if (ref->len == 0 || ref->len > 256) {
        return NULL;
    }

    key = ngx_pnalloc(pool, ngx_max(ref->len, NGX_HTTP_SOCKERLESS_ID_LEN)
                            + 8);
    if (key == NULL) {
        return NULL;
    }

    /* an exact id */

    ngx_sprintf((u_char *) key, "c/%V%Z", ref);

    if (ref->len == NGX_HTTP_SOCKERLESS_ID_LEN) {
        rec = ngx_http_sockerless_store_get(pool, key);
        if (rec) {
            return rec;
        }
    }

    /* a name */

    name = *ref;

    if (name.len && name.data[0] == '/') {
        name.data++;
        name.len--;
    }

    ngx_sprintf((u_char *) key, "n/%V%Z", &name);

    n = ngx_http_sockerless_store_get(pool, key);
    if (n && ngx_http_sockerless_json_str(n, "Id")) {
        ngx_sprintf((u_char *) key, "c/%s%Z",
                    ngx_http_sockerless_json_str(n, "Id"));

        rec = ngx_http_sockerless_store_get(pool, key);
        if (rec) {
            return rec;
        }
    }

    /* a unique id prefix */

    if (strspn((char *) ref->data, "0123456789abcdef") < ref->len) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "c/%V%Z", ref);

    ngx_memzero(&ps, sizeof(ngx_http_sockerless_prefix_t));
    ps.pool = pool;

    if (ngx_http_sockerless_store_scan(pool, key,
                                       ngx_http_sockerless_prefix_scan, &ps)
        != NGX_OK)
    {
        return NULL;
    }

    if (ps.count > 1) {
        *ambiguous = 1;
        return NULL;
    }

    return ps.found;
}


cJSON *
ngx_http_sockerless_container_find(ngx_pool_t *pool, ngx_str_t *ref)
{
    ngx_uint_t  ambiguous;

    return ngx_http_sockerless_container_lookup(pool, ref, &ambiguous);
}


static ngx_int_t
ngx_http_sockerless_not_found(ngx_http_request_t *r, ngx_str_t *ref,
    ngx_uint_t ambiguous)
{
    if (ambiguous) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                          "multiple IDs found with provided prefix: %V", ref);
    }

    return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                          "No such container: %V", ref);
}


static cJSON *
ngx_http_sockerless_find_or_fail(ngx_http_request_t *r, ngx_str_t *ref,
    ngx_int_t *rc)
{
    cJSON       *rec;
    ngx_uint_t   ambiguous;

    rec = ngx_http_sockerless_container_lookup(r->pool, ref, &ambiguous);
    if (rec == NULL) {
        *rc = ngx_http_sockerless_not_found(r, ref, ambiguous);
    }

    return rec;
}


static ngx_int_t
ngx_http_sockerless_is(cJSON *rec, const char *field)
{
    cJSON  *state;

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, field));
}


static const char *
ngx_http_sockerless_id(cJSON *rec)
{
    const char  *id;

    id = ngx_http_sockerless_json_str(rec, "Id");

    return id ? id : "";
}


static cJSON *
ngx_http_sockerless_state_new(void)
{
    cJSON  *s;

    s = cJSON_CreateObject();
    if (s == NULL) {
        return NULL;
    }

    cJSON_AddStringToObject(s, "Status", "created");
    cJSON_AddFalseToObject(s, "Running");
    cJSON_AddFalseToObject(s, "Paused");
    cJSON_AddFalseToObject(s, "Restarting");
    cJSON_AddFalseToObject(s, "OOMKilled");
    cJSON_AddFalseToObject(s, "Dead");
    cJSON_AddNumberToObject(s, "Pid", 0);
    cJSON_AddNumberToObject(s, "ExitCode", 0);
    cJSON_AddStringToObject(s, "Error", "");
    cJSON_AddStringToObject(s, "StartedAt", NGX_HTTP_SOCKERLESS_ZERO_TIME);
    cJSON_AddStringToObject(s, "FinishedAt", NGX_HTTP_SOCKERLESS_ZERO_TIME);

    return s;
}


static cJSON *
ngx_http_sockerless_field(cJSON *obj, const char *name)
{
    cJSON  *item;

    /* Go's encoding/json matches field names case-insensitively */

    item = cJSON_GetObjectItem(obj, name);

    if (item == NULL || cJSON_IsNull(item)) {
        return NULL;
    }

    return item;
}


/* Env lists: later entries override earlier ones with the same key */

static void
ngx_http_sockerless_env_merge(cJSON *env, cJSON *add)
{
    int     i, n;
    size_t  klen;
    cJSON  *e, *old;
    char   *eq;

    cJSON_ArrayForEach(e, add) {
        if (!cJSON_IsString(e)) {
            continue;
        }

        eq = strchr(e->valuestring, '=');
        klen = eq ? (size_t) (eq - e->valuestring) : strlen(e->valuestring);

        n = cJSON_GetArraySize(env);

        for (i = 0; i < n; i++) {
            old = cJSON_GetArrayItem(env, i);

            if (cJSON_IsString(old)
                && strncmp(old->valuestring, e->valuestring, klen) == 0
                && (old->valuestring[klen] == '='
                    || old->valuestring[klen] == '\0'))
            {
                cJSON_DeleteItemFromArray(env, i);
                break;
            }
        }

        cJSON_AddItemToArray(env, cJSON_CreateString(e->valuestring));
    }
}


static ngx_int_t
ngx_http_sockerless_strings(cJSON *a)
{
    cJSON  *e;

    if (a == NULL) {
        return 1;
    }

    if (!cJSON_IsArray(a)) {
        return 0;
    }

    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e)) {
            return 0;
        }
    }

    return 1;
}


typedef struct {
    const char  *id;
    const char  *owner;
} ngx_http_sockerless_name_t;


static ngx_int_t
ngx_http_sockerless_name_reserve(void *data, cJSON **value)
{
    ngx_http_sockerless_name_t *nm = data;

    cJSON  *n;

    if (*value != NULL) {
        nm->owner = ngx_http_sockerless_json_str(*value, "Id");
        return NGX_DECLINED;
    }

    n = cJSON_CreateObject();
    if (n == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(n, "Id", nm->id);

    if (ngx_http_sockerless_json_bind(ngx_cycle->pool, n) == NULL) {
        return NGX_ERROR;
    }

    *value = n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_name_owned(void *data, cJSON **value)
{
    const char  *id = data;
    const char  *owner;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    owner = ngx_http_sockerless_json_str(*value, "Id");

    if (owner == NULL || ngx_strcmp(owner, id) != 0) {
        return NGX_DECLINED;
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_sockerless_name_release(const char *name, const char *id)
{
    char        key[300];
    ngx_pool_t *pool;
    ngx_int_t   rc;

    if (name[0] == '/') {
        name++;
    }

    if (ngx_strlen(name) > 256) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "n/%s%Z", name);

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_name_owned,
                                          (void *) id);
    ngx_destroy_pool(pool);

    return rc;
}


/* an error of a build, in dockerd's words; always NGX_ERROR */

static ngx_int_t
ngx_http_sockerless_build_fail(ngx_http_sockerless_build_t *b,
    ngx_uint_t status, const char *fmt, ...)
{
    u_char   *p;
    va_list   ap;

    b->status = status;

    va_start(ap, fmt);
    p = ngx_vslprintf((u_char *) b->message,
                      (u_char *) b->message + sizeof(b->message) - 1, fmt,
                      ap);
    va_end(ap);

    *p = '\0';

    return NGX_ERROR;
}


/*
 * The process options of HostConfig that dockerd (or runc, at create
 * here) refuses: unknown capabilities and rlimits, sysctls outside a
 * namespace of the container's own, unknown namespace modes, an
 * OomScoreAdj out of range, a SecurityOpt it cannot parse
 */

static ngx_int_t
ngx_http_sockerless_runtime_check(ngx_http_sockerless_build_t *b, cJSON *hc,
    cJSON *body)
{
    cJSON       *item, *name;
    double       adj;
    size_t       i, k;
    const char  *mode, *host, *s;

    static const struct {
        const char  *field;
        const char  *what;
        const char  *valid[6];
    } modes[] = {
        { "IpcMode", "IPC",
          { "", "none", "private", "shareable", "host", NULL } },
        { "PidMode", "PID", { "", "host", NULL } },
        { "UTSMode", "UTS", { "", "host", NULL } },
    };

    if (ngx_http_sockerless_caps_check(b, hc, "CapAdd") != NGX_OK
        || ngx_http_sockerless_caps_check(b, hc, "CapDrop") != NGX_OK)
    {
        return NGX_ERROR;
    }

    cJSON_ArrayForEach(item, ngx_http_sockerless_field(hc, "Ulimits")) {
        name = cJSON_GetObjectItem(item, "Name");

        if (!cJSON_IsString(name)
            || sls_rlimit_number(name->valuestring) == -1)
        {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid ulimit type: %s",
                        cJSON_IsString(name) ? name->valuestring : "");
        }

        if (cJSON_GetNumberValue(cJSON_GetObjectItem(item, "Soft"))
            > cJSON_GetNumberValue(cJSON_GetObjectItem(item, "Hard")))
        {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "ulimit soft limit must be less than or equal to "
                        "hard limit: %s", name->valuestring);
        }
    }

    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        mode = ngx_http_sockerless_json_str(hc, modes[i].field);

        if (mode == NULL) {
            continue;
        }

        for (k = 0; modes[i].valid[k]; k++) {
            if (ngx_strcmp(mode, modes[i].valid[k]) == 0) {
                break;
            }
        }

        if (modes[i].valid[k] == NULL
            && !(i < 2 && ngx_strncmp(mode, "container:", 10) == 0
                 && mode[10] != '\0'))
        {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid %s mode: %s", modes[i].what, mode);
        }
    }

    s = ngx_http_sockerless_json_str(body, "Hostname");
    mode = ngx_http_sockerless_json_str(hc, "UTSMode");

    if (s && *s && mode && ngx_strcmp(mode, "host") == 0) {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "conflicting options: hostname and the UTS mode");
    }

    /* runc's validator, whose words dockerd passes on */

    cJSON_ArrayForEach(item, ngx_http_sockerless_field(hc, "Sysctls")) {
        if (item->string == NULL || !cJSON_IsString(item)) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid JSON: Sysctls must map names to strings");
        }

        switch (sls_sysctl_kind(item->string)) {

        case SLS_SYSCTL_IPC:
            s = "IpcMode";
            host = "ipc";
            break;

        case SLS_SYSCTL_NET:
            s = "NetworkMode";
            host = "network";
            break;

        case SLS_SYSCTL_UTS:
            s = "UTSMode";
            host = "uts";
            break;

        default:
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "sysctl \"%s\" is not in a separate kernel "
                        "namespace", item->string);
        }

        mode = ngx_http_sockerless_json_str(hc, s);

        if (mode && (ngx_strcmp(mode, "host") == 0
                     || ngx_strncmp(mode, "container:", 10) == 0))
        {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "sysctl \"%s\" is not allowed in the hosts %s "
                        "namespace", item->string, host);
        }
    }

    item = ngx_http_sockerless_field(hc, "ShmSize");

    if (cJSON_IsNumber(item) && item->valuedouble < 0) {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "SHM size can not be less than 0");
    }

    item = ngx_http_sockerless_field(hc, "OomScoreAdj");
    adj = cJSON_GetNumberValue(item);

    if (cJSON_IsNumber(item) && (adj < -1000 || adj > 1000)) {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "Invalid value %d, range for oom score adj is "
                        "[-1000, 1000]", (int) adj);
    }

    cJSON_ArrayForEach(item, ngx_http_sockerless_field(hc, "SecurityOpt")) {
        s = cJSON_IsString(item) ? item->valuestring : "";

        if (ngx_strcmp(s, "no-new-privileges") == 0
            || ngx_strcmp(s, "no-new-privileges=true") == 0
            || ngx_strcmp(s, "no-new-privileges:true") == 0
            || ngx_strcmp(s, "no-new-privileges=false") == 0
            || ngx_strcmp(s, "no-new-privileges:false") == 0
            || ngx_strcmp(s, "seccomp=unconfined") == 0
            || ngx_strcmp(s, "seccomp:unconfined") == 0
            || ngx_strcmp(s, "apparmor=unconfined") == 0
            || ngx_strcmp(s, "apparmor:unconfined") == 0
            || ngx_strcmp(s, "label=disable") == 0
            || ngx_strcmp(s, "label:disable") == 0)
        {
            continue;
        }

        if (ngx_strncmp(s, "seccomp", 7) == 0
            || ngx_strncmp(s, "apparmor", 8) == 0
            || ngx_strncmp(s, "label", 5) == 0
            || ngx_strncmp(s, "systempaths", 11) == 0)
        {
            /* nothing confines these containers: a profile is not met */
            return ngx_http_sockerless_build_fail(b,
                        NGX_HTTP_NOT_IMPLEMENTED,
                        "security option \"%s\" is not supported by "
                        "sockerless: its containers run without seccomp, "
                        "AppArmor or SELinux", s);
        }

        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid --security-opt 2: \"%s\"", s);
    }

    return NGX_OK;
}


/* dockerd's NormalizeLegacyCapabilities(): every name must be known */

static ngx_int_t
ngx_http_sockerless_caps_check(ngx_http_sockerless_build_t *b, cJSON *hc,
    const char *field)
{
    u_char      *p, name[64];
    cJSON       *item;
    size_t       i, len;
    const char  *s;

    cJSON_ArrayForEach(item, ngx_http_sockerless_field(hc, field)) {
        s = cJSON_IsString(item) ? item->valuestring : "";
        len = ngx_strlen(s);

        if (sls_cap_number(s, len) != -1) {
            continue;
        }

        p = name;

        if (len < 4 || ngx_strncasecmp((u_char *) s, (u_char *) "CAP_", 4)
                       != 0)
        {
            p = ngx_cpymem(p, "CAP_", 4);
        }

        len = ngx_min(len, (size_t) (name + sizeof(name) - 1 - p));

        for (i = 0; i < len; i++) {
            p[i] = ngx_toupper(s[i]);
        }

        p[len] = '\0';

        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid %s: unknown capability: \"%s\"", field,
                        name);
    }

    return NGX_OK;
}


/*
 * The list's Ports from NetworkSettings.Ports, as dockerd's view does:
 * {IP, PrivatePort, PublicPort, Type} per binding, {PrivatePort, Type}
 * for a port exposed and not published
 */

static cJSON *
ngx_http_sockerless_ports_list(cJSON *ports)
{
    cJSON        *list, *key, *e, *item;
    unsigned      port, first, last;
    const char   *proto, *hp, *ip;

    list = cJSON_CreateArray();
    if (list == NULL) {
        return NULL;
    }

    cJSON_ArrayForEach(key, ports) {
        if (sls_port_parse(key->string, &port, &proto) != 0) {
            continue;
        }

        if (cJSON_GetArraySize(key) == 0) {
            item = cJSON_CreateObject();
            cJSON_AddNumberToObject(item, "PrivatePort", port);
            cJSON_AddStringToObject(item, "Type", proto);
            cJSON_AddItemToArray(list, item);
            continue;
        }

        cJSON_ArrayForEach(e, key) {
            hp = ngx_http_sockerless_json_str(e, "HostPort");
            ip = ngx_http_sockerless_json_str(e, "HostIp");

            if (hp == NULL || sls_port_range(hp, &first, &last) != 0) {
                continue;
            }

            item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "IP", ip ? ip : "");
            cJSON_AddNumberToObject(item, "PrivatePort", port);
            cJSON_AddNumberToObject(item, "PublicPort", first);
            cJSON_AddStringToObject(item, "Type", proto);
            cJSON_AddItemToArray(list, item);
        }
    }

    return list;
}


/*
 * HostConfig.PortBindings as dockerd's validatePortBindings() checks
 * them: "80/tcp" keys, each a list of {"HostIp", "HostPort"} with an IP
 * address (or none) and a port or range (or none); ExposedPorts' keys too
 */

static ngx_int_t
ngx_http_sockerless_ports_check(ngx_http_sockerless_build_t *b, cJSON *hc,
    cJSON *body)
{
    cJSON        *pb, *key, *e, *hp, *ip;
    unsigned      port, first, last;
    const char   *proto;
    u_char        addr[16];

    pb = ngx_http_sockerless_field(hc, "PortBindings");

    if (pb && !cJSON_IsObject(pb)) {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "json: cannot unmarshal %s into Go struct field "
                        "HostConfig.HostConfig.PortBindings of type "
                        "network.PortMap",
                        cJSON_IsArray(pb) ? "array" : "value");
    }

    cJSON_ArrayForEach(key, pb) {
        if (sls_port_parse(key->string, &port, &proto) != 0) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid port specification: \"%s\"", key->string);
        }

        if (cJSON_IsNull(key)) {
            continue;
        }

        if (!cJSON_IsArray(key)) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "json: cannot unmarshal %s into Go struct field "
                        "HostConfig.HostConfig.PortBindings of type "
                        "[]network.PortBinding",
                        cJSON_IsObject(key) ? "object" : "value");
        }

        cJSON_ArrayForEach(e, key) {
            hp = cJSON_GetObjectItemCaseSensitive(e, "HostPort");
            ip = cJSON_GetObjectItemCaseSensitive(e, "HostIp");

            if (!cJSON_IsObject(e)
                || (hp && !cJSON_IsNull(hp) && !cJSON_IsString(hp))
                || (ip && !cJSON_IsNull(ip) && !cJSON_IsString(ip)))
            {
                return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "json: cannot unmarshal value into Go struct field "
                        "HostConfig.HostConfig.PortBindings of type "
                        "network.PortBinding");
            }

            if (cJSON_IsString(hp)
                && sls_port_range(hp->valuestring, &first, &last) != 0)
            {
                return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid port specification: \"%s\"",
                        hp->valuestring);
            }

            if (cJSON_IsString(ip) && ip->valuestring[0]
                && inet_pton(AF_INET, ip->valuestring, addr) != 1
                && inet_pton(AF_INET6, ip->valuestring, addr) != 1)
            {
                return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "ParseAddr(\"%s\"): unable to parse IP",
                        ip->valuestring);
            }
        }
    }

    cJSON_ArrayForEach(key, ngx_http_sockerless_field(body, "ExposedPorts")) {
        if (sls_port_parse(key->string, &port, &proto) != 0) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid port specification: \"%s\"", key->string);
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_container_build(ngx_http_sockerless_build_t *b)
{
    char                        *key, *iname;
    cJSON                       *body, *hc, *img, *iconf, *rec, *conf, *env;
    cJSON                       *cmd, *ep, *args_a, *labels, *item, *w, *pcmd;
    cJSON                       *sls;
    u_char                      *p;
    ngx_int_t                    rc;
    ngx_str_t                    name, image, tmp;
    uint32_t                     rnd[2];
    const char                  *s, *lc;
    ngx_http_sockerless_name_t   nm;
    char                        *id;
    char                         now[64], rname[128];

    body = b->body;
    id = b->id;

    if (body == NULL || !cJSON_IsObject(body)) {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "config cannot be empty in order to create a "
                        "container");
    }

    s = ngx_http_sockerless_json_str(body, "Image");
    if (s == NULL || *s == '\0') {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "config cannot be empty in order to create a "
                        "container");
    }

    image.data = (u_char *) s;
    image.len = ngx_strlen(s);

    hc = ngx_http_sockerless_field(body, "HostConfig");

    if ((hc && !cJSON_IsObject(hc))
        || !ngx_http_sockerless_strings(ngx_http_sockerless_field(body, "Env"))
        || !ngx_http_sockerless_strings(ngx_http_sockerless_field(body, "Cmd"))
        || !ngx_http_sockerless_strings(
                              ngx_http_sockerless_field(body, "Entrypoint")))
    {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "invalid JSON: the container configuration has "
                        "fields of the wrong type");
    }

    /*
     * the log is kept by sockerless and read back with every option of
     * json-file (dockerd's default) or local; another driver would ship
     * it elsewhere, which nothing here does
     */

    lc = ngx_http_sockerless_json_str(ngx_http_sockerless_field(hc,
                                                                "LogConfig"),
                                      "Type");

    if (lc && *lc && ngx_strcmp(lc, "json-file") != 0
        && ngx_strcmp(lc, "local") != 0)
    {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "logging driver \"%s\" is not supported by "
                        "sockerless: use json-file or local", lc);
    }

    if (ngx_http_sockerless_ports_check(b, hc, body) != NGX_OK
        || ngx_http_sockerless_runtime_check(b, hc, body) != NGX_OK)
    {
        return NGX_ERROR;
    }

    img = ngx_http_sockerless_image_find(b->pool, &image);
    if (img == NULL
        && !(ngx_http_sockerless_backend()->supports & SLS_REMOTE_IMAGES))
    {
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_NOT_FOUND,
                                              "No such image: %V", &image);
    }

    /* the name */

    name = b->name;

    if (name.len) {
        if (!sls_name_valid((char *) name.data, name.len)) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "Invalid container name (%V), only "
                        "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", &name);
        }

        if (name.data[0] == '/') {
            name.data++;
            name.len--;
        }

    } else {
        ngx_str_null(&name);
    }

    if (id[0] == '\0') {
        ngx_http_sockerless_random_id(id);
    }

    ngx_http_sockerless_now(now, sizeof(now));

    nm.id = id;
    nm.owner = NULL;

    key = ngx_pnalloc(b->pool, 300);
    if (key == NULL) {
        return NGX_ERROR;
    }

    for ( ;; ) {
        if (name.len == 0) {
            (void) RAND_bytes((u_char *) rnd, sizeof(rnd));
            sls_name_random(rname, sizeof(rname), rnd[0], rnd[1]);
            iname = rname;

        } else {
            iname = ngx_http_sockerless_cstr(b->pool, &name);
            if (iname == NULL) {
                return NGX_ERROR;
            }
        }

        ngx_sprintf((u_char *) key, "n/%s%Z", iname);

        rc = ngx_http_sockerless_store_update(b->pool, key,
                                         ngx_http_sockerless_name_reserve,
                                         &nm);
        if (rc == NGX_OK) {
            if (iname == rname) {
                /* the name outlives this function (an async create) */
                tmp.data = (u_char *) rname;
                tmp.len = ngx_strlen(rname);

                iname = ngx_http_sockerless_cstr(b->pool, &tmp);
                if (iname == NULL) {
                    (void) ngx_http_sockerless_name_release(rname, id);
                    return NGX_ERROR;
                }
            }

            break;
        }

        if (rc != NGX_DECLINED) {
            return NGX_ERROR;
        }

        if (name.len) {
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_CONFLICT,
                        "Conflict. The container name \"/%s\" is already in "
                        "use by container \"%s\". You have to remove (or "
                        "rename) that container to be able to reuse that "
                        "name.", iname, nm.owner ? nm.owner : "");
        }
    }

    /* Config: the image's defaults overridden by the request */

    iconf = cJSON_GetObjectItemCaseSensitive(img, "Config");

    conf = ngx_http_sockerless_json_bind(b->pool, cJSON_Duplicate(body, 1));
    if (conf == NULL) {
        goto failed;
    }

    cJSON_DeleteItemFromObject(conf, "HostConfig");
    cJSON_DeleteItemFromObject(conf, "NetworkingConfig");

    env = cJSON_CreateArray();
    ngx_http_sockerless_env_merge(env,
                           cJSON_GetObjectItemCaseSensitive(iconf, "Env"));
    ngx_http_sockerless_env_merge(env, ngx_http_sockerless_field(body, "Env"));
    cJSON_DeleteItemFromObject(conf, "Env");
    cJSON_AddItemToObject(conf, "Env", env);

    ep = ngx_http_sockerless_field(body, "Entrypoint");
    cmd = ngx_http_sockerless_field(body, "Cmd");

    if (ep == NULL) {
        ep = cJSON_GetObjectItemCaseSensitive(iconf, "Entrypoint");

        if (cmd == NULL || cJSON_GetArraySize(cmd) == 0) {
            cmd = cJSON_GetObjectItemCaseSensitive(iconf, "Cmd");
        }
    }

    if (cJSON_IsArray(ep) && cJSON_GetArraySize(ep) == 1
        && ngx_strlen(cJSON_GetArrayItem(ep, 0)->valuestring) == 0)
    {
        /* --entrypoint "" resets it */
        ep = NULL;
    }

    cJSON_DeleteItemFromObject(conf, "Cmd");
    cJSON_DeleteItemFromObject(conf, "Entrypoint");
    cJSON_AddItemToObject(conf, "Cmd", cJSON_IsArray(cmd)
                          ? cJSON_Duplicate(cmd, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(conf, "Entrypoint", cJSON_IsArray(ep)
                          ? cJSON_Duplicate(ep, 1) : cJSON_CreateNull());

    pcmd = cJSON_CreateArray();

    cJSON_ArrayForEach(item, ep) {
        cJSON_AddItemToArray(pcmd, cJSON_CreateString(item->valuestring));
    }

    cJSON_ArrayForEach(item, cmd) {
        cJSON_AddItemToArray(pcmd, cJSON_CreateString(item->valuestring));
    }

    if (cJSON_GetArraySize(pcmd) == 0) {
        cJSON_Delete(pcmd);
        (void) ngx_http_sockerless_name_release(iname, id);
        return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                                              "no command specified");
    }

    if (ngx_http_sockerless_json_bind(b->pool, pcmd) == NULL) {
        goto failed;
    }

#define sls_default(field, dflt)                                             \
    if (ngx_http_sockerless_field(conf, field) == NULL) {                    \
        item = cJSON_GetObjectItemCaseSensitive(iconf, field);               \
        cJSON_DeleteItemFromObject(conf, field);                             \
        cJSON_AddItemToObject(conf, field,                                   \
                              item ? cJSON_Duplicate(item, 1) : (dflt));     \
    }

    sls_default("WorkingDir", cJSON_CreateString(""));
    sls_default("User", cJSON_CreateString(""));
    sls_default("StopSignal", cJSON_CreateNull());
    sls_default("ExposedPorts", cJSON_CreateNull());
    sls_default("Volumes", cJSON_CreateNull());

    /* dockerd adds the image's exposed ports to those of the request */

    w = cJSON_GetObjectItemCaseSensitive(conf, "ExposedPorts");

    if (cJSON_IsObject(w)) {
        cJSON_ArrayForEach(item,
                           cJSON_GetObjectItemCaseSensitive(iconf,
                                                            "ExposedPorts"))
        {
            if (item->string
                && cJSON_GetObjectItemCaseSensitive(w, item->string) == NULL)
            {
                cJSON_AddItemToObject(w, item->string, cJSON_CreateObject());
            }
        }
    }

    /* dockerd adds the image's volumes to those of the request */

    w = cJSON_GetObjectItemCaseSensitive(conf, "Volumes");

    if (cJSON_IsObject(w)) {
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(iconf,
                                                                  "Volumes"))
        {
            if (item->string
                && cJSON_GetObjectItemCaseSensitive(w, item->string) == NULL)
            {
                cJSON_AddItemToObject(w, item->string,
                                      cJSON_Duplicate(item, 1));
            }
        }
    }
    sls_default("Healthcheck", cJSON_CreateNull());
    sls_default("OnBuild", cJSON_CreateNull());

#undef sls_default

    {
        char  herr[256];

        if (ngx_http_sockerless_health_merge(conf, iconf, herr,
                                             sizeof(herr))
            != NGX_OK)
        {
            (void) ngx_http_sockerless_name_release(iname, id);
            return ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                                                  "%s", herr);
        }
    }

    if (ngx_http_sockerless_field(conf, "Hostname") == NULL
        || ngx_strlen(ngx_http_sockerless_json_str(conf, "Hostname")) == 0)
    {
        cJSON_DeleteItemFromObject(conf, "Hostname");
        item = cJSON_CreateString("");
        ngx_memcpy(item->valuestring, id, 0);
        cJSON_AddItemToObject(conf, "Hostname", item);
        cJSON_free(item->valuestring);
        item->valuestring = strndup(id, 12);
    }

    labels = cJSON_CreateObject();
    w = cJSON_GetObjectItemCaseSensitive(iconf, "Labels");
    cJSON_ArrayForEach(item, w) {
        cJSON_AddItemToObject(labels, item->string,
                              cJSON_Duplicate(item, 1));
    }

    w = ngx_http_sockerless_field(body, "Labels");
    cJSON_ArrayForEach(item, w) {
        cJSON_DeleteItemFromObjectCaseSensitive(labels, item->string);
        cJSON_AddItemToObject(labels, item->string,
                              cJSON_Duplicate(item, 1));
    }

    cJSON_DeleteItemFromObject(conf, "Labels");
    cJSON_AddItemToObject(conf, "Labels", labels);

    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(conf, "Image"))) {
        goto failed;
    }

    /* the record: dockerd's inspect document */

    rec = ngx_http_sockerless_json_bind(b->pool, cJSON_CreateObject());
    if (rec == NULL) {
        goto failed;
    }

    cJSON_AddStringToObject(rec, "Id", id);
    cJSON_AddStringToObject(rec, "Created", now);
    cJSON_AddStringToObject(rec, "Path",
                            cJSON_GetArrayItem(pcmd, 0)->valuestring);

    args_a = cJSON_Duplicate(pcmd, 1);
    cJSON_DeleteItemFromArray(args_a, 0);
    cJSON_AddItemToObject(rec, "Args", args_a);

    cJSON_AddItemToObject(rec, "State", ngx_http_sockerless_state_new());
    /* a cloud pulls the image itself: the record names it as given */
    cJSON_AddStringToObject(rec, "Image", img
                            ? ngx_http_sockerless_json_str(img, "Id")
                            : (char *) image.data);

    p = ngx_http_sockerless_container_path(b->pool, id, "resolv.conf");
    cJSON_AddStringToObject(rec, "ResolvConfPath", (char *) p);
    p = ngx_http_sockerless_container_path(b->pool, id, "hostname");
    cJSON_AddStringToObject(rec, "HostnamePath", (char *) p);
    p = ngx_http_sockerless_container_path(b->pool, id, "hosts");
    cJSON_AddStringToObject(rec, "HostsPath", (char *) p);
    p = ngx_http_sockerless_container_path(b->pool, id, "container.log");
    cJSON_AddStringToObject(rec, "LogPath", (char *) p);

    p = ngx_pnalloc(b->pool, ngx_strlen(iname) + 2);
    if (p == NULL) {
        goto failed;
    }

    ngx_sprintf(p, "/%s%Z", iname);
    cJSON_AddStringToObject(rec, "Name", (char *) p);
    cJSON_AddNumberToObject(rec, "RestartCount", 0);
    cJSON_AddStringToObject(rec, "Driver", "overlay2");
    cJSON_AddStringToObject(rec, "Platform", "linux");
    cJSON_AddStringToObject(rec, "MountLabel", "");
    cJSON_AddStringToObject(rec, "ProcessLabel", "");
    cJSON_AddStringToObject(rec, "AppArmorProfile", "");
    cJSON_AddNullToObject(rec, "ExecIDs");

    hc = hc ? cJSON_Duplicate(hc, 1) : cJSON_CreateObject();

    if (ngx_http_sockerless_field(hc, "NetworkMode") == NULL) {
        cJSON_DeleteItemFromObject(hc, "NetworkMode");
        cJSON_AddStringToObject(hc, "NetworkMode", "bridge");
    }

    if (ngx_http_sockerless_field(hc, "RestartPolicy") == NULL) {
        cJSON_DeleteItemFromObject(hc, "RestartPolicy");
        item = cJSON_AddObjectToObject(hc, "RestartPolicy");
        cJSON_AddStringToObject(item, "Name", "no");
        cJSON_AddNumberToObject(item, "MaximumRetryCount", 0);
    }

    if (lc == NULL || *lc == '\0') {
        /* dockerd's default driver, whose reading clients rely on */
        cJSON_DeleteItemFromObject(hc, "LogConfig");
        item = cJSON_AddObjectToObject(hc, "LogConfig");
        cJSON_AddStringToObject(item, "Type", "json-file");
        cJSON_AddObjectToObject(item, "Config");
    }

    if (ngx_http_sockerless_field(hc, "AutoRemove") == NULL) {
        cJSON_DeleteItemFromObject(hc, "AutoRemove");
        cJSON_AddFalseToObject(hc, "AutoRemove");
    }

    cJSON_AddItemToObject(rec, "HostConfig", hc);

    item = cJSON_AddObjectToObject(rec, "GraphDriver");
    cJSON_AddStringToObject(item, "Name", "overlay2");
    cJSON_AddNullToObject(item, "Data");

    cJSON_AddItemToObject(rec, "Mounts", cJSON_CreateArray());
    cJSON_AddItemToObject(rec, "Config", cJSON_Duplicate(conf, 1));

    item = cJSON_AddObjectToObject(rec, "NetworkSettings");
    cJSON_AddStringToObject(item, "Bridge", "");
    cJSON_AddStringToObject(item, "SandboxID", "");
    cJSON_AddObjectToObject(item, "Ports");
    cJSON_AddStringToObject(item, "SandboxKey", "");
    cJSON_AddObjectToObject(item, "Networks");
    ngx_http_sockerless_network_top(rec, NULL);

    if (ngx_http_sockerless_backend()->supports & SLS_SUPPORTS_NETWORKS) {
        if (ngx_http_sockerless_network_create_endpoints(b->pool, rec,
                                                   b->body, &b->status,
                                                   b->message,
                                                   sizeof(b->message))
            != NGX_OK)
        {
            goto failed;
        }

    } else {
        /*
         * a cloud task has its cloud's network (awsvpc, Lambda's): no
         * Docker address is made up for it, and a network asked for is
         * refused rather than ignored
         */

        s = ngx_http_sockerless_json_str(hc, "NetworkMode");

        cJSON_ArrayForEach(item, cJSON_GetObjectItem(cJSON_GetObjectItem(
                                     b->body, "NetworkingConfig"),
                                 "EndpointsConfig"))
        {
            if (item->string && ngx_strcmp(item->string, "default") != 0
                && ngx_strcmp(item->string, "bridge") != 0)
            {
                s = item->string;
            }
        }

        if (s && *s && ngx_strcmp(s, "default") != 0
            && ngx_strcmp(s, "bridge") != 0)
        {
            (void) ngx_http_sockerless_build_fail(b, NGX_HTTP_BAD_REQUEST,
                        "the %V backend cannot attach containers to Docker "
                        "networks: its tasks have the cloud's network",
                        &ngx_http_sockerless_backend()->name);
            goto failed;
        }
    }

    sls = cJSON_AddObjectToObject(rec, "_sls");
    cJSON_AddItemToObject(sls, "cmd", cJSON_Duplicate(pcmd, 1));
    cJSON_AddStringToObject(sls, "image_ref", (char *) image.data);

    /* limits checked, and dropped with a warning where the backend lacks */

    switch (ngx_http_sockerless_resources_create(b->pool, b->log, rec,
                                                 &b->status, b->message,
                                                 sizeof(b->message)))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        (void) ngx_http_sockerless_name_release(iname, id);
        return NGX_ERROR;

    default:
        goto failed;
    }

    /* a backend that mounts host paths gets its volumes made now */

    if (ngx_http_sockerless_backend()->supports & SLS_SUPPORTS_VOLUMES) {
        ngx_uint_t  status;

        status = 0;

        switch (ngx_http_sockerless_mounts_build(b->pool, rec, &status,
                                                 b->message,
                                                 sizeof(b->message)))
        {
        case NGX_OK:
            break;

        case NGX_DECLINED:
            (void) ngx_http_sockerless_name_release(iname, id);
            b->status = status;
            return NGX_ERROR;

        default:
            goto failed;
        }
    }

    /*
     * the log exists from now on, so that an attach made before start
     * (on any worker) reads the run from its first byte
     */

    p = ngx_http_sockerless_container_path(b->pool, id, NULL);
    if (p == NULL
        || (ngx_create_dir(p, 0700) == NGX_FILE_ERROR
            && ngx_errno != NGX_EEXIST))
    {
        ngx_log_error(NGX_LOG_ALERT, b->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", p);
        goto failed;
    }

    p = ngx_http_sockerless_container_path(b->pool, id, "container.log");
    if (p) {
        ngx_fd_t  fd;

        fd = ngx_open_file(p, NGX_FILE_WRONLY, NGX_FILE_CREATE_OR_OPEN, 0600);
        if (fd != NGX_INVALID_FILE) {
            (void) ngx_close_file(fd);
        }
    }

    b->rec = rec;
    b->iname = iname;

    return NGX_OK;

failed:

    (void) ngx_http_sockerless_name_release(iname, id);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_sockerless_container_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_http_sockerless_build_t  b;

    ngx_memzero(&b, sizeof(ngx_http_sockerless_build_t));
    b.pool = r->pool;
    b.log = r->connection->log;
    b.body = args->body;

    (void) ngx_http_sockerless_arg(r, "name", &b.name);

    if (ngx_http_sockerless_container_build(&b) != NGX_OK) {
        if (b.status == 0) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_sockerless_send_error(r, b.status, "%s", b.message);
    }

    if (ngx_http_sockerless_backend()->container_create) {
        return ngx_http_sockerless_create_backend(r, b.rec, b.id, b.iname);
    }

    return ngx_http_sockerless_create_done(r, b.rec, b.id, b.iname);
}




/* the record goes into the store and the client gets its id */

static ngx_int_t
ngx_http_sockerless_create_done(ngx_http_request_t *r, cJSON *rec,
    const char *id, const char *iname)
{
    char    key[80];
    cJSON  *item, *w, *warnings;

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    warnings = ngx_http_sockerless_json_bind(r->pool,
                                 ngx_http_sockerless_resources_warnings(rec));

    if (ngx_http_sockerless_store_put(key, rec) != NGX_OK) {
        (void) ngx_http_sockerless_name_release(iname, id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    item = ngx_http_sockerless_container_attrs(r->pool, rec);
    if (item) {
        (void) ngx_http_sockerless_event("container", "create", id, item);
    }

    w = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(w, "Id", id);
    item = cJSON_AddArrayToObject(w, "Warnings");

    {
        cJSON       *hc;
        const char  *mode;

        hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
        mode = ngx_http_sockerless_json_str(hc, "NetworkMode");

        if (mode && ngx_strcmp(mode, "host") == 0
            && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hc,
                                                       "PortBindings")) > 0)
        {
            cJSON_AddItemToArray(item, cJSON_CreateString(
                "Published ports are discarded when using host network "
                "mode"));
        }
    }

    if (warnings) {
        while (cJSON_GetArraySize(warnings) > 0) {
            cJSON_AddItemToArray(item, cJSON_DetachItemFromArray(warnings, 0));
        }
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_CREATED, w);
}


/* a backend that makes something in its cloud for a new container */

typedef struct {
    ngx_http_sockerless_op_t       op;
    cJSON                         *rec;
    const char                    *iname;
    char                           id[NGX_HTTP_SOCKERLESS_ID_LEN + 1];
} ngx_http_sockerless_create_t;


static ngx_int_t
ngx_http_sockerless_create_backend(ngx_http_request_t *r, cJSON *rec,
    const char *id, const char *iname)
{
    ngx_int_t                        rc;
    ngx_http_sockerless_backend_t   *be;
    ngx_http_sockerless_create_t    *cr;

    be = ngx_http_sockerless_backend();

    cr = ngx_pcalloc(r->pool, sizeof(ngx_http_sockerless_create_t));
    if (cr == NULL) {
        (void) ngx_http_sockerless_name_release(iname, id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cr->rec = rec;
    cr->iname = iname;
    ngx_cpystrn((u_char *) cr->id, (u_char *) id, sizeof(cr->id));

    cr->op.request = r;
    cr->op.pool = r->pool;
    cr->op.log = r->connection->log;
    cr->op.conf = ngx_http_sockerless_backend_conf();
    cr->op.container = rec;
    cr->op.handler = ngx_http_sockerless_created;
    cr->op.data = cr;

    if (be->op_state_size) {
        cr->op.state = ngx_pcalloc(r->pool, be->op_state_size);
        if (cr->op.state == NULL) {
            (void) ngx_http_sockerless_name_release(iname, id);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->main->count++;

    rc = be->container_create(&cr->op);

    if (rc != NGX_AGAIN) {
        ngx_http_sockerless_created(&cr->op, rc);
    }

    return NGX_DONE;
}


static void
ngx_http_sockerless_created(ngx_http_sockerless_op_t *op, ngx_int_t rc)
{
    ngx_http_sockerless_create_t *cr = op->data;

    u_char              *dir;
    ngx_http_request_t  *r;

    r = op->request;

    if (rc == NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_sockerless_create_done(r,
                                          cr->rec, cr->id, cr->iname));
        return;
    }

    (void) ngx_http_sockerless_name_release(cr->iname, cr->id);

    dir = ngx_http_sockerless_container_path(r->pool, cr->id, NULL);
    if (dir) {
        ngx_http_sockerless_rm_rf((char *) dir);
    }

    if (op->status == 0) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (op->message.len == 0) {
        ngx_str_set(&op->message, "creating the container failed");
    }

    ngx_http_finalize_request(r, ngx_http_sockerless_send_error(r,
                                        op->status, "%V", &op->message));
}


static ngx_int_t
ngx_http_sockerless_container_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON      *rec;
    ngx_int_t   rc;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    cJSON_DeleteItemFromObjectCaseSensitive(rec, "_sls");

    if (ngx_http_sockerless_arg_bool(r, "size", 0)) {
        ngx_http_sockerless_add_sizes(r->pool, rec, rec);
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, rec);
}


/* list */

typedef struct {
    ngx_http_request_t  *request;
    cJSON               *list;
    sls_filters_t       *filters;
    cJSON               *before;
    cJSON               *since;
    ngx_int_t            all;
    ngx_int_t            size;
} ngx_http_sockerless_list_t;


static ngx_int_t
ngx_http_sockerless_list_scan(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_list_t *ls = data;

    if (!ls->all && !ngx_http_sockerless_is(rec, "Running")) {
        return NGX_OK;
    }

    cJSON_AddItemReferenceToArray(ls->list, rec);

    return NGX_OK;
}


static int
ngx_http_sockerless_created_cmp(const void *a, const void *b)
{
    cJSON        *ra = *(cJSON **) a, *rb = *(cJSON **) b;
    const char   *ca, *cb;
    time_t        ta, tb;

    ca = ngx_http_sockerless_json_str(ra, "Created");
    cb = ngx_http_sockerless_json_str(rb, "Created");

    ta = ngx_http_sockerless_parse_time(ca ? ca : "");
    tb = ngx_http_sockerless_parse_time(cb ? cb : "");

    if (ta != tb) {
        return (ta > tb) ? -1 : 1;
    }

    /* same second: the full string has the fraction */
    return -strcmp(ca ? ca : "", cb ? cb : "");
}


/*
 * The last list this worker answered. Every change to the store moves its
 * version on, and the answer's statuses ("Up 5 seconds") move on with the
 * clock's second, so the same question with the same version in the same
 * second has the same answer. Sizes are read from disk: never cached.
 */

static struct {
    u_char     *key;
    size_t      key_len;
    uint64_t    version;
    time_t      sec;
    u_char     *text;
    size_t      len;
} ngx_http_sockerless_list_cache;


static ngx_int_t
ngx_http_sockerless_list_cached(ngx_http_request_t *r, uint64_t version)
{
    u_char  *text;

    if (ngx_http_sockerless_list_cache.text == NULL
        || ngx_http_sockerless_list_cache.version != version
        || ngx_http_sockerless_list_cache.sec != ngx_time()
        || ngx_http_sockerless_list_cache.key_len
           != r->uri.len + 1 + r->args.len
        || ngx_memcmp(ngx_http_sockerless_list_cache.key, r->uri.data,
                      r->uri.len) != 0
        || ngx_memcmp(ngx_http_sockerless_list_cache.key + r->uri.len + 1,
                      r->args.data, r->args.len) != 0)
    {
        return NGX_DECLINED;
    }

    /* a copy: the cache may change while this answer is still going out */

    text = ngx_pnalloc(r->pool, ngx_http_sockerless_list_cache.len);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(text, ngx_http_sockerless_list_cache.text,
               ngx_http_sockerless_list_cache.len);

    return ngx_http_sockerless_send_text(r, NGX_HTTP_OK, text,
                                         ngx_http_sockerless_list_cache.len);
}


static ngx_int_t
ngx_http_sockerless_list_answer(ngx_http_request_t *r, cJSON *out,
    uint64_t version, ngx_uint_t cache)
{
    size_t   len;
    u_char  *text, *key;

    text = ngx_http_sockerless_json_text(r->pool, out, &len);
    if (text == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cache) {
        key = ngx_alloc(r->uri.len + 1 + r->args.len + len, r->connection->log);

        if (key) {
            ngx_free(ngx_http_sockerless_list_cache.key);

            ngx_memcpy(key, r->uri.data, r->uri.len);
            key[r->uri.len] = '?';
            ngx_memcpy(key + r->uri.len + 1, r->args.data, r->args.len);

            ngx_http_sockerless_list_cache.key = key;
            ngx_http_sockerless_list_cache.key_len = r->uri.len + 1
                                                     + r->args.len;
            ngx_http_sockerless_list_cache.text =
                                 key + ngx_http_sockerless_list_cache.key_len;
            ngx_memcpy(ngx_http_sockerless_list_cache.text, text, len);
            ngx_http_sockerless_list_cache.len = len;
            ngx_http_sockerless_list_cache.version = version;
            ngx_http_sockerless_list_cache.sec = ngx_time();
        }
    }

    return ngx_http_sockerless_send_text(r, NGX_HTTP_OK, text, len);
}


static ngx_int_t
ngx_http_sockerless_container_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       **recs, *out, *item;
    ngx_int_t                     limit, i, n, j, rc;
    size_t                        k;
    uint64_t                      version;
    ngx_str_t                     ref;
    ngx_uint_t                    amb;
    int                           task;
    const char                   *s, *key;
    char                          err[256];
    ngx_http_sockerless_list_t    ls;

    static const char  *known[] = {
        "id", "name", "label", "status", "exited", "ancestor", "before",
        "since", "volume", "network", "health", "isolation", "publish",
        "expose", "is-task", NULL
    };

    ngx_memzero(&ls, sizeof(ngx_http_sockerless_list_t));

    ls.request = r;
    ls.all = ngx_http_sockerless_arg_bool(r, "all", 0);
    ls.size = ngx_http_sockerless_arg_bool(r, "size", 0);
    limit = ngx_http_sockerless_arg_int(r, "limit", -1);

    version = ngx_http_sockerless_store_version();

    if (!ls.size && version) {
        rc = ngx_http_sockerless_list_cached(r, version);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (ngx_http_sockerless_arg(r, "filters", &ref) == NGX_OK && ref.len) {
        ls.filters = ngx_http_sockerless_filters(r, &ref, known, err,
                                                 sizeof(err));
        if (ls.filters == NULL) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        if (sls_filters_validate_status(ls.filters, err, sizeof(err)) != 0
            || sls_filters_bool(ls.filters, "is-task", 0, &task, err,
                                sizeof(err))
               != 0)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        if (ngx_http_sockerless_port_filter(ls.filters, "publish", 0, "",
                                            err, sizeof(err)) == -1
            || ngx_http_sockerless_port_filter(ls.filters, "expose", 0, "",
                                               err, sizeof(err)) == -1)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        for (k = 0; (s = sls_filters_value(ls.filters, "health", k)); k++) {
            if (ngx_strcmp(s, "starting") && ngx_strcmp(s, "healthy")
                && ngx_strcmp(s, "unhealthy") && ngx_strcmp(s, "none"))
            {
                return ngx_http_sockerless_send_error(r,
                                   NGX_HTTP_BAD_REQUEST,
                                   "Unrecognised filter value for health: %s",
                                   s);
            }
        }

        if (sls_filters_has(ls.filters, "status")
            || sls_filters_has(ls.filters, "exited"))
        {
            ls.all = 1;
        }

        for (i = 0; i < 2; i++) {
            key = i ? "since" : "before";

            for (k = 0; (s = sls_filters_value(ls.filters, key, k)); k++) {
                ref.data = (u_char *) s;
                ref.len = ngx_strlen(s);

                item = ngx_http_sockerless_container_lookup(r->pool, &ref,
                                                            &amb);
                if (item == NULL) {
                    return ngx_http_sockerless_not_found(r, &ref, amb);
                }

                if (i) {
                    ls.since = item;

                } else {
                    ls.before = item;
                }
            }
        }
    }

    ls.list = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (ls.list == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (limit > 0) {
        ls.all = 1;
    }

    if (ngx_http_sockerless_store_scan(r->pool, "c/",
                                       ngx_http_sockerless_list_scan, &ls)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = cJSON_GetArraySize(ls.list);

    recs = ngx_palloc(r->pool, sizeof(cJSON *) * (n + 1));
    if (recs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    i = 0;
    cJSON_ArrayForEach(item, ls.list) {
        recs[i++] = item;
    }

    /* newest first, as dockerd */
    qsort(recs, n, sizeof(cJSON *), ngx_http_sockerless_created_cmp);

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    j = 0;

    for (i = 0; i < n; i++) {
        if (limit > 0 && j >= limit) {
            break;
        }

        if (ls.filters
            && !ngx_http_sockerless_filters_match(r->pool, ls.filters,
                                                  recs[i], ls.before,
                                                  ls.since))
        {
            continue;
        }

        item = ngx_http_sockerless_list_item(r->pool, recs[i], ls.size);
        if (item == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(out, item);
        j++;
    }

    return ngx_http_sockerless_list_answer(r, out, version,
                                           !ls.size && version);
}


/*
 * The "publish" and "expose" filters as dockerd's portOp reads them
 * ("80", "80/udp", "8000-8080/tcp"): 1 when port/proto is among the
 * values of key, else 0; -1 with err when a value is malformed
 */

static ngx_int_t
ngx_http_sockerless_port_filter(sls_filters_t *filters, const char *key,
    unsigned port, const char *proto, char *err, size_t size)
{
    char        num[16];
    size_t      i, len;
    unsigned    first, last;
    const char *v, *slash, *p;

    for (i = 0; (v = sls_filters_value(filters, key, i)); i++) {
        if (ngx_strchr(v, ':')) {
            ngx_snprintf((u_char *) err, size, "filter for '%s' should not "
                         "include ':': %s%Z", key, v);
            return -1;
        }

        slash = ngx_strchr(v, '/');
        len = slash ? (size_t) (slash - v) : ngx_strlen(v);
        p = (slash && slash[1]) ? slash + 1 : "tcp";

        if (len == 0 || len >= sizeof(num)) {
            goto invalid;
        }

        ngx_memcpy(num, v, len);
        num[len] = '\0';

        if (sls_port_range(num, &first, &last) != 0) {
            goto invalid;
        }

        if (ngx_strcmp(p, proto) == 0 && port >= first && port <= last) {
            return 1;
        }

        continue;

    invalid:

        ngx_snprintf((u_char *) err, size, "error while looking up for %s "
                     "%*s: invalid port%Z", key, len, v);
        return -1;
    }

    return 0;
}


/* the "volume" filter: a mount's name (or source) or destination */

static ngx_uint_t
ngx_http_sockerless_volume_filter(sls_filters_t *filters, cJSON *rec)
{
    cJSON       *m;
    const char  *name;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(rec, "Mounts")) {
        name = ngx_http_sockerless_json_str(m, "Name");

        if (name == NULL || *name == '\0') {
            name = ngx_http_sockerless_json_str(m, "Source");
        }

        if ((name && *name && sls_filters_match_exact(filters, "volume",
                                                      name))
            || sls_filters_match_exact(filters, "volume",
                         ngx_http_sockerless_json_str(m, "Destination")
                         ? ngx_http_sockerless_json_str(m, "Destination")
                         : ""))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_sockerless_filters_match(ngx_pool_t *pool, sls_filters_t *filters,
    cJSON *rec, cJSON *before, cJSON *since)
{
    cJSON        *state, *conf, *img, *refs, *list, *p;
    size_t        i;
    ngx_int_t     ok, code;
    const char   *id, *name, *status, *s, *v;
    ngx_str_t     ref;
    char          err[256];

    int                 task;


    id = ngx_http_sockerless_id(rec);
    name = ngx_http_sockerless_json_str(rec, "Name");
    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");
    status = ngx_http_sockerless_json_str(state, "Status");

    if (!sls_filters_match_prefix(filters, "id", id ? id : "")
        || !sls_filters_match_regex(filters, "name", name ? name : "")
        || !sls_filters_match_label(filters, "label",
                               cJSON_GetObjectItemCaseSensitive(conf, "Labels"))
        || !sls_filters_match_exact(filters, "status", status ? status : "")

        || !sls_filters_match_exact(filters, "health",
                                    ngx_http_sockerless_health_status(rec)))
    {
        return 0;
    }

    if (sls_filters_count(filters, "volume")
        && !ngx_http_sockerless_volume_filter(filters, rec))
    {
        return 0;
    }

    /* a published or an exposed port among the list's Ports */

    if (sls_filters_count(filters, "publish")
        || sls_filters_count(filters, "expose"))
    {
        ok = 0;
        list = ngx_http_sockerless_json_bind(pool,
                       ngx_http_sockerless_ports_list(
                           cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(rec,
                                                        "NetworkSettings"),
                               "Ports")));

        cJSON_ArrayForEach(p, list) {
            s = ngx_http_sockerless_json_str(p, "Type");
            s = s ? s : "tcp";

            if (ngx_http_sockerless_port_filter(filters, "publish",
                        (unsigned) cJSON_GetNumberValue(
                            cJSON_GetObjectItemCaseSensitive(p,
                                                             "PublicPort")),
                        s, err, sizeof(err)) == 1
                || ngx_http_sockerless_port_filter(filters, "expose",
                        (unsigned) cJSON_GetNumberValue(
                            cJSON_GetObjectItemCaseSensitive(p,
                                                             "PrivatePort")),
                        s, err, sizeof(err)) == 1)
            {
                ok = 1;
                break;
            }
        }

        if (!ok) {
            return 0;
        }
    }

    if (sls_filters_count(filters, "network")) {
        ok = 0;

        for (i = 0; !ok && (v = sls_filters_value(filters, "network", i));
             i++)
        {
            ok = ngx_http_sockerless_network_match(rec, v);
        }

        if (!ok) {
            return 0;
        }
    }

    /* no swarm: no container is a task (the value was checked before) */

    if (sls_filters_bool(filters, "is-task", 0, &task, NULL, 0) == 0
        && task)
    {
        return 0;
    }

    if (sls_filters_count(filters, "exited")) {
        code = (ngx_int_t) cJSON_GetNumberValue(
                   cJSON_GetObjectItemCaseSensitive(state, "ExitCode"));
        ok = 0;

        for (i = 0; !ok && (v = sls_filters_value(filters, "exited", i));
             i++)
        {
            ok = status && ngx_strcmp(status, "exited") == 0
                 && ngx_atoi((u_char *) v, ngx_strlen(v)) == code;
        }

        if (!ok) {
            return 0;
        }
    }

    if (sls_filters_count(filters, "ancestor")) {
        ok = 0;
        s = ngx_http_sockerless_json_str(rec, "Image");
        refs = cJSON_GetObjectItemCaseSensitive(conf, "Image");

        for (i = 0; !ok && (v = sls_filters_value(filters, "ancestor", i));
             i++)
        {
            ref.data = (u_char *) v;
            ref.len = ngx_strlen(v);

            img = ngx_http_sockerless_image_find(pool, &ref);

            ok = (img && s
                  && ngx_strcmp(ngx_http_sockerless_json_str(img, "Id"), s)
                     == 0)
                 || (cJSON_IsString(refs)
                     && ngx_strcmp(refs->valuestring, v) == 0);
        }

        if (!ok) {
            return 0;
        }
    }

    if (before && ngx_http_sockerless_created_cmp(&rec, &before) <= 0) {
        return 0;
    }

    if (since && ngx_http_sockerless_created_cmp(&rec, &since) >= 0) {
        return 0;
    }

    /* HostConfig.Isolation, "" on Linux unless one was given */

    s = ngx_http_sockerless_json_str(cJSON_GetObjectItemCaseSensitive(rec,
                                                              "HostConfig"),
                                     "Isolation");

    return sls_filters_match_exact(filters, "isolation", s ? s : "");
}


static void
ngx_http_sockerless_human(char *buf, size_t size, time_t d)
{
    time_t  m, h;

    /* go-units HumanDuration */

    if (d < 1) {
        snprintf(buf, size, "Less than a second");

    } else if (d == 1) {
        snprintf(buf, size, "1 second");

    } else if (d < 60) {
        snprintf(buf, size, "%d seconds", (int) d);

    } else if ((m = d / 60) == 1) {
        snprintf(buf, size, "About a minute");

    } else if (m < 60) {
        snprintf(buf, size, "%d minutes", (int) m);

    } else if ((h = (time_t) ((double) d / 3600 + 0.5)) == 1) {
        snprintf(buf, size, "About an hour");

    } else if (h < 48) {
        snprintf(buf, size, "%d hours", (int) h);

    } else if (h < 24 * 7 * 2) {
        snprintf(buf, size, "%d days", (int) (h / 24));

    } else if (h < 24 * 30 * 2) {
        snprintf(buf, size, "%d weeks", (int) (h / 24 / 7));

    } else if (h < 24 * 365 * 2) {
        snprintf(buf, size, "%d months", (int) (h / 24 / 30));

    } else {
        snprintf(buf, size, "%d years", (int) (h / 24 / 365));
    }
}


cJSON *
ngx_http_sockerless_list_item(ngx_pool_t *pool, cJSON *rec, ngx_uint_t size)
{
    cJSON        *item, *names, *state, *conf, *hc, *ns, *cmd, *e;
    char          human[64], status[128];
    const char   *s, *st, *h;
    time_t        now, t;
    u_char       *p, *cmdline;
    size_t        len;
    ngx_uint_t    q;

    item = cJSON_CreateObject();
    if (item == NULL) {
        return NULL;
    }

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");
    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");

    cJSON_AddStringToObject(item, "Id", ngx_http_sockerless_id(rec));

    names = cJSON_AddArrayToObject(item, "Names");
    s = ngx_http_sockerless_json_str(rec, "Name");
    cJSON_AddItemToArray(names, cJSON_CreateString(s ? s : ""));

    s = ngx_http_sockerless_json_str(conf, "Image");
    cJSON_AddStringToObject(item, "Image", s ? s : "");
    s = ngx_http_sockerless_json_str(rec, "Image");
    cJSON_AddStringToObject(item, "ImageID", s ? s : "");

    /* Command: Path and Args joined by spaces, as dockerd quotes them */

    len = 0;
    cmd = cJSON_GetObjectItemCaseSensitive(rec, "Args");
    s = ngx_http_sockerless_json_str(rec, "Path");
    len += s ? ngx_strlen(s) : 0;

    cJSON_ArrayForEach(e, cmd) {
        if (cJSON_IsString(e)) {
            len += ngx_strlen(e->valuestring) + 3;
        }
    }

    cmdline = ngx_pnalloc(pool, len + 1);
    if (cmdline == NULL) {
        cJSON_Delete(item);
        return NULL;
    }

    p = ngx_cpymem(cmdline, s ? s : "", s ? ngx_strlen(s) : 0);

    cJSON_ArrayForEach(e, cmd) {
        if (cJSON_IsString(e)) {
            *p++ = ' ';

            /* an argument with a space is put in single quotes */
            q = (strchr(e->valuestring, ' ') != NULL);

            if (q) {
                *p++ = '\'';
            }

            p = ngx_cpymem(p, e->valuestring, ngx_strlen(e->valuestring));

            if (q) {
                *p++ = '\'';
            }
        }
    }

    *p = '\0';

    cJSON_AddStringToObject(item, "Command", (char *) cmdline);

    s = ngx_http_sockerless_json_str(rec, "Created");
    cJSON_AddNumberToObject(item, "Created",
                            (double) ngx_http_sockerless_parse_time(
                                                         s ? s : ""));

    cJSON_AddItemToObject(item, "Ports", ngx_http_sockerless_ports_list(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
            "Ports")));

    if (size) {
        ngx_http_sockerless_add_sizes(pool, item, rec);
    }

    e = cJSON_GetObjectItemCaseSensitive(conf, "Labels");
    cJSON_AddItemToObject(item, "Labels",
                          e ? cJSON_Duplicate(e, 1) : cJSON_CreateObject());

    st = ngx_http_sockerless_json_str(state, "Status");
    st = st ? st : "created";
    cJSON_AddStringToObject(item, "State", st);

    now = ngx_time();

    if (ngx_strcmp(st, "running") == 0 || ngx_strcmp(st, "paused") == 0) {
        s = ngx_http_sockerless_json_str(state, "StartedAt");
        t = ngx_http_sockerless_parse_time(s ? s : "");
        ngx_http_sockerless_human(human, sizeof(human), now - t);
        h = ngx_http_sockerless_health_status(rec);

        if (st[0] == 'p') {
            snprintf(status, sizeof(status), "Up %s (Paused)", human);

        } else if (ngx_strcmp(h, "none") == 0) {
            snprintf(status, sizeof(status), "Up %s", human);

        } else {
            /* dockerd's Health.String() */
            snprintf(status, sizeof(status), "Up %s (%s%s)", human,
                     ngx_strcmp(h, "starting") == 0 ? "health: " : "", h);
        }

    } else if (ngx_strcmp(st, "exited") == 0) {
        s = ngx_http_sockerless_json_str(state, "FinishedAt");
        t = ngx_http_sockerless_parse_time(s ? s : "");
        ngx_http_sockerless_human(human, sizeof(human), now - t);
        snprintf(status, sizeof(status), "Exited (%d) %s ago",
                 (int) cJSON_GetNumberValue(
                     cJSON_GetObjectItemCaseSensitive(state, "ExitCode")),
                 human);

    } else if (ngx_strcmp(st, "created") == 0) {
        snprintf(status, sizeof(status), "Created");

    } else if (ngx_strcmp(st, "restarting") == 0) {
        snprintf(status, sizeof(status), "Restarting");

    } else {
        snprintf(status, sizeof(status), "%s", st);
    }

    cJSON_AddStringToObject(item, "Status", status);

    e = cJSON_AddObjectToObject(item, "HostConfig");
    s = ngx_http_sockerless_json_str(hc, "NetworkMode");
    cJSON_AddStringToObject(e, "NetworkMode", s ? s : "bridge");

    ns = cJSON_AddObjectToObject(item, "NetworkSettings");
    cJSON_AddItemToObject(ns, "Networks", cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
            "Networks"), 1));

    e = cJSON_GetObjectItemCaseSensitive(rec, "Mounts");
    cJSON_AddItemToObject(item, "Mounts", cJSON_IsArray(e)
                                          ? cJSON_Duplicate(e, 1)
                                          : cJSON_CreateArray());

    return item;
}


/* start */

static ngx_http_sockerless_cctx_t *
ngx_http_sockerless_cctx(ngx_http_request_t *r, cJSON *rec)
{
    ngx_pool_t                  *pool;
    ngx_pool_cleanup_t          *cln;
    ngx_http_sockerless_cctx_t  *ctx;

    if (r) {
        pool = r->pool;

    } else {
        pool = ngx_create_pool(4096, ngx_cycle->log);
        if (pool == NULL) {
            return NULL;
        }
    }

    ctx = ngx_pcalloc(pool, sizeof(ngx_http_sockerless_cctx_t) + 64);
    if (ctx == NULL) {
        goto failed;
    }

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    cln->handler = ngx_http_sockerless_cctx_cleanup;
    cln->data = ctx;

    ctx->request = r;
    ctx->pool = pool;
    ctx->log = r ? r->connection->log : ngx_cycle->log;
    ctx->background = r ? 0 : 1;
    ngx_cpystrn((u_char *) ctx->id, (u_char *) ngx_http_sockerless_id(rec),
                sizeof(ctx->id));

    ctx->watch.data = ctx;
    ctx->timer.data = ctx;
    ctx->timer.log = ctx->log;

    ctx->op.pool = pool;
    ctx->op.log = ctx->log;
    ctx->op.request = r;
    ctx->op.conf = ngx_http_sockerless_backend_conf();
    ctx->op.data = ctx;

    if (ngx_http_sockerless_backend()->op_state_size) {
        ctx->op.state = ngx_pcalloc(pool,
                               ngx_http_sockerless_backend()->op_state_size);
        if (ctx->op.state == NULL) {
            goto failed;
        }
    }

    return ctx;

failed:

    if (r == NULL) {
        ngx_destroy_pool(pool);
    }

    return NULL;
}


static void
ngx_http_sockerless_cctx_cleanup(void *data)
{
    ngx_http_sockerless_cctx_t *ctx = data;

    ngx_http_sockerless_store_unwatch(&ctx->watch);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }
}


/* ends the request (or the background work) behind ctx, once */

static void
ngx_http_sockerless_cctx_finish(ngx_http_sockerless_cctx_t *ctx, ngx_int_t rc)
{
    ngx_http_request_t  *r;

    if (ctx->done) {
        return;
    }

    ctx->done = 1;

    ngx_http_sockerless_store_unwatch(&ctx->watch);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    r = ctx->request;

    if (r == NULL) {
        ngx_destroy_pool(ctx->pool);
        return;
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_sockerless_run(ngx_http_sockerless_cctx_t *ctx, cJSON *rec)
{
    ngx_int_t                       rc;
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();

    if (be->container_start == NULL) {
        ctx->op.status = NGX_HTTP_NOT_IMPLEMENTED;
        ngx_str_set(&ctx->op.message, "start is not supported by this "
                    "backend");
        return NGX_DECLINED;
    }

    ctx->op.container = rec;
    ctx->op.handler = ngx_http_sockerless_run_done;
    ctx->op.result = NULL;
    ctx->op.status = 0;

    rc = be->container_start(&ctx->op);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    ngx_http_sockerless_run_done(&ctx->op, rc);

    return NGX_DONE;
}


/* the backend may apply an exit that came before the record said so */

static void
ngx_http_sockerless_run_started(ngx_http_sockerless_op_t *op)
{
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();

    if (be->container_started) {
        be->container_started(op);
    }
}


static ngx_int_t
ngx_http_sockerless_run_record(void *data, cJSON **value)
{
    ngx_http_sockerless_cctx_t *ctx = data;

    cJSON  *rec, *state, *sls, *nsls, *ports;
    char    now[64];

    rec = *value;

    if (rec == NULL) {
        return NGX_ABORT;
    }

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    ngx_http_sockerless_now(now, sizeof(now));
    ngx_cpystrn((u_char *) ctx->started, (u_char *) now,
                sizeof(ctx->started));

    ngx_http_sockerless_json_set(state, "Status",
                                 cJSON_CreateString("running"));
    ngx_http_sockerless_json_set(state, "Running", cJSON_CreateTrue());
    ngx_http_sockerless_json_set(state, "Paused", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "Restarting", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "OOMKilled", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "Dead", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "Pid", cJSON_CreateNumber(
        cJSON_GetNumberValue(cJSON_GetObjectItem(ctx->op.result, "Pid"))));
    ngx_http_sockerless_json_set(state, "ExitCode", cJSON_CreateNumber(0));
    ngx_http_sockerless_json_set(state, "Error", cJSON_CreateString(""));
    ngx_http_sockerless_json_set(state, "StartedAt", cJSON_CreateString(now));

    /* the ports the backend published (memory: the agent's sockets) */

    ports = cJSON_GetObjectItemCaseSensitive(ctx->op.result, "Ports");

    if (cJSON_IsObject(ports)) {
        ngx_http_sockerless_json_set(
            cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"),
            "Ports", cJSON_Duplicate(ports, 1));
    }

    /*
     * a backend whose agents run no probe (reverse mode) shows no
     * State.Health rather than one "starting" forever
     */

    if (ngx_http_sockerless_backend()->supports & SLS_SUPPORTS_HEALTH) {
        ngx_http_sockerless_health_start(rec);
    }

    /* what the backend recorded to reach the agent again */

    nsls = cJSON_GetObjectItemCaseSensitive(ctx->op.container, "_sls");
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");

    if (nsls && sls) {
        cJSON  *item;

        cJSON_ArrayForEach(item, nsls) {
            ngx_http_sockerless_json_set(sls, item->string,
                                         cJSON_Duplicate(item, 1));
        }

        ngx_http_sockerless_json_set(sls, "stopping", cJSON_CreateFalse());
    }

    return NGX_OK;
}


/*
 * dockerd's events around a run: "network connect" for each network and
 * "volume mount" for each volume before "start"; "network disconnect"
 * and "volume unmount" after "die" (attributes in the order Go prints a
 * map: sorted)
 */

static void
ngx_http_sockerless_run_events(ngx_pool_t *pool, cJSON *rec, ngx_uint_t up)
{
    char         key[80];
    cJSON       *e, *net;
    const char  *cid, *nid, *driver, *name;

    cid = ngx_http_sockerless_id(rec);

    if (ngx_http_sockerless_backend()->supports & SLS_SUPPORTS_NETWORKS) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(
                           cJSON_GetObjectItemCaseSensitive(rec,
                                                        "NetworkSettings"),
                           "Networks"))
        {
            nid = ngx_http_sockerless_json_str(e, "NetworkID");

            if (nid == NULL || *nid == '\0' || ngx_strlen(nid) > 64) {
                continue;
            }

            ngx_sprintf((u_char *) key, "n/%s%Z", nid);
            net = ngx_http_sockerless_store_get(pool, key);
            driver = ngx_http_sockerless_json_str(net, "Driver");

            (void) ngx_http_sockerless_event_kv("network",
                                    up ? "connect" : "disconnect", nid,
                                    "container", cid, "name", e->string,
                                    "type", driver ? driver : "bridge",
                                    NULL);
        }
    }

    cJSON_ArrayForEach(e, ngx_http_sockerless_mounts_list(pool, rec)) {
        name = ngx_http_sockerless_json_str(e, "Name");

        if (name == NULL || *name == '\0'
            || ngx_strcmp(ngx_http_sockerless_json_str(e, "Type"), "volume")
               != 0)
        {
            continue;
        }

        if (up) {
            (void) ngx_http_sockerless_event_kv("volume", "mount", name,
                       "container", cid,
                       "destination", ngx_http_sockerless_json_str(e,
                                                              "Destination"),
                       "driver", "local",
                       "propagation", ngx_http_sockerless_json_str(e,
                                                              "Propagation"),
                       "read/write",
                       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "RW"))
                       ? "true" : "false",
                       NULL);

        } else {
            (void) ngx_http_sockerless_event_kv("volume", "unmount", name,
                                                "container", cid,
                                                "driver", "local", NULL);
        }
    }
}


static void
ngx_http_sockerless_run_done(ngx_http_sockerless_op_t *op, ngx_int_t rc)
{
    ngx_http_sockerless_cctx_t *ctx = op->data;

    char        key[80];
    cJSON      *attrs;

    if (rc == NGX_OK) {
        /*
         * "start" goes out before the record says Running: from then on
         * another worker may record the exit, and its "die" must follow
         */
        ngx_http_sockerless_run_events(ctx->pool, op->container, 1);

        attrs = ngx_http_sockerless_container_attrs(ctx->pool,
                                                    op->container);
        if (attrs) {
            (void) ngx_http_sockerless_event("container", "start", ctx->id,
                                             attrs);
        }

        ngx_sprintf((u_char *) key, "c/%s%Z", ctx->id);

        rc = ngx_http_sockerless_store_update(ctx->pool, key,
                                              ngx_http_sockerless_run_record,
                                              ctx);
        if (rc == NGX_OK) {
            ngx_http_sockerless_run_started(op);

            if (ctx->request) {
                rc = ngx_http_sockerless_send_empty(ctx->request,
                                                    NGX_HTTP_NO_CONTENT);
            }

            ngx_http_sockerless_cctx_finish(ctx, rc);
            return;
        }

        op->status = NGX_HTTP_NOT_FOUND;
        ngx_str_set(&op->message, "the container was removed while it "
                    "was starting");
    }

    if (op->status == 0) {
        op->status = NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (op->message.len == 0) {
        ngx_str_set(&op->message, "starting the container failed");
    }

    ngx_log_error(NGX_LOG_ERR, ctx->log, 0,
                  "sockerless: starting container %s failed: %V",
                  ctx->id, &op->message);

    /* dockerd records the failure in State.Error and ExitCode */

    {
        char  key2[80];

        ngx_sprintf((u_char *) key2, "c/%s%Z", ctx->id);
        (void) ngx_http_sockerless_store_update(ctx->pool, key2,
                                            ngx_http_sockerless_set_state,
                                            op);
    }

    ngx_http_sockerless_run_started(op);

    /* like dockerd, a container to remove when it ends goes now */

    if (op->container
        && cJSON_IsTrue(cJSON_GetObjectItem(
               cJSON_GetObjectItemCaseSensitive(op->container, "HostConfig"),
               "AutoRemove")))
    {
        (void) ngx_http_sockerless_remove(ctx->pool, ctx->log,
                                          op->container, 1);
    }

    if (ctx->request) {
        rc = ngx_http_sockerless_send_error(ctx->request, op->status, "%V",
                                            &op->message);

    } else {
        rc = NGX_ERROR;
    }

    ngx_http_sockerless_cctx_finish(ctx, rc);
}


/* records a start failure the way dockerd does */

static ngx_int_t
ngx_http_sockerless_set_state(void *data, cJSON **value)
{
    ngx_http_sockerless_op_t *op = data;

    cJSON  *state, *sls;
    char    msg[1024];

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    state = cJSON_GetObjectItemCaseSensitive(*value, "State");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return NGX_DECLINED;
    }

    ngx_cpystrn((u_char *) msg, op->message.data,
                ngx_min(op->message.len + 1, sizeof(msg)));

    /* attachers waiting for this start learn that it will not come */
    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls) {
        ngx_http_sockerless_json_set(sls, "failures", cJSON_CreateNumber(
            cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sls,
                                                        "failures")) + 1));
    }

    ngx_http_sockerless_json_set(state, "Error", cJSON_CreateString(msg));
    ngx_http_sockerless_json_set(state, "ExitCode", cJSON_CreateNumber(
        ngx_strstr(msg, "not found") || ngx_strstr(msg, "no such file")
        ? 127 : 126));

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_container_start(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       *rec;
    ngx_int_t                    rc;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (ngx_http_sockerless_is(rec, "Running")) {
        if (ngx_http_sockerless_is(rec, "Paused")) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "cannot start a paused container, try unpause "
                        "instead");
        }

        return ngx_http_sockerless_send_empty(r, NGX_HTTP_NOT_MODIFIED);
    }

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the request ends in run_done, which may run before run() returns */

    r->main->count++;

    rc = ngx_http_sockerless_run(ctx, rec);

    if (rc == NGX_DECLINED) {
        r->main->count--;
        return ngx_http_sockerless_send_error(r, ctx->op.status, "%V",
                                              &ctx->op.message);
    }

    return NGX_DONE;
}


/* kill, stop, restart */

static ngx_int_t
ngx_http_sockerless_signal(ngx_http_sockerless_cctx_t *ctx, cJSON *rec,
    ngx_int_t sig)
{
    ngx_int_t                       rc;
    ngx_http_sockerless_backend_t  *be;

    be = ngx_http_sockerless_backend();

    if (be->container_kill == NULL) {
        ctx->op.status = NGX_HTTP_NOT_IMPLEMENTED;
        ngx_str_set(&ctx->op.message, "signals are not supported by this "
                    "backend");
        return NGX_DECLINED;
    }

    ctx->op.container = rec;
    ctx->op.signal = sig;
    ctx->op.handler = NULL;

    rc = be->container_kill(&ctx->op);

    return rc;
}


static ngx_int_t
ngx_http_sockerless_container_kill(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       *rec, *attrs;
    ngx_int_t                    rc, sig;
    ngx_str_t                    s;
    ngx_http_sockerless_cctx_t  *ctx;
    char                         num[16];

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    sig = SIGKILL;

    if (ngx_http_sockerless_arg(r, "signal", &s) == NGX_OK && s.len) {
        sig = ngx_http_sockerless_signal_parse(&s);
        if (sig == NGX_ERROR) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "Invalid signal: %V", &s);
        }
    }

    if (!ngx_http_sockerless_is(rec, "Running")) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "cannot kill container: %V: container %s is not "
                        "running", &args->id, ngx_http_sockerless_id(rec));
    }

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_sockerless_signal(ctx, rec, sig);

    if (rc == NGX_DECLINED) {
        return ngx_http_sockerless_send_error(r, ctx->op.status, "%V",
                                              &ctx->op.message);
    }

    if (rc != NGX_OK) {
        return ngx_http_sockerless_send_error(r,
                        ctx->op.status ? ctx->op.status
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "%V", &ctx->op.message);
    }

    attrs = ngx_http_sockerless_container_attrs(r->pool, rec);
    if (attrs) {
        ngx_sprintf((u_char *) num, "%i%Z", sig);
        cJSON_AddStringToObject(attrs, "signal", num);
        (void) ngx_http_sockerless_event("container", "kill",
                                         ngx_http_sockerless_id(rec), attrs);
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


static ngx_int_t
ngx_http_sockerless_mark_stopping(void *data, cJSON **value)
{
    cJSON  *sls;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    sls = cJSON_GetObjectItemCaseSensitive(*value, "_sls");
    if (sls == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(sls, "stopping", cJSON_CreateTrue());

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_stop_begin(ngx_http_request_t *r, cJSON *rec,
    ngx_uint_t then_start)
{
    cJSON                       *conf;
    char                         key[80];
    ngx_int_t                    rc, sig, t;
    ngx_str_t                    s;
    const char                  *ss;
    ngx_http_sockerless_cctx_t  *ctx;

    conf = cJSON_GetObjectItemCaseSensitive(rec, "Config");

    sig = SIGTERM;

    ss = ngx_http_sockerless_json_str(conf, "StopSignal");
    if (ss && *ss) {
        s.data = (u_char *) ss;
        s.len = ngx_strlen(ss);
        sig = ngx_http_sockerless_signal_parse(&s);
        if (sig == NGX_ERROR) {
            sig = SIGTERM;
        }
    }

    if (ngx_http_sockerless_arg(r, "signal", &s) == NGX_OK && s.len) {
        sig = ngx_http_sockerless_signal_parse(&s);
        if (sig == NGX_ERROR) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "Invalid signal: %V", &s);
        }
    }

    t = 10;

    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(conf,
                                                        "StopTimeout")))
    {
        t = (ngx_int_t) cJSON_GetNumberValue(
                   cJSON_GetObjectItemCaseSensitive(conf, "StopTimeout"));
    }

    t = ngx_http_sockerless_arg_int(r, "t", t);

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->then_start = then_start;

    if (!ngx_http_sockerless_is(rec, "Running")) {
        if (!then_start) {
            return ngx_http_sockerless_send_empty(r, NGX_HTTP_NOT_MODIFIED);
        }

        r->main->count++;

        rc = ngx_http_sockerless_run(ctx, rec);

        if (rc == NGX_DECLINED) {
            r->main->count--;
            return ngx_http_sockerless_send_error(r, ctx->op.status, "%V",
                                                  &ctx->op.message);
        }

        return NGX_DONE;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", ctx->id);
    (void) ngx_http_sockerless_store_update(r->pool, key,
                                        ngx_http_sockerless_mark_stopping,
                                        NULL);

    if (ngx_http_sockerless_is(rec, "Paused")) {
        /* a stopped process would never see the signal */
        if (ngx_http_sockerless_backend()->container_unpause) {
            ctx->op.container = rec;
            (void) ngx_http_sockerless_backend()->container_unpause(&ctx->op);
        }
    }

    rc = ngx_http_sockerless_signal(ctx, rec, (t == 0) ? SIGKILL : sig);

    if (rc != NGX_OK) {
        return ngx_http_sockerless_send_error(r,
                        ctx->op.status ? ctx->op.status
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "%V", &ctx->op.message);
    }

    ctx->watch.handler = ngx_http_sockerless_stop_watch;

    if (ngx_http_sockerless_store_watch(&ctx->watch) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (t > 0) {
        ctx->timer.handler = ngx_http_sockerless_stop_timer;
        ngx_add_timer(&ctx->timer, (ngx_msec_t) t * 1000);
    }

    r->main->count++;

    /* the exit may be recorded already */
    ngx_http_sockerless_stop_watch(&ctx->watch);

    return NGX_DONE;
}


static void
ngx_http_sockerless_stop_timer(ngx_event_t *ev)
{
    ngx_http_sockerless_cctx_t *ctx = ev->data;

    cJSON      *rec;
    ngx_str_t   id;

    id.data = (u_char *) ctx->id;
    id.len = ngx_strlen(ctx->id);

    rec = ngx_http_sockerless_container_find(ctx->pool, &id);
    if (rec == NULL || !ngx_http_sockerless_is(rec, "Running")) {
        ngx_http_sockerless_stop_watch(&ctx->watch);
        return;
    }

    ngx_log_error(NGX_LOG_INFO, ctx->log, 0,
                  "sockerless: container %s did not stop in time, killing",
                  ctx->id);

    (void) ngx_http_sockerless_signal(ctx, rec, SIGKILL);
}


static void
ngx_http_sockerless_stop_watch(ngx_http_sockerless_watch_t *w)
{
    ngx_http_sockerless_cctx_t *ctx = w->data;

    cJSON      *rec;
    ngx_int_t   rc;
    ngx_str_t   id;

    if (ctx->done) {
        return;
    }

    id.data = (u_char *) ctx->id;
    id.len = ngx_strlen(ctx->id);

    rec = ngx_http_sockerless_container_find(ctx->pool, &id);

    if (rec && ngx_http_sockerless_is(rec, "Running")) {
        return;
    }

    ngx_http_sockerless_store_unwatch(&ctx->watch);

    if (ctx->timer.timer_set) {
        ngx_del_timer(&ctx->timer);
    }

    if (rec && ctx->then_start) {
        ctx->then_start = 0;

        rc = ngx_http_sockerless_run(ctx, rec);

        if (rc == NGX_DECLINED) {
            ngx_http_sockerless_cctx_finish(ctx,
                         ngx_http_sockerless_send_error(ctx->request,
                                                        ctx->op.status, "%V",
                                                        &ctx->op.message));
        }

        return;
    }

    if (rec == NULL && ctx->then_start) {
        ngx_http_sockerless_cctx_finish(ctx,
                   ngx_http_sockerless_send_error(ctx->request,
                                                  NGX_HTTP_NOT_FOUND,
                                                  "No such container: %s",
                                                  ctx->id));
        return;
    }

    if (rec) {
        cJSON  *attrs;

        attrs = ngx_http_sockerless_container_attrs(ctx->pool, rec);
        if (attrs) {
            (void) ngx_http_sockerless_event("container", "stop", ctx->id,
                                             attrs);
        }
    }

    ngx_http_sockerless_cctx_finish(ctx,
                  ngx_http_sockerless_send_empty(ctx->request,
                                                 NGX_HTTP_NO_CONTENT));
}


static ngx_int_t
ngx_http_sockerless_container_stop(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON      *rec;
    ngx_int_t   rc;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    return ngx_http_sockerless_stop_begin(r, rec, 0);
}


static ngx_int_t
ngx_http_sockerless_container_restart(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON      *rec;
    ngx_int_t   rc;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    return ngx_http_sockerless_stop_begin(r, rec, 1);
}


/* pause, unpause */

static ngx_int_t
ngx_http_sockerless_paused(void *data, cJSON **value)
{
    ngx_int_t  paused = *(ngx_int_t *) data;
    cJSON     *state;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    state = cJSON_GetObjectItemCaseSensitive(*value, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(state, "Paused", cJSON_CreateBool(paused));
    ngx_http_sockerless_json_set(state, "Status",
                      cJSON_CreateString(paused ? "paused" : "running"));

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_pause_common(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args, ngx_int_t pause)
{
    char                         key[80];
    cJSON                       *rec, *attrs;
    ngx_int_t                    rc;
    ngx_http_sockerless_op_pt    fn;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (!ngx_http_sockerless_is(rec, "Running")) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "container %s is not running",
                        ngx_http_sockerless_id(rec));
    }

    if (pause && ngx_http_sockerless_is(rec, "Paused")) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "container %s is already paused",
                        ngx_http_sockerless_id(rec));
    }

    if (!pause && !ngx_http_sockerless_is(rec, "Paused")) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "container %s is not paused",
                        ngx_http_sockerless_id(rec));
    }

    fn = pause ? ngx_http_sockerless_backend()->container_pause
               : ngx_http_sockerless_backend()->container_unpause;

    if (fn == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "%s is not supported by the %V backend",
                        pause ? "pause" : "unpause",
                        &ngx_http_sockerless_backend()->name);
    }

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->op.container = rec;

    if (fn(&ctx->op) != NGX_OK) {
        return ngx_http_sockerless_send_error(r,
                        ctx->op.status ? ctx->op.status
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "%V", &ctx->op.message);
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", ctx->id);

    if (ngx_http_sockerless_store_update(r->pool, key,
                                         ngx_http_sockerless_paused, &pause)
        == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    attrs = ngx_http_sockerless_container_attrs(r->pool, rec);
    if (attrs) {
        (void) ngx_http_sockerless_event("container",
                                         pause ? "pause" : "unpause",
                                         ctx->id, attrs);
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


static ngx_int_t
ngx_http_sockerless_container_pause(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    return ngx_http_sockerless_pause_common(r, args, 1);
}


static ngx_int_t
ngx_http_sockerless_container_unpause(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    return ngx_http_sockerless_pause_common(r, args, 0);
}


/* rename */

static ngx_int_t
ngx_http_sockerless_renamed(void *data, cJSON **value)
{
    char  *name = data;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(*value, "Name", cJSON_CreateString(name));

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_container_rename(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                        *key, *nname, *old;
    cJSON                       *rec, *attrs;
    ngx_int_t                    rc;
    ngx_str_t                    name;
    ngx_http_sockerless_name_t   nm;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (ngx_http_sockerless_arg(r, "name", &name) != NGX_OK || name.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "Neither old nor new names may "
                                              "be empty");
    }

    if (!sls_name_valid((char *) name.data, name.len)) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "Invalid container name (%V), only "
                        "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", &name);
    }

    if (name.data[0] == '/') {
        name.data++;
        name.len--;
    }

    old = (char *) ngx_http_sockerless_json_str(rec, "Name");

    if (old && ngx_strlen(old + 1) == name.len
        && ngx_strncmp(old + 1, name.data, name.len) == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "Renaming a container with the same name as its "
                        "current name");
    }

    key = ngx_pnalloc(r->pool,
                      ngx_max(name.len, NGX_HTTP_SOCKERLESS_ID_LEN) + 8);
    nname = ngx_pnalloc(r->pool, name.len + 2);
    if (key == NULL || nname == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "n/%V%Z", &name);
    ngx_sprintf((u_char *) nname, "/%V%Z", &name);

    nm.id = ngx_http_sockerless_id(rec);
    nm.owner = NULL;

    rc = ngx_http_sockerless_store_update(r->pool, key,
                                          ngx_http_sockerless_name_reserve,
                                          &nm);
    if (rc == NGX_DECLINED) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "Conflict. The container name \"%s\" is already in "
                        "use by container \"%s\". You have to remove (or "
                        "rename) that container to be able to reuse that "
                        "name.", nname, nm.owner ? nm.owner : "");
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", nm.id);

    if (ngx_http_sockerless_store_update(r->pool, key,
                                         ngx_http_sockerless_renamed, nname)
        != NGX_OK)
    {
        (void) ngx_http_sockerless_name_release(nname, nm.id);
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    if (old) {
        (void) ngx_http_sockerless_name_release(old, nm.id);
    }

    attrs = ngx_http_sockerless_container_attrs(r->pool, rec);
    if (attrs) {
        cJSON_DeleteItemFromObjectCaseSensitive(attrs, "name");
        cJSON_AddStringToObject(attrs, "name", nname + 1);
        cJSON_AddStringToObject(attrs, "oldName", old ? old : "");
        (void) ngx_http_sockerless_event("container", "rename", nm.id,
                                         attrs);
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


/* wait */

static ngx_int_t
ngx_http_sockerless_wait_send(ngx_http_sockerless_cctx_t *ctx)
{
    size_t               len;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = ctx->request;

    b = ngx_create_temp_buf(r->pool, 64);
    if (b == NULL) {
        return NGX_ERROR;
    }

    /* dockerd leaves "Error" out when there is none (omitempty) */
    len = ngx_sprintf(b->last, "{\"StatusCode\":%i}\n",
                      ctx->exit_code)
          - b->last;

    b->last += len;
    b->last_buf = 1;
    b->last_in_chain = 1;
    b->flush = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


typedef struct {
    const char  *id;
    ngx_int_t    code;
    ngx_int_t    found;
} ngx_http_sockerless_die_t;


static ngx_int_t
ngx_http_sockerless_die_scan(void *data, const char *key, cJSON *ev)
{
    ngx_http_sockerless_die_t *d = data;

    cJSON       *actor, *attrs;
    const char  *s;

    if (ngx_strcmp(ngx_http_sockerless_json_str(ev, "Action") ? : "", "die")
        != 0)
    {
        return NGX_OK;
    }

    actor = cJSON_GetObjectItemCaseSensitive(ev, "Actor");

    if (ngx_strcmp(ngx_http_sockerless_json_str(actor, "ID") ? : "", d->id)
        != 0)
    {
        return NGX_OK;
    }

    attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
    s = ngx_http_sockerless_json_str(attrs, "exitCode");

    if (s) {
        d->code = ngx_atoi((u_char *) s, ngx_strlen(s));
        d->found = 1;
    }

    return NGX_OK;
}


/* the exit code of the last run, from the "die" events */

static ngx_int_t
ngx_http_sockerless_last_exit(ngx_pool_t *pool, const char *id)
{
    ngx_http_sockerless_die_t  d;

    d.id = id;
    d.code = 0;
    d.found = 0;

    (void) ngx_http_sockerless_store_scan(pool, "ev/",
                                          ngx_http_sockerless_die_scan, &d);

    return d.code;
}


static void
ngx_http_sockerless_wait_watch(ngx_http_sockerless_watch_t *w)
{
    ngx_http_sockerless_cctx_t *ctx = w->data;

    char         key[80];
    cJSON       *rec, *state;
    const char  *started;

    if (ctx->done) {
        return;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", ctx->id);
    rec = ngx_http_sockerless_store_get(ctx->pool, key);

    if (rec == NULL) {
        ctx->exit_code = ngx_http_sockerless_last_exit(ctx->pool, ctx->id);
        goto done;
    }

    if (ctx->condition == NGX_HTTP_SOCKERLESS_WAIT_REMOVED) {
        return;
    }

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        ctx->seen_running = 1;
        return;
    }

    if (ctx->condition == NGX_HTTP_SOCKERLESS_WAIT_NEXT_EXIT) {
        started = ngx_http_sockerless_json_str(state, "StartedAt");

        if (!ctx->seen_running
            && started && ngx_strcmp(started, ctx->started) == 0)
        {
            /* not a new run yet */
            return;
        }

        if (!ctx->seen_running && started
            && ngx_strcmp(started, ctx->started) != 0)
        {
            /* it ran and ended between two looks */
            ctx->seen_running = 1;
        }

        if (!ctx->seen_running) {
            return;
        }
    }

    ctx->exit_code = (ngx_int_t) cJSON_GetNumberValue(
                         cJSON_GetObjectItemCaseSensitive(state, "ExitCode"));

done:

    ngx_http_sockerless_store_unwatch(&ctx->watch);

    ngx_http_sockerless_cctx_finish(ctx, ngx_http_sockerless_wait_send(ctx));
}


static ngx_int_t
ngx_http_sockerless_container_wait(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       *rec, *state;
    ngx_int_t                    rc;
    ngx_str_t                    cond;
    const char                  *s;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->condition = NGX_HTTP_SOCKERLESS_WAIT_NOT_RUNNING;

    if (ngx_http_sockerless_arg(r, "condition", &cond) == NGX_OK
        && cond.len)
    {
        if (cond.len == 9 && ngx_strncmp(cond.data, "next-exit", 9) == 0) {
            ctx->condition = NGX_HTTP_SOCKERLESS_WAIT_NEXT_EXIT;

        } else if (cond.len == 7
                   && ngx_strncmp(cond.data, "removed", 7) == 0)
        {
            ctx->condition = NGX_HTTP_SOCKERLESS_WAIT_REMOVED;

        } else if (!(cond.len == 11
                     && ngx_strncmp(cond.data, "not-running", 11) == 0))
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "invalid condition: \"%V\"", &cond);
        }
    }

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");
    s = ngx_http_sockerless_json_str(state, "StartedAt");
    ngx_cpystrn((u_char *) ctx->started, (u_char *) (s ? s : ""),
                sizeof(ctx->started));

    /* headers at once, the body at exit (DESIGN.md D5) */

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_http_send_special(r, NGX_HTTP_FLUSH) == NGX_ERROR) {
        return NGX_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->connection->idle = 1;

    ctx->watch.handler = ngx_http_sockerless_wait_watch;

    if (ngx_http_sockerless_store_watch(&ctx->watch) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->count++;

    ngx_http_sockerless_wait_watch(&ctx->watch);

    return NGX_DONE;
}


/* remove */

typedef struct {
    ngx_pool_t  *pool;
    const char  *id;
    cJSON       *keys;
} ngx_http_sockerless_execs_t;


static ngx_int_t
ngx_http_sockerless_exec_scan(void *data, const char *key, cJSON *value)
{
    ngx_http_sockerless_execs_t *es = data;

    const char  *cid;

    cid = ngx_http_sockerless_json_str(value, "ContainerID");

    if (cid && ngx_strcmp(cid, es->id) == 0) {
        cJSON_AddItemToArray(es->keys, cJSON_CreateString(key));
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_remove(ngx_pool_t *pool, ngx_log_t *log, cJSON *rec,
    ngx_uint_t volumes)
{
    char                         key[80];
    cJSON                       *attrs, *k;
    const char                  *id, *name;
    ngx_http_sockerless_op_t     op;
    ngx_http_sockerless_execs_t  es;

    id = ngx_http_sockerless_id(rec);
    name = ngx_http_sockerless_json_str(rec, "Name");

    if (ngx_http_sockerless_backend()->container_remove) {
        ngx_memzero(&op, sizeof(ngx_http_sockerless_op_t));
        op.pool = pool;
        op.log = log;
        op.conf = ngx_http_sockerless_backend_conf();
        op.container = rec;

        if (ngx_http_sockerless_backend()->container_remove(&op) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    es.pool = pool;
    es.id = id;
    es.keys = ngx_http_sockerless_json_bind(pool, cJSON_CreateArray());

    if (es.keys) {
        (void) ngx_http_sockerless_store_scan(pool, "x/",
                                      ngx_http_sockerless_exec_scan, &es);

        cJSON_ArrayForEach(k, es.keys) {
            (void) ngx_http_sockerless_store_del(k->valuestring);
        }
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    if (ngx_http_sockerless_store_del(key) == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (name) {
        (void) ngx_http_sockerless_name_release(name, id);
    }

    ngx_http_sockerless_network_forget(pool, rec);

    if (volumes) {
        /* docker rm -v, and --rm as dockerd does it */
        ngx_http_sockerless_mounts_release(pool, rec);
    }

    attrs = ngx_http_sockerless_container_attrs(pool, rec);
    if (attrs) {
        (void) ngx_http_sockerless_event("container", "destroy", id, attrs);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_container_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                         key[80];
    cJSON                       *rec;
    ngx_int_t                    rc;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (ngx_http_sockerless_is(rec, "Running")) {
        if (!ngx_http_sockerless_arg_bool(r, "force", 0)) {
            if (ngx_http_sockerless_is(rec, "Paused")) {
                return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "cannot remove container \"%s\": container is "
                        "paused and must be unpaused first",
                        ngx_http_sockerless_json_str(rec, "Name"));
            }

            return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "cannot remove container \"%s\": container is "
                        "running: stop the container before removing or "
                        "force remove",
                        ngx_http_sockerless_json_str(rec, "Name"));
        }

        ctx = ngx_http_sockerless_cctx(r, rec);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* no restart policy brings it back */

        ngx_sprintf((u_char *) key, "c/%s%Z", ngx_http_sockerless_id(rec));
        (void) ngx_http_sockerless_store_update(r->pool, key,
                                            ngx_http_sockerless_mark_stopping,
                                            NULL);

        if (ngx_http_sockerless_signal(ctx, rec, SIGKILL) == NGX_OK) {
            /*
             * As dockerd, the container dies before it goes: the die
             * event, and waiters told 137, what SIGKILL makes of any
             * process; the agent's own report then finds no container.
             */
            (void) ngx_http_sockerless_container_exited(r->connection->log,
                                           ngx_http_sockerless_id(rec), 137,
                                           NULL, NULL);

            rec = ngx_http_sockerless_store_get(r->pool, key);
            if (rec == NULL) {
                /* AutoRemove took it already */
                return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
            }
        }
    }

    if (ngx_http_sockerless_remove(r->pool, r->connection->log, rec,
                                   ngx_http_sockerless_arg_bool(r, "v", 0))
        != NGX_OK)
    {
        return ngx_http_sockerless_send_error(r,
                        NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "removing container %s failed",
                        ngx_http_sockerless_id(rec));
    }

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_NO_CONTENT);
}


typedef struct {
    cJSON          *list;
    sls_filters_t  *filters;
} ngx_http_sockerless_prune_t;


static ngx_int_t
ngx_http_sockerless_prune_scan(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_prune_t *pr = data;

    if (!ngx_http_sockerless_is(rec, "Running")) {
        cJSON_AddItemReferenceToArray(pr->list, rec);
    }

    return NGX_OK;
}


/*
 * prune's "until", as dockerd's GetTimestamp reads it: a Go duration back
 * from now ("24h", "1h30m", "90s"), or a time as since/until take it
 */

ngx_int_t
ngx_http_sockerless_prune_until(const char *s, time_t *until, char *err,
    size_t size)
{
    long         nsec;
    char        *end;
    double       n, total;
    int64_t      sec;
    const char  *p;

    total = 0;

    for (p = s; *p; ) {
        n = strtod(p, &end);

        if (end == p || n < 0) {
            break;
        }

        p = end;

        if (*p == 'h') {
            total += n * 3600;
            p++;

        } else if (p[0] == 'm' && p[1] == 's') {
            total += n / 1000;
            p += 2;

        } else if (*p == 'm') {
            total += n * 60;
            p++;

        } else if (*p == 's') {
            total += n;
            p++;

        } else {
            /* a number without a unit: not a duration */
            break;
        }
    }

    if (p != s && *p == '\0') {
        *until = ngx_time() - (time_t) total;
        return NGX_OK;
    }

    if (sls_time_parse_timestamp(s, ngx_strlen(s), 0, &sec, &nsec, err,
                                 size)
        != 0)
    {
        return NGX_ERROR;
    }

    *until = (time_t) sec;

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_container_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *out, *del, *rec, *labels;
    off_t                         size, reclaimed;
    ngx_int_t                     ok;
    ngx_str_t                     fs;
    time_t                        until, created;
    const char                   *s;
    char                          err[256];
    ngx_http_sockerless_prune_t   pr;

    static const char  *allowed[] = { "until", "label", "label!", NULL };

    pr.filters = NULL;
    until = 0;
    reclaimed = 0;

    if (ngx_http_sockerless_arg(r, "filters", &fs) == NGX_OK && fs.len) {
        pr.filters = ngx_http_sockerless_filters(r, &fs, allowed, err,
                                                 sizeof(err));
        if (pr.filters == NULL) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        s = sls_filters_value(pr.filters, "until", 0);

        if (s && ngx_http_sockerless_prune_until(s, &until, err, sizeof(err))
                 != NGX_OK)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }
    }

    pr.list = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (pr.list == NULL || out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_store_scan(r->pool, "c/",
                                       ngx_http_sockerless_prune_scan, &pr)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    del = cJSON_AddArrayToObject(out, "ContainersDeleted");

    cJSON_ArrayForEach(rec, pr.list) {
        labels = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                     "Labels");

        created = ngx_http_sockerless_parse_time(
                      ngx_http_sockerless_json_str(rec, "Created"));

        /* dockerd's prune: "label" must hold, "label!" must not */

        ok = sls_filters_match_label(pr.filters, "label", labels)
             && !(sls_filters_count(pr.filters, "label!")
                  && sls_filters_match_label(pr.filters, "label!", labels))
             && (until == 0 || created < until);

        if (!ok) {
            continue;
        }

        size = ngx_http_sockerless_rw_size(r->pool, rec);

        if (ngx_http_sockerless_remove(r->pool, r->connection->log, rec, 0)
            == NGX_OK)
        {
            cJSON_AddItemToArray(del,
                    cJSON_CreateString(ngx_http_sockerless_id(rec)));
            reclaimed += size;
        }
    }

    /* the writable layers removed, as dockerd counts them */
    cJSON_AddNumberToObject(out, "SpaceReclaimed", (double) reclaimed);

    ngx_sprintf((u_char *) err, "%O%Z", reclaimed);
    (void) ngx_http_sockerless_event_kv("container", "prune", "",
                                        "reclaimed", err, NULL);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/* top and stats: the backend reads them */

static ngx_int_t
ngx_http_sockerless_container_top(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       *rec;
    ngx_int_t                    rc;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (!ngx_http_sockerless_is(rec, "Running")) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "container %s is not running",
                        ngx_http_sockerless_id(rec));
    }

    if (ngx_http_sockerless_backend()->container_top == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "top is not supported by the %V backend",
                        &ngx_http_sockerless_backend()->name);
    }

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->op.container = rec;

    if (ngx_http_sockerless_backend()->container_top(&ctx->op) != NGX_OK
        || ctx->op.result == NULL)
    {
        return ngx_http_sockerless_send_error(r,
                        ctx->op.status ? ctx->op.status
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "%V", &ctx->op.message);
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, ctx->op.result);
}


static void ngx_http_sockerless_stats_timer(ngx_event_t *ev);


static ngx_int_t
ngx_http_sockerless_stats_send(ngx_http_sockerless_cctx_t *ctx, ngx_uint_t last)
{
    cJSON               *rec;
    u_char              *p;
    size_t               len;
    ngx_buf_t           *b;
    ngx_str_t            id;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = ctx->request;

    id.data = (u_char *) ctx->id;
    id.len = ngx_strlen(ctx->id);

    rec = ngx_http_sockerless_container_find(r->pool, &id);

    ctx->op.container = rec;
    ctx->op.result = NULL;

    if (rec == NULL
        || ngx_http_sockerless_backend()->container_stats(&ctx->op) != NGX_OK
        || ctx->op.result == NULL)
    {
        return NGX_ERROR;
    }

    p = ngx_http_sockerless_json_print(r->pool, ctx->op.result, &len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, p, len);
    *b->last++ = '\n';
    b->flush = 1;
    b->last_buf = last;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_sockerless_stats_timer(ngx_event_t *ev)
{
    ngx_http_sockerless_cctx_t *ctx = ev->data;

    if (ctx->request->connection->error
        || ngx_http_sockerless_stats_send(ctx, 0) == NGX_ERROR)
    {
        ngx_http_sockerless_cctx_finish(ctx, NGX_ERROR);
        return;
    }

    /* docker stats samples once a second */
    ngx_add_timer(&ctx->timer, 1000);
}


static ngx_int_t
ngx_http_sockerless_container_stats(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                       *rec;
    ngx_int_t                    rc, stream;
    ngx_http_sockerless_cctx_t  *ctx;

    rec = ngx_http_sockerless_find_or_fail(r, &args->id, &rc);
    if (rec == NULL) {
        return rc;
    }

    if (ngx_http_sockerless_backend()->container_stats == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                        "stats are not supported by the %V backend",
                        &ngx_http_sockerless_backend()->name);
    }

    stream = ngx_http_sockerless_arg_bool(r, "stream", 1)
             && !ngx_http_sockerless_arg_bool(r, "one-shot", 0);

    ctx = ngx_http_sockerless_cctx(r, rec);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->op.container = rec;

    if (!stream) {
        if (ngx_http_sockerless_backend()->container_stats(&ctx->op) != NGX_OK
            || ctx->op.result == NULL)
        {
            return ngx_http_sockerless_send_error(r,
                        ctx->op.status ? ctx->op.status
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR,
                        "%V", &ctx->op.message);
        }

        return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, ctx->op.result);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK) {
        return rc;
    }

    if (ngx_http_sockerless_stats_send(ctx, 0) == NGX_ERROR) {
        return NGX_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->connection->idle = 1;
    ctx->timer.handler = ngx_http_sockerless_stats_timer;
    ngx_add_timer(&ctx->timer, 1000);

    r->main->count++;

    return NGX_DONE;
}


/* exits reported by backends */

typedef struct {
    ngx_int_t    code;
    const char  *finished;
    const char  *error;
    ngx_int_t    applied;
    ngx_int_t    auto_remove;
    ngx_int_t    restart;
    ngx_msec_t   delay;
    cJSON       *rec;
} ngx_http_sockerless_exit_t;


static ngx_int_t
ngx_http_sockerless_exit_record(void *data, cJSON **value)
{
    ngx_http_sockerless_exit_t *ex = data;

    cJSON       *rec, *state, *hc, *rp, *sls;
    const char  *policy;
    ngx_int_t    count, max, stopping;

    rec = *value;

    if (rec == NULL) {
        return NGX_DECLINED;
    }

    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(state, "Status", cJSON_CreateString("exited"));
    ngx_http_sockerless_json_set(state, "Running", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "Paused", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(state, "Pid", cJSON_CreateNumber(0));
    ngx_http_sockerless_json_set(state, "ExitCode",
                                 cJSON_CreateNumber(ex->code));
    ngx_http_sockerless_json_set(state, "Error",
                                cJSON_CreateString(ex->error ? ex->error : ""));
    ngx_http_sockerless_json_set(state, "FinishedAt",
                                 cJSON_CreateString(ex->finished));

    /* dockerd releases the published ports when the container stops */
    ngx_http_sockerless_json_set(
        cJSON_GetObjectItemCaseSensitive(rec, "NetworkSettings"), "Ports",
        cJSON_CreateObject());

    hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    stopping = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sls,
                                                             "stopping"));

    ex->auto_remove = cJSON_IsTrue(cJSON_GetObjectItem(hc, "AutoRemove"));

    rp = cJSON_GetObjectItem(hc, "RestartPolicy");
    policy = ngx_http_sockerless_json_str(rp, "Name");
    max = (ngx_int_t) cJSON_GetNumberValue(cJSON_GetObjectItem(rp,
                                                   "MaximumRetryCount"));
    count = (ngx_int_t) cJSON_GetNumberValue(
                cJSON_GetObjectItemCaseSensitive(rec, "RestartCount"));

    ex->restart = 0;

    if (policy && !stopping && !ex->auto_remove) {
        if (ngx_strcmp(policy, "always") == 0
            || ngx_strcmp(policy, "unless-stopped") == 0
            || (ngx_strcmp(policy, "on-failure") == 0 && ex->code != 0
                && (max <= 0 || count < max)))
        {
            ex->restart = 1;
            ngx_http_sockerless_json_set(rec, "RestartCount",
                                         cJSON_CreateNumber(count + 1));
            ngx_http_sockerless_json_set(state, "Restarting",
                                         cJSON_CreateTrue());
            ngx_http_sockerless_json_set(state, "Status",
                                         cJSON_CreateString("restarting"));

            /* dockerd's back-off: 100 ms doubling, at most a minute */
            ex->delay = 100 << ngx_min(count, 10);
            ex->delay = ngx_min(ex->delay, 60000);
        }
    }

    ex->applied = 1;
    ex->rec = rec;

    return NGX_OK;
}


static void
ngx_http_sockerless_restart_timer(ngx_event_t *ev)
{
    ngx_http_sockerless_cctx_t *ctx = ev->data;

    cJSON      *rec;
    char        key[80];

    ngx_sprintf((u_char *) key, "c/%s%Z", ctx->id);

    rec = ngx_http_sockerless_store_get(ctx->pool, key);

    if (rec == NULL || ngx_http_sockerless_is(rec, "Running")
        || !ngx_http_sockerless_is(rec, "Restarting"))
    {
        ngx_http_sockerless_cctx_finish(ctx, NGX_OK);
        return;
    }

    (void) ngx_http_sockerless_run(ctx, rec);
}


ngx_int_t
ngx_http_sockerless_container_exited(ngx_log_t *log, const char *id,
    ngx_int_t code, const char *finished, const char *error)
{
    char                         key[80], now[64], num[32];
    cJSON                       *attrs;
    ngx_int_t                    rc;
    ngx_pool_t                  *pool;
    ngx_http_sockerless_cctx_t  *ctx;
    ngx_http_sockerless_exit_t   ex;

    pool = ngx_create_pool(4096, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    if (finished == NULL || *finished == '\0') {
        ngx_http_sockerless_now(now, sizeof(now));
        finished = now;
    }

    ngx_memzero(&ex, sizeof(ngx_http_sockerless_exit_t));
    ex.code = code;
    ex.finished = finished;
    ex.error = error;

    ngx_sprintf((u_char *) key, "c/%s%Z", id);

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_exit_record,
                                          &ex);
    if (rc != NGX_OK || !ex.applied) {
        ngx_destroy_pool(pool);
        return (rc == NGX_ERROR) ? NGX_ERROR : NGX_DECLINED;
    }

    attrs = ngx_http_sockerless_container_attrs(pool, ex.rec);
    if (attrs) {
        ngx_sprintf((u_char *) num, "%i%Z", code);
        cJSON_AddStringToObject(attrs, "exitCode", num);
        (void) ngx_http_sockerless_event("container", "die", id, attrs);
    }

    ngx_http_sockerless_run_events(pool, ex.rec, 0);

    if (ex.auto_remove) {
        (void) ngx_http_sockerless_remove(pool, log, ex.rec, 1);
    }

    if (ex.restart) {
        ctx = ngx_http_sockerless_cctx(NULL, ex.rec);
        if (ctx) {
            ctx->timer.handler = ngx_http_sockerless_restart_timer;
            ngx_add_timer(&ctx->timer, ex.delay);
        }
    }

    ngx_destroy_pool(pool);

    return NGX_OK;
}


typedef struct {
    ngx_int_t  code;
} ngx_http_sockerless_xexit_t;


static ngx_int_t
ngx_http_sockerless_exec_exit_record(void *data, cJSON **value)
{
    ngx_http_sockerless_xexit_t *xe = data;

    if (*value == NULL
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(*value, "Running")))
    {
        return NGX_DECLINED;
    }

    ngx_http_sockerless_json_set(*value, "Running", cJSON_CreateFalse());
    ngx_http_sockerless_json_set(*value, "ExitCode",
                                 cJSON_CreateNumber(xe->code));
    ngx_http_sockerless_json_set(*value, "Pid", cJSON_CreateNumber(0));

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_exec_exited(ngx_log_t *log, const char *id,
    ngx_int_t code)
{
    char                         key[80];
    ngx_int_t                    rc;
    ngx_pool_t                  *pool;
    ngx_http_sockerless_xexit_t  xe;

    pool = ngx_create_pool(1024, log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    xe.code = code;

    ngx_sprintf((u_char *) key, "x/%s%Z", id);

    rc = ngx_http_sockerless_store_update(pool, key,
                                          ngx_http_sockerless_exec_exit_record,
                                          &xe);
    if (rc == NGX_OK) {
        ngx_http_sockerless_exec_event(pool, id, "exec_die", code);
    }

    ngx_destroy_pool(pool);

    return rc;
}
