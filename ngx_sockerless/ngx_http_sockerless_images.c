
/*
 * Copyright (C) sockerless contributors
 *
 * Images: "docker load" unpacked in nginx's thread pool with libarchive
 * (paths that escape the root refused, whiteouts applied), list, inspect,
 * tag and remove. Pulls from registries are in pull.c, with this unpacking.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_images.h>
#include <ngx_http_sockerless_containers.h>
#include <sls_filters.h>
#include <ngx_thread_pool.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <ftw.h>
#include <fnmatch.h>


#define NGX_HTTP_SOCKERLESS_MAX_LOAD  64


typedef struct {
    char                          *id;        /* hex, malloc */
    char                          *config;    /* JSON text, malloc */
    cJSON                         *tags;      /* array of strings */
    cJSON                         *sizes;     /* bytes of each layer */
    off_t                          size;
} ngx_http_sockerless_loaded_t;


typedef struct {
    ngx_http_request_t            *request;
    char                          *file;      /* the uploaded tarball */
    char                          *data_dir;
    char                           error[512];
    ngx_uint_t                     n;
    ngx_http_sockerless_loaded_t   images[NGX_HTTP_SOCKERLESS_MAX_LOAD];
} ngx_http_sockerless_load_t;


typedef struct {
    ssize_t                      (*read)(void *data, const void **buf);
    void                          *data;
} ngx_http_sockerless_reader_t;


