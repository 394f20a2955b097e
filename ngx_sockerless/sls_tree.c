
/*
 * Copyright (C) sockerless contributors
 *
 * Directory trees: du, overlay changes and merged tar streams (sls_tree.h).
 * Recursion depth is bounded by PATH_MAX: every level adds a name.
 */


#include <sls_tree.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <archive_entry.h>


typedef struct {
    dev_t                               dev;
    ino_t                               ino;
} sls_tree_inode_t;


typedef struct {
    sls_tree_inode_t                   *elts;
    size_t                              n;
    size_t                              cap;
} sls_tree_inodes_t;


typedef struct {
    struct archive                     *a;
    struct archive_entry_linkresolver  *lr;
    const char                         *prefix;
    int                                 mode;
    char                               *err;
    size_t                              errlen;
    char                               *buf;
    char                               *scratch;  /* lower, DIFF mode */
} sls_tree_out_t;


typedef struct {
    const char                         *lower;
    const char                         *upper;
    const char *const                  *hide;
    sls_tree_change_pt                  cb;
    void                               *data;
    char                              **dirs;     /* changed, sorted */
    size_t                              ndirs;
    size_t                              cap;
    char                               *err;
    size_t                              errlen;
} sls_tree_diff_t;


static int sls_tree_cmp(const void *a, const void *b);
static int sls_tree_list(const char *dir, char ***names, size_t *n);
static void sls_tree_free_list(char **names, size_t n);
static int sls_tree_seen(sls_tree_inodes_t *set, const struct stat *st);
static int64_t sls_tree_du_dir(char *path, size_t len,
    sls_tree_inodes_t *set);
static int sls_tree_whiteout(const struct stat *st);
static int sls_tree_opaque(const char *path);
static int sls_tree_emit(sls_tree_out_t *o, const char *src,
    const struct stat *st, const char *rel);
static int sls_tree_append(char *path, size_t *len, const char *name);
static int sls_tree_merge(sls_tree_out_t *o, char *lower, size_t ll,
    int has_lower, char *upper, size_t ul, int has_upper, char *rel,
    size_t rl);
static int sls_tree_layer(sls_tree_out_t *o, char *upper, size_t ul,
    char *rel, size_t rl, const struct stat *st);
static int sls_tree_dir_changed(sls_tree_diff_t *d, const char *path,
    int add);
static int sls_tree_walk_changes(sls_tree_diff_t *d, char *upper,
    size_t ul, char *lower, size_t ll, char *rel, size_t rl);


static int
sls_tree_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* the names in dir, sorted as Go's filepath.Walk visits them */

static int
sls_tree_list(const char *dir, char ***names, size_t *n)
{
    DIR            *d;
    char          **v, **nv;
    size_t          cap;
    struct dirent  *de;

    *names = NULL;
    *n = 0;

    d = opendir(dir);
    if (d == NULL) {
        return (errno == ENOENT || errno == ENOTDIR) ? 0 : -1;
    }

    v = NULL;
    cap = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            nv = realloc(v, cap * sizeof(char *));
            if (nv == NULL) {
                goto failed;
            }

            v = nv;
        }

        v[*n] = strdup(de->d_name);
        if (v[*n] == NULL) {
            goto failed;
        }

        (*n)++;
    }

    closedir(d);

    if (*n) {
        qsort(v, *n, sizeof(char *), sls_tree_cmp);
    }

    *names = v;

    return 0;

failed:

    closedir(d);
    sls_tree_free_list(v, *n);
    *n = 0;

    return -1;
}


static void
sls_tree_free_list(char **names, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        free(names[i]);
    }

    free(names);
}


/* 1 when the inode was met before; else records it and returns 0 */

