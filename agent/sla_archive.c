
/*
 * Copyright (C) sockerless contributors
 *
 * docker cp inside the container's root: the stat of a path, a tar of it,
 * and the extraction of a tar into a directory, every path resolved with
 * openat2() inside the root so nothing outside it is read or written.
 */


#include <sla.h>
#include <sla_archive.h>
#include <sls_tar.h>
#include <sls_time.h>
#include <sls_chunked.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sys/uio.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>


#define SLA_AR_BUF       (256 * 1024)

/* a direct get: files this large go from the page cache with sendfile() */
#define SLA_AR_SENDFILE  (64 * 1024)

/* a direct put: after the tar's end, the rest of the body read at most */
#define SLA_AR_TAIL_MAX  (1024 * 1024)


/* Go's os.FileMode bits */
#define SLA_GO_DIR        (1U << 31)
#define SLA_GO_SYMLINK    (1U << 27)
#define SLA_GO_DEVICE     (1U << 26)
#define SLA_GO_PIPE       (1U << 25)
#define SLA_GO_SOCKET     (1U << 24)
#define SLA_GO_SETUID     (1U << 23)
#define SLA_GO_SETGID     (1U << 22)
#define SLA_GO_CHARDEV    (1U << 21)
#define SLA_GO_STICKY     (1U << 20)


typedef struct {
    dev_t              dev;
    ino_t              ino;
    char              *name;
} sla_ar_link_t;


typedef struct {
    int                fd;
    int                direct;       /* fd is the client's socket */
    int                chunked;      /* HTTP chunks on the client's socket */
    unsigned char     *buf;
    size_t             len;
    sla_ar_link_t     *links;
    size_t             nlinks;
    size_t             cap;
    char               err[SLA_ERR_LEN];
} sla_ar_out_t;


static int sla_ar_open(int dirfd, const char *path, int flags,
    uint64_t resolve);
static void sla_ar_clean(const char *path, char *abs, size_t size);
static int sla_ar_resolve(int rootfd, const char *path, char *abs,
    size_t size, int *dirfd, char **base);
static int sla_ar_status(int err);
static int sla_ar_wait(int fd, short events);
static int sla_ar_writev(int fd, struct iovec *iov, int cnt);
static int sla_ar_flush(sla_ar_out_t *o);
static int sla_ar_sendfile(sla_ar_out_t *o, int fd, uint64_t size,
    const char *rel);
static int sla_ar_write(sla_ar_out_t *o, const void *p, size_t len);
static int sla_ar_entry(sla_ar_out_t *o, int dirfd, const char *name,
    const struct stat *st, char *rel, size_t rl);
static int sla_ar_walk(sla_ar_out_t *o, int dirfd, char *rel, size_t rl);
static int sla_ar_cmp(const void *a, const void *b);
static int sla_ar_inside(const char *dir, const char *name, char *out,
    size_t size);
static int sla_ar_parent(int dirfd, char *rel, char **base, int mkdirs);
static int sla_ar_remove(int pfd, const char *name);


static int
sla_ar_open(int dirfd, const char *path, int flags, uint64_t resolve)
{
    struct open_how  how;

    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t) flags | O_CLOEXEC;
    how.resolve = resolve | RESOLVE_NO_MAGICLINKS;

    return (int) syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}


/*
 * "/" + path cleaned as Go's filepath.Clean, keeping a trailing "/" or
 * "/." as dockerd's PreserveTrailingDotOrSeparator does
 */

static void
sla_ar_clean(const char *path, char *abs, size_t size)
{
    size_t       n, len, pl;
    const char  *p, *e;

    n = 0;
    abs[n++] = '/';

    for (p = path; *p; p = e) {
        while (*p == '/') {
            p++;
        }

        for (e = p; *e && *e != '/'; e++) {
            /* void */
        }

        len = (size_t) (e - p);

        if (len == 0 || (len == 1 && p[0] == '.')) {
            continue;
        }

        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 1 && abs[n - 1] != '/') {
                n--;
            }

            if (n > 1) {
                n--;
            }

            continue;
        }

        if (n + len + 2 >= size) {
            break;
        }

        if (n > 1) {
            abs[n++] = '/';
        }

        memcpy(abs + n, p, len);
        n += len;
    }

    pl = strlen(path);

    if (n > 1 && pl >= 2 && path[pl - 1] == '.' && path[pl - 2] == '/') {
        memcpy(abs + n, "/.", 2);
        n += 2;

    } else if (n > 1 && pl && path[pl - 1] == '/') {
        abs[n++] = '/';
    }

    abs[n] = '\0';
}


/*
 * dockerd's ResolvePath: the directory part of the cleaned path resolved
 * in the root (symbolic links followed in scope), and the last element,
 * "" or "." when the path ends with "/" or "/.". Returns 0 or an errno.
 */