static ngx_int_t ngx_http_sockerless_image_load(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_tag(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_unpack_over(struct archive_entry *e,
    off_t *total, char *err, size_t errlen);
static la_ssize_t ngx_http_sockerless_extract_read(struct archive *a,
    void *data, const void **buf);
static void ngx_http_sockerless_load_thread(void *data, ngx_log_t *log);
static void ngx_http_sockerless_load_done(ngx_event_t *ev);
static ngx_int_t ngx_http_sockerless_image_history(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);
static ngx_int_t ngx_http_sockerless_image_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args);


ngx_http_sockerless_route_t  ngx_http_sockerless_image_routes[] = {

    { NGX_HTTP_POST, ngx_string("/images/load"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_RAW,
      ngx_http_sockerless_image_load },

    { NGX_HTTP_GET, ngx_string("/images/json"),
      ngx_null_string, 0,
      ngx_http_sockerless_image_list },

    { NGX_HTTP_POST, ngx_string("/images/prune"),
      ngx_null_string, 0,
      ngx_http_sockerless_image_prune },

    { NGX_HTTP_GET, ngx_string("/images/"),
      ngx_string("history"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_history },

    { NGX_HTTP_POST, ngx_string("/images/create"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_RAW,
      ngx_http_sockerless_image_create },

    { NGX_HTTP_GET, ngx_string("/images/search"),
      ngx_null_string, 0,
      ngx_http_sockerless_image_search },

    { NGX_HTTP_POST, ngx_string("/images/"),
      ngx_string("push"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_push },

    { NGX_HTTP_POST, ngx_string("/auth"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_auth },

    { NGX_HTTP_GET, ngx_string("/images/"),
      ngx_string("json"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_inspect },

    { NGX_HTTP_POST, ngx_string("/images/"),
      ngx_string("tag"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_tag },

    { NGX_HTTP_DELETE, ngx_string("/images/"),
      ngx_null_string, NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_image_delete },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


ngx_int_t
ngx_http_sockerless_images_init_conf(ngx_conf_t *cf)
{
    if (ngx_thread_pool_add(cf, NULL) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* references */

ngx_int_t
ngx_http_sockerless_image_normalize(ngx_pool_t *pool, ngx_str_t *ref,
    ngx_str_t *out)
{
    u_char  *p, *last, *slash, *colon;
    size_t   len;

    p = ref->data;
    last = p + ref->len;

    if (ref->len == 0 || ref->len > 255) {
        return NGX_ERROR;
    }

    if (ref->len > 10 && ngx_strncmp(p, "docker.io/", 10) == 0) {
        p += 10;

    } else if (ref->len > 22
               && ngx_strncmp(p, "index.docker.io/", 16) == 0)
    {
        p += 16;
    }

    if (last - p > 8 && ngx_strncmp(p, "library/", 8) == 0) {
        p += 8;
    }

    if (ngx_strlchr(p, last, '@')) {
        /* digests need a registry: not here yet */
        return NGX_ERROR;
    }

    for (len = 0; p + len < last; len++) {
        u_char  ch = p[len];

        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
              || ch == '.' || ch == '_' || ch == '-' || ch == '/'
              || ch == ':' || (ch >= 'A' && ch <= 'Z')))
        {
            return NGX_ERROR;
        }
    }

    slash = NULL;
    colon = NULL;

    for (len = 0; p + len < last; len++) {
        if (p[len] == '/') {
            slash = p + len;
            colon = NULL;
        }

        if (p[len] == ':') {
            colon = p + len;
        }
    }

    (void) slash;

    out->data = ngx_pnalloc(pool, (last - p) + sizeof(":latest"));
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    if (colon) {
        out->len = ngx_sprintf(out->data, "%*s%Z", last - p, p)
                   - out->data - 1;

    } else {
        out->len = ngx_sprintf(out->data, "%*s:latest%Z", last - p, p)
                   - out->data - 1;
    }

    return NGX_OK;
}


typedef struct {
    cJSON       *found;
    ngx_uint_t   count;
} ngx_http_sockerless_iprefix_t;


static ngx_int_t
ngx_http_sockerless_image_prefix(void *data, const char *key, cJSON *value)
{
    ngx_http_sockerless_iprefix_t *ip = data;

    ip->found = value;
    ip->count++;

    return (ip->count > 1) ? NGX_DONE : NGX_OK;
}


/*
 * An image event as dockerd's LogImageEvent makes it: the image's labels
 * (while it exists) and "name" among the attributes; rec is the image's
 * record when the caller has it, else it is looked up by id
 */

void
ngx_http_sockerless_image_event(ngx_pool_t *pool, const char *action,
    const char *id, const char *name, cJSON *rec)
{
    cJSON      *attrs, *l;
    ngx_str_t   ref;

    if (rec == NULL && ngx_strcmp(action, "delete") != 0) {
        ref.data = (u_char *) id;
        ref.len = ngx_strlen(id);
        rec = ngx_http_sockerless_image_find(pool, &ref);
    }

    attrs = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (attrs == NULL) {
        return;
    }

    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(
                              cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                              "Labels"))
    {
        if (cJSON_IsString(l)) {
            cJSON_AddStringToObject(attrs, l->string, l->valuestring);
        }
    }

    if (name && *name) {
        cJSON_DeleteItemFromObjectCaseSensitive(attrs, "name");
        cJSON_AddStringToObject(attrs, "name", name);
    }

    (void) ngx_http_sockerless_event("image", action, id, attrs);
}


cJSON *
ngx_http_sockerless_image_find(ngx_pool_t *pool, ngx_str_t *ref)
{
    char                           *key;
    cJSON                          *t;
    ngx_str_t                       s, norm;
    const char                     *id;
    ngx_http_sockerless_iprefix_t   ip;

    if (ref->len == 0 || ref->len > 255) {
        return NULL;
    }

    key = ngx_pnalloc(pool, ref->len + 16);
    if (key == NULL) {
        return NULL;
    }

    s = *ref;

    if (s.len > 7 && ngx_strncmp(s.data, "sha256:", 7) == 0) {
        s.data += 7;
        s.len -= 7;
    }

    if (s.len && strspn((char *) s.data, "0123456789abcdef") >= s.len) {
        ngx_sprintf((u_char *) key, "i/%V%Z", &s);

        ip.found = NULL;
        ip.count = 0;

        (void) ngx_http_sockerless_store_scan(pool, key,
                                      ngx_http_sockerless_image_prefix, &ip);
        if (ip.count == 1) {
            return ip.found;
        }
    }

    if (ngx_http_sockerless_image_normalize(pool, ref, &norm) != NGX_OK) {
        return NULL;
    }

    key = ngx_pnalloc(pool, ngx_max(norm.len, 80) + 4);
    if (key == NULL) {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "t/%V%Z", &norm);

    t = ngx_http_sockerless_store_get(pool, key);
    id = ngx_http_sockerless_json_str(t, "Id");

    if (id == NULL || ngx_strncmp(id, "sha256:", 7) != 0
        || ngx_strlen(id) > 80)
    {
        return NULL;
    }

    ngx_sprintf((u_char *) key, "i/%s%Z", id + 7);

    return ngx_http_sockerless_store_get(pool, key);
}


/* "docker load": the thread part uses only libc, libarchive and cJSON */

static int
ngx_http_sockerless_rm_entry(const char *path, const struct stat *sb,
    int flag, struct FTW *ftw)
{
    (void) remove(path);

    return 0;
}


/* rm -rf, not across mount points */

void
ngx_http_sockerless_rm_rf(const char *path)
{
    (void) nftw(path, ngx_http_sockerless_rm_entry, 16,
                FTW_DEPTH|FTW_PHYS|FTW_MOUNT);
}


static int
ngx_http_sockerless_rm_children(const char *path, const struct stat *sb,
    int flag, struct FTW *ftw)
{
    if (ftw->level > 0) {
        (void) remove(path);
    }

    return 0;
}


static int
ngx_http_sockerless_sha256_file(const char *path, char hex[65])
{
    int            fd;
    ssize_t        n;
    EVP_MD_CTX    *md;
    unsigned int   len;
    unsigned char  buf[65536], dgst[EVP_MAX_MD_SIZE];
    static const char  digits[] = "0123456789abcdef";
    unsigned int   i;

    fd = open(path, O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        close(fd);
        return -1;
    }

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        EVP_DigestUpdate(md, buf, n);
    }

    close(fd);

    EVP_DigestFinal_ex(md, dgst, &len);
    EVP_MD_CTX_free(md);

    if (n < 0) {
        return -1;
    }

    for (i = 0; i < len && i < 32; i++) {
        hex[2 * i] = digits[dgst[i] >> 4];
        hex[2 * i + 1] = digits[dgst[i] & 0xf];
    }

    hex[64] = '\0';

    return 0;
}


static char *
ngx_http_sockerless_read_small(const char *path, size_t max)
{
    int       fd;
    char     *buf;
    ssize_t   n;
    size_t    len;

    fd = open(path, O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        return NULL;
    }

    buf = malloc(max + 1);
    if (buf == NULL) {
        close(fd);
        return NULL;
    }

    len = 0;

    while (len < max && (n = read(fd, buf + len, max - len)) > 0) {
        len += n;
    }

    close(fd);

    buf[len] = '\0';

    return buf;
}


/*
 * A tar bomb: the sizes the entries so far say they hold (total) over
 * sockerless_unpack_max_size, checked before an entry is written; the
 * limit is read from the cycle's configuration, which a thread may
 */

static ngx_int_t
ngx_http_sockerless_unpack_over(struct archive_entry *e, off_t *total,
    char *err, size_t errlen)
{
    off_t  max;

    max = ngx_http_sockerless_conf()->unpack_max;

    if (archive_entry_size_is_set(e)) {
        *total += archive_entry_size(e);
    }

    if (max > 0 && *total > max) {
        snprintf(err, errlen, "the archive unpacks to more than %lld bytes "
                 "(sockerless_unpack_max_size)", (long long) max);
        return 1;
    }

    return 0;
}


/*
 * Extracts an archive into dir (an absolute path without symlinks).
 * With "layer", OCI whiteouts remove what lower layers put there.
 * Entries with ".." or that would be written through a symlink are
 * refused by libarchive's secure flags.
 */

int
ngx_http_sockerless_extract(const char *file, const char *dir,
    int layer, off_t *size, char *err, size_t errlen)
{
    return ngx_http_sockerless_extract_from(file, NULL, NULL, dir, layer,
                                            size, err, errlen);
}


/* libarchive's read callback over a reader of ours */

static la_ssize_t
ngx_http_sockerless_extract_read(struct archive *a, void *data,
    const void **buf)
{
    ngx_http_sockerless_reader_t *rd = data;

    ssize_t  n;

    n = rd->read(rd->data, buf);

    if (n < 0) {
        archive_set_error(a, EIO, "cannot read the layer");
        return -1;
    }

    return n;
}


int
ngx_http_sockerless_extract_from(const char *file,
    ssize_t (*read)(void *data, const void **buf), void *data,
    const char *dir, int layer, off_t *size, char *err, size_t errlen)
{
    int                            rc, flags;
    char                          *path, *base, *slash, *name;
    off_t                          total;
    size_t                         dlen;
    size_t                         bsize;
    la_int64_t                     off;
    const char                    *src, *hl;
    const void                    *buf;
    struct archive                *a, *w;
    struct archive_entry          *e;
    ngx_http_sockerless_reader_t   rd;

    a = archive_read_new();
    w = archive_write_disk_new();

    if (a == NULL || w == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_none(a);

    flags = ARCHIVE_EXTRACT_TIME|ARCHIVE_EXTRACT_PERM
            |ARCHIVE_EXTRACT_SECURE_NODOTDOT|ARCHIVE_EXTRACT_SECURE_SYMLINKS
            |ARCHIVE_EXTRACT_UNLINK;

    if (geteuid() == 0) {
        flags |= ARCHIVE_EXTRACT_OWNER;
    }

    archive_write_disk_set_options(w, flags);

    rc = -1;
    total = 0;
    dlen = strlen(dir);
    path = malloc(dlen + PATH_MAX + 2);

    if (path == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    if (file) {
        if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK) {
            snprintf(err, errlen, "%s", archive_error_string(a));
            goto done;
        }

    } else {
        rd.read = read;
        rd.data = data;

        if (archive_read_open(a, &rd, NULL, ngx_http_sockerless_extract_read,
                              NULL)
            != ARCHIVE_OK)
        {
            snprintf(err, errlen, "%s", archive_error_string(a));
            goto done;
        }
    }

    for ( ;; ) {
        int  r;

        r = archive_read_next_header(a, &e);

        if (r == ARCHIVE_EOF) {
            break;
        }

        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            snprintf(err, errlen, "invalid tar archive: %s",
                     archive_error_string(a));
            goto done;
        }

        if (ngx_http_sockerless_unpack_over(e, &total, err, errlen)) {
            goto done;
        }

        src = archive_entry_pathname(e);
        if (src == NULL) {
            continue;
        }

        while (src[0] == '/' || (src[0] == '.' && src[1] == '/')) {
            src += (src[0] == '/') ? 1 : 2;
        }

        if (src[0] == '\0' || strcmp(src, ".") == 0) {
            continue;
        }

        if (strlen(src) >= PATH_MAX) {
            snprintf(err, errlen, "archive entry name too long");
            goto done;
        }

        if (strcmp(src, "..") == 0 || strncmp(src, "../", 3) == 0
            || strstr(src, "/../") || (strlen(src) > 3
                && strcmp(src + strlen(src) - 3, "/..") == 0))
        {
            snprintf(err, errlen, "archive entry \"%.200s\" escapes the "
                     "destination", archive_entry_pathname(e));
            goto done;
        }

        sprintf(path, "%s/%s", dir, src);

        if (layer) {
            base = strrchr(path, '/') + 1;

            if (strncmp(base, ".wh.", 4) == 0) {
                if (strcmp(base, ".wh..wh..opq") == 0) {
                    base[-1] = '\0';
                    (void) nftw(path, ngx_http_sockerless_rm_children, 16,
                                FTW_DEPTH|FTW_PHYS|FTW_MOUNT);

                } else {
                    name = strdup(base + 4);
                    if (name && strchr(name, '/') == NULL
                        && strcmp(name, "..") && strcmp(name, "."))
                    {
                        strcpy(base, name);
                        ngx_http_sockerless_rm_rf(path);
                    }

                    free(name);
                }

                continue;
            }
        }

        /* src goes with the entry's old name: path + dlen + 1 is it */
        archive_entry_set_pathname(e, path);

        hl = archive_entry_hardlink(e);
        if (hl) {
            char  *target;

            while (hl[0] == '/' || (hl[0] == '.' && hl[1] == '/')) {
                hl += (hl[0] == '/') ? 1 : 2;
            }

            if (strstr(hl, "..")) {
                snprintf(err, errlen, "archive hard link \"%.200s\" escapes "
                         "the destination", hl);
                goto done;
            }

            target = malloc(dlen + strlen(hl) + 2);
            if (target == NULL) {
                goto done;
            }

            sprintf(target, "%s/%s", dir, hl);
            archive_entry_set_hardlink(e, target);
            free(target);
        }

        slash = NULL;
        (void) slash;

        r = archive_write_header(w, e);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            snprintf(err, errlen, "archive entry \"%.200s\": %s",
                     path + dlen + 1, archive_error_string(w));
            goto done;
        }

        if (archive_entry_size(e) > 0) {
            for ( ;; ) {
                r = archive_read_data_block(a, &buf, &bsize, &off);

                if (r == ARCHIVE_EOF) {
                    break;
                }

                if (r != ARCHIVE_OK) {
                    snprintf(err, errlen, "invalid tar archive: %s",
                             archive_error_string(a));
                    goto done;
                }

                if (archive_write_data_block(w, buf, bsize, off)
                    != ARCHIVE_OK)
                {
                    snprintf(err, errlen, "writing \"%.200s\": %s",
                             path + dlen + 1, archive_error_string(w));
                    goto done;
                }

                if (size) {
                    *size += bsize;
                }
            }
        }

        if (archive_write_finish_entry(w) != ARCHIVE_OK) {
            snprintf(err, errlen, "writing \"%.200s\": %s",
                     path + dlen + 1, archive_error_string(w));
            goto done;
        }
    }

    rc = 0;

done:

    free(path);
    archive_read_free(a);
    archive_write_free(w);

    return rc;
}


static void
ngx_http_sockerless_load_thread(void *data, ngx_log_t *log)
{
    ngx_http_sockerless_load_t *ld = data;

    char       *tmp, *manifest, *cfgtext, *rootfs, *final, *p;
    cJSON      *m, *img, *layers, *layer, *tags, *t, *sizes;
    size_t      tlen;
    off_t       size;
    char        hex[65], real[PATH_MAX];
    struct stat st;

    tmp = NULL;
    manifest = NULL;
    m = NULL;

    if (realpath(ld->data_dir, real) == NULL) {
        snprintf(ld->error, sizeof(ld->error), "the data directory is "
                 "missing");
        return;
    }

    tlen = strlen(real) + 256;
    tmp = malloc(tlen);
    rootfs = malloc(tlen + 256);
    final = malloc(tlen + 256);

    if (tmp == NULL || rootfs == NULL || final == NULL) {
        goto done;
    }

    snprintf(tmp, tlen, "%s/tmp", real);
    (void) mkdir(tmp, 0700);
    snprintf(tmp, tlen, "%s/images", real);
    (void) mkdir(tmp, 0700);
    snprintf(tmp, tlen, "%s/tmp/load-XXXXXX", real);

    if (mkdtemp(tmp) == NULL) {
        snprintf(ld->error, sizeof(ld->error), "cannot make a temporary "
                 "directory: %s", strerror(errno));
        goto done;
    }

    if (ngx_http_sockerless_extract(ld->file, tmp, 0, NULL, ld->error,
                                    sizeof(ld->error))
        != 0)
    {
        goto done;
    }

    snprintf(rootfs, tlen + 256, "%s/manifest.json", tmp);

    manifest = ngx_http_sockerless_read_small(rootfs, 4 * 1024 * 1024);
    m = manifest ? cJSON_Parse(manifest) : NULL;

    if (!cJSON_IsArray(m)) {
        snprintf(ld->error, sizeof(ld->error), "invalid archive: no valid "
                 "manifest.json (is this a \"docker save\" tarball?)");
        goto done;
    }

    cJSON_ArrayForEach(img, m) {
        const char  *cfg;

        if (ld->n == NGX_HTTP_SOCKERLESS_MAX_LOAD) {
            break;
        }

        cfg = cJSON_GetStringValue(cJSON_GetObjectItem(img, "Config"));
        layers = cJSON_GetObjectItem(img, "Layers");

        if (cfg == NULL || strstr(cfg, "..") || !cJSON_IsArray(layers)) {
            snprintf(ld->error, sizeof(ld->error), "invalid manifest.json");
            goto done;
        }

        snprintf(rootfs, tlen + 256, "%s/%s", tmp, cfg);

        if (ngx_http_sockerless_sha256_file(rootfs, hex) != 0) {
            snprintf(ld->error, sizeof(ld->error), "invalid archive: "
                     "missing image config \"%.200s\"", cfg);
            goto done;
        }

        cfgtext = ngx_http_sockerless_read_small(rootfs, 8 * 1024 * 1024);
        if (cfgtext == NULL) {
            goto done;
        }

        /* the config's name holds its digest when it is one */
        p = strrchr(cfg, '/');
        p = p ? p + 1 : (char *) cfg;

        if (strlen(p) >= 64 && strspn(p, "0123456789abcdef") >= 64
            && strncmp(p, hex, 64) != 0)
        {
            snprintf(ld->error, sizeof(ld->error), "invalid archive: the "
                     "digest of image config \"%.200s\" does not match", cfg);
            free(cfgtext);
            goto done;
        }

        snprintf(final, tlen + 256, "%s/images/%s", real, hex);
        size = 0;
        sizes = NULL;

        if (stat(final, &st) != 0) {
            snprintf(rootfs, tlen + 256, "%s/images/%s.tmp", real, hex);
            ngx_http_sockerless_rm_rf(rootfs);
            (void) mkdir(rootfs, 0700);
            strcat(rootfs, "/rootfs");
            (void) mkdir(rootfs, 0755);

            sizes = cJSON_CreateArray();
            if (sizes == NULL) {
                free(cfgtext);
                goto done;
            }

            cJSON_ArrayForEach(layer, layers) {
                char   *lpath;
                off_t   before;

                if (!cJSON_IsString(layer)
                    || strstr(layer->valuestring, ".."))
                {
                    snprintf(ld->error, sizeof(ld->error),
                             "invalid manifest.json");
                    free(cfgtext);
                    goto done;
                }

                lpath = malloc(tlen + strlen(layer->valuestring) + 2);
                if (lpath == NULL) {
                    free(cfgtext);
                    goto done;
                }

                sprintf(lpath, "%s/%s", tmp, layer->valuestring);
                before = size;

                if (ngx_http_sockerless_extract(lpath, rootfs, 1, &size,
                                                ld->error,
                                                sizeof(ld->error))
                    != 0)
                {
                    cJSON_Delete(sizes);
                    free(lpath);
                    free(cfgtext);
                    goto done;
                }

                free(lpath);
                cJSON_AddItemToArray(sizes,
                                cJSON_CreateNumber((double) (size - before)));
            }

            rootfs[strlen(rootfs) - sizeof("/rootfs") + 1] = '\0';

            if (rename(rootfs, final) != 0) {
                snprintf(ld->error, sizeof(ld->error), "cannot store the "
                         "image: %s", strerror(errno));
                free(cfgtext);
                goto done;
            }
        }

        tags = cJSON_CreateArray();
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(img, "RepoTags")) {
            if (cJSON_IsString(t)) {
                cJSON_AddItemToArray(tags, cJSON_CreateString(t->valuestring));
            }
        }

        ld->images[ld->n].id = strdup(hex);
        ld->images[ld->n].config = cfgtext;
        ld->images[ld->n].tags = tags;
        ld->images[ld->n].sizes = sizes;
        ld->images[ld->n].size = size;
        ld->n++;
    }

done:

    if (tmp) {
        ngx_http_sockerless_rm_rf(tmp);
    }

    cJSON_Delete(m);
    free(manifest);
    free(tmp);
    free(rootfs);
    free(final);

    if (ld->n == 0 && ld->error[0] == '\0') {
        snprintf(ld->error, sizeof(ld->error), "no image in the archive");
    }
}


static ngx_int_t
ngx_http_sockerless_image_load(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_str_t                         name;
    ngx_thread_task_t                *task;
    ngx_thread_pool_t                *tp;
    ngx_http_sockerless_load_t       *ld;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_sockerless_module);

    if (r->request_body == NULL || r->request_body->temp_file == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                        "invalid archive: the request body is empty");
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_sockerless_load_t));
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ld = task->ctx;
    ld->request = r;
    ld->file = ngx_http_sockerless_cstr(r->pool,
                                 &r->request_body->temp_file->file.name);
    ld->data_dir = ngx_http_sockerless_cstr(r->pool, &smcf->data_dir);

    if (ld->file == NULL || ld->data_dir == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    task->handler = ngx_http_sockerless_load_thread;
    task->event.handler = ngx_http_sockerless_load_done;
    task->event.data = ld;

    ngx_str_set(&name, "default");
    tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);

    if (tp == NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "sockerless: no thread pool, unpacking the image in "
                      "the worker");
        ngx_http_sockerless_load_thread(ld, r->connection->log);
        ngx_http_sockerless_load_done(&task->event);
        return NGX_DONE;
    }

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_sockerless_untag_ref(void *data, cJSON **value)
{
    const char  *tag = data;
    cJSON       *tags, *t;
    int          i;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    tags = cJSON_GetObjectItemCaseSensitive(*value, "RepoTags");
    i = 0;

    cJSON_ArrayForEach(t, tags) {
        if (cJSON_IsString(t) && ngx_strcmp(t->valuestring, tag) == 0) {
            cJSON_DeleteItemFromArray(tags, i);
            return NGX_OK;
        }

        i++;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_sockerless_add_ref(void *data, cJSON **value)
{
    const char  *tag = data;
    cJSON       *tags, *t;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    tags = cJSON_GetObjectItemCaseSensitive(*value, "RepoTags");

    if (!cJSON_IsArray(tags)) {
        cJSON_DeleteItemFromObjectCaseSensitive(*value, "RepoTags");
        tags = cJSON_AddArrayToObject(*value, "RepoTags");
    }

    cJSON_ArrayForEach(t, tags) {
        if (cJSON_IsString(t) && ngx_strcmp(t->valuestring, tag) == 0) {
            return NGX_DECLINED;
        }
    }

    cJSON_AddItemToArray(tags, cJSON_CreateString(tag));

    return NGX_OK;
}


/* points tag at image "sha256:<hex>", moving it away from another image */

ngx_int_t
ngx_http_sockerless_tag_set(ngx_pool_t *pool, const char *tag,
    const char *id)
{
    char        *key, *okey;
    cJSON       *old, *t;
    const char  *oid;

    key = ngx_pnalloc(pool, ngx_strlen(tag) + 4);
    okey = ngx_pnalloc(pool, 80);
    if (key == NULL || okey == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) key, "t/%s%Z", tag);

    old = ngx_http_sockerless_store_get(pool, key);
    oid = ngx_http_sockerless_json_str(old, "Id");

    if (oid && ngx_strcmp(oid, id) != 0 && ngx_strlen(oid) < 72) {
        ngx_sprintf((u_char *) okey, "i/%s%Z", oid + 7);
        (void) ngx_http_sockerless_store_update(pool, okey,
                                          ngx_http_sockerless_untag_ref,
                                          (void *) tag);
    }

    t = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    if (t == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(t, "Id", id);

    if (ngx_http_sockerless_store_put(key, t) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) okey, "i/%s%Z", id + 7);

    (void) ngx_http_sockerless_store_update(pool, okey,
                                            ngx_http_sockerless_add_ref,
                                            (void *) tag);

    return NGX_OK;
}


/*
 * The record "i/<hex>" of an image: the inspect document made from its
 * config, and in "_sls" the rootfs, the config itself and the bytes each
 * layer added (history sizes)
 */

cJSON *
ngx_http_sockerless_image_record(ngx_pool_t *pool, const char *hex,
    cJSON *cfg, off_t size, cJSON *sizes)
{
    char                             *line;
    cJSON                            *rec, *item, *t, *sls;
    const char                       *s;
    ngx_http_sockerless_main_conf_t  *smcf;
    char                              key[80], now[64];

    smcf = ngx_http_sockerless_conf();

    rec = ngx_http_sockerless_json_bind(pool, cJSON_CreateObject());
    line = ngx_pnalloc(pool, smcf->data_dir.len + 100);
    if (rec == NULL || line == NULL) {
        return NULL;
    }

    ngx_http_sockerless_now(now, sizeof(now));
    ngx_sprintf((u_char *) key, "sha256:%s%Z", hex);

    cJSON_AddStringToObject(rec, "Id", key);
    cJSON_AddArrayToObject(rec, "RepoTags");
    cJSON_AddArrayToObject(rec, "RepoDigests");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "parent"));
    cJSON_AddStringToObject(rec, "Parent", s ? s : "");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "comment"));
    cJSON_AddStringToObject(rec, "Comment", s ? s : "");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "created"));
    cJSON_AddStringToObject(rec, "Created", s ? s : "0001-01-01T00:00:00Z");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "docker_version"));
    cJSON_AddStringToObject(rec, "DockerVersion", s ? s : "");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "author"));
    cJSON_AddStringToObject(rec, "Author", s ? s : "");

    item = cJSON_GetObjectItem(cfg, "config");
    cJSON_AddItemToObject(rec, "Config", item ? cJSON_Duplicate(item, 1)
                                              : cJSON_CreateObject());
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "architecture"));
    cJSON_AddStringToObject(rec, "Architecture", s ? s : "amd64");
    s = cJSON_GetStringValue(cJSON_GetObjectItem(cfg, "os"));
    cJSON_AddStringToObject(rec, "Os", s ? s : "linux");
    cJSON_AddNumberToObject(rec, "Size", (double) size);

    item = cJSON_AddObjectToObject(rec, "GraphDriver");
    cJSON_AddStringToObject(item, "Name", "overlay2");
    cJSON_AddNullToObject(item, "Data");

    item = cJSON_AddObjectToObject(rec, "RootFS");
    cJSON_AddStringToObject(item, "Type", "layers");
    t = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "rootfs"), "diff_ids");
    cJSON_AddItemToObject(item, "Layers", t ? cJSON_Duplicate(t, 1)
                                            : cJSON_CreateArray());

    item = cJSON_AddObjectToObject(rec, "Metadata");
    cJSON_AddStringToObject(item, "LastTagTime", now);

    sls = cJSON_AddObjectToObject(rec, "_sls");
    ngx_sprintf((u_char *) line, "%V/images/%s/rootfs%Z", &smcf->data_dir,
                hex);
    cJSON_AddStringToObject(sls, "rootfs", line);
    cJSON_AddItemToObject(sls, "config", cJSON_Duplicate(cfg, 1));
    cJSON_AddItemToObject(sls, "layer_sizes",
                          sizes ? cJSON_Duplicate(sizes, 1)
                                : cJSON_CreateArray());

    return rec;
}