static int
sls_tree_seen(sls_tree_inodes_t *set, const struct stat *st)
{
    size_t             lo, hi, mid;
    sls_tree_inode_t  *p, *e;

    lo = 0;
    hi = set->n;

    while (lo < hi) {
        mid = (lo + hi) / 2;
        e = &set->elts[mid];

        if (e->dev == st->st_dev && e->ino == st->st_ino) {
            return 1;
        }

        if (e->dev < st->st_dev
            || (e->dev == st->st_dev && e->ino < st->st_ino))
        {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        p = realloc(set->elts, set->cap * sizeof(sls_tree_inode_t));
        if (p == NULL) {
            /* counted again rather than failing the total */
            return 0;
        }

        set->elts = p;
    }

    memmove(&set->elts[lo + 1], &set->elts[lo],
            (set->n - lo) * sizeof(sls_tree_inode_t));
    set->elts[lo].dev = st->st_dev;
    set->elts[lo].ino = st->st_ino;
    set->n++;

    return 0;
}


static int64_t
sls_tree_du_dir(char *path, size_t len, sls_tree_inodes_t *set)
{
    char         **names;
    size_t         i, n, l;
    int64_t        total;
    struct stat    st;

    if (sls_tree_list(path, &names, &n) != 0) {
        return 0;
    }

    total = 0;

    for (i = 0; i < n; i++) {
        l = strlen(names[i]);

        if (len + l + 2 > PATH_MAX) {
            continue;
        }

        path[len] = '/';
        memcpy(path + len + 1, names[i], l + 1);

        if (lstat(path, &st) != 0) {
            continue;
        }

        if (S_ISDIR(st.st_mode)) {
            total += sls_tree_du_dir(path, len + l + 1, set);

        } else if (S_ISREG(st.st_mode)
                   && !(st.st_nlink > 1 && sls_tree_seen(set, &st)))
        {
            total += st.st_size;
        }
    }

    path[len] = '\0';
    sls_tree_free_list(names, n);

    return total;
}


int64_t
sls_tree_du(const char *path)
{
    char               *p;
    size_t              len;
    int64_t             total;
    struct stat         st;
    sls_tree_inodes_t   set;

    if (lstat(path, &st) != 0) {
        return -1;
    }

    if (!S_ISDIR(st.st_mode)) {
        return S_ISREG(st.st_mode) ? st.st_size : 0;
    }

    len = strlen(path);
    if (len >= PATH_MAX) {
        return -1;
    }

    p = malloc(PATH_MAX + 1);
    if (p == NULL) {
        return -1;
    }

    memcpy(p, path, len + 1);
    memset(&set, 0, sizeof(sls_tree_inodes_t));

    total = sls_tree_du_dir(p, len, &set);

    free(set.elts);
    free(p);

    return total;
}


/* overlayfs marks: a 0/0 character device, the opaque attribute */

static int
sls_tree_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0
           && minor(st->st_rdev) == 0;
}


static int
sls_tree_opaque(const char *path)
{
    char  v[4];

    if (lgetxattr(path, "trusted.overlay.opaque", v, sizeof(v)) == 1
        && v[0] == 'y')
    {
        return 1;
    }

    return lgetxattr(path, "user.overlay.opaque", v, sizeof(v)) == 1
           && v[0] == 'y';
}


/* one entry, with the file's bytes; src NULL for a made-up empty file */