static int
sla_ar_resolve(int rootfd, const char *path, char *abs, size_t size,
    int *dirfd, char **base)
{
    char  *slash, *dir;
    int    fd;

    sla_ar_clean(path, abs, size);

    slash = strrchr(abs, '/');
    *base = slash + 1;

    dir = strndup(abs, (size_t) (slash - abs) + 1);
    if (dir == NULL) {
        return ENOMEM;
    }

    fd = sla_ar_open(rootfd, dir, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
    free(dir);

    if (fd == -1) {
        return errno;
    }

    *dirfd = fd;

    return 0;
}


static int
sla_ar_status(int err)
{
    return (err == ENOENT || err == ENOTDIR) ? 404 : 500;
}


int
sla_archive_stat(int rootfd, const char *path, sls_agent_msg_t *m,
    char *err, size_t size)
{
    int           dfd, rc, fd;
    char          abs[PATH_MAX + 4], *base, *e, lnk[PATH_MAX + 1];
    char          proc[64], host[PATH_MAX + 1], root[2 * PATH_MAX + 8];
    char          t[SLS_TIME_BUFSIZE];
    size_t        rl;
    ssize_t       n;
    unsigned      mode;
    struct stat   st;

    rc = sla_ar_resolve(rootfd, path, abs, sizeof(abs), &dfd, &base);
    if (rc != 0) {
        snprintf(err, size, "%s", strerror(rc));
        return sla_ar_status(rc);
    }

    if (*base == '\0' || strcmp(base, ".") == 0) {
        rc = fstat(dfd, &st);

    } else {
        rc = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW);
    }

    if (rc != 0) {
        rc = errno;
        close(dfd);
        snprintf(err, size, "%s", strerror(rc));
        return sla_ar_status(rc);
    }

    /* Go's filepath.Base of the cleaned path */

    e = abs + strlen(abs);
    while (e > abs + 1 && e[-1] == '/') {
        e--;
    }

    *e = '\0';
    m->name = strdup(strrchr(abs, '/')[1] ? strrchr(abs, '/') + 1 : "/");

    mode = st.st_mode & 0777;

    switch (st.st_mode & S_IFMT) {
    case S_IFDIR:  mode |= SLA_GO_DIR; break;
    case S_IFLNK:  mode |= SLA_GO_SYMLINK; break;
    case S_IFIFO:  mode |= SLA_GO_PIPE; break;
    case S_IFSOCK: mode |= SLA_GO_SOCKET; break;
    case S_IFBLK:  mode |= SLA_GO_DEVICE; break;
    case S_IFCHR:  mode |= SLA_GO_DEVICE | SLA_GO_CHARDEV; break;
    }

    mode |= (st.st_mode & S_ISUID) ? SLA_GO_SETUID : 0;
    mode |= (st.st_mode & S_ISGID) ? SLA_GO_SETGID : 0;
    mode |= (st.st_mode & S_ISVTX) ? SLA_GO_STICKY : 0;

    m->mode = mode;
    m->size = (long long) st.st_size;

    sls_time_rfc3339nano(t, sizeof(t), (int64_t) st.st_mtim.tv_sec,
                         st.st_mtim.tv_nsec);
    m->mtime = strdup(t);

    /* a link's target: where it leads in the container, resolved */

    lnk[0] = '\0';

    if (S_ISLNK(st.st_mode)) {
        fd = sla_ar_open(rootfd, abs, O_PATH, RESOLVE_IN_ROOT);

        root[0] = '\0';
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rootfd);
        n = readlink(proc, root, PATH_MAX);
        root[n > 0 ? n : 0] = '\0';

        if (fd != -1) {
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
            n = readlink(proc, host, PATH_MAX);
            host[n > 0 ? n : 0] = '\0';
            close(fd);

            rl = strlen(root);
            rl = (rl == 1) ? 0 : rl;

            if (n > 0 && strncmp(host, root, rl) == 0
                && (host[rl] == '/' || host[rl] == '\0'))
            {
                snprintf(lnk, sizeof(lnk), "%s", host[rl] ? host + rl : "/");
            }
        }

        if (lnk[0] == '\0') {
            /* dangling: the target as written, beside the link */
            n = readlinkat(dfd, base, host, PATH_MAX);
            host[n > 0 ? n : 0] = '\0';

            if (host[0] == '/') {
                sla_ar_clean(host, lnk, sizeof(lnk));

            } else {
                snprintf(root, sizeof(root), "%.*s/%s",
                         (int) (strrchr(abs, '/') - abs), abs, host);
                sla_ar_clean(root, lnk, sizeof(lnk));
            }
        }
    }

    m->link_target = strdup(lnk);
    close(dfd);

    if (m->name == NULL || m->mtime == NULL || m->link_target == NULL) {
        snprintf(err, size, "out of memory");
        return 500;
    }

    return 0;
}


int
sla_archive_dir(int rootfd, const char *path, char *err, size_t size)
{
    int          fd;
    char         abs[PATH_MAX + 4];
    struct stat  st;

    sla_ar_clean(path, abs, sizeof(abs));

    fd = sla_ar_open(rootfd, abs, O_PATH, RESOLVE_IN_ROOT);
    if (fd == -1) {
        snprintf(err, size, "%s", strerror(errno));
        return sla_ar_status(errno);
    }

    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        close(fd);
        snprintf(err, size, "extraction point is not a directory");
        return 400;
    }

    close(fd);

    return 0;
}


/* get: the writer */

/*
 * poll() for a descriptor that said EAGAIN (the client's socket is
 * non-blocking, as nginx made it): -1 with ETIMEDOUT after SLA_AR_TIMEOUT
 */

static int
sla_ar_wait(int fd, short events)
{
    int            n;
    struct pollfd  pfd;

    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;

    do {
        n = poll(&pfd, 1, SLA_AR_TIMEOUT);
    } while (n == -1 && errno == EINTR);

    if (n == 0) {
        errno = ETIMEDOUT;
        return -1;
    }

    return (n > 0) ? 0 : -1;
}