static void
ngx_http_sockerless_load_done(ngx_event_t *ev)
{
    ngx_http_sockerless_load_t *ld = ev->data;

    char                 key[80], *line;
    off_t                size;
    cJSON               *rec, *cfg, *t, *msg, *sizes, *old;
    u_char              *p;
    double               d;
    size_t               len;
    ngx_uint_t           i;
    ngx_buf_t           *b;
    ngx_chain_t         *out, **ll, *cl;
    ngx_str_t            ref, norm;
    ngx_http_request_t  *r;

    r = ld->request;

    if (ld->n == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "sockerless: docker load failed: %s", ld->error);
        ngx_http_finalize_request(r,
                         ngx_http_sockerless_send_error(r,
                                                        NGX_HTTP_BAD_REQUEST,
                                                        "%s", ld->error));
        return;
    }

    out = NULL;
    ll = &out;

    for (i = 0; i < ld->n; i++) {
        cfg = ngx_http_sockerless_json_bind(r->pool,
                                      cJSON_Parse(ld->images[i].config));
        free(ld->images[i].config);
        ngx_http_sockerless_json_bind(r->pool, ld->images[i].tags);

        ngx_sprintf((u_char *) key, "sha256:%s%Z", ld->images[i].id);

        line = ngx_pnalloc(r->pool, 80);
        if (cfg == NULL || line == NULL) {
            free(ld->images[i].id);
            cJSON_Delete(ld->images[i].sizes);
            continue;
        }

        ngx_sprintf((u_char *) line, "i/%s%Z", ld->images[i].id);

        sizes = ngx_http_sockerless_json_bind(r->pool, ld->images[i].sizes);
        size = ld->images[i].size;

        if (sizes == NULL) {
            /* unpacked before: the sizes are those recorded then */
            old = ngx_http_sockerless_store_get(r->pool, line);
            d = cJSON_GetNumberValue(
                    cJSON_GetObjectItemCaseSensitive(old, "Size"));
            size = (d == d) ? (off_t) d : 0;
            sizes = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(old, "_sls"),
                        "layer_sizes");
        }

        rec = ngx_http_sockerless_image_record(r->pool, ld->images[i].id,
                                               cfg, size, sizes);
        if (rec == NULL) {
            free(ld->images[i].id);
            continue;
        }

        ngx_sprintf((u_char *) line, "i/%s%Z", ld->images[i].id);

        {
            /* a reload keeps the tags the image has */
            old = ngx_http_sockerless_store_get(r->pool, line);
            t = cJSON_GetObjectItemCaseSensitive(old, "RepoTags");
            if (cJSON_IsArray(t)) {
                cJSON_ReplaceItemInObjectCaseSensitive(rec, "RepoTags",
                                                   cJSON_Duplicate(t, 1));
            }
        }

        if (ngx_http_sockerless_store_put(line, rec) != NGX_OK) {
            break;
        }

        ngx_http_sockerless_image_event(r->pool, "load", key, key, rec);

        msg = NULL;

        cJSON_ArrayForEach(t, ld->images[i].tags) {
            ref.data = (u_char *) t->valuestring;
            ref.len = ngx_strlen(t->valuestring);

            if (ngx_http_sockerless_image_normalize(r->pool, &ref, &norm)
                != NGX_OK)
            {
                continue;
            }

            line = ngx_http_sockerless_cstr(r->pool, &norm);
            if (line == NULL
                || ngx_http_sockerless_tag_set(r->pool, line, key) != NGX_OK)
            {
                continue;
            }

            ngx_http_sockerless_image_event(r->pool, "tag", key, line, rec);

            msg = ngx_http_sockerless_json_bind(r->pool,
                                                cJSON_CreateObject());
            if (msg == NULL) {
                continue;
            }

            p = ngx_pnalloc(r->pool, norm.len + 32);
            if (p == NULL) {
                continue;
            }

            ngx_sprintf(p, "Loaded image: %V\n%Z", &norm);
            cJSON_AddStringToObject(msg, "stream", (char *) p);

            p = ngx_http_sockerless_json_print(r->pool, msg, &len);
            b = p ? ngx_create_temp_buf(r->pool, len + 1) : NULL;
            cl = b ? ngx_alloc_chain_link(r->pool) : NULL;
            if (cl == NULL) {
                continue;
            }

            b->last = ngx_cpymem(b->last, p, len);
            *b->last++ = '\n';
            cl->buf = b;
            cl->next = NULL;
            *ll = cl;
            ll = &cl->next;
        }

        if (msg == NULL) {
            msg = ngx_http_sockerless_json_bind(r->pool,
                                                cJSON_CreateObject());
            p = ngx_pnalloc(r->pool, 100);
            if (msg && p) {
                ngx_sprintf(p, "Loaded image ID: %s\n%Z", key);
                cJSON_AddStringToObject(msg, "stream", (char *) p);
                p = ngx_http_sockerless_json_print(r->pool, msg, &len);
                b = p ? ngx_create_temp_buf(r->pool, len + 1) : NULL;
                cl = b ? ngx_alloc_chain_link(r->pool) : NULL;
                if (cl) {
                    b->last = ngx_cpymem(b->last, p, len);
                    *b->last++ = '\n';
                    cl->buf = b;
                    cl->next = NULL;
                    *ll = cl;
                    ll = &cl->next;
                }
            }
        }

        free(ld->images[i].id);
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = -1;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    if (ngx_http_send_header(r) == NGX_ERROR || r->header_only) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b = ngx_calloc_buf(r->pool);
    cl = b ? ngx_alloc_chain_link(r->pool) : NULL;
    if (cl == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return;
    }

    b->last_buf = 1;
    cl->buf = b;
    cl->next = NULL;
    *ll = cl;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, out));
}


