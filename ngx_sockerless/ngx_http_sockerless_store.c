
/*
 * Copyright (C) sockerless contributors
 *
 * The store (DESIGN.md D2): one LMDB environment opened by every worker,
 * JSON documents under string keys, and change notification across
 * workers through inotify on a notify file that every commit touches.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_store.h>
#include <lmdb.h>
#include <sys/inotify.h>
#include <openssl/rand.h>


#define NGX_HTTP_SOCKERLESS_MAP_SIZE  (1024ULL * 1024 * 1024)


typedef struct {
    ngx_queue_t                      queue;
    int                              wd;
    ngx_http_sockerless_inotify_pt   handler;
    void                            *data;
} ngx_http_sockerless_sub_t;


typedef struct {
    MDB_env                         *env;
    MDB_dbi                          dbi;
    ngx_fd_t                         notify_fd;
    ngx_connection_t                *inotify;
    int                              notify_wd;
    ngx_queue_t                      subs;
    ngx_queue_t                      watches;
    ngx_uint_t                       running;
    ngx_uint_t                       again;
    ngx_log_t                       *log;
    size_t                           event_history;
} ngx_http_sockerless_store_t;


static void ngx_http_sockerless_inotify_handler(ngx_event_t *ev);
static void ngx_http_sockerless_notify_handler(void *data,
    struct inotify_event *ie);
static void ngx_http_sockerless_run_watches(void);
static ngx_int_t ngx_http_sockerless_store_commit(MDB_txn *txn);


/* per-worker, created in init_process and gone with the process */
static ngx_http_sockerless_store_t  *ngx_http_sockerless_store;


ngx_int_t
ngx_http_sockerless_store_init(ngx_cycle_t *cycle,
    ngx_http_sockerless_main_conf_t *smcf)
{
    int                           rc, fd;
    u_char                       *path;
    MDB_txn                      *txn;
    ngx_connection_t             *c;
    ngx_http_sockerless_store_t  *st;

    st = ngx_pcalloc(cycle->pool, sizeof(ngx_http_sockerless_store_t));
    if (st == NULL) {
        return NGX_ERROR;
    }

    st->log = cycle->log;
    st->event_history = smcf->event_history;
    st->notify_fd = NGX_INVALID_FILE;
    ngx_queue_init(&st->subs);
    ngx_queue_init(&st->watches);

    path = ngx_pnalloc(cycle->pool, smcf->data_dir.len + 64);
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%V%Z", &smcf->data_dir);
    (void) ngx_create_dir(path, 0700);

    /* every backend's containers have a directory: logs, sockets */
    ngx_sprintf(path, "%V/containers%Z", &smcf->data_dir);
    (void) ngx_create_dir(path, 0700);

    ngx_sprintf(path, "%V/store%Z", &smcf->data_dir);

    if (ngx_create_dir(path, 0700) == NGX_FILE_ERROR
        && ngx_errno != NGX_EEXIST)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      ngx_create_dir_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    rc = mdb_env_create(&st->env);
    if (rc != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "sockerless: mdb_env_create() failed: %s",
                      mdb_strerror(rc));
        return NGX_ERROR;
    }

    mdb_env_set_mapsize(st->env, NGX_HTTP_SOCKERLESS_MAP_SIZE);
    mdb_env_set_maxreaders(st->env, 256);

    rc = mdb_env_open(st->env, (char *) path, MDB_NOTLS, 0600);
    if (rc != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "sockerless: mdb_env_open(\"%s\") failed: %s",
                      path, mdb_strerror(rc));
        return NGX_ERROR;
    }

    /* readers left by a crashed process */
    (void) mdb_reader_check(st->env, &fd);

    rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, NULL, 0, &st->dbi);
        if (rc == 0) {
            rc = mdb_txn_commit(txn);

        } else {
            mdb_txn_abort(txn);
        }
    }

    if (rc != 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "sockerless: opening the store failed: %s",
                      mdb_strerror(rc));
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%V/store/notify%Z", &smcf->data_dir);

    st->notify_fd = ngx_open_file(path, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN,
                                  0600);
    if (st->notify_fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      ngx_open_file_n " \"%s\" failed", path);
        return NGX_ERROR;
    }

    fd = inotify_init1(IN_NONBLOCK|IN_CLOEXEC);
    if (fd == -1) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                      "inotify_init1() failed");
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        close(fd);
        return NGX_ERROR;
    }

    c->read->handler = ngx_http_sockerless_inotify_handler;
    c->read->log = cycle->log;
    c->data = st;
    st->inotify = c;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_sockerless_store = st;

    st->notify_wd = ngx_http_sockerless_inotify_add((char *) path,
                                        IN_MODIFY,
                                        ngx_http_sockerless_notify_handler,
                                        st);
    if (st->notify_wd == -1) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_sockerless_store_done(ngx_cycle_t *cycle)
{
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;
    if (st == NULL) {
        return;
    }

    if (st->inotify) {
        ngx_close_connection(st->inotify);
    }

    if (st->notify_fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(st->notify_fd);
    }

    mdb_env_close(st->env);

    ngx_http_sockerless_store = NULL;
}