static int
sla_ar_writev(int fd, struct iovec *iov, int cnt)
{
    ssize_t  n;

    while (cnt) {
        n = writev(fd, iov, cnt);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN && sla_ar_wait(fd, POLLOUT) == 0) {
                continue;
            }

            return -1;
        }

        while (cnt && (size_t) n >= iov->iov_len) {
            n -= (ssize_t) iov->iov_len;
            iov++;
            cnt--;
        }

        if (cnt) {
            iov->iov_base = (char *) iov->iov_base + n;
            iov->iov_len -= (size_t) n;
        }
    }

    return 0;
}


static int
sla_ar_flush(sla_ar_out_t *o)
{
    int           n;
    char          hdr[24];
    struct iovec  iov[3];

    if (o->len == 0) {
        return 0;
    }

    n = 0;

    if (o->chunked) {
        iov[n].iov_base = hdr;
        iov[n++].iov_len = (size_t) snprintf(hdr, sizeof(hdr), "%zx\r\n",
                                             o->len);
    }

    iov[n].iov_base = o->buf;
    iov[n++].iov_len = o->len;

    if (o->chunked) {
        iov[n].iov_base = "\r\n";
        iov[n++].iov_len = 2;
    }

    if (sla_ar_writev(o->fd, iov, n) != 0) {
        snprintf(o->err, sizeof(o->err), "write: %s", strerror(errno));
        return -1;
    }

    o->len = 0;

    return 0;
}


/*
 * A direct get's large file: the buffer out as a chunk, then the file as
 * one chunk of its own, from the page cache to the socket (no copy in
 * the agent); a file that shrank while sent is made up with zeros, as Go
 * keeps the size of the header
 */

static int
sla_ar_sendfile(sla_ar_out_t *o, int fd, uint64_t size, const char *rel)
{
    char          hdr[24];
    size_t        n;
    ssize_t       sent;
    uint64_t      left;
    struct iovec  iov;

    if (sla_ar_flush(o) != 0) {
        return -1;
    }

    if (o->chunked) {
        iov.iov_base = hdr;
        iov.iov_len = (size_t) snprintf(hdr, sizeof(hdr), "%llx\r\n",
                                        (unsigned long long) size);

        if (sla_ar_writev(o->fd, &iov, 1) != 0) {
            goto failed;
        }
    }

    for (left = size; left; left -= (uint64_t) sent) {
        n = (left > 0x40000000) ? 0x40000000 : (size_t) left;
        sent = sendfile(o->fd, fd, NULL, n);

        if (sent > 0) {
            continue;
        }

        if (sent == 0) {
            memset(o->buf, 0, SLA_AR_BUF);

            for ( /* void */ ; left; left -= n) {
                n = (left > SLA_AR_BUF) ? SLA_AR_BUF : (size_t) left;
                iov.iov_base = o->buf;
                iov.iov_len = n;

                if (sla_ar_writev(o->fd, &iov, 1) != 0) {
                    goto failed;
                }
            }

            break;
        }

        sent = 0;

        if (errno == EINTR
            || (errno == EAGAIN && sla_ar_wait(o->fd, POLLOUT) == 0))
        {
            continue;
        }

        snprintf(o->err, sizeof(o->err), "sendfile %s: %s", rel,
                 strerror(errno));
        return -1;
    }

    if (o->chunked) {
        iov.iov_base = "\r\n";
        iov.iov_len = 2;

        if (sla_ar_writev(o->fd, &iov, 1) != 0) {
            goto failed;
        }
    }

    return 0;

failed:

    snprintf(o->err, sizeof(o->err), "write: %s", strerror(errno));

    return -1;
}


static int
sla_ar_write(sla_ar_out_t *o, const void *p, size_t len)
{
    size_t  n;

    while (len) {
        if (o->len == SLA_AR_BUF && sla_ar_flush(o) != 0) {
            return -1;
        }

        n = SLA_AR_BUF - o->len;
        n = (n > len) ? len : n;

        memcpy(o->buf + o->len, p, n);
        o->len += n;
        p = (const char *) p + n;
        len -= n;
    }

    return 0;
}


/* one entry named rel (rl bytes, room for PATH_MAX) from dirfd/name */