/* list, inspect */

typedef struct {
    ngx_http_request_t  *request;
    cJSON               *list;
    sls_filters_t       *filters;
    time_t               before;     /* created before, 0: no filter */
    time_t               since;      /* created after */
    time_t               until;      /* created before, from a timestamp */
    ngx_int_t            dangling;   /* -1: no filter */
} ngx_http_sockerless_ilist_t;


static time_t
ngx_http_sockerless_image_created(cJSON *rec)
{
    return ngx_http_sockerless_parse_time(
                               ngx_http_sockerless_json_str(rec, "Created"));
}


/*
 * the "reference" filter: a pattern (shell glob, as dockerd's path.Match)
 * on repository:tag or on the repository alone
 */

static ngx_uint_t
ngx_http_sockerless_reference_match(sls_filters_t *filters, const char *tag)
{
    char        repo[256], *colon;
    size_t      i;
    const char  *s;

    colon = strrchr(tag, ':');

    if (colon && (strchr(colon, '/') || (size_t) (colon - tag) >= 256)) {
        colon = NULL;
    }

    if (colon) {
        ngx_cpystrn((u_char *) repo, (u_char *) tag, colon - tag + 1);
    }

    for (i = 0; (s = sls_filters_value(filters, "reference", i)); i++) {
        if (fnmatch(s, tag, FNM_PATHNAME) == 0
            || (colon && fnmatch(s, repo, FNM_PATHNAME) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_sockerless_ilist_scan(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_ilist_t *il = data;

    cJSON       *item, *tags, *labels, *t, *shown;
    time_t       created;

    tags = cJSON_GetObjectItemCaseSensitive(rec, "RepoTags");
    labels = cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(rec, "Config"), "Labels");

    created = ngx_http_sockerless_image_created(rec);

    if (!sls_filters_match_label(il->filters, "label", labels)
        || (il->dangling != -1
            && il->dangling != (cJSON_GetArraySize(tags) == 0))
        || (il->before && created >= il->before)
        || (il->since && created <= il->since)
        || (il->until && created >= il->until))
    {
        return NGX_OK;
    }

    /* with "reference", RepoTags has only the tags that match, as dockerd */

    shown = NULL;

    if (sls_filters_count(il->filters, "reference")) {
        shown = ngx_http_sockerless_json_bind(il->request->pool,
                                              cJSON_CreateArray());
        if (shown == NULL) {
            return NGX_ERROR;
        }

        cJSON_ArrayForEach(t, tags) {
            if (cJSON_IsString(t)
                && ngx_http_sockerless_reference_match(il->filters,
                                                       t->valuestring))
            {
                cJSON_AddItemToArray(shown,
                                     cJSON_CreateString(t->valuestring));
            }
        }

        if (cJSON_GetArraySize(shown) == 0) {
            return NGX_OK;
        }

        tags = shown;
    }

    item = cJSON_CreateObject();
    if (item == NULL) {
        return NGX_ERROR;
    }

    cJSON_AddStringToObject(item, "Id",
                            ngx_http_sockerless_json_str(rec, "Id"));
    cJSON_AddStringToObject(item, "ParentId", "");
    cJSON_AddItemToObject(item, "RepoTags", tags ? cJSON_Duplicate(tags, 1)
                                                 : cJSON_CreateArray());
    cJSON_AddItemToObject(item, "RepoDigests", cJSON_CreateArray());

    cJSON_AddNumberToObject(item, "Created", (double) created);

    cJSON_AddNumberToObject(item, "Size", cJSON_GetNumberValue(
                            cJSON_GetObjectItemCaseSensitive(rec, "Size")));
    cJSON_AddNumberToObject(item, "SharedSize", -1);
    cJSON_AddItemToObject(item, "Labels", labels ? cJSON_Duplicate(labels, 1)
                                                 : cJSON_CreateObject());
    cJSON_AddNumberToObject(item, "Containers", -1);

    cJSON_AddItemToArray(il->list, item);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_image_list(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON                        *img;
    ngx_str_t                     s, ref;
    ngx_uint_t                    i;
    int                           dangling;
    const char                   *key, *v;
    char                          err[256];
    ngx_http_sockerless_ilist_t   il;

    static const char  *allowed[] = {
        "reference", "dangling", "label", "before", "since", "until", NULL
    };

    ngx_memzero(&il, sizeof(ngx_http_sockerless_ilist_t));
    il.request = r;
    il.dangling = -1;

    if (ngx_http_sockerless_arg(r, "filters", &s) == NGX_OK && s.len) {
        il.filters = ngx_http_sockerless_filters(r, &s, allowed, err,
                                                 sizeof(err));
        if (il.filters == NULL) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        if (sls_filters_has(il.filters, "dangling")) {
            if (sls_filters_bool(il.filters, "dangling", 0, &dangling, err,
                                 sizeof(err))
                != 0)
            {
                return ngx_http_sockerless_send_error(r,
                                   NGX_HTTP_BAD_REQUEST, "%s", err);
            }

            il.dangling = dangling;
        }

        for (i = 0; i < 2; i++) {
            key = i ? "since" : "before";
            v = sls_filters_value(il.filters, key, 0);

            if (v == NULL) {
                continue;
            }

            ref.data = (u_char *) v;
            ref.len = ngx_strlen(v);

            img = ngx_http_sockerless_image_find(r->pool, &ref);
            if (img == NULL) {
                return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                                   "No such image: %s", v);
            }

            if (i) {
                il.since = ngx_http_sockerless_image_created(img);

            } else {
                il.before = ngx_http_sockerless_image_created(img);
            }
        }

        v = sls_filters_value(il.filters, "until", 0);

        if (v) {
            il.until = ngx_atotm((u_char *) v, ngx_strlen(v));

            if (il.until == NGX_ERROR || il.until == 0) {
                return ngx_http_sockerless_send_error(r,
                                   NGX_HTTP_BAD_REQUEST,
                                   "invalid filter 'until=%s': a Unix "
                                   "timestamp is expected", v);
            }
        }
    }

    il.list = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (il.list == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_sockerless_store_scan(r->pool, "i/",
                                       ngx_http_sockerless_ilist_scan, &il)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, il.list);
}


static ngx_int_t
ngx_http_sockerless_image_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON  *rec;

    rec = ngx_http_sockerless_image_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such image: %V",
                                              &args->id);
    }

    cJSON_DeleteItemFromObjectCaseSensitive(rec, "_sls");

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, rec);
}


