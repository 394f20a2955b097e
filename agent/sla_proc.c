/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: namespaces, the overlay rootfs, and starting processes
 * in it (the fork+exec shape of uv__process_child_init() in libuv).
 */


#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sla.h>


#define SLA_MAX_GROUPS  64

/* --pid, --ipc, --uts host: the namespace is not made */
#define SLA_HOST_NS(mode)  ((mode) != NULL && strcmp(mode, "host") == 0)


typedef struct {
    uid_t         uid;
    gid_t         gid;
    size_t        ngroups;
    gid_t         groups[SLA_MAX_GROUPS];
    char          home[1024];
} sla_user_t;


static int sla_ns_flags(sla_agent_t *a);
static int sla_userns(sla_agent_t *a, char *err, size_t err_size);
static int sla_write_file(const char *path, const char *data, size_t len);
static int sla_mkdir_p(const char *path, mode_t mode, uid_t uid, gid_t gid);
static int sla_etc_files(sla_agent_t *a, char *err, size_t err_size);
static void sla_child(sla_agent_t *a, sla_spawn_t *sp, int in, int out,
    int errfd, int report) __attribute__((noreturn));
static void sla_child_fail(int report, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void sla_child_exec(sla_spawn_t *sp, const char *file,
    const char *path, char **envp, int exefd, int report)
    __attribute__((noreturn));
static int sla_child_mounts(sla_agent_t *a, char *err, size_t err_size);
/*
 * a copy-up: the buffer, and the files with more than one link already
 * copied (by device and inode, with their path under the volume), so
 * that their other names become links again, as in the image
 */
typedef struct {
    dev_t           dev;
    ino_t           ino;
    char           *path;
} sla_copy_seen_t;

typedef struct {
    int              root;         /* the volume's directory */
    char            *buf;
    size_t           size;
    char             rel[PATH_MAX];  /* the current directory, "a/b/" */
    sla_copy_seen_t *seen;
    size_t           nseen;
    size_t           nalloc;
} sla_copy_t;


static int sla_copy_up(int fromfd, const char *to, char *err,
    size_t err_size);
static int sla_copy_tree(sla_copy_t *cp, int sfd, int dfd, size_t rlen,
    int depth);
static int sla_copy_link(sla_copy_t *cp, struct stat *st, int dfd,
    const char *name, size_t rlen);
static int sla_copy_owner(int rc);
static int sla_tmpfs_options(const char *options, unsigned long *flags,
    char *data, size_t size);
static int sla_child_subpath(sla_bind_t *b, char *err, size_t err_size);
static int sla_child_bind(sla_agent_t *a, sla_bind_t *b, char *err,
    size_t err_size);
static int sla_lookup_user(const char *spec, sla_user_t *u, char *err,
    size_t err_size);
static int sla_numeric(const char *s, unsigned long *v);
static const char *sla_strerror(int err);
static const char *sla_env_get(char **env, const char *name);


int
sla_container_setup(sla_agent_t *a, char *err, size_t err_size)
{
    int          have_rootfs;
    char         upper[4096], work[4096], rootfs[4096], opts[12800];

    have_rootfs = (a->conf.image_rootfs[0] != '\0');

    if (a->conf.namespaces && geteuid() == 0) {
        /* first: it runs ip, whose processes must not be the pid 1 */
        if (sla_net_setup(a, err, err_size) != 0) {
            return -1;
        }

        if (unshare(CLONE_NEWNS | sla_ns_flags(a)) != 0) {
            snprintf(err, err_size, "unshare(CLONE_NEWNS|CLONE_NEWUTS|"
                     "CLONE_NEWPID|CLONE_NEWIPC) failed: %s",
                     sla_strerror(errno));
            return -1;
        }

    } else if (sla_userns(a, err, err_size) != 0) {
        if (have_rootfs) {
            return -1;
        }

        sla_log("warn", "sockerless-agent: %s; running on the host without "
                "isolation (the container has no image rootfs)", err);
        err[0] = '\0';
        return 0;
    }

    a->isolated = 1;

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(err, err_size, "making mounts private failed: %s",
                 sla_strerror(errno));
        return -1;
    }

    if (a->conf.hostname[0] && !SLA_HOST_NS(a->conf.uts)
        && sethostname(a->conf.hostname, strlen(a->conf.hostname)) != 0)
    {
        snprintf(err, err_size, "sethostname: %s", sla_strerror(errno));
        return -1;
    }

    if (!have_rootfs) {
        return 0;
    }

    snprintf(upper, sizeof(upper), "%s/upper", a->conf.container_dir);
    snprintf(work, sizeof(work), "%s/work", a->conf.container_dir);
    snprintf(rootfs, sizeof(rootfs), "%s/rootfs", a->conf.container_dir);

    if (sla_mkdir_p(upper, 0755, 0, 0) != 0
        || sla_mkdir_p(work, 0700, 0, 0) != 0
        || sla_mkdir_p(rootfs, 0755, 0, 0) != 0)
    {
        snprintf(err, err_size, "mkdir in %s: %s", a->conf.container_dir,
                 sla_strerror(errno));
        return -1;
    }

    snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
             a->conf.image_rootfs, upper, work);

    if (mount("overlay", rootfs, "overlay", 0, opts) != 0) {
        snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
                 ",userxattr");

        if (geteuid() == 0 && a->conf.namespaces) {
            errno = EPERM;

        } else if (mount("overlay", rootfs, "overlay", 0, opts) == 0) {
            goto mounted;
        }

        snprintf(err, err_size, "mount overlay on %s: %s", rootfs,
                 sla_strerror(errno));
        return -1;
    }

mounted:

    a->rootfs = strdup(rootfs);
    if (a->rootfs == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    return sla_etc_files(a, err, err_size);
}


/* the namespaces made besides the mount (and user) namespace */

static int
sla_ns_flags(sla_agent_t *a)
{
    int  flags;

    flags = 0;

    if (!SLA_HOST_NS(a->conf.uts)) {
        flags |= CLONE_NEWUTS;
    }

    if (!SLA_HOST_NS(a->conf.pid)) {
        flags |= CLONE_NEWPID;
    }

    if (!SLA_HOST_NS(a->conf.ipc)) {
        flags |= CLONE_NEWIPC;
    }

    return flags;
}