static int
sla_ar_entry(sla_ar_out_t *o, int dirfd, const char *name,
    const struct stat *st, char *rel, size_t rl)
{
    int               fd, rc;
    char              target[PATH_MAX + 1];
    size_t            i;
    ssize_t           n;
    sls_tar_entry_t   e;
    sla_ar_link_t    *l;
    unsigned char     hdr[SLS_TAR_HEADER_MAX];

    memset(&e, 0, sizeof(e));
    e.name = rel;
    e.mode = st->st_mode & 07777;
    e.uid = st->st_uid;
    e.gid = st->st_gid;
    e.mtime = st->st_mtim.tv_sec;
    target[0] = '\0';
    e.linkname = target;

    switch (st->st_mode & S_IFMT) {

    case S_IFDIR:
        e.type = SLS_TAR_DIR;
        rel[rl] = '/';
        rel[rl + 1] = '\0';
        break;

    case S_IFLNK:
        e.type = SLS_TAR_SYMLINK;
        n = readlinkat(dirfd, name, target, PATH_MAX);
        if (n < 0) {
            snprintf(o->err, sizeof(o->err), "readlink %s: %s", rel,
                     strerror(errno));
            return -1;
        }

        target[n] = '\0';
        break;

    case S_IFCHR:
    case S_IFBLK:
        e.type = S_ISCHR(st->st_mode) ? SLS_TAR_CHR : SLS_TAR_BLK;
        e.devmajor = major(st->st_rdev);
        e.devminor = minor(st->st_rdev);
        break;

    case S_IFIFO:
        e.type = SLS_TAR_FIFO;
        break;

    case S_IFREG:
        e.type = SLS_TAR_REG;
        e.size = (uint64_t) st->st_size;

        if (st->st_nlink > 1) {
            for (i = 0; i < o->nlinks; i++) {
                l = &o->links[i];

                if (l->dev == st->st_dev && l->ino == st->st_ino) {
                    e.type = SLS_TAR_LINK;
                    e.size = 0;
                    e.linkname = l->name;
                    break;
                }
            }

            if (e.type == SLS_TAR_REG) {
                if (o->nlinks == o->cap) {
                    o->cap = o->cap ? o->cap * 2 : 64;
                    l = realloc(o->links, o->cap * sizeof(sla_ar_link_t));
                    if (l == NULL) {
                        snprintf(o->err, sizeof(o->err), "out of memory");
                        return -1;
                    }

                    o->links = l;
                }

                l = &o->links[o->nlinks];
                l->dev = st->st_dev;
                l->ino = st->st_ino;
                l->name = strdup(rel);

                if (l->name == NULL) {
                    snprintf(o->err, sizeof(o->err), "out of memory");
                    return -1;
                }

                o->nlinks++;
            }
        }

        break;

    default:
        /* sockets: Go's archive/tar cannot hold them, dockerd skips them */
        return 0;
    }

    n = (ssize_t) sls_tar_header(hdr, sizeof(hdr), &e);
    if (n == 0) {
        snprintf(o->err, sizeof(o->err), "name too long: %.200s", rel);
        return -1;
    }

    if (sla_ar_write(o, hdr, (size_t) n) != 0) {
        return -1;
    }

    if (e.type != SLS_TAR_REG || e.size == 0) {
        return 0;
    }

    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1) {
        snprintf(o->err, sizeof(o->err), "open %s: %s", rel,
                 strerror(errno));
        return -1;
    }

    rc = 0;
    i = 0;

    if (o->direct && e.size >= SLA_AR_SENDFILE) {
        rc = sla_ar_sendfile(o, fd, e.size, rel);
        i = e.size;
    }

    while (i < e.size) {
        if (o->len == SLA_AR_BUF && sla_ar_flush(o) != 0) {
            rc = -1;
            break;
        }

        n = read(fd, o->buf + o->len, SLA_AR_BUF - o->len);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            /* it shrank while read: the header's size is kept, as Go */
            if (n < 0) {
                snprintf(o->err, sizeof(o->err), "read %s: %s", rel,
                         strerror(errno));
                rc = -1;
                break;
            }

            memset(hdr, 0, sizeof(hdr));

            while (i < e.size && rc == 0) {
                n = (e.size - i > sizeof(hdr)) ? (ssize_t) sizeof(hdr)
                                               : (ssize_t) (e.size - i);
                rc = sla_ar_write(o, hdr, (size_t) n);
                i += (size_t) n;
            }

            break;
        }

        if ((uint64_t) n > e.size - i) {
            n = (ssize_t) (e.size - i);
        }

        o->len += (size_t) n;
        i += (size_t) n;
    }

    close(fd);

    if (rc == 0) {
        memset(hdr, 0, SLS_TAR_BLOCK);
        rc = sla_ar_write(o, hdr, sls_tar_padding(e.size));
    }

    return rc;
}


static int
sla_ar_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* the entries of the directory dirfd, rel its name ("x/"), sorted */

static int
sla_ar_walk(sla_ar_out_t *o, int dirfd, char *rel, size_t rl)
{
    int             rc, fd, dfd;
    DIR            *d;
    char          **names, **nv;
    size_t          n, cap, i, l;
    struct stat     st;
    struct dirent  *de;

    fd = dup(dirfd);
    if (fd == -1 || (d = fdopendir(fd)) == NULL) {
        if (fd != -1) {
            close(fd);
        }

        snprintf(o->err, sizeof(o->err), "open %s: %s", rel,
                 strerror(errno));
        return -1;
    }

    names = NULL;
    n = 0;
    cap = 0;
    rc = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            nv = realloc(names, cap * sizeof(char *));
            if (nv == NULL) {
                rc = -1;
                break;
            }

            names = nv;
        }

        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = -1;
            break;
        }

        n++;
    }

    closedir(d);

    if (rc != 0) {
        snprintf(o->err, sizeof(o->err), "out of memory");
        goto done;
    }

    if (n) {
        qsort(names, n, sizeof(char *), sla_ar_cmp);
    }

    for (i = 0; i < n && rc == 0; i++) {
        l = strlen(names[i]);

        if (rl + l + 2 > PATH_MAX) {
            snprintf(o->err, sizeof(o->err), "path too long in %s", rel);
            rc = -1;
            break;
        }

        memcpy(rel + rl, names[i], l + 1);

        if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            /* gone meanwhile */
            continue;
        }

        rc = sla_ar_entry(o, dirfd, names[i], &st, rel, rl + l);

        if (rc == 0 && S_ISDIR(st.st_mode)) {
            dfd = openat(dirfd, names[i],
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            if (dfd == -1) {
                snprintf(o->err, sizeof(o->err), "open %s: %s", rel,
                         strerror(errno));
                rc = -1;
                break;
            }

            rc = sla_ar_walk(o, dfd, rel, rl + l + 1);
            close(dfd);
        }

        rel[rl] = '\0';
    }

done:

    for (i = 0; i < n; i++) {
        free(names[i]);
    }

    free(names);

    return rc;
}


