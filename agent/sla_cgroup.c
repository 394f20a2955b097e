
/*
 * Copyright (C) sockerless contributors
 *
 * The container's cgroups (agent.json "cgroups", made and limited by the
 * module): every child joins them before it execs, the main process's
 * exit reads the OOM kills counted there, and the agent removes them as
 * it exits.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sla.h>
#include <sls_cgroup.h>


static uint64_t sla_cgroup_oom_count(const char *dir);


/* in the child, before chroot: "0" moves the writing process itself */

int
sla_cgroup_join(sla_agent_t *a, char *err, size_t err_size)
{
    int     fd;
    char    path[4096];
    char  **d;

    for (d = a->conf.cgroups; d && *d; d++) {
        snprintf(path, sizeof(path), "%s/cgroup.procs", *d);

        fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd == -1 || write(fd, "0", 1) != 1) {
            snprintf(err, err_size, "joining the cgroup %s: %s", *d,
                     strerror(errno));

            if (fd != -1) {
                close(fd);
            }

            return -1;
        }

        close(fd);
    }

    return 0;
}


/* oom_kill of memory.events (v2) or memory.oom_control (v1) */

static uint64_t
sla_cgroup_oom_count(const char *dir)
{
    int        fd;
    char       path[4096], buf[1024];
    ssize_t    n;
    uint64_t   v, total;
    size_t     i;

    static const char  *files[] = { "memory.events", "memory.oom_control" };

    total = 0;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd == -1) {
            continue;
        }

        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);

        if (n > 0 && sls_cgroup_key(buf, (size_t) n, "oom_kill", &v) == 0) {
            total += v;
        }
    }

    return total;
}


uint64_t
sla_cgroup_ooms(sla_agent_t *a)
{
    char      **d;
    uint64_t    total;

    total = 0;

    for (d = a->conf.cgroups; d && *d; d++) {
        total += sla_cgroup_oom_count(*d);
    }

    return total;
}


/*
 * The processes killed with pid 1 leave their cgroups as they exit: the
 * removal is retried for up to half a second, then left to the module
 * (remove, or the next start reuses them)
 */

void
sla_cgroup_remove(sla_agent_t *a)
{
    int     tries;
    char  **d;

    for (d = a->conf.cgroups; d && *d; d++) {
        for (tries = 0; tries < 50; tries++) {
            if (rmdir(*d) == 0 || errno == ENOENT) {
                break;
            }

            if (errno != EBUSY) {
                sla_log("warn", "sockerless-agent: removing the cgroup %s: "
                        "%s", *d, strerror(errno));
                break;
            }

            usleep(10000);
        }
    }
}