static int
sla_userns(sla_agent_t *a, char *err, size_t err_size)
{
    int    e, flags;
    char   map[64];
    uid_t  uid;
    gid_t  gid;

    uid = geteuid();
    gid = getegid();
    flags = CLONE_NEWUSER | CLONE_NEWNS | sla_ns_flags(a);

    /* --network none needs no root: a namespace with loopback only */
    if (a->conf.network && strcmp(a->conf.network, "none") == 0) {
        flags |= CLONE_NEWNET;
    }

    if (unshare(flags) != 0) {
        e = errno;
        snprintf(err, err_size, "the memory backend needs root or user "
                 "namespaces to isolate a container: unshare"
                 "(CLONE_NEWUSER) failed: %s", sla_strerror(e));
        return -1;
    }

    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned) uid);

    if (sla_write_file("/proc/self/setgroups", "deny", 4) != 0
        || sla_write_file("/proc/self/uid_map", map, strlen(map)) != 0)
    {
        goto failed;
    }

    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned) gid);

    if (sla_write_file("/proc/self/gid_map", map, strlen(map)) != 0) {
        goto failed;
    }

    if ((flags & CLONE_NEWNET) && sla_net_loopback(err, err_size) != 0) {
        return -1;
    }

    return 0;

failed:

    snprintf(err, err_size, "the memory backend needs root or user "
             "namespaces to isolate a container: writing the user "
             "namespace id maps failed: %s", sla_strerror(errno));
    return -1;
}


static int
sla_write_file(const char *path, const char *data, size_t len)
{
    int      fd, e;
    ssize_t  n;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              0644);
    if (fd == -1) {
        return -1;
    }

    n = write(fd, data, len);
    e = errno;
    close(fd);

    if (n != (ssize_t) len) {
        errno = (n < 0) ? e : EIO;
        return -1;
    }

    return 0;
}


static int
sla_mkdir_p(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    char   buf[4096], *p;
    size_t len;

    len = strlen(path);
    if (len >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }

    memcpy(buf, path, len + 1);

    for (p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        if (p[-1] != '/') {
            *p = '\0';

            if (mkdir(buf, mode) == 0) {
                if ((uid || gid) && chown(buf, uid, gid) != 0) {
                    return -1;
                }

            } else if (errno != EEXIST) {
                return -1;
            }

            *p = (p - buf == (ptrdiff_t) len) ? '\0' : '/';
        }

        if (p - buf >= (ptrdiff_t) len) {
            break;
        }
    }

    return 0;
}


static int
sla_etc_files(sla_agent_t *a, char *err, size_t err_size)
{
    int      fd;
    char     path[4096], buf[8192];
    ssize_t  n;

    snprintf(path, sizeof(path), "%s/etc", a->rootfs);

    if (sla_mkdir_p(path, 0755, 0, 0) != 0) {
        goto failed;
    }

    if (a->conf.hosts[0]) {
        snprintf(path, sizeof(path), "%s/etc/hosts", a->rootfs);
        unlink(path);

        if (sla_write_file(path, a->conf.hosts, strlen(a->conf.hosts)) != 0)
        {
            goto failed;
        }
    }

    if (a->conf.hostname[0]) {
        snprintf(path, sizeof(path), "%s/etc/hostname", a->rootfs);
        snprintf(buf, sizeof(buf), "%s\n", a->conf.hostname);
        unlink(path);

        if (sla_write_file(path, buf, strlen(buf)) != 0) {
            goto failed;
        }
    }

    fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
    if (fd != -1) {
        n = read(fd, buf, sizeof(buf));
        close(fd);

        if (n >= 0) {
            snprintf(path, sizeof(path), "%s/etc/resolv.conf", a->rootfs);
            unlink(path);

            if (sla_write_file(path, buf, (size_t) n) != 0) {
                goto failed;
            }
        }
    }

    return 0;

failed:

    snprintf(err, err_size, "writing %s: %s", path, sla_strerror(errno));
    return -1;
}


int
sla_spawn(sla_agent_t *a, sla_spawn_t *sp, sla_session_t *s, char *err,
    size_t err_size)
{
    int              in[2], out[2], errp[2], rep[2], master, slave, status;
    int              child_in, child_out, child_err;
    char             name[128];
    pid_t            pid;
    size_t           got;
    ssize_t          n;
    struct winsize   ws;

    in[0] = in[1] = out[0] = out[1] = errp[0] = errp[1] = -1;
    rep[0] = rep[1] = master = slave = child_in = -1;

    if (sp->tty) {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

        if (master == -1 || grantpt(master) != 0 || unlockpt(master) != 0
            || ptsname_r(master, name, sizeof(name)) != 0)
        {
            snprintf(err, err_size, "allocating a pty failed: %s",
                     sla_strerror(errno));
            goto failed;
        }

        slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave == -1) {
            snprintf(err, err_size, "open %s: %s", name, sla_strerror(errno));
            goto failed;
        }

        memset(&ws, 0, sizeof(ws));
        ws.ws_row = 24;
        ws.ws_col = 80;
        ioctl(master, TIOCSWINSZ, &ws);

        child_in = child_out = child_err = slave;

    } else {
        if (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
            snprintf(err, err_size, "pipe: %s", sla_strerror(errno));
            goto failed;
        }

        if (sp->open_stdin) {
            if (pipe2(in, O_CLOEXEC) != 0) {
                snprintf(err, err_size, "pipe: %s", sla_strerror(errno));
                goto failed;
            }

            child_in = in[0];

        } else {
            child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (child_in == -1) {
                snprintf(err, err_size, "open /dev/null: %s",
                         sla_strerror(errno));
                goto failed;
            }

            in[0] = child_in;
        }

        child_out = out[1];
        child_err = errp[1];
    }

    if (pipe2(rep, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "pipe: %s", sla_strerror(errno));
        goto failed;
    }

    pid = fork();

    if (pid == -1) {
        if (errno == ENOMEM && a->isolated && !sp->pid1) {
            snprintf(err, err_size, "cannot start a process: the "
                     "container's init process has exited");

        } else {
            snprintf(err, err_size, "fork: %s", sla_strerror(errno));
        }

        goto failed;
    }

    if (pid == 0) {
        sla_child(a, sp, child_in, child_out, child_err, rep[1]);
    }

    close(rep[1]);
    rep[1] = -1;

    /* EOF: execve() succeeded; data: the child's error message */

    got = 0;

    for ( ;; ) {
        n = read(rep[0], err + got, err_size - 1 - got);

        if (n > 0) {
            got += (size_t) n;
            if (got < err_size - 1) {
                continue;
            }

        } else if (n == -1 && errno == EINTR) {
            continue;
        }

        break;
    }

    err[got] = '\0';
    close(rep[0]);
    rep[0] = -1;

    if (got) {
        while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
            /* void */
        }

        goto failed;
    }

    if (sp->tty) {
        close(slave);
        s->fd_out = master;
        s->fd_in = dup(master);
        s->fd_err = -1;
        fcntl(s->fd_in, F_SETFD, FD_CLOEXEC);
        fcntl(master, F_SETFL, O_NONBLOCK);

    } else {
        close(out[1]);
        close(errp[1]);
        close(in[0]);
        s->fd_out = out[0];
        s->fd_err = errp[0];
        s->fd_in = in[1];
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        fcntl(errp[0], F_SETFL, O_NONBLOCK);

        if (in[1] != -1) {
            fcntl(in[1], F_SETFL, O_NONBLOCK);
        }
    }

    s->tty = sp->tty;
    s->pid = pid;

    return 0;