int
sla_archive_get(int rootfd, const char *path, int out,
    const sla_ar_http_t *http)
{
    int            dfd, fd, rc;
    char          *base, *rel, abs[PATH_MAX + 4], *e, *name;
    size_t         rl, i;
    struct stat    st;
    sla_ar_out_t   o;

    memset(&o, 0, sizeof(o));
    o.fd = out;
    o.direct = (http != NULL);
    o.chunked = http ? http->chunked : 0;
    o.buf = malloc(SLA_AR_BUF);
    rel = malloc(PATH_MAX + 2);

    if (o.buf == NULL || rel == NULL) {
        fprintf(stderr, "out of memory");
        return SLA_AR_EXIT_ERROR;
    }

    rc = sla_ar_resolve(rootfd, path, abs, sizeof(abs), &dfd, &base);
    if (rc != 0) {
        fprintf(stderr, "%s", strerror(rc));
        return sla_ar_status(rc) == 404 ? SLA_AR_EXIT_NOTFOUND
                                        : SLA_AR_EXIT_ERROR;
    }

    /* the entries are named after the last element asked for */

    e = abs + strlen(abs);
    while (e > abs + 1 && e[-1] == '/') {
        e--;
    }

    *e = '\0';
    name = strrchr(abs, '/') + 1;
    name = (*name == '\0') ? "/" : name;

    rl = strlen(name);
    memcpy(rel, name, rl + 1);

    if (*base == '\0' || strcmp(base, ".") == 0) {
        fd = sla_ar_open(dfd, ".", O_RDONLY | O_DIRECTORY, 0);

    } else {
        fd = -1;
    }

    if (fd != -1) {
        rc = fstat(fd, &st);

    } else {
        rc = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW);
    }

    if (rc != 0) {
        fprintf(stderr, "%s", strerror(errno));
        return SLA_AR_EXIT_NOTFOUND;
    }

    if (fd != -1) {
        /* the directory itself: its entry, then what it holds */
        rc = sla_ar_entry(&o, fd, ".", &st, rel, rl);
        if (rc == 0) {
            rc = sla_ar_walk(&o, fd, rel, rl + 1);
        }

        close(fd);

    } else {
        rc = sla_ar_entry(&o, dfd, base, &st, rel, rl);

        if (rc == 0 && S_ISDIR(st.st_mode)) {
            fd = openat(dfd, base,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            if (fd == -1) {
                snprintf(o.err, sizeof(o.err), "open %s: %s", rel,
                         strerror(errno));
                rc = -1;

            } else {
                rc = sla_ar_walk(&o, fd, rel, rl + 1);
                close(fd);
            }
        }
    }

    close(dfd);

    if (rc == 0) {
        /* the end: two zero blocks, as Go's tar.Writer closes */
        memset(rel, 0, SLS_TAR_BLOCK);
        rc = sla_ar_write(&o, rel, SLS_TAR_BLOCK);
        rc = rc ? rc : sla_ar_write(&o, rel, SLS_TAR_BLOCK);
        rc = rc ? rc : sla_ar_flush(&o);
    }

    for (i = 0; i < o.nlinks; i++) {
        free(o.links[i].name);
    }

    free(o.links);
    free(o.buf);
    free(rel);

    if (rc != 0) {
        fprintf(stderr, "%s", o.err);
        return SLA_AR_EXIT_ERROR;
    }

    return 0;
}


/* put: the reader, of a pipe or of the body on the client's socket */

typedef struct {
    int                    fd;
    const sla_ar_http_t   *http;        /* NULL: a pipe */
    sls_chunked_t          ck;
    unsigned char         *raw;         /* chunked: SLA_AR_BUF bytes */
    const unsigned char   *pos;         /* raw bytes not decoded yet */
    const unsigned char   *last;
    unsigned long long     left;        /* Content-Length bytes to come */
    unsigned long long     total;       /* body bytes so far */
    unsigned               done:1;      /* the body has ended */
    unsigned               toobig:1;
    unsigned               gone:1;      /* the client closed too early */
    unsigned               bad:1;       /* a malformed chunked body */
} sla_ar_in_t;


static ssize_t sla_ar_recv(sla_ar_in_t *in, void *buf, size_t len);
static int sla_ar_bad_input(sla_ar_in_t *in, sls_tar_reader_t *t);


/* raw bytes from the socket: > 0, or -1 (gone: closed early) */

static ssize_t
sla_ar_recv(sla_ar_in_t *in, void *buf, size_t len)
{
    ssize_t  n;

    for ( ;; ) {
        n = read(in->fd, buf, len);

        if (n > 0) {
            return n;
        }

        if (n == 0) {
            in->gone = 1;
            errno = ECONNRESET;
            return -1;
        }

        if (errno == EINTR) {
            continue;
        }

        if (errno == EAGAIN && sla_ar_wait(in->fd, POLLIN) == 0) {
            continue;
        }

        if (errno == ECONNRESET) {
            in->gone = 1;
        }

        return -1;
    }
}