int
ngx_http_sockerless_inotify_add(const char *path, uint32_t mask,
    ngx_http_sockerless_inotify_pt handler, void *data)
{
    int                           wd;
    ngx_http_sockerless_sub_t    *sub;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    wd = inotify_add_watch(st->inotify->fd, path, mask);
    if (wd == -1) {
        ngx_log_error(NGX_LOG_ERR, st->log, ngx_errno,
                      "inotify_add_watch(\"%s\") failed", path);
        return -1;
    }

    sub = ngx_alloc(sizeof(ngx_http_sockerless_sub_t), st->log);
    if (sub == NULL) {
        return -1;
    }

    sub->wd = wd;
    sub->handler = handler;
    sub->data = data;

    ngx_queue_insert_tail(&st->subs, &sub->queue);

    return wd;
}


void
ngx_http_sockerless_inotify_rm(int wd, void *data)
{
    ngx_uint_t                    others;
    ngx_queue_t                  *q, *next;
    ngx_http_sockerless_sub_t    *sub;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;
    if (st == NULL || wd == -1) {
        return;
    }

    others = 0;

    for (q = ngx_queue_head(&st->subs);
         q != ngx_queue_sentinel(&st->subs);
         q = next)
    {
        next = ngx_queue_next(q);
        sub = ngx_queue_data(q, ngx_http_sockerless_sub_t, queue);

        if (sub->wd != wd) {
            continue;
        }

        if (sub->data == data) {
            ngx_queue_remove(q);
            ngx_free(sub);
            continue;
        }

        others++;
    }

    if (others == 0) {
        (void) inotify_rm_watch(st->inotify->fd, wd);
    }
}


static void
ngx_http_sockerless_inotify_handler(ngx_event_t *ev)
{
    char                         *p;
    ssize_t                       n;
    ngx_queue_t                  *q, *next;
    ngx_connection_t             *c;
    struct inotify_event         *ie;
    ngx_http_sockerless_sub_t    *sub;
    ngx_http_sockerless_store_t  *st;
    char                          buf[8192]
                            __attribute__ ((aligned(8)));

    c = ev->data;
    st = c->data;

    for ( ;; ) {
        n = read(c->fd, buf, sizeof(buf));

        if (n == -1) {
            if (ngx_errno != NGX_EAGAIN) {
                ngx_log_error(NGX_LOG_ALERT, ev->log, ngx_errno,
                              "read() from inotify failed");
            }

            break;
        }

        if (n == 0) {
            break;
        }

        for (p = buf; p < buf + n; p += sizeof(struct inotify_event) + ie->len)
        {
            ie = (struct inotify_event *) p;

            for (q = ngx_queue_head(&st->subs);
                 q != ngx_queue_sentinel(&st->subs);
                 q = next)
            {
                next = ngx_queue_next(q);
                sub = ngx_queue_data(q, ngx_http_sockerless_sub_t, queue);

                if (sub->wd == ie->wd) {
                    sub->handler(sub->data, ie);

                    /* a handler may have removed others: restart safely */
                    if (ngx_http_sockerless_store == NULL) {
                        return;
                    }
                }
            }
        }
    }

    if (st->again) {
        st->again = 0;
        ngx_http_sockerless_run_watches();
    }
}


static void
ngx_http_sockerless_notify_handler(void *data, struct inotify_event *ie)
{
    ngx_http_sockerless_store_t  *st = data;

    st->again = 1;
}