static ngx_int_t
ngx_http_sockerless_image_tag(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char        *tag;
    cJSON       *rec;
    ngx_str_t    repo, t, ref, norm;
    const char  *id;

    rec = ngx_http_sockerless_image_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such image: %V",
                                              &args->id);
    }

    if (ngx_http_sockerless_arg(r, "repo", &repo) != NGX_OK
        || repo.len == 0)
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "repository name must have at "
                                              "least one component");
    }

    if (ngx_http_sockerless_arg(r, "tag", &t) != NGX_OK || t.len == 0) {
        ngx_str_set(&t, "latest");
    }

    ref.data = ngx_pnalloc(r->pool, repo.len + t.len + 2);
    if (ref.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ref.len = ngx_sprintf(ref.data, "%V:%V", &repo, &t) - ref.data;

    if (ngx_http_sockerless_image_normalize(r->pool, &ref, &norm) != NGX_OK
        || ngx_strlchr(norm.data, norm.data + norm.len, ' '))
    {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "invalid reference format");
    }

    tag = ngx_http_sockerless_cstr(r->pool, &norm);
    id = ngx_http_sockerless_json_str(rec, "Id");

    if (tag == NULL || id == NULL
        || ngx_http_sockerless_tag_set(r->pool, tag, id) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_sockerless_image_event(r->pool, "tag", id, tag, NULL);

    return ngx_http_sockerless_send_empty(r, NGX_HTTP_CREATED);
}