failed:

    if (err[0] == '\0') {
        snprintf(err, err_size, "starting the process failed");
    }

    if (master != -1) {
        close(master);
    }

    if (slave != -1) {
        close(slave);
    }

    if (in[0] != -1) {
        close(in[0]);
    }

    if (in[1] != -1) {
        close(in[1]);
    }

    if (out[0] != -1) {
        close(out[0]);
        close(out[1]);
    }

    if (errp[0] != -1) {
        close(errp[0]);
        close(errp[1]);
    }

    if (rep[0] != -1) {
        close(rep[0]);
    }

    if (rep[1] != -1) {
        close(rep[1]);
    }

    return -1;
}


static void
sla_child_fail(int report, const char *fmt, ...)
{
    char     buf[SLA_ERR_LEN];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    if (write(report, buf, strlen(buf)) < 0) {
        _exit(127);
    }

    _exit(127);
}


static void
sla_child(sla_agent_t *a, sla_spawn_t *sp, int in, int out, int errfd,
    int report)
{
    int          sig, keep_ids, exefd, fd;
    char         err[SLA_ERR_LEN], path[4096], *envp_home, **envp;
    char       **v, *home[2], uid[16];
    size_t       n, plen;
    sigset_t     set;
    uint64_t     caps;
    sla_user_t   u;
    struct stat  st;
    const char  *file, *p, *end, *dir;

    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);

    for (sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL);
        }
    }

    setsid();

    if (dup2(in, 0) == -1 || dup2(out, 1) == -1 || dup2(errfd, 2) == -1) {
        sla_child_fail(report, "dup2: %s", sla_strerror(errno));
    }

    if (sp->tty && ioctl(0, TIOCSCTTY, 0) != 0) {
        sla_child_fail(report, "setting the controlling terminal failed: %s",
                       sla_strerror(errno));
    }

    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

    /* before chroot hides /sys/fs/cgroup; its children stay in */

    if (sla_cgroup_join(a, err, sizeof(err)) != 0) {
        sla_child_fail(report, "%s", err);
    }

    if (sp->pid1 && a->isolated
        && sla_child_mounts(a, err, sizeof(err)) != 0)
    {
        sla_child_fail(report, "%s", err);
    }

    if (sp->pid1
        && (a->conf.nbinds || a->conf.ndevices || a->conf.readonly_rootfs)
        && !(a->isolated && a->rootfs))
    {
        sla_child_fail(report, "mounts need a mount namespace and an "
                       "image root: run sockerless as root with "
                       "sockerless_memory_namespaces on");
    }

    if (sp->pid1 && a->conf.sysctls && a->conf.sysctls[0]) {
        if (!a->isolated) {
            sla_child_fail(report, "sysctls need the container's own "
                           "namespaces: run sockerless as root with "
                           "sockerless_memory_namespaces on");
        }

        if (sla_runtime_sysctls(a, a->rootfs ? a->rootfs : "", err,
                                sizeof(err)) != 0)
        {
            sla_child_fail(report, "%s", err);
        }
    }

    /* --init: this binary becomes the container's docker-init */

    exefd = -1;

    if (sp->pid1 && a->conf.init) {
        exefd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (exefd == -1) {
            sla_child_fail(report, "open /proc/self/exe: %s",
                           sla_strerror(errno));
        }
    }

    if (a->rootfs) {
        if (chroot(a->rootfs) != 0 || chdir("/") != 0) {
            sla_child_fail(report, "chroot to %s: %s", a->rootfs,
                           sla_strerror(errno));
        }
    }

    /*
     * reverse mode without a user: the cloud already chose who runs the
     * container (a Lambda is not root), so the agent's ids are kept
     */

    keep_ids = (a->reverse && sp->user[0] == '\0');

    if (keep_ids) {
        snprintf(uid, sizeof(uid), "%u", (unsigned) geteuid());
    }

    if (sla_lookup_user(keep_ids ? uid : sp->user, &u, err, sizeof(err))
        != 0)
    {
        sla_child_fail(report, "%s", err);
    }

    /* "" (reverse mode only): the working directory the cloud gave */

    if (sp->workdir[0]
        && (sla_mkdir_p(sp->workdir, 0755, u.uid, u.gid) != 0
            || chdir(sp->workdir) != 0))
    {
        sla_child_fail(report, "chdir to cwd (\"%s\") set in config.json "
                       "failed: %s", sp->workdir, sla_strerror(errno));
    }

    if (!keep_ids
        && sla_runtime_groups(a->conf.group_add, u.groups, &u.ngroups,
                              SLA_MAX_GROUPS, err, sizeof(err)) != 0)
    {
        sla_child_fail(report, "%s", err);
    }

    if (!keep_ids
        && setgroups(u.ngroups, u.groups) != 0 && geteuid() == 0
        && !(errno == EPERM && u.ngroups == 0))
    {
        sla_child_fail(report, "setgroups: %s", sla_strerror(errno));
    }

    if (sla_runtime_rlimits(a, err, sizeof(err)) != 0) {
        sla_child_fail(report, "%s", err);
    }

    if (sp->pid1 && a->conf.has_oom) {
        fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        n = (size_t) snprintf(uid, sizeof(uid), "%d", a->conf.oom_score_adj);

        if (fd == -1 || write(fd, uid, n) != (ssize_t) n) {
            sla_child_fail(report, "write /proc/self/oom_score_adj: %s",
                           sla_strerror(errno));
        }

        close(fd);
    }

    /* exec --privileged: every capability, as dockerd gives it */

    caps = sp->privileged ? ~0ULL : a->conf.caps;

    if (a->conf.has_caps
        && sla_runtime_bounding(caps, err, sizeof(err)) != 0)
    {
        sla_child_fail(report, "%s", err);
    }

    if (!keep_ids && setgid(u.gid) != 0) {
        sla_child_fail(report, "setgid %u: %s", (unsigned) u.gid,
                       sla_strerror(errno));
    }

    if (!keep_ids && setuid(u.uid) != 0) {
        sla_child_fail(report, "setuid %u: %s", (unsigned) u.uid,
                       sla_strerror(errno));
    }

    if (a->conf.has_caps
        && sla_runtime_caps(caps, err, sizeof(err)) != 0)
    {
        sla_child_fail(report, "%s", err);
    }

    if (a->conf.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        sla_child_fail(report, "prctl(PR_SET_NO_NEW_PRIVS): %s",
                       sla_strerror(errno));
    }

    /* after setuid(): credential changes clear the parent-death signal */
    prctl(PR_SET_PDEATHSIG, SIGKILL);

    /* HOME from passwd when the environment has none, as runc does */

    envp = sp->env;
    envp_home = NULL;

    if (sla_env_get(envp, "HOME") == NULL) {
        n = strlen(u.home) + 6;
        envp_home = malloc(n);
        if (envp_home) {
            snprintf(envp_home, n, "HOME=%s", u.home);
            home[0] = envp_home;
            home[1] = NULL;
            v = sla_env_merge(envp, home);
            if (v) {
                envp = v;
            }
        }
    }

    file = sp->argv[0];

    if (strchr(file, '/')) {
        if (stat(file, &st) != 0) {
            sla_child_fail(report, "exec: \"%s\": stat %s: %s", file, file,
                           sla_strerror(errno));
        }

        sla_child_exec(sp, file, file, envp, exefd, report);
    }

    p = sla_env_get(envp, "PATH");
    if (p == NULL) {
        p = SLA_DEFAULT_PATH;
    }

    for ( ;; ) {
        end = strchr(p, ':');
        plen = end ? (size_t) (end - p) : strlen(p);
        dir = p;

        if (plen == 0) {
            dir = ".";
            plen = 1;
        }

        if ((size_t) snprintf(path, sizeof(path), "%.*s/%s", (int) plen, dir,
                              file) < sizeof(path)
            && stat(path, &st) == 0 && S_ISREG(st.st_mode)
            && (st.st_mode & 0111))
        {
            sla_child_exec(sp, file, path, envp, exefd, report);
        }

        if (end == NULL) {
            break;
        }

        p = end + 1;
    }

    sla_child_fail(report, "exec: \"%s\": executable file not found in $PATH",
                   file);
}