static int
sls_tree_emit(sls_tree_out_t *o, const char *src, const struct stat *st,
    const char *rel)
{
    int                    fd, rc;
    char                   target[PATH_MAX + 1], *name;
    ssize_t                n;
    size_t                 len;
    struct archive_entry  *e, *spare;

    e = archive_entry_new();
    if (e == NULL) {
        snprintf(o->err, o->errlen, "out of memory");
        return -1;
    }

    len = (o->prefix ? strlen(o->prefix) : 0) + strlen(rel) + 2;
    name = malloc(len);
    if (name == NULL) {
        archive_entry_free(e);
        snprintf(o->err, o->errlen, "out of memory");
        return -1;
    }

    if (o->prefix) {
        snprintf(name, len, "%s/%s", o->prefix, rel);

    } else {
        snprintf(name, len, "%s", rel);
    }

    archive_entry_copy_stat(e, st);
    archive_entry_copy_pathname(e, name);
    free(name);

    if (S_ISLNK(st->st_mode)) {
        n = readlink(src, target, PATH_MAX);
        if (n < 0) {
            snprintf(o->err, o->errlen, "readlink \"%.200s\": %s", rel,
                     strerror(errno));
            archive_entry_free(e);
            return -1;
        }

        target[n] = '\0';
        archive_entry_copy_symlink(e, target);
    }

    if (!S_ISREG(st->st_mode)) {
        archive_entry_set_size(e, 0);
    }

    spare = NULL;

    if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
        archive_entry_linkify(o->lr, &e, &spare);
    }

    rc = -1;
    fd = -1;

    if (archive_write_header(o->a, e) < ARCHIVE_WARN) {
        snprintf(o->err, o->errlen, "\"%.200s\": %s", rel,
                 archive_error_string(o->a));
        goto done;
    }

    if (src && S_ISREG(st->st_mode) && archive_entry_size(e) > 0) {
        fd = open(src, O_RDONLY|O_CLOEXEC|O_NOFOLLOW);
        if (fd == -1) {
            snprintf(o->err, o->errlen, "open \"%.200s\": %s", rel,
                     strerror(errno));
            goto done;
        }

        while ((n = read(fd, o->buf, 65536)) > 0) {
            if (archive_write_data(o->a, o->buf, n) < 0) {
                snprintf(o->err, o->errlen, "\"%.200s\": %s", rel,
                         archive_error_string(o->a));
                goto done;
            }
        }

        if (n < 0) {
            snprintf(o->err, o->errlen, "read \"%.200s\": %s", rel,
                     strerror(errno));
            goto done;
        }
    }

    if (archive_write_finish_entry(o->a) < ARCHIVE_WARN) {
        snprintf(o->err, o->errlen, "\"%.200s\": %s", rel,
                 archive_error_string(o->a));
        goto done;
    }

    rc = 0;

done:

    if (fd != -1) {
        close(fd);
    }

    archive_entry_free(e);
    archive_entry_free(spare);

    return rc;
}


static int
sls_tree_append(char *path, size_t *len, const char *name)
{
    size_t  l;

    l = strlen(name);

    if (*len + l + 2 > PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }

    if (*len && path[*len - 1] != '/') {
        path[(*len)++] = '/';
    }

    memcpy(path + *len, name, l + 1);
    *len += l;

    return 0;
}


/*
 * One directory of the merged view. lower, upper and rel are PATH_MAX + 1
 * buffers holding the host paths and the archive path ("" at the root)
 * of the directory, of lengths ll, ul and rl; has_lower and has_upper say
 * which sides have it. The buffers are restored before returning.
 */