/* remove */

typedef struct {
    const char  *id;
    const char  *user;
} ngx_http_sockerless_iuse_t;


static ngx_int_t
ngx_http_sockerless_image_used(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_iuse_t *iu = data;

    const char  *img;

    img = ngx_http_sockerless_json_str(rec, "Image");

    if (img && ngx_strcmp(img, iu->id) == 0) {
        iu->user = ngx_http_sockerless_json_str(rec, "Id");
        return NGX_DONE;
    }

    return NGX_OK;
}


static void
ngx_http_sockerless_image_rm_thread(void *data, ngx_log_t *log)
{
    ngx_http_sockerless_rm_rf(data);
}


static void
ngx_http_sockerless_image_rm_done(ngx_event_t *ev)
{
    /* the task lived in its own pool: the request may be long gone */
    ngx_destroy_pool(ev->data);
}


/* rm -rf of path in the thread pool, or at once when it cannot be */

void
ngx_http_sockerless_files_rm(ngx_log_t *log, const char *path)
{
    size_t              len;
    ngx_str_t           name;
    ngx_pool_t         *pool;
    ngx_thread_task_t  *task;
    ngx_thread_pool_t  *tp;

    len = ngx_strlen(path);

    pool = ngx_create_pool(1024, ngx_cycle->log);
    task = pool ? ngx_thread_task_alloc(pool, len + 1) : NULL;

    if (task) {
        ngx_memcpy(task->ctx, path, len + 1);

        task->handler = ngx_http_sockerless_image_rm_thread;
        task->event.handler = ngx_http_sockerless_image_rm_done;
        task->event.data = pool;

        ngx_str_set(&name, "default");
        tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);

        if (tp && ngx_thread_task_post(tp, task) == NGX_OK) {
            return;
        }
    }

    if (pool) {
        ngx_destroy_pool(pool);
    }

    ngx_http_sockerless_rm_rf(path);
}