/*
 * The exec itself. With --init (exefd, the agent's own binary) the
 * command is forked first, in a process group of its own that becomes
 * the terminal's foreground one, and this process, pid 1, execs the
 * agent as /sbin/docker-init (sla_init_main()); every signal stays
 * blocked until each side has its mask, so none is lost in between
 */

static void
sla_child_exec(sla_spawn_t *sp, const char *file, const char *path,
    char **envp, int exefd, int report)
{
    int         barrier[2];
    char      **argv, pidenv[48], *env[2], c;
    pid_t       pid;
    size_t      n;
    sigset_t    set;

    if (exefd == -1) {
        execve(path, sp->argv, envp);
        sla_child_fail(report, "exec: \"%s\": %s", file,
                       sla_strerror(errno));
    }

    sigfillset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);

    /*
     * the command waits until pid 1 is docker-init: the write end of the
     * barrier closes with that exec (or pid 1's death), so the command
     * never sees the agent in its place (ps, /proc/1)
     */

    if (pipe2(barrier, O_CLOEXEC) != 0) {
        sla_child_fail(report, "pipe: %s", sla_strerror(errno));
    }

    pid = fork();

    if (pid == -1) {
        sla_child_fail(report, "fork: %s", sla_strerror(errno));
    }

    if (pid == 0) {
        close(exefd);
        close(barrier[1]);

        while (read(barrier[0], &c, 1) == -1 && errno == EINTR) {
            /* void */
        }

        close(barrier[0]);
        setpgid(0, 0);

        if (sp->tty) {
            (void) tcsetpgrp(0, getpid());
        }

        sigemptyset(&set);
        sigprocmask(SIG_SETMASK, &set, NULL);

        execve(path, sp->argv, envp);
        sla_child_fail(report, "exec: \"%s\": %s", file,
                       sla_strerror(errno));
    }

    for (n = 0; sp->argv[n]; n++) {
        /* void */
    }

    argv = calloc(n + 3, sizeof(char *));
    if (argv == NULL) {
        kill(pid, SIGKILL);
        sla_child_fail(report, "out of memory");
    }

    close(barrier[0]);

    argv[0] = "/sbin/docker-init";
    argv[1] = "--";
    memcpy(argv + 2, sp->argv, n * sizeof(char *));

    snprintf(pidenv, sizeof(pidenv), "SOCKERLESS_INIT_PID=%d", (int) pid);
    env[0] = pidenv;
    env[1] = NULL;

    fexecve(exefd, argv, env);

    kill(pid, SIGKILL);
    sla_child_fail(report, "exec docker-init: %s", sla_strerror(errno));
}


