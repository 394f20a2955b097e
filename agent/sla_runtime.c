/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: HostConfig's process options applied in a child
 * before its exec (sysctls, rlimits, capabilities, added groups), and the
 * init that runs as pid 1 for docker run --init.
 */


#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sla.h>
#include <sls_runtime.h>


static int sla_runtime_gid(const char *name, gid_t *gid);


/*
 * pid 1 with --init, as docker-init (tini) is: the command is its only
 * child (SOCKERLESS_INIT_PID, forked before the exec that made this
 * process, with every signal blocked); each catchable signal is passed
 * on to it, every child that ends is reaped, and when the command ends
 * its status is ours (128 + the signal when it was killed)
 */

int
sla_init_main(void)
{
    int        sig, status;
    pid_t      child, pid;
    sigset_t   all;
    siginfo_t  info;

    child = (pid_t) atoi(getenv("SOCKERLESS_INIT_PID"));
    unsetenv("SOCKERLESS_INIT_PID");

    if (child <= 0) {
        fprintf(stderr, "sockerless-agent: init: no child\n");
        return 1;
    }

    /* ps shows "docker-init" and not the binary's name */
    prctl(PR_SET_NAME, "docker-init", 0, 0, 0);

    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);

    for ( ;; ) {
        /* the command may have ended before this process existed */

        for ( ;; ) {
            pid = waitpid(-1, &status, WNOHANG);

            if (pid <= 0) {
                break;
            }

            if (pid == child) {
                if (WIFSIGNALED(status)) {
                    return 128 + WTERMSIG(status);
                }

                return WEXITSTATUS(status);
            }
        }

        if (pid == -1 && errno == ECHILD) {
            return 1;
        }

        sig = sigwaitinfo(&all, &info);

        if (sig == -1 || sig == SIGCHLD) {
            continue;
        }

        switch (sig) {

        /* what the kernel sends for a fault of this process is not sent */
        case SIGFPE:
        case SIGILL:
        case SIGSEGV:
        case SIGBUS:
        case SIGABRT:
        case SIGTRAP:
        case SIGSYS:
        case SIGTTIN:
        case SIGTTOU:
            break;

        default:
            kill(child, sig);
        }
    }
}


/* --sysctl, in the container's own namespaces, under root's /proc */

int
sla_runtime_sysctls(sla_agent_t *a, const char *root, char *err,
    size_t err_size)
{
    int          fd;
    char       **s, path[4096], *p;
    size_t       n, len;
    const char  *eq;

    for (s = a->conf.sysctls; s && *s; s++) {
        eq = strchr(*s, '=');

        if (eq == NULL || eq == *s) {
            snprintf(err, err_size, "invalid sysctl \"%.200s\"", *s);
            return -1;
        }

        n = (size_t) snprintf(path, sizeof(path), "%s/proc/sys/%.*s", root,
                              (int) (eq - *s), *s);
        if (n >= sizeof(path)) {
            snprintf(err, err_size, "sysctl name too long");
            return -1;
        }

        for (p = path + strlen(root) + 10; *p; p++) {
            if (*p == '.') {
                *p = '/';
            }
        }

        len = strlen(eq + 1);

        fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd == -1 || write(fd, eq + 1, len) != (ssize_t) len) {
            snprintf(err, err_size, "write sysctl key %.*s: %s",
                     (int) (eq - *s), *s, strerror(errno));
            if (fd != -1) {
                close(fd);
            }

            return -1;
        }

        close(fd);
    }

    return 0;
}


/* --group-add: gids or names of the container's /etc/group, appended */

int
sla_runtime_groups(char **names, gid_t *groups, size_t *ngroups, size_t max,
    char *err, size_t err_size)
{
    gid_t    gid;
    size_t   i;

    for ( ; names && *names; names++) {
        if (sla_runtime_gid(*names, &gid) != 0) {
            snprintf(err, err_size, "unable to find group %.200s: no "
                     "matching entries in group file", *names);
            return -1;
        }

        for (i = 0; i < *ngroups; i++) {
            if (groups[i] == gid) {
                break;
            }
        }

        if (i == *ngroups && *ngroups < max) {
            groups[(*ngroups)++] = gid;
        }
    }

    return 0;
}