static void
ngx_http_sockerless_run_watches(void)
{
    ngx_queue_t                  *q, sentinel;
    ngx_http_sockerless_watch_t  *w;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    /*
     * a watch handler may remove itself or others, or add new watches;
     * each watch present now runs once
     */

    ngx_queue_init(&sentinel);
    ngx_queue_insert_tail(&st->watches, &sentinel);

    while (ngx_queue_head(&st->watches) != &sentinel) {
        q = ngx_queue_head(&st->watches);
        ngx_queue_remove(q);
        ngx_queue_insert_tail(&st->watches, q);

        w = ngx_queue_data(q, ngx_http_sockerless_watch_t, queue);
        w->handler(w);
    }

    ngx_queue_remove(&sentinel);
}


ngx_int_t
ngx_http_sockerless_store_watch(ngx_http_sockerless_watch_t *w)
{
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    if (w->active) {
        return NGX_OK;
    }

    ngx_queue_insert_tail(&st->watches, &w->queue);
    w->active = 1;

    return NGX_OK;
}


void
ngx_http_sockerless_store_unwatch(ngx_http_sockerless_watch_t *w)
{
    if (!w->active) {
        return;
    }

    ngx_queue_remove(&w->queue);
    w->active = 0;
}


void
ngx_http_sockerless_store_changed(void)
{
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    /* every worker, this one included, hears it through inotify */

    if (pwrite(st->notify_fd, "x", 1, 0) != 1) {
        ngx_log_error(NGX_LOG_ALERT, st->log, ngx_errno,
                      "pwrite() to the store notify file failed");
    }
}


/* the last committed transaction: it moves on with every change */

uint64_t
ngx_http_sockerless_store_version(void)
{
    MDB_envinfo  info;

    if (mdb_env_info(ngx_http_sockerless_store->env, &info) != 0) {
        return 0;
    }

    return (uint64_t) info.me_last_txnid;
}


static ngx_int_t
ngx_http_sockerless_store_commit(MDB_txn *txn)
{
    int  rc;

    rc = mdb_txn_commit(txn);
    if (rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, ngx_http_sockerless_store->log, 0,
                      "sockerless: mdb_txn_commit() failed: %s",
                      mdb_strerror(rc));
        return NGX_ERROR;
    }

    ngx_http_sockerless_store_changed();

    return NGX_OK;
}


cJSON *
ngx_http_sockerless_store_get(ngx_pool_t *pool, const char *key)
{
    int                           rc;
    cJSON                        *json;
    MDB_val                       k, v;
    MDB_txn                      *txn;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                      "sockerless: mdb_txn_begin() failed: %s",
                      mdb_strerror(rc));
        return NULL;
    }

    k.mv_data = (void *) key;
    k.mv_size = ngx_strlen(key);

    rc = mdb_get(txn, st->dbi, &k, &v);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return NULL;
    }

    json = ngx_http_sockerless_json_parse(pool, v.mv_data, v.mv_size);

    mdb_txn_abort(txn);

    return json;
}


static int
ngx_http_sockerless_store_put_txn(MDB_txn *txn, const char *key, cJSON *value)
{
    int                           rc;
    char                         *s;
    MDB_val                       k, v;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    s = cJSON_PrintUnformatted(value);
    if (s == NULL) {
        return ENOMEM;
    }

    k.mv_data = (void *) key;
    k.mv_size = ngx_strlen(key);
    v.mv_data = s;
    v.mv_size = ngx_strlen(s);

    rc = mdb_put(txn, st->dbi, &k, &v, 0);

    cJSON_free(s);

    return rc;
}


ngx_int_t
ngx_http_sockerless_store_put(const char *key, cJSON *value)
{
    int                           rc;
    MDB_txn                      *txn;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0) {
        goto failed;
    }

    rc = ngx_http_sockerless_store_put_txn(txn, key, value);
    if (rc != 0) {
        mdb_txn_abort(txn);
        goto failed;
    }

    return ngx_http_sockerless_store_commit(txn);

failed:

    ngx_log_error(NGX_LOG_ALERT, st->log, 0,
                  "sockerless: store put \"%s\" failed: %s",
                  key, mdb_strerror(rc));

    return NGX_ERROR;
}