static int
sla_child_mounts(sla_agent_t *a, char *err, size_t err_size)
{
    int          fd;
    char         path[4096], src[64];
    size_t       i;
    const char  *root;

    static const char  *devs[] = {
        "null", "zero", "full", "random", "urandom", "tty"
    };

    static const char  *links[][2] = {
        { "fd", "/proc/self/fd" },
        { "stdin", "/proc/self/fd/0" },
        { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },
        { "ptmx", "pts/ptmx" }
    };

    root = a->rootfs ? a->rootfs : "";

    snprintf(path, sizeof(path), "%s/proc", root);
    mkdir(path, 0555);

    if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
        != 0)
    {
        snprintf(err, err_size, "mount proc on %.256s: %s", path,
                 sla_strerror(errno));
        return -1;
    }

    if (a->rootfs == NULL) {
        return 0;
    }

    snprintf(path, sizeof(path), "%s/dev", root);
    mkdir(path, 0755);

    if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_STRICTATIME,
              "mode=755,size=65536k") != 0)
    {
        snprintf(err, err_size, "mount tmpfs on %.256s: %s", path,
                 sla_strerror(errno));
        return -1;
    }

    for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", root, devs[i]);
        snprintf(src, sizeof(src), "/dev/%s", devs[i]);

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
        if (fd != -1) {
            close(fd);
        }

        if (mount(src, path, NULL, MS_BIND, NULL) != 0) {
            snprintf(err, err_size, "bind mount %s on %.256s: %s", src, path,
                     sla_strerror(errno));
            return -1;
        }
    }

    snprintf(path, sizeof(path), "%s/dev/pts", root);
    mkdir(path, 0755);

    if (mount("/dev/pts", path, NULL, MS_BIND | MS_REC, NULL) != 0) {
        snprintf(err, err_size, "bind mount /dev/pts on %.256s: %s", path,
                 sla_strerror(errno));
        return -1;
    }

    snprintf(path, sizeof(path), "%s/dev/shm", root);
    mkdir(path, 01777);

    /* --ipc host: the host's, as dockerd binds it; none: no /dev/shm */

    if (SLA_HOST_NS(a->conf.ipc)) {
        if (mount("/dev/shm", path, NULL, MS_BIND | MS_REC, NULL) != 0) {
            snprintf(err, err_size, "bind mount /dev/shm on %.256s: %s",
                     path, sla_strerror(errno));
            return -1;
        }

    } else if (a->conf.ipc == NULL || strcmp(a->conf.ipc, "none") != 0) {
        snprintf(src, sizeof(src), "mode=1777,size=%llu",
                 a->conf.shm_size ? a->conf.shm_size : 64ULL * 1024 * 1024);

        if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  src) != 0)
        {
            snprintf(err, err_size, "mount tmpfs on %.256s: %s", path,
                     sla_strerror(errno));
            return -1;
        }
    }

    for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        snprintf(path, sizeof(path), "%s/dev/%s", root, links[i][0]);

        if (symlink(links[i][1], path) != 0 && errno != EEXIST) {
            snprintf(err, err_size, "symlink %.256s: %s", path,
                     sla_strerror(errno));
            return -1;
        }
    }

    for (i = 0; i < a->conf.nbinds; i++) {
        if (sla_child_bind(a, &a->conf.binds[i], err, err_size) != 0) {
            return -1;
        }
    }

    /*
     * --device: the host's node bound on its path in the container (the
     * module has checked that it is one); the cgroup permissions are not
     * enforced, there is no device controller here
     */

    for (i = 0; i < a->conf.ndevices; i++) {
        sla_bind_t   b;
        struct stat  st;

        if (stat(a->conf.devices[i].source, &st) != 0) {
            snprintf(err, err_size, "error gathering device information "
                     "while adding custom device \"%.200s\": %s",
                     a->conf.devices[i].source, sla_strerror(errno));
            return -1;
        }

        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
            snprintf(err, err_size, "error gathering device information "
                     "while adding custom device \"%.200s\": not a device "
                     "node", a->conf.devices[i].source);
            return -1;
        }

        memset(&b, 0, sizeof(sla_bind_t));
        b.source = a->conf.devices[i].source;
        b.target = a->conf.devices[i].target;

        if (sla_child_bind(a, &b, err, err_size) != 0) {
            return -1;
        }
    }

    /*
     * --read-only: the root itself, as runc remounts it, once everything
     * is mounted on it; /dev, /dev/shm, /proc and the mounts keep theirs
     */

    if (a->conf.readonly_rootfs
        && mount(NULL, a->rootfs, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
                 NULL) != 0)
    {
        snprintf(err, err_size, "remount %.256s read-only: %s", a->rootfs,
                 sla_strerror(errno));
        return -1;
    }

    return 0;
}


/* resolves path inside the directory rootfd as if it were "/" */

static int
sla_open_in_root(int rootfd, const char *path, int flags)
{
    struct open_how  how;

    memset(&how, 0, sizeof(how));
    how.flags = flags | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

    return (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}


/*
 * --tmpfs options as fstab writes them ("ro,noexec,size=64m"): the names
 * mount(8) knows become flags, the rest is the file system's data; the
 * module has merged and checked them as dockerd's MergeTmpfsOptions does.
 * Propagation words are accepted and have no effect: the tmpfs is made
 * inside the container's own mount namespace, private and without peers
 * (and a propagation change needs the new mount's path, which the opened
 * target does not lead to).
 */

static int
sla_tmpfs_options(const char *options, unsigned long *flags, char *data,
    size_t size)
{
    size_t       len, used, i;
    const char  *p, *e;

    static const struct {
        const char     *name;
        unsigned long   flag;
        int             clear;
        int             propagation;
    } known[] = {
        { "defaults", 0, 0, 0 },
        { "ro", MS_RDONLY, 0, 0 },
        { "rw", MS_RDONLY, 1, 0 },
        { "suid", MS_NOSUID, 1, 0 },
        { "nosuid", MS_NOSUID, 0, 0 },
        { "dev", MS_NODEV, 1, 0 },
        { "nodev", MS_NODEV, 0, 0 },
        { "exec", MS_NOEXEC, 1, 0 },
        { "noexec", MS_NOEXEC, 0, 0 },
        { "sync", MS_SYNCHRONOUS, 0, 0 },
        { "async", MS_SYNCHRONOUS, 1, 0 },
        { "dirsync", MS_DIRSYNC, 0, 0 },
        { "mand", MS_MANDLOCK, 0, 0 },
        { "nomand", MS_MANDLOCK, 1, 0 },
        { "atime", MS_NOATIME, 1, 0 },
        { "noatime", MS_NOATIME, 0, 0 },
        { "diratime", MS_NODIRATIME, 1, 0 },
        { "nodiratime", MS_NODIRATIME, 0, 0 },
        { "relatime", MS_RELATIME, 0, 0 },
        { "norelatime", MS_RELATIME, 1, 0 },
        { "strictatime", MS_STRICTATIME, 0, 0 },
        { "nostrictatime", MS_STRICTATIME, 1, 0 },
        { "private", MS_PRIVATE, 0, 1 },
        { "rprivate", MS_PRIVATE | MS_REC, 0, 1 },
        { "shared", MS_SHARED, 0, 1 },
        { "rshared", MS_SHARED | MS_REC, 0, 1 },
        { "slave", MS_SLAVE, 0, 1 },
        { "rslave", MS_SLAVE | MS_REC, 0, 1 },
        { "unbindable", MS_UNBINDABLE, 0, 1 },
        { "runbindable", MS_UNBINDABLE | MS_REC, 0, 1 },
    };

    used = 0;
    data[0] = '\0';

    for (p = options; *p; p = *e ? e + 1 : e) {
        e = strchr(p, ',');
        if (e == NULL) {
            e = p + strlen(p);
        }

        len = (size_t) (e - p);

        if (len == 0) {
            continue;
        }

        for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            if (strlen(known[i].name) == len
                && strncmp(known[i].name, p, len) == 0)
            {
                break;
            }
        }

        if (i < sizeof(known) / sizeof(known[0])) {
            if (known[i].propagation) {
                /* see above */

            } else if (known[i].clear) {
                *flags &= ~known[i].flag;

            } else {
                *flags |= known[i].flag;
            }

            continue;
        }

        if (memchr(p, '=', len) == NULL || used + len + 2 > size) {
            return -1;
        }

        if (used) {
            data[used++] = ',';
        }

        memcpy(data + used, p, len);
        used += len;
        data[used] = '\0';
    }

    return 0;
}