static int
sla_runtime_gid(const char *name, gid_t *gid)
{
    char           line[4096], *end, *f, *g;
    FILE          *fp;
    size_t         len;
    unsigned long  n;

    if (*name >= '0' && *name <= '9') {
        errno = 0;
        n = strtoul(name, &end, 10);

        if (*end == '\0' && errno == 0 && n <= 0xfffffffful) {
            *gid = (gid_t) n;
            return 0;
        }
    }

    fp = fopen("/etc/group", "re");
    if (fp == NULL) {
        return -1;
    }

    len = strlen(name);

    while (fgets(line, sizeof(line), fp)) {
        if (strncmp(line, name, len) != 0 || line[len] != ':') {
            continue;
        }

        f = strchr(line + len + 1, ':');
        if (f == NULL) {
            continue;
        }

        n = strtoul(f + 1, &g, 10);

        if (g != f + 1 && (*g == ':' || *g == '\n' || *g == '\0')) {
            fclose(fp);
            *gid = (gid_t) n;
            return 0;
        }
    }

    fclose(fp);

    return -1;
}


/* --ulimit, for every process of the container, before its setuid() */

int
sla_runtime_rlimits(sla_agent_t *a, char *err, size_t err_size)
{
    size_t          i;
    struct rlimit   rl;

    for (i = 0; i < a->conf.nrlimits; i++) {
        rl.rlim_cur = (rlim_t) a->conf.rlimits[i].soft;
        rl.rlim_max = (rlim_t) a->conf.rlimits[i].hard;

        if (setrlimit(a->conf.rlimits[i].resource, &rl) != 0) {
            snprintf(err, err_size, "error setting rlimit type %d: %s",
                     a->conf.rlimits[i].resource, strerror(errno));
            return -1;
        }
    }

    return 0;
}


/*
 * The bounding set, before setuid(): what is not in caps is dropped for
 * good (the kernel may know fewer capabilities than sls_runtime does)
 */

int
sla_runtime_bounding(uint64_t caps, char *err, size_t err_size)
{
    int  n;

    for (n = 0; n < 64; n++) {
        if (prctl(PR_CAPBSET_READ, n, 0, 0, 0) < 0) {
            break;
        }

        if (!(caps & (1ULL << n))
            && prctl(PR_CAPBSET_DROP, n, 0, 0, 0) != 0)
        {
            snprintf(err, err_size, "unable to drop capability %s from the "
                     "bounding set: %s",
                     sls_cap_name(n) ? sls_cap_name(n) : "?",
                     strerror(errno));
            return -1;
        }
    }

    return 0;
}


/*
 * After setuid(): as dockerd asks runc, a root process has the set as
 * effective and permitted capabilities, none inheritable or ambient; a
 * process of another user has none but the bounding set (setuid() has
 * cleared them already)
 */

int
sla_runtime_caps(uint64_t caps, char *err, size_t err_size)
{
    struct __user_cap_data_struct    data[2];
    struct __user_cap_header_struct  hdr;

    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);

    memset(&hdr, 0, sizeof(hdr));
    memset(data, 0, sizeof(data));
    hdr.version = _LINUX_CAPABILITY_VERSION_3;

    if (syscall(SYS_capget, &hdr, data) != 0) {
        snprintf(err, err_size, "capget: %s", strerror(errno));
        return -1;
    }

    if (geteuid() != 0) {
        caps = 0;
    }

    /* never more than this process holds (a user namespace, the agent's) */

    data[0].permitted &= (uint32_t) caps;
    data[1].permitted &= (uint32_t) (caps >> 32);
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    data[0].inheritable = 0;
    data[1].inheritable = 0;

    if (syscall(SYS_capset, &hdr, data) != 0) {
        snprintf(err, err_size, "capset: %s", strerror(errno));
        return -1;
    }

    return 0;
}