static ssize_t
sla_ar_read(void *data, void *buf, size_t len)
{
    int                    rc;
    size_t                 n;
    ssize_t                got;
    sla_ar_in_t           *in = data;
    const unsigned char   *d, *last;

    if (in->http == NULL) {
        do {
            got = read(in->fd, buf, len);
        } while (got < 0 && errno == EINTR);

        return got;
    }

    for ( ;; ) {
        if (in->done || len == 0) {
            return 0;
        }

        n = 0;

        if (in->pos < in->last && in->http->chunked) {
            /* no more framing than len at a time: the data fits buf */
            last = ((size_t) (in->last - in->pos) > len) ? in->pos + len
                                                          : in->last;
            rc = sls_chunked_decode(&in->ck, &in->pos, last, &d, &n);

            if (rc == SLS_CHUNKED_DONE) {
                in->done = 1;
                return 0;
            }

            if (rc == SLS_CHUNKED_ERROR) {
                in->bad = 1;
                errno = EPROTO;
                return -1;
            }

            if (rc == SLS_CHUNKED_AGAIN) {
                continue;
            }

            memcpy(buf, d, n);

        } else if (in->pos < in->last) {
            n = (size_t) (in->last - in->pos);
            n = (n > len) ? len : n;
            n = ((unsigned long long) n > in->left) ? (size_t) in->left : n;

            memcpy(buf, in->pos, n);
            in->pos += n;
            in->left -= n;

            if (in->left == 0) {
                in->done = 1;
            }

            if (n == 0) {
                continue;
            }

        } else if (in->http->chunked) {
            got = sla_ar_recv(in, in->raw, SLA_AR_BUF);
            if (got < 0) {
                return -1;
            }

            in->pos = in->raw;
            in->last = in->raw + got;
            continue;

        } else {
            /* Content-Length: straight into buf */
            if (in->left == 0) {
                in->done = 1;
                return 0;
            }

            n = ((unsigned long long) len > in->left) ? (size_t) in->left
                                                      : len;
            got = sla_ar_recv(in, buf, n);
            if (got < 0) {
                return -1;
            }

            n = (size_t) got;
            in->left -= n;
        }

        in->total += n;

        if (in->http->max_body
            && in->total > (unsigned long long) in->http->max_body)
        {
            in->toobig = 1;
            errno = EFBIG;
            return -1;
        }

        return (ssize_t) n;
    }
}


/* the reason of a failed read of the tar: the body's or the tar's */

static int
sla_ar_bad_input(sla_ar_in_t *in, sls_tar_reader_t *t)
{
    if (in->toobig) {
        fprintf(stderr, "the archive is larger than %lld bytes",
                in->http->max_body);
        return SLA_AR_EXIT_TOOBIG;
    }

    if (in->gone) {
        fprintf(stderr, "the client went away during the copy");
        return SLA_AR_EXIT_GONE;
    }

    if (in->bad) {
        fprintf(stderr, "invalid chunked encoding of the request body");
        return SLA_AR_EXIT_INVALID;
    }

    if (in->http && errno == ETIMEDOUT) {
        fprintf(stderr, "the client sent nothing for %d s",
                SLA_AR_TIMEOUT / 1000);
        return SLA_AR_EXIT_GONE;
    }

    fprintf(stderr, "invalid tar: %s", t->err);

    return SLA_AR_EXIT_INVALID;
}


/*
 * name (from a tar) cleaned into out, relative to the destination; -1
 * when it leaves it: absolute, or ".." above it. dir is the directory
 * the name is relative to ("" for the destination itself).
 */

static int
sla_ar_inside(const char *dir, const char *name, char *out, size_t size)
{
    char        *tmp;
    size_t       n, len;
    const char  *p, *e;

    tmp = malloc(2 * PATH_MAX + 4);
    if (tmp == NULL) {
        return -1;
    }

    snprintf(tmp, 2 * PATH_MAX + 4, "%s%s%s", dir, *dir ? "/" : "", name);

    n = 0;
    out[0] = '\0';

    for (p = tmp; *p; p = e) {
        while (*p == '/') {
            p++;
        }

        for (e = p; *e && *e != '/'; e++) {
            /* void */
        }

        len = (size_t) (e - p);

        if (len == 0 || (len == 1 && p[0] == '.')) {
            continue;
        }

        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (n == 0) {
                free(tmp);
                return -1;
            }

            while (n > 0 && out[n - 1] != '/') {
                n--;
            }

            if (n > 0) {
                n--;
            }

            out[n] = '\0';
            continue;
        }

        if (n + len + 2 >= size) {
            free(tmp);
            return -1;
        }

        if (n) {
            out[n++] = '/';
        }

        memcpy(out + n, p, len);
        n += len;
        out[n] = '\0';
    }

    free(tmp);

    return 0;
}


/*
 * The directory holding rel (relative, clean), opened beneath dirfd and
 * made when mkdirs (0755, as dockerd); *base points into rel. A path
 * through a link that leaves dirfd fails with EXDEV.
 */

static int
sla_ar_parent(int dirfd, char *rel, char **base, int mkdirs)
{
    int    fd, nfd;
    char  *p, *slash;

    slash = strrchr(rel, '/');

    if (slash == NULL) {
        *base = rel;
        return sla_ar_open(dirfd, ".", O_RDONLY | O_DIRECTORY,
                           RESOLVE_BENEATH);
    }

    *base = slash + 1;
    *slash = '\0';

    fd = sla_ar_open(dirfd, rel, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH);

    if (fd != -1 || errno != ENOENT || !mkdirs) {
        *slash = '/';
        return fd;
    }

    /* component by component */

    fd = sla_ar_open(dirfd, ".", O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH);

    for (p = rel; fd != -1 && p; ) {
        char  *next;

        next = strchr(p, '/');
        if (next) {
            *next = '\0';
        }

        if (mkdirat(fd, p, 0755) != 0 && errno != EEXIST) {
            close(fd);
            fd = -1;

        } else {
            nfd = sla_ar_open(fd, p, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH);
            close(fd);
            fd = nfd;
        }

        if (next) {
            *next = '/';
            p = next + 1;

        } else {
            p = NULL;
        }
    }

    *slash = '/';

    return fd;
}