/* the unpacked tree goes in a thread, under a name no lookup finds */

void
ngx_http_sockerless_image_files_rm(ngx_log_t *log, const char *hex)
{
    char                             *path;
    ngx_str_t                         name;
    ngx_pool_t                       *pool;
    ngx_thread_task_t                *task;
    ngx_thread_pool_t                *tp;
    ngx_http_sockerless_main_conf_t  *smcf;

    smcf = ngx_http_sockerless_conf();

    pool = ngx_create_pool(1024, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    path = ngx_pnalloc(pool, smcf->data_dir.len + 100);
    task = ngx_thread_task_alloc(pool, smcf->data_dir.len + 200);

    if (path && task && ngx_strlen(hex) < 80) {
        ngx_sprintf((u_char *) path, "%V/images/%s%Z", &smcf->data_dir, hex);
        ngx_sprintf(task->ctx, "%V/tmp/rm-%s%Z", &smcf->data_dir, hex);

        if (rename(path, task->ctx) == 0) {
            task->handler = ngx_http_sockerless_image_rm_thread;
            task->event.handler = ngx_http_sockerless_image_rm_done;
            task->event.data = pool;

            ngx_str_set(&name, "default");
            tp = ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);

            if (tp && ngx_thread_task_post(tp, task) == NGX_OK) {
                return;
            }

            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "sockerless: image files left in \"%s\"",
                          (char *) task->ctx);
        }
    }

    ngx_destroy_pool(pool);
}


static ngx_int_t
ngx_http_sockerless_image_delete(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char                        *key, *tag;
    cJSON                       *rec, *tags, *out, *item, *t;
    ngx_str_t                    norm, name;
    ngx_uint_t                   by_tag, force, ntags;
    const char                  *id;
    ngx_http_sockerless_iuse_t   iu;

    rec = ngx_http_sockerless_image_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such image: %V",
                                              &args->id);
    }

    id = ngx_http_sockerless_json_str(rec, "Id");
    tags = cJSON_GetObjectItemCaseSensitive(rec, "RepoTags");
    ntags = cJSON_GetArraySize(tags);
    force = ngx_http_sockerless_arg_bool(r, "force", 0);

    /* by tag when the reference is a name of the image, not its id */

    by_tag = 0;
    tag = NULL;

    if (ngx_http_sockerless_image_normalize(r->pool, &args->id, &norm)
        == NGX_OK)
    {
        tag = ngx_http_sockerless_cstr(r->pool, &norm);

        cJSON_ArrayForEach(t, tags) {
            if (tag && cJSON_IsString(t)
                && ngx_strcmp(t->valuestring, tag) == 0)
            {
                by_tag = 1;
            }
        }
    }

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    key = ngx_pnalloc(r->pool, 300);
    if (out == NULL || key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!by_tag && ntags > 1 && !force) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "conflict: unable to delete %*s (must be forced) - "
                        "image is referenced in multiple repositories",
                        (size_t) 12, id + 7);
    }

    if (!(by_tag && ntags > 1)) {
        iu.id = id;
        iu.user = NULL;

        (void) ngx_http_sockerless_store_scan(r->pool, "c/",
                                      ngx_http_sockerless_image_used, &iu);

        if (iu.user && !force) {
            name = args->id;
            return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                        "conflict: unable to remove repository reference "
                        "\"%V\" (must force) - container %*s is using its "
                        "referenced image %*s", &name, (size_t) 12, iu.user,
                        (size_t) 12, id + 7);
        }
    }

    if (by_tag && ntags > 1) {
        ngx_sprintf((u_char *) key, "t/%s%Z", tag);
        (void) ngx_http_sockerless_store_del(key);

        ngx_sprintf((u_char *) key, "i/%s%Z", id + 7);
        (void) ngx_http_sockerless_store_update(r->pool, key,
                                          ngx_http_sockerless_untag_ref, tag);

        item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "Untagged", tag);
        cJSON_AddItemToArray(out, item);

        ngx_http_sockerless_image_event(r->pool, "untag", id, id, rec);

        return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
    }

    cJSON_ArrayForEach(t, tags) {
        if (!cJSON_IsString(t) || ngx_strlen(t->valuestring) > 256) {
            continue;
        }

        ngx_sprintf((u_char *) key, "t/%s%Z", t->valuestring);
        (void) ngx_http_sockerless_store_del(key);

        item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "Untagged", t->valuestring);
        cJSON_AddItemToArray(out, item);

        ngx_http_sockerless_image_event(r->pool, "untag", id, id, rec);
    }

    ngx_sprintf((u_char *) key, "i/%s%Z", id + 7);
    (void) ngx_http_sockerless_store_del(key);

    item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "Deleted", id);
    cJSON_AddItemToArray(out, item);

    ngx_http_sockerless_image_event(r->pool, "delete", id, id, NULL);

    ngx_http_sockerless_image_files_rm(r->connection->log, id + 7);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/* POST /images/create: a pull (pull.c) or an import (trees.c) */

static ngx_int_t
ngx_http_sockerless_image_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    ngx_str_t  from, tag;

    if (ngx_http_sockerless_arg(r, "fromImage", &from) != NGX_OK) {
        ngx_str_set(&from, "");
    }

    if (ngx_http_sockerless_arg(r, "tag", &tag) != NGX_OK) {
        ngx_str_set(&tag, "");
    }

    if (ngx_http_sockerless_arg(r, "fromSrc", &tag) == NGX_OK) {
        return ngx_http_sockerless_image_import(r, args);
    }

    return ngx_http_sockerless_image_pull(r);
}