static int
sls_tree_merge(sls_tree_out_t *o, char *lower, size_t ll, int has_lower,
    char *upper, size_t ul, int has_upper, char *rel, size_t rl)
{
    int           rc, in_u, in_l, cmp, sub_l;
    char        **ln, **un;
    size_t        nl, nu, il, iu, nll, nul, nrl;
    const char   *name;
    struct stat   su, sl;

    ln = NULL;
    un = NULL;
    nl = 0;
    nu = 0;

    if ((has_lower && sls_tree_list(lower, &ln, &nl) != 0)
        || (has_upper && sls_tree_list(upper, &un, &nu) != 0))
    {
        snprintf(o->err, o->errlen, "reading \"/%.200s\": %s", rel,
                 strerror(errno));
        sls_tree_free_list(ln, nl);
        return -1;
    }

    rc = 0;
    il = 0;
    iu = 0;

    while (rc == 0 && (il < nl || iu < nu)) {

        if (il == nl) {
            cmp = 1;

        } else if (iu == nu) {
            cmp = -1;

        } else {
            cmp = strcmp(ln[il], un[iu]);
        }

        name = (cmp <= 0) ? ln[il] : un[iu];
        in_l = (cmp <= 0);
        in_u = (cmp >= 0);
        il += in_l;
        iu += in_u;

        nll = ll;
        nul = ul;
        nrl = rl;

        if (sls_tree_append(lower, &nll, name) != 0
            || sls_tree_append(upper, &nul, name) != 0
            || sls_tree_append(rel, &nrl, name) != 0)
        {
            snprintf(o->err, o->errlen, "path too long in \"/%.200s\"", rel);
            rc = -1;
            break;
        }

        in_u = in_u && lstat(upper, &su) == 0;
        in_l = in_l && lstat(lower, &sl) == 0;

        if (in_u && o->mode == SLS_TREE_DIFF) {
            rc = sls_tree_layer(o, upper, nul, rel, nrl, &su);

        } else if (in_u) {
            if (!sls_tree_whiteout(&su)) {
                rc = sls_tree_emit(o, upper, &su, rel);

                if (rc == 0 && S_ISDIR(su.st_mode)) {
                    sub_l = in_l && S_ISDIR(sl.st_mode)
                            && !sls_tree_opaque(upper);

                    rc = sls_tree_merge(o, lower, nll, sub_l, upper, nul, 1,
                                        rel, nrl);
                }
            }

        } else if (in_l && o->mode == SLS_TREE_MERGED) {
            rc = sls_tree_emit(o, lower, &sl, rel);

            if (rc == 0 && S_ISDIR(sl.st_mode)) {
                rc = sls_tree_merge(o, lower, nll, 1, upper, nul, 0, rel,
                                    nrl);
            }
        }

        lower[ll] = '\0';
        upper[ul] = '\0';
        rel[rl] = '\0';
    }

    sls_tree_free_list(ln, nl);
    sls_tree_free_list(un, nu);

    return rc;
}


/* one entry of an upper directory as a layer: whiteouts as files */

static int
sls_tree_layer(sls_tree_out_t *o, char *upper, size_t ul, char *rel,
    size_t rl, const struct stat *st)
{
    int          rc;
    char        *base, *wh;
    size_t       len;
    struct stat  ws;

    if (!sls_tree_whiteout(st)) {
        rc = sls_tree_emit(o, upper, st, rel);

        if (rc == 0 && S_ISDIR(st->st_mode)) {
            if (sls_tree_opaque(upper)) {
                memset(&ws, 0, sizeof(struct stat));
                ws.st_mode = S_IFREG|0644;
                ws.st_mtime = st->st_mtime;

                len = rl;
                if (sls_tree_append(rel, &len, ".wh..wh..opq") != 0) {
                    return -1;
                }

                rc = sls_tree_emit(o, NULL, &ws, rel);
                rel[rl] = '\0';
            }

            if (rc == 0) {
                o->scratch[0] = '\0';
                rc = sls_tree_merge(o, o->scratch, 0, 0, upper, ul, 1, rel,
                                    rl);
            }
        }

        return rc;
    }

    /* "dir/name" becomes "dir/.wh.name" */

    wh = malloc(rl + 8);
    if (wh == NULL) {
        return -1;
    }

    base = strrchr(rel, '/');
    len = base ? (size_t) (base - rel) + 1 : 0;

    snprintf(wh, rl + 8, "%.*s.wh.%s", (int) len, rel, rel + len);

    memset(&ws, 0, sizeof(struct stat));
    ws.st_mode = S_IFREG|0644;
    ws.st_mtime = st->st_mtime;

    rc = sls_tree_emit(o, NULL, &ws, wh);
    free(wh);

    return rc;
}