ngx_int_t
ngx_http_sockerless_store_del(const char *key)
{
    int                           rc;
    MDB_val                       k;
    MDB_txn                      *txn;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0) {
        return NGX_ERROR;
    }

    k.mv_data = (void *) key;
    k.mv_size = ngx_strlen(key);

    rc = mdb_del(txn, st->dbi, &k, NULL);
    if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return NGX_DECLINED;
    }

    if (rc != 0) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    return ngx_http_sockerless_store_commit(txn);
}


ngx_int_t
ngx_http_sockerless_store_update(ngx_pool_t *pool, const char *key,
    ngx_http_sockerless_update_pt update, void *data)
{
    int                           rc;
    cJSON                        *json;
    MDB_val                       k, v;
    MDB_txn                      *txn;
    ngx_int_t                     res;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0) {
        return NGX_ERROR;
    }

    k.mv_data = (void *) key;
    k.mv_size = ngx_strlen(key);

    rc = mdb_get(txn, st->dbi, &k, &v);

    json = NULL;

    if (rc == 0) {
        json = ngx_http_sockerless_json_parse(pool, v.mv_data, v.mv_size);

    } else if (rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    res = update(data, &json);

    if (res == NGX_OK && json != NULL) {
        rc = ngx_http_sockerless_store_put_txn(txn, key, json);

    } else if (res == NGX_DONE) {
        rc = (json == NULL) ? 0 : mdb_del(txn, st->dbi, &k, NULL);

    } else {
        mdb_txn_abort(txn);
        return res;
    }

    if (rc != 0) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    if (ngx_http_sockerless_store_commit(txn) != NGX_OK) {
        return NGX_ERROR;
    }

    return res;
}


ngx_int_t
ngx_http_sockerless_store_scan(ngx_pool_t *pool, const char *prefix,
    ngx_http_sockerless_scan_pt handler, void *data)
{
    int                           rc;
    char                         *key;
    size_t                        len;
    cJSON                        *json;
    MDB_val                       k, v;
    MDB_txn                      *txn;
    ngx_int_t                     res;
    MDB_cursor                   *cur;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;
    len = ngx_strlen(prefix);

    rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        return NGX_ERROR;
    }

    rc = mdb_cursor_open(txn, st->dbi, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    k.mv_data = (void *) prefix;
    k.mv_size = len;

    res = NGX_OK;

    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
    {
        if (k.mv_size < len || ngx_memcmp(k.mv_data, prefix, len) != 0) {
            break;
        }

        key = ngx_pnalloc(pool, k.mv_size + 1);
        if (key == NULL) {
            res = NGX_ERROR;
            break;
        }

        ngx_memcpy(key, k.mv_data, k.mv_size);
        key[k.mv_size] = '\0';

        json = ngx_http_sockerless_json_parse(pool, v.mv_data, v.mv_size);
        if (json == NULL) {
            continue;
        }

        res = handler(data, key, json);
        if (res != NGX_OK) {
            break;
        }
    }

    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    return (res == NGX_DONE) ? NGX_OK : res;
}


/* an event whose attributes are the NULL-ended name, value pairs given */

ngx_int_t
ngx_http_sockerless_event_kv(const char *type, const char *action,
    const char *id, ...)
{
    cJSON       *attrs;
    va_list      ap;
    ngx_int_t    rc;
    const char  *k, *v;

    attrs = cJSON_CreateObject();
    if (attrs == NULL) {
        return NGX_ERROR;
    }

    va_start(ap, id);

    while ((k = va_arg(ap, const char *)) != NULL) {
        v = va_arg(ap, const char *);
        cJSON_AddStringToObject(attrs, k, v ? v : "");
    }

    va_end(ap);

    rc = ngx_http_sockerless_event(type, action, id, attrs);

    cJSON_Delete(attrs);

    return rc;
}


/* events: "ev/<16 hex digit sequence>", the history bounded */