/*
 * --mount volume-subpath: the path under the volume's directory, every
 * component resolved beneath it (no "..", no symbolic link out of it),
 * must exist, as dockerd's safepath.Join; what is bound is then the
 * opened directory itself ("/proc/self/fd/N", closed at exec), and the
 * image's files are not copied into it
 */

static int
sla_child_subpath(sla_bind_t *b, char *err, size_t err_size)
{
    int              vfd, fd;
    char             path[64];
    struct open_how  how;

    vfd = open(b->source, O_PATH | O_DIRECTORY | O_CLOEXEC);

    if (vfd != -1) {
        memset(&how, 0, sizeof(struct open_how));
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

        fd = (int) syscall(SYS_openat2, vfd, b->subpath, &how, sizeof(how));

    } else {
        fd = -1;
    }

    if (fd == -1) {
        snprintf(err, err_size, "cannot access path %.120s/%.120s: %s",
                 b->source, b->subpath, sla_strerror(errno));

        if (vfd != -1) {
            close(vfd);
        }

        return -1;
    }

    close(vfd);

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    b->source = strdup(path);
    b->copy_up = 0;

    return b->source ? 0 : -1;
}


/*
 * One of HostConfig.Binds: the host path is made if missing, as dockerd
 * does for Binds; the target is made in the container's root, every
 * component resolved inside that root (openat2 RESOLVE_IN_ROOT), so
 * neither ".." nor a symbolic link in the image can lead outside it
 */

static int
sla_child_bind(sla_agent_t *a, sla_bind_t *b, char *err, size_t err_size)
{
    int          rootfd, dirfd, fd, isdir;
    char         part[4096], real[64], *p, *name;
    struct stat  st;

    if (b->subpath && sla_child_subpath(b, err, err_size) != 0) {
        return -1;
    }

    if (b->tmpfs) {
        isdir = 1;

    } else {
        if (stat(b->source, &st) != 0) {
            if (errno != ENOENT || sla_mkdir_p(b->source, 0755, 0, 0) != 0
                || stat(b->source, &st) != 0)
            {
                snprintf(err, err_size, "bind source %.256s: %s", b->source,
                         sla_strerror(errno));
                return -1;
            }
        }

        isdir = S_ISDIR(st.st_mode);
    }

    if (strlen(b->target) >= sizeof(part)) {
        snprintf(err, err_size, "bind target too long");
        return -1;
    }

    rootfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd == -1) {
        snprintf(err, err_size, "open %.256s: %s", a->rootfs,
                 sla_strerror(errno));
        return -1;
    }

    /* each component in turn: opened if there, made if not */

    strcpy(part, b->target);
    fd = -1;

    for (p = part + 1; ; p++) {
        if (*p != '/' && *p != '\0') {
            continue;
        }

        name = NULL;

        if (*p == '/') {
            *p = '\0';
            name = p;
        }

        fd = sla_open_in_root(rootfd, part, O_PATH);

        if (fd == -1 && errno == ENOENT) {
            /* the parent is there (made in the step before) */
            char  *slash = strrchr(part, '/');

            *slash = '\0';
            dirfd = sla_open_in_root(rootfd, part[0] ? part : "/",
                                     O_PATH | O_DIRECTORY);
            *slash = '/';

            if (dirfd != -1) {
                if (name || isdir) {
                    (void) mkdirat(dirfd, slash + 1, 0755);

                } else {
                    fd = openat(dirfd, slash + 1,
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                | O_CLOEXEC, 0644);
                    if (fd != -1) {
                        close(fd);
                    }
                }

                close(dirfd);
            }

            fd = sla_open_in_root(rootfd, part, O_PATH);
        }

        if (fd == -1) {
            snprintf(err, err_size, "bind target %.256s: %s", b->target,
                     sla_strerror(errno));
            close(rootfd);
            return -1;
        }

        if (name == NULL) {
            break;
        }

        close(fd);
        *name = '/';
    }

    /* the target as resolved, whatever its path says */
    snprintf(real, sizeof(real), "/proc/self/fd/%d", fd);

    if (b->tmpfs) {
        char           opts[1024];
        unsigned long  flags;

        /* dockerd's tmpfs: noexec, nosuid, nodev, its size and mode */

        opts[0] = '\0';
        flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
                | (b->readonly ? MS_RDONLY : 0);

        if (b->tmpfs_options
            && sla_tmpfs_options(b->tmpfs_options, &flags, opts,
                                 sizeof(opts)) != 0)
        {
            snprintf(err, err_size, "tmpfs on %.200s: invalid options "
                     "\"%.200s\"", b->target, b->tmpfs_options);
            close(fd);
            close(rootfd);
            return -1;
        }

        if (b->tmpfs_options) {
            /* --tmpfs: its options are all there is */

        } else if (b->tmpfs_size) {
            snprintf(opts, sizeof(opts), "size=%llu", b->tmpfs_size);
        }

        if (b->tmpfs_mode && b->tmpfs_options == NULL) {
            snprintf(opts + strlen(opts), sizeof(opts) - strlen(opts),
                     "%smode=%o", opts[0] ? "," : "", b->tmpfs_mode);
        }

        if (mount("tmpfs", real, "tmpfs", flags, opts) != 0) {
            snprintf(err, err_size, "mount tmpfs on %.256s: %s", b->target,
                     sla_strerror(errno));
            close(fd);
            close(rootfd);
            return -1;
        }

        close(fd);
        close(rootfd);
        return 0;
    }

    if (b->copy_up && isdir && sla_copy_up(fd, b->source, err, err_size)
                               != 0)
    {
        close(fd);
        close(rootfd);
        return -1;
    }

    if (mount(b->source, real, NULL, MS_BIND | MS_REC, NULL) != 0) {
        snprintf(err, err_size, "bind mount %.150s on %.150s: %s",
                 b->source, b->target, sla_strerror(errno));
        close(fd);
        close(rootfd);
        return -1;
    }

    close(fd);

    if (b->readonly) {
        /* the new mount, opened again, is what is made read-only */

        fd = sla_open_in_root(rootfd, b->target, O_PATH);

        if (fd != -1) {
            snprintf(real, sizeof(real), "/proc/self/fd/%d", fd);
        }

        if (fd == -1
            || mount(NULL, real, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
                     NULL)
               != 0)
        {
            snprintf(err, err_size, "read-only bind mount %.256s: %s",
                     b->target, sla_strerror(errno));
            if (fd != -1) {
                close(fd);
            }

            close(rootfd);
            return -1;
        }

        close(fd);
    }

    close(rootfd);

    return 0;
}