int
sls_tree_write(struct archive *a, const char *lower, const char *upper,
    const char *prefix, int mode, char *err, size_t size)
{
    int              rc;
    char            *lb, *ub, *rb;
    sls_tree_out_t   o;

    memset(&o, 0, sizeof(sls_tree_out_t));
    o.a = a;
    o.prefix = prefix;
    o.mode = mode;
    o.err = err;
    o.errlen = size;

    if ((lower && strlen(lower) >= PATH_MAX)
        || (upper && strlen(upper) >= PATH_MAX))
    {
        snprintf(err, size, "path too long");
        return -1;
    }

    lb = malloc(PATH_MAX + 1);
    ub = malloc(PATH_MAX + 1);
    rb = malloc(PATH_MAX + 1);
    o.buf = malloc(65536);
    o.scratch = malloc(PATH_MAX + 1);
    o.lr = archive_entry_linkresolver_new();

    rc = -1;

    if (lb == NULL || ub == NULL || rb == NULL || o.buf == NULL
        || o.scratch == NULL || o.lr == NULL)
    {
        snprintf(err, size, "out of memory");
        goto done;
    }

    archive_entry_linkresolver_set_strategy(o.lr,
                                            ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);

    strcpy(lb, lower ? lower : "");
    strcpy(ub, upper ? upper : "");
    rb[0] = '\0';

    if (mode == SLS_TREE_DIFF) {
        rc = upper ? sls_tree_merge(&o, lb, strlen(lb), 0, ub, strlen(ub), 1,
                                    rb, 0)
                   : 0;

    } else {
        rc = sls_tree_merge(&o, lb, strlen(lb), lower != NULL, ub,
                            strlen(ub), upper != NULL, rb, 0);
    }

done:

    if (o.lr) {
        archive_entry_linkresolver_free(o.lr);
    }

    free(o.buf);
    free(o.scratch);
    free(lb);
    free(ub);
    free(rb);

    return rc;
}


/* changes */

static int
sls_tree_dir_changed(sls_tree_diff_t *d, const char *path, int add)
{
    char    **p;
    size_t    i;

    for (i = 0; i < d->ndirs; i++) {
        if (strcmp(d->dirs[i], path) == 0) {
            return 1;
        }
    }

    if (!add) {
        return 0;
    }

    if (d->ndirs == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 32;
        p = realloc(d->dirs, d->cap * sizeof(char *));
        if (p == NULL) {
            return -1;
        }

        d->dirs = p;
    }

    d->dirs[d->ndirs] = strdup(path);
    if (d->dirs[d->ndirs] == NULL) {
        return -1;
    }

    d->ndirs++;

    return 0;
}


static int
sls_tree_same_dir(const struct stat *a, const struct stat *b)
{
    /* Go's sameFsTime: nanoseconds compare only when both have them */

    return a->st_size == b->st_size && a->st_mode == b->st_mode
           && a->st_mtim.tv_sec == b->st_mtim.tv_sec
           && (a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
               || a->st_mtim.tv_nsec == 0 || b->st_mtim.tv_nsec == 0);
}


/* upper, lower and rel ("/a/b") are PATH_MAX + 1 buffers, restored */