/*
 * GET /images/{name}/history: the rows of the config's "history", newest
 * first, as dockerd answers them: the top row carries the image id and
 * tags, the older ones "<missing>" (no parent images are kept); a row that
 * made a layer has the bytes that layer unpacked to, recorded at load.
 */

static ngx_int_t
ngx_http_sockerless_image_history(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    cJSON       *rec, *sls, *cfg, *sizes, *out, *h, *row, *tags, *first;
    double       size;
    ngx_int_t    layer;
    const char  *s;

    rec = ngx_http_sockerless_image_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such image: %V",
                                              &args->id);
    }

    sls = cJSON_GetObjectItemCaseSensitive(rec, "_sls");
    cfg = cJSON_GetObjectItemCaseSensitive(sls, "config");
    sizes = cJSON_GetObjectItemCaseSensitive(sls, "layer_sizes");

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    layer = 0;

    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(cfg, "history")) {
        row = cJSON_CreateObject();
        if (row == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        size = 0;

        if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h,
                                                           "empty_layer")))
        {
            size = cJSON_GetNumberValue(cJSON_GetArrayItem(sizes, layer++));
            size = (size == size) ? size : 0;
        }

        cJSON_AddStringToObject(row, "Id", "<missing>");
        cJSON_AddNumberToObject(row, "Created",
                    (double) ngx_http_sockerless_parse_time(
                                 ngx_http_sockerless_json_str(h, "created")));
        s = ngx_http_sockerless_json_str(h, "created_by");
        cJSON_AddStringToObject(row, "CreatedBy", s ? s : "");
        cJSON_AddNullToObject(row, "Tags");
        cJSON_AddNumberToObject(row, "Size", size);
        s = ngx_http_sockerless_json_str(h, "comment");
        cJSON_AddStringToObject(row, "Comment", s ? s : "");

        cJSON_InsertItemInArray(out, 0, row);
    }

    first = cJSON_GetArrayItem(out, 0);

    if (first) {
        cJSON_ReplaceItemInObjectCaseSensitive(first, "Id",
                cJSON_CreateString(ngx_http_sockerless_json_str(rec, "Id")));

        tags = cJSON_GetObjectItemCaseSensitive(rec, "RepoTags");

        if (cJSON_GetArraySize(tags)) {
            cJSON_ReplaceItemInObjectCaseSensitive(first, "Tags",
                                                   cJSON_Duplicate(tags, 1));
        }
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}


/* POST /images/prune */

typedef struct {
    cJSON                         *images;    /* candidate records */
    cJSON                         *used;      /* image id -> true */
} ngx_http_sockerless_iprune_t;


static ngx_int_t
ngx_http_sockerless_iprune_image(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_iprune_t *ip = data;

    cJSON_AddItemReferenceToArray(ip->images, rec);

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_iprune_user(void *data, const char *key, cJSON *rec)
{
    ngx_http_sockerless_iprune_t *ip = data;

    const char  *img;

    img = ngx_http_sockerless_json_str(rec, "Image");

    if (img && !cJSON_HasObjectItem(ip->used, img)) {
        cJSON_AddTrueToObject(ip->used, img);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_sockerless_image_prune(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    int                            dangling;
    char                          *key;
    cJSON                         *rec, *out, *deleted, *item, *t, *labels;
    cJSON                         *attrs;
    double                         size, reclaimed;
    time_t                         until;
    ngx_str_t                      s;
    const char                    *id, *v;
    sls_filters_t                 *filters;
    ngx_http_sockerless_iprune_t   ip;
    char                           err[256], num[32];

    static const char  *allowed[] = {
        "dangling", "label", "label!", "until", NULL
    };

    filters = NULL;
    dangling = 1;
    until = 0;

    if (ngx_http_sockerless_arg(r, "filters", &s) == NGX_OK && s.len) {
        filters = ngx_http_sockerless_filters(r, &s, allowed, err,
                                              sizeof(err));
        if (filters == NULL
            || sls_filters_bool(filters, "dangling", 1, &dangling, err,
                                sizeof(err))
               != 0)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }

        v = sls_filters_value(filters, "until", 0);

        if (v && ngx_http_sockerless_prune_until(v, &until, err,
                                                 sizeof(err))
                 != NGX_OK)
        {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                                  "%s", err);
        }
    }

    ip.images = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateArray());
    ip.used = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    deleted = cJSON_CreateArray();
    key = ngx_pnalloc(r->pool, 300);

    if (ip.images == NULL || ip.used == NULL || out == NULL
        || deleted == NULL || key == NULL)
    {
        cJSON_Delete(deleted);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddItemToObject(out, "ImagesDeleted", deleted);

    if (ngx_http_sockerless_store_scan(r->pool, "i/",
                                       ngx_http_sockerless_iprune_image, &ip)
        == NGX_ERROR
        || ngx_http_sockerless_store_scan(r->pool, "c/",
                                       ngx_http_sockerless_iprune_user, &ip)
           == NGX_ERROR)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    reclaimed = 0;

    cJSON_ArrayForEach(rec, ip.images) {
        id = ngx_http_sockerless_json_str(rec, "Id");
        t = cJSON_GetObjectItemCaseSensitive(rec, "RepoTags");
        labels = cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(rec, "Config"),
                     "Labels");

        /* dockerd never removes an image a container uses */

        if (id == NULL || ngx_strlen(id) != 71
            || (dangling && cJSON_GetArraySize(t) > 0)
            || cJSON_HasObjectItem(ip.used, id)
            || (until && ngx_http_sockerless_image_created(rec) >= until)
            || !sls_filters_match_label(filters, "label", labels)
            || (sls_filters_has(filters, "label!")
                && sls_filters_match_label(filters, "label!", labels)))
        {
            continue;
        }

        cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rec,
                                                               "RepoTags"))
        {
            if (!cJSON_IsString(t) || ngx_strlen(t->valuestring) > 256) {
                continue;
            }

            ngx_sprintf((u_char *) key, "t/%s%Z", t->valuestring);
            (void) ngx_http_sockerless_store_del(key);

            item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "Untagged", t->valuestring);
            cJSON_AddItemToArray(deleted, item);

            ngx_http_sockerless_image_event(r->pool, "untag", id, id, rec);
        }

        ngx_sprintf((u_char *) key, "i/%s%Z", id + 7);

        if (ngx_http_sockerless_store_del(key) != NGX_OK) {
            continue;
        }

        item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "Deleted", id);
        cJSON_AddItemToArray(deleted, item);

        ngx_http_sockerless_image_event(r->pool, "delete", id, id, NULL);

        size = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(rec,
                                                                    "Size"));
        reclaimed += (size == size) ? size : 0;

        ngx_http_sockerless_image_files_rm(r->connection->log, id + 7);
    }

    if (cJSON_GetArraySize(deleted) == 0) {
        cJSON_ReplaceItemInObjectCaseSensitive(out, "ImagesDeleted",
                                               cJSON_CreateNull());
    }

    ngx_sprintf((u_char *) num, "%.0f%Z", reclaimed);

    cJSON_AddItemToObject(out, "SpaceReclaimed", cJSON_CreateRaw(num));

    attrs = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (attrs) {
        cJSON_AddStringToObject(attrs, "reclaimed", num);
        (void) ngx_http_sockerless_event("image", "prune", "", attrs);
    }

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, out);
}