/*
 * dockerd's copyExistingContents(): what the image has at a volume's
 * mount point goes into the volume when the volume is empty, with the
 * directory's owner and mode
 */

static int
sla_copy_up(int fromfd, const char *to, char *err, size_t err_size)
{
    int             sfd, dfd, rc;
    DIR            *d;
    char           *buf;
    size_t          i;
    sla_copy_t      cp;
    struct stat     st;
    struct dirent  *de;

    d = opendir(to);
    if (d == NULL) {
        snprintf(err, err_size, "volume %.256s: %s", to,
                 sla_strerror(errno));
        return -1;
    }

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            break;
        }
    }

    closedir(d);

    if (de != NULL) {
        /* not empty: its files are kept as they are */
        return 0;
    }

    sfd = openat(fromfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    buf = malloc(65536);

    memset(&cp, 0, sizeof(sla_copy_t));
    cp.root = dfd;
    cp.buf = buf;
    cp.size = 65536;

    rc = -1;

    if (sfd != -1 && dfd != -1 && buf != NULL
        && sla_copy_tree(&cp, sfd, dfd, 0, 0) == 0
        && fstat(sfd, &st) == 0
        && sla_copy_owner(fchown(dfd, st.st_uid, st.st_gid)) == 0
        && fchmod(dfd, st.st_mode & 07777) == 0)
    {
        rc = 0;

    } else {
        snprintf(err, err_size, "copying the image's files into volume "
                 "%.256s: %s", to, sla_strerror(errno));
    }

    free(buf);

    for (i = 0; i < cp.nseen; i++) {
        free(cp.seen[i].path);
    }

    free(cp.seen);

    if (sfd != -1) {
        close(sfd);
    }

    if (dfd != -1) {
        close(dfd);
    }

    return rc;
}


/*
 * the directory sfd into dfd (cp->rel, rlen bytes, is its path under the
 * volume): files, hard and symbolic links, devices, owners, modes
 */

static int
sla_copy_tree(sla_copy_t *cp, int sfd, int dfd, size_t rlen, int depth)
{
    int               in, out, rc;
    DIR              *d;
    char             *buf;
    size_t            size, nlen;
    ssize_t           n;
    struct stat       st;
    struct dirent    *de;
    struct timespec   ts[2];

    buf = cp->buf;
    size = cp->size;

    if (depth > 128) {
        errno = ELOOP;
        return -1;
    }

    in = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (in == -1) {
        return -1;
    }

    d = fdopendir(in);
    if (d == NULL) {
        close(in);
        return -1;
    }

    rc = 0;

    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (fstatat(sfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = -1;
            break;
        }

        ts[0] = st.st_atim;
        ts[1] = st.st_mtim;

        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dfd, de->d_name, 0700) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }

            in = openat(sfd, de->d_name,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            out = openat(dfd, de->d_name,
                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

            nlen = strlen(de->d_name);

            if (rlen + nlen + 2 > sizeof(cp->rel)) {
                errno = ENAMETOOLONG;
                rc = -1;
                break;
            }

            memcpy(cp->rel + rlen, de->d_name, nlen);
            cp->rel[rlen + nlen] = '/';

            if (in == -1 || out == -1
                || sla_copy_tree(cp, in, out, rlen + nlen + 1, depth + 1)
                   != 0
                || sla_copy_owner(fchown(out, st.st_uid, st.st_gid)) != 0
                || fchmod(out, st.st_mode & 07777) != 0
                || futimens(out, ts) != 0)
            {
                rc = -1;
            }

        } else if (S_ISREG(st.st_mode)
                   && (rc = sla_copy_link(cp, &st, dfd, de->d_name, rlen))
                      != 0)
        {
            /* another name of a file copied before: linked, or failed */
            in = -1;
            out = -1;
            rc = (rc == 1) ? 0 : -1;

        } else if (S_ISREG(st.st_mode)) {
            in = openat(sfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            out = openat(dfd, de->d_name,
                         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW
                         | O_CLOEXEC, 0600);

            if (in == -1 || out == -1) {
                rc = -1;

            } else {
                while ((n = read(in, buf, size)) > 0) {
                    if (write(out, buf, n) != n) {
                        n = -1;
                        break;
                    }
                }

                if (n < 0
                    || sla_copy_owner(fchown(out, st.st_uid, st.st_gid))
                       != 0
                    || fchmod(out, st.st_mode & 07777) != 0
                    || futimens(out, ts) != 0)
                {
                    rc = -1;
                }
            }

        } else {
            in = -1;
            out = -1;

            if (S_ISLNK(st.st_mode)) {
                n = readlinkat(sfd, de->d_name, buf, size - 1);

                if (n < 0) {
                    rc = -1;

                } else {
                    buf[n] = '\0';
                    rc = symlinkat(buf, dfd, de->d_name);
                }

            } else {
                rc = mknodat(dfd, de->d_name, st.st_mode, st.st_rdev);

                if (rc != 0 && errno == EPERM) {
                    /* a device in a user namespace: left out */
                    rc = 0;
                    continue;
                }
            }

            if (rc == 0) {
                rc = sla_copy_owner(fchownat(dfd, de->d_name, st.st_uid,
                                             st.st_gid,
                                             AT_SYMLINK_NOFOLLOW));
            }

            if (rc == 0) {
                rc = utimensat(dfd, de->d_name, ts, AT_SYMLINK_NOFOLLOW);
            }
        }

        if (in != -1) {
            close(in);
        }

        if (out != -1) {
            close(out);
        }
    }

    closedir(d);

    return rc;
}


/*
 * A regular file with more than one link: 1 when it was copied before
 * under another name (this one is made a hard link to it), -1 on a
 * failure, 0 when it is to be copied (its path is remembered)
 */