static int
sls_tree_walk_changes(sls_tree_diff_t *d, char *upper, size_t ul,
    char *lower, size_t ll, char *rel, size_t rl)
{
    int           rc, kind, hidden;
    char        **names, *slash;
    size_t        i, n, nul, nll, nrl;
    struct stat   su, sl;
    const char   *const *h;

    if (sls_tree_list(upper, &names, &n) != 0) {
        snprintf(d->err, d->errlen, "reading \"%.200s\": %s",
                 rl ? rel : "/", strerror(errno));
        return -1;
    }

    rc = 0;

    for (i = 0; rc == 0 && i < n; i++) {
        nul = ul;
        nll = ll;
        nrl = rl + 1;
        rel[rl] = '/';

        if (sls_tree_append(upper, &nul, names[i]) != 0
            || sls_tree_append(lower, &nll, names[i]) != 0
            || sls_tree_append(rel, &nrl, names[i]) != 0)
        {
            snprintf(d->err, d->errlen, "path too long in \"%.200s\"", rel);
            rc = -1;
            break;
        }

        hidden = (strncmp(names[i], ".wh..wh.", 8) == 0);

        for (h = d->hide; h && *h && !hidden; h++) {
            hidden = (strcmp(*h, rel) == 0);
        }

        if (hidden || lstat(upper, &su) != 0) {
            goto next;
        }

        if (sls_tree_whiteout(&su)
            || (S_ISDIR(su.st_mode) && sls_tree_opaque(upper)))
        {
            kind = SLS_TREE_DELETED;

        } else {
            kind = SLS_TREE_ADDED;

            if (d->lower && lstat(lower, &sl) == 0) {
                if (S_ISDIR(sl.st_mode) && S_ISDIR(su.st_mode)
                    && sls_tree_same_dir(&su, &sl))
                {
                    /* only the parent of a change: its children tell */
                    rc = sls_tree_walk_changes(d, upper, nul, lower, nll,
                                               rel, nrl);
                    goto next;
                }

                kind = SLS_TREE_MODIFIED;
            }
        }

        if (S_ISDIR(su.st_mode) && sls_tree_dir_changed(d, rel, 1) < 0) {
            rc = -1;
            goto next;
        }

        if (kind != SLS_TREE_MODIFIED) {
            slash = strrchr(rel, '/');

            if (slash && slash != rel) {
                *slash = '\0';

                if (sls_tree_dir_changed(d, rel, 0) == 0) {
                    rc = (sls_tree_dir_changed(d, rel, 1) < 0)
                         || d->cb(d->data, rel, SLS_TREE_MODIFIED) != 0;
                }

                *slash = '/';
            }
        }

        if (rc == 0 && d->cb(d->data, rel, kind) != 0) {
            rc = -1;
        }

        if (rc == 0 && S_ISDIR(su.st_mode)) {
            rc = sls_tree_walk_changes(d, upper, nul, lower, nll, rel, nrl);
        }

    next:

        upper[ul] = '\0';
        lower[ll] = '\0';
        rel[rl] = '\0';
    }

    sls_tree_free_list(names, n);

    return rc;
}


int
sls_tree_changes(const char *lower, const char *upper,
    const char *const *hide, sls_tree_change_pt cb, void *data, char *err,
    size_t size)
{
    int               rc;
    char             *ub, *lb, *rb;
    size_t            i;
    struct stat       st;
    sls_tree_diff_t   d;

    memset(&d, 0, sizeof(sls_tree_diff_t));
    d.lower = lower;
    d.upper = upper;
    d.hide = hide;
    d.cb = cb;
    d.data = data;
    d.err = err;
    d.errlen = size;

    err[0] = '\0';

    if (upper == NULL || lstat(upper, &st) != 0) {
        /* never started: no writable layer, no changes */
        return 0;
    }

    if (strlen(upper) >= PATH_MAX || (lower && strlen(lower) >= PATH_MAX)) {
        snprintf(err, size, "path too long");
        return -1;
    }

    ub = malloc(PATH_MAX + 1);
    lb = malloc(PATH_MAX + 1);
    rb = malloc(PATH_MAX + 1);

    rc = -1;

    if (ub && lb && rb) {
        strcpy(ub, upper);
        strcpy(lb, lower ? lower : "");
        rb[0] = '\0';

        rc = sls_tree_walk_changes(&d, ub, strlen(ub), lb, strlen(lb), rb, 0);

    } else {
        snprintf(err, size, "out of memory");
    }

    for (i = 0; i < d.ndirs; i++) {
        free(d.dirs[i]);
    }

    free(d.dirs);
    free(ub);
    free(lb);
    free(rb);

    if (rc != 0 && err[0] == '\0') {
        snprintf(err, size, "out of memory");
    }

    return rc;
}