ngx_int_t
ngx_http_sockerless_event(const char *type, const char *action,
    const char *id, cJSON *attributes)
{
    int                           rc;
    char                          key[32];
    cJSON                        *ev, *actor, *attrs;
    MDB_val                       k, v;
    MDB_txn                      *txn;
    uint64_t                      seq;
    MDB_cursor                   *cur;
    ngx_http_sockerless_store_t  *st;

    st = ngx_http_sockerless_store;

    ev = cJSON_CreateObject();
    if (ev == NULL) {
        return NGX_ERROR;
    }

    attrs = attributes ? cJSON_Duplicate(attributes, 1) : cJSON_CreateObject();
    actor = cJSON_CreateObject();

    if (attrs == NULL || actor == NULL) {
        cJSON_Delete(attrs);
        cJSON_Delete(actor);
        cJSON_Delete(ev);
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(actor, "ID", id);
    cJSON_AddItemToObject(actor, "Attributes", attrs);

    cJSON_AddStringToObject(ev, "Type", type);
    cJSON_AddStringToObject(ev, "Action", action);
    cJSON_AddItemToObject(ev, "Actor", actor);
    cJSON_AddStringToObject(ev, "scope", "local");
    {
        u_char           num[32];
        struct timespec  ts;

        /* integers: cJSON would print the nanoseconds with an exponent */

        (void) clock_gettime(CLOCK_REALTIME, &ts);

        ngx_sprintf(num, "%T%Z", ts.tv_sec);
        cJSON_AddRawToObject(ev, "time", (char *) num);
        ngx_sprintf(num, "%T%09l%Z", ts.tv_sec, ts.tv_nsec);
        cJSON_AddRawToObject(ev, "timeNano", (char *) num);

        /* a double cannot hold it: the exact digits ride along */
        cJSON_AddStringToObject(ev, "_nano", (char *) num);
    }

    /* the pre-1.22 fields some clients still read */
    if (ngx_strcmp(type, "container") == 0) {
        cJSON_AddStringToObject(ev, "status", action);
        cJSON_AddStringToObject(ev, "id", id);

        if (attributes && ngx_http_sockerless_json_str(attributes, "image")) {
            cJSON_AddStringToObject(ev, "from",
                          ngx_http_sockerless_json_str(attributes, "image"));
        }
    }

    rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc != 0) {
        cJSON_Delete(ev);
        return NGX_ERROR;
    }

    seq = 1;

    rc = mdb_cursor_open(txn, st->dbi, &cur);
    if (rc == 0) {
        k.mv_data = "ev0";
        k.mv_size = 3;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        if (rc == 0) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);

        } else {
            rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
        }

        if (rc == 0 && k.mv_size == 19
            && ngx_strncmp(k.mv_data, "ev/", 3) == 0)
        {
            seq = ngx_hextoi((u_char *) k.mv_data + 3, 16) + 1;
        }

        mdb_cursor_close(cur);
    }

    ngx_sprintf((u_char *) key, "ev/%016xL%Z", seq);
    cJSON_AddNumberToObject(ev, "_seq", (double) seq);

    rc = ngx_http_sockerless_store_put_txn(txn, key, ev);

    cJSON_Delete(ev);

    if (rc != 0) {
        mdb_txn_abort(txn);
        return NGX_ERROR;
    }

    if (seq > st->event_history) {
        ngx_sprintf((u_char *) key, "ev/%016xL%Z", seq - st->event_history);
        k.mv_data = key;
        k.mv_size = 19;
        (void) mdb_del(txn, st->dbi, &k, NULL);
    }

    return ngx_http_sockerless_store_commit(txn);
}


void
ngx_http_sockerless_random_id(char id[NGX_HTTP_SOCKERLESS_ID_LEN + 1])
{
    u_char  rnd[NGX_HTTP_SOCKERLESS_ID_LEN / 2];

    for ( ;; ) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                          "RAND_bytes() failed");
        }

        ngx_hex_dump((u_char *) id, rnd, sizeof(rnd));
        id[NGX_HTTP_SOCKERLESS_ID_LEN] = '\0';

        /* like dockerd: an all-digit short id reads as a number */
        if (strspn(id, "0123456789") < 12) {
            return;
        }
    }
}


void
ngx_http_sockerless_now(char *buf, size_t size)
{
    struct tm        tm;
    struct timespec  ts;
    char             frac[16];
    int              n;

    (void) clock_gettime(CLOCK_REALTIME, &ts);
    (void) gmtime_r(&ts.tv_sec, &tm);

    /* Go's RFC3339Nano: trailing zeros of the fraction trimmed */

    n = snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
    while (n > 1 && frac[n - 1] == '0') {
        frac[--n] = '\0';
    }

    if (n == 1) {
        frac[0] = '\0';
    }

    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}