static int
sla_copy_link(sla_copy_t *cp, struct stat *st, int dfd, const char *name,
    size_t rlen)
{
    size_t            i, nlen;
    sla_copy_seen_t  *seen;

    if (st->st_nlink < 2) {
        return 0;
    }

    for (i = 0; i < cp->nseen; i++) {
        if (cp->seen[i].dev == st->st_dev && cp->seen[i].ino == st->st_ino) {
            return linkat(cp->root, cp->seen[i].path, dfd, name, 0) == 0
                   ? 1 : -1;
        }
    }

    if (cp->nseen == cp->nalloc) {
        cp->nalloc = cp->nalloc ? cp->nalloc * 2 : 16;
        seen = realloc(cp->seen, cp->nalloc * sizeof(sla_copy_seen_t));

        if (seen == NULL) {
            return -1;
        }

        cp->seen = seen;
    }

    nlen = strlen(name);
    seen = &cp->seen[cp->nseen];

    seen->path = malloc(rlen + nlen + 1);
    if (seen->path == NULL) {
        return -1;
    }

    memcpy(seen->path, cp->rel, rlen);
    memcpy(seen->path + rlen, name, nlen + 1);
    seen->dev = st->st_dev;
    seen->ino = st->st_ino;
    cp->nseen++;

    return 0;
}


/*
 * in a user namespace the image's owners may have no mapping: the copy
 * then keeps the agent's, as a rootless dockerd would show them
 */

static int
sla_copy_owner(int rc)
{
    if (rc != 0 && (errno == EINVAL || errno == EPERM)) {
        return 0;
    }

    return rc;
}


static int
sla_numeric(const char *s, unsigned long *v)
{
    char  *end;

    if (*s < '0' || *s > '9') {
        return 0;
    }

    errno = 0;
    *v = strtoul(s, &end, 10);

    return *end == '\0' && errno == 0 && *v <= 0xfffffffful;
}


/* user "" | name | uid | uid:gid | name:group, from /etc/passwd and group */

static int
sla_lookup_user(const char *spec, sla_user_t *u, char *err, size_t err_size)
{
    int            found, numeric_user, have_group;
    char           user[256], group[256], line[4096], name[256];
    char          *f[7], *p, *m;
    FILE          *fp;
    size_t         i;
    unsigned long  n, uid_n;

    memset(u, 0, sizeof(sla_user_t));
    strcpy(u->home, "/");

    snprintf(user, sizeof(user), "%s", spec[0] ? spec : "0");
    group[0] = '\0';
    have_group = 0;

    p = strchr(user, ':');
    if (p) {
        *p = '\0';
        snprintf(group, sizeof(group), "%s", p + 1);
        have_group = 1;
    }

    if (user[0] == '\0') {
        strcpy(user, "0");
    }

    numeric_user = sla_numeric(user, &uid_n);
    found = 0;
    name[0] = '\0';

    fp = fopen("/etc/passwd", "re");

    while (fp && fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';

        for (i = 0, p = line; i < 7; i++) {
            f[i] = p;
            p = p ? strchr(p, ':') : NULL;
            if (p) {
                *p++ = '\0';
            }
        }

        if (f[2] == NULL || f[3] == NULL) {
            continue;
        }

        if (numeric_user ? (sla_numeric(f[2], &n) && n == uid_n)
                         : strcmp(f[0], user) == 0)
        {
            found = 1;
            u->uid = (uid_t) strtoul(f[2], NULL, 10);
            u->gid = (gid_t) strtoul(f[3], NULL, 10);
            snprintf(name, sizeof(name), "%s", f[0]);

            if (f[5] && f[5][0]) {
                snprintf(u->home, sizeof(u->home), "%s", f[5]);
            }

            break;
        }
    }

    if (fp) {
        fclose(fp);
    }

    if (!found) {
        if (!numeric_user) {
            snprintf(err, err_size, "unable to find user %s: no matching "
                     "entries in passwd file", user);
            return -1;
        }

        u->uid = (uid_t) uid_n;
        u->gid = 0;
    }

    found = !have_group || sla_numeric(group, &n);
    if (have_group && found) {
        u->gid = (gid_t) n;
    }

    fp = fopen("/etc/group", "re");

    while (fp && fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';

        for (i = 0, p = line; i < 4; i++) {
            f[i] = p;
            p = p ? strchr(p, ':') : NULL;
            if (p) {
                *p++ = '\0';
            }
        }

        if (f[2] == NULL || !sla_numeric(f[2], &n)) {
            continue;
        }

        if (have_group && !found && strcmp(f[0], group) == 0) {
            found = 1;
            u->gid = (gid_t) n;
        }

        /* supplementary groups only when no group was given, like runc */

        if (have_group || name[0] == '\0' || f[3] == NULL) {
            continue;
        }

        for (m = strtok(f[3], ","); m; m = strtok(NULL, ",")) {
            if (strcmp(m, name) == 0 && u->ngroups < SLA_MAX_GROUPS) {
                u->groups[u->ngroups++] = (gid_t) n;
                break;
            }
        }
    }

    if (fp) {
        fclose(fp);
    }

    if (!found) {
        snprintf(err, err_size, "unable to find group %s: no matching "
                 "entries in group file", group);
        return -1;
    }

    return 0;
}


/* strerror() in Go's wording: lowercase first letter */

static const char *
sla_strerror(int err)
{
    static char  buf[128];

    snprintf(buf, sizeof(buf), "%s", strerror(err));
    buf[0] = (char) tolower((unsigned char) buf[0]);

    return buf;
}


static const char *
sla_env_get(char **env, const char *name)
{
    size_t  n;

    n = strlen(name);

    for ( ; env && *env; env++) {
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=') {
            return *env + n + 1;
        }
    }

    return NULL;
}


/* base with entries of over replacing those with the same name */

char **
sla_env_merge(char **base, char **over)
{
    char        **v, *eq;
    size_t        i, j, k, n, len;

    n = 0;
    for (i = 0; base && base[i]; i++) {
        n++;
    }

    for (i = 0; over && over[i]; i++) {
        n++;
    }

    v = calloc(n + 1, sizeof(char *));
    if (v == NULL) {
        return NULL;
    }

    k = 0;

    for (i = 0; base && base[i]; i++) {
        v[k] = strdup(base[i]);
        if (v[k++] == NULL) {
            goto failed;
        }
    }

    for (i = 0; over && over[i]; i++) {
        eq = strchr(over[i], '=');
        len = eq ? (size_t) (eq - over[i]) : strlen(over[i]);

        for (j = 0; j < k; j++) {
            if (strncmp(v[j], over[i], len) == 0
                && (v[j][len] == '=' || v[j][len] == '\0'))
            {
                break;
            }
        }

        if (j < k) {
            free(v[j]);

        } else {
            k++;
        }

        v[j] = strdup(over[i]);
        if (v[j] == NULL) {
            goto failed;
        }
    }

    return v;

failed:

    sla_strv_free(v);
    return NULL;
}


void
sla_strv_free(char **v)
{
    char  **p;

    for (p = v; p && *p; p++) {
        free(*p);
    }

    free(v);
}