/* rm -rf of dirfd/name, never following a link */

static int
sla_ar_remove(int pfd, const char *name)
{
    int             fd;
    DIR            *d;
    struct dirent  *de;

    if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT) {
        return 0;
    }

    if (errno != EISDIR) {
        return -1;
    }

    if (unlinkat(pfd, name, AT_REMOVEDIR) == 0) {
        return 0;
    }

    fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd == -1 || (d = fdopendir(fd)) == NULL) {
        if (fd != -1) {
            close(fd);
        }

        return -1;
    }

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            (void) sla_ar_remove(dirfd(d), de->d_name);
        }
    }

    closedir(d);

    return unlinkat(pfd, name, AT_REMOVEDIR);
}


int
sla_archive_put(int rootfd, const char *path, int in, int no_overwrite,
    int copy_uidgid, unsigned max_entries, long long max_bytes,
    const sla_ar_http_t *http)
{
    int                 rc, dst, pfd, fd, exists;
    char               *rel, *tmp, *base, *buf, abs[PATH_MAX + 4], *dir;
    uid_t               uid;
    gid_t               gid;
    size_t              entries, tail;
    ssize_t             n, w, off;
    sla_ar_in_t         src;
    struct stat         st;
    sls_tar_entry_t     e;
    sls_tar_reader_t    t;
    struct timespec     ts[2];
    unsigned long long  bytes;

#define sla_ar_fail(code, ...)                                                \
    do {                                                                      \
        fprintf(stderr, __VA_ARGS__);                                         \
        rc = (code);                                                          \
        goto done;                                                            \
    } while (0)

    sla_ar_clean(path, abs, sizeof(abs));

    dst = sla_ar_open(rootfd, abs, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT);
    if (dst == -1) {
        fprintf(stderr, "%s", errno == ENOTDIR
                ? "extraction point is not a directory" : strerror(errno));
        return errno == ENOTDIR ? SLA_AR_EXIT_INVALID : SLA_AR_EXIT_NOTFOUND;
    }

    pfd = -1;
    memset(&src, 0, sizeof(src));
    src.fd = in;
    src.http = http;

    if (http) {
        src.pos = http->preread;
        src.last = http->preread + http->preread_len;
        src.left = (http->length >= 0) ? (unsigned long long) http->length
                                       : 0;
        src.raw = http->chunked ? malloc(SLA_AR_BUF) : NULL;
    }

    rel = malloc(PATH_MAX + 1);
    tmp = malloc(PATH_MAX + 1);
    buf = malloc(SLA_AR_BUF);

    if (sls_tar_reader_init(&t, sla_ar_read, &src) != 0 || rel == NULL
        || tmp == NULL || buf == NULL || (http && http->chunked && !src.raw))
    {
        fprintf(stderr, "out of memory");
        rc = SLA_AR_EXIT_ERROR;
        goto done;
    }

    max_entries = max_entries ? max_entries : SLS_AGENT_ENTRIES_MAX;
    entries = 0;
    bytes = 0;
    pfd = -1;
    fd = -1;

    for ( ;; ) {
        if (pfd != -1) {
            close(pfd);
            pfd = -1;
        }

        rc = sls_tar_next(&t, &e);

        if (rc == SLS_TAR_END) {
            rc = 0;
            break;
        }

        if (rc != SLS_TAR_OK) {
            rc = sla_ar_bad_input(&src, &t);
            goto done;
        }

        if (++entries > max_entries) {
            sla_ar_fail(SLA_AR_EXIT_TOOBIG, "the archive has more than %u "
                        "entries", max_entries);
        }

        /* a tar bomb: what the entries say they hold, before any is made */

        bytes += (unsigned long long) e.size;

        if (max_bytes > 0 && bytes > (unsigned long long) max_bytes) {
            sla_ar_fail(SLA_AR_EXIT_TOOBIG, "the archive unpacks to more "
                        "than %lld bytes (sockerless_unpack_max_size)",
                        max_bytes);
        }

        if (e.name[0] == '/' || sla_ar_inside("", e.name, rel, PATH_MAX)) {
            sla_ar_fail(SLA_AR_EXIT_INVALID, "\"%s\" is outside of \"%s\"",
                        e.name, abs);
        }

        if (rel[0] == '\0') {
            if (e.type == SLS_TAR_DIR) {
                /* the destination itself */
                continue;
            }

            sla_ar_fail(SLA_AR_EXIT_INVALID, "invalid tar entry \"%s\"",
                        e.name);
        }

        pfd = sla_ar_parent(dst, rel, &base, 1);
        if (pfd == -1) {
            if (errno == EXDEV || errno == ELOOP) {
                sla_ar_fail(SLA_AR_EXIT_INVALID, "\"%s\" is outside of "
                            "\"%s\"", e.name, abs);
            }

            sla_ar_fail(SLA_AR_EXIT_ERROR, "mkdir %s: %s", rel,
                        strerror(errno));
        }

        exists = (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0);

        if (exists && no_overwrite) {
            if (S_ISDIR(st.st_mode) && e.type != SLS_TAR_DIR) {
                sla_ar_fail(SLA_AR_EXIT_INVALID, "cannot overwrite directory "
                            "\"%s\" with non-directory \"%s\"", rel, e.name);
            }

            if (!S_ISDIR(st.st_mode) && e.type == SLS_TAR_DIR) {
                sla_ar_fail(SLA_AR_EXIT_INVALID, "cannot overwrite "
                            "non-directory \"%s\" with directory \"%s\"",
                            rel, e.name);
            }
        }

        if (exists && !(S_ISDIR(st.st_mode) && e.type == SLS_TAR_DIR)) {
            if (sla_ar_remove(pfd, base) != 0) {
                sla_ar_fail(SLA_AR_EXIT_ERROR, "remove %s: %s", rel,
                            strerror(errno));
            }

            exists = 0;
        }

        uid = copy_uidgid ? (uid_t) e.uid : 0;
        gid = copy_uidgid ? (gid_t) e.gid : 0;

        switch (e.type) {

        case SLS_TAR_DIR:
            if (!exists && mkdirat(pfd, base, 0700) != 0) {
                sla_ar_fail(SLA_AR_EXIT_ERROR, "mkdir %s: %s", rel,
                            strerror(errno));
            }

            break;

        case SLS_TAR_REG:
            fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                   | O_CLOEXEC, 0600);
            if (fd == -1) {
                sla_ar_fail(SLA_AR_EXIT_ERROR, "open %s: %s", rel,
                            strerror(errno));
            }

            while ((n = sls_tar_data(&t, buf, SLA_AR_BUF)) > 0) {
                for (off = 0; off < n; off += w) {
                    w = write(fd, buf + off, (size_t) (n - off));

                    if (w < 0 && errno == EINTR) {
                        w = 0;
                        continue;
                    }

                    if (w <= 0) {
                        close(fd);
                        fd = -1;
                        sla_ar_fail(SLA_AR_EXIT_ERROR, "write %s: %s", rel,
                                    strerror(errno));
                    }
                }
            }

            if (n < 0) {
                close(fd);
                fd = -1;
                rc = sla_ar_bad_input(&src, &t);
                goto done;
            }

            close(fd);
            fd = -1;
            break;

        case SLS_TAR_SYMLINK:
            /* dockerd: Join(Dir(path), linkname) must stay inside */
            dir = strndup(rel, (size_t) (base - rel));

            if (dir == NULL
                || sla_ar_inside(dir, e.linkname, tmp, PATH_MAX) != 0)
            {
                free(dir);
                sla_ar_fail(SLA_AR_EXIT_INVALID, "invalid symlink \"%s\" -> "
                            "\"%s\"", e.name, e.linkname);
            }

            free(dir);

            if (symlinkat(e.linkname, pfd, base) != 0) {
                sla_ar_fail(SLA_AR_EXIT_ERROR, "symlink %s: %s", rel,
                            strerror(errno));
            }

            break;

        case SLS_TAR_LINK:
            {
                int    lfd;
                char  *lbase;

                if (sla_ar_inside("", e.linkname, tmp, PATH_MAX) != 0
                    || tmp[0] == '\0')
                {
                    sla_ar_fail(SLA_AR_EXIT_INVALID, "invalid hardlink "
                                "\"%s\" -> \"%s\"", e.name, e.linkname);
                }

                lfd = sla_ar_parent(dst, tmp, &lbase, 0);

                if (lfd == -1) {
                    sla_ar_fail(errno == EXDEV ? SLA_AR_EXIT_INVALID
                                               : SLA_AR_EXIT_ERROR,
                                "invalid hardlink \"%s\" -> \"%s\": %s",
                                e.name, e.linkname, strerror(errno));
                }

                rc = linkat(lfd, lbase, pfd, base, 0);
                close(lfd);

                if (rc != 0) {
                    sla_ar_fail(SLA_AR_EXIT_ERROR, "link %s: %s", rel,
                                strerror(errno));
                }
            }

            /* a link shares its inode: nothing else to set */
            continue;

        default:
            if (mknodat(pfd, base,
                        (e.type == SLS_TAR_FIFO ? S_IFIFO
                         : e.type == SLS_TAR_CHR ? S_IFCHR : S_IFBLK)
                        | 0600, makedev(e.devmajor, e.devminor))
                != 0)
            {
                sla_ar_fail(SLA_AR_EXIT_ERROR, "mknod %s: %s", rel,
                            strerror(errno));
            }

            break;
        }

        /* owner first: chown clears the set-id bits */

        if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) != 0
            && errno != EPERM && errno != EINVAL)
        {
            sla_ar_fail(SLA_AR_EXIT_ERROR, "chown %s: %s", rel,
                        strerror(errno));
        }

        if (e.type != SLS_TAR_SYMLINK
            && fchmodat(pfd, base, e.mode & 07777, 0) != 0)
        {
            sla_ar_fail(SLA_AR_EXIT_ERROR, "chmod %s: %s", rel,
                        strerror(errno));
        }

        ts[0].tv_sec = e.mtime;
        ts[0].tv_nsec = 0;
        ts[1] = ts[0];

        (void) utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
    }

done:

    if (rc == 0 && http && buf) {
        /* the body's end (a tar writer's padding): the client finishes */

        for (tail = 0; !src.done && tail < SLA_AR_TAIL_MAX; tail += n) {
            n = sla_ar_read(&src, buf, SLA_AR_BUF);
            if (n <= 0) {
                break;
            }
        }
    }

    if (pfd != -1) {
        close(pfd);
    }

    close(dst);
    sls_tar_reader_free(&t);
    free(src.raw);
    free(rel);
    free(tmp);
    free(buf);

    return rc;

#undef sla_ar_fail
}
