
/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: the network namespace of a container on bridge
 * networks. Each network is a Linux bridge with the gateway address;
 * each endpoint a veth pair, the host end on the bridge, the other end
 * moved into the container and named eth0, eth1... The links are made
 * with iproute2 ("ip -batch -"), in the host's namespace or the
 * container's (setns in the child); the agent is its own process, so it
 * may wait for them.
 *
 * An interface is a string of six words (agent.json "interfaces",
 * "sockerless-agent net"):
 *
 *     <bridge> <gateway> <prefix length> <address> <mac> <host end>
 */


#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sla.h>


#define SLA_IP_PATH  "/usr/sbin/ip"


static int sla_ip(int nsfd, const char *batch, char *err, size_t err_size);
static int sla_net_write(const char *path, const char *value);


int
sla_net_parse(const char *spec, sla_iface_t *ifc)
{
    memset(ifc, 0, sizeof(sla_iface_t));

    if (sscanf(spec, "%15s %15s %u %15s %17s %15s", ifc->bridge, ifc->gateway,
               &ifc->prefix, ifc->address, ifc->mac, ifc->host) != 6
        || ifc->prefix < 8 || ifc->prefix > 30)
    {
        return -1;
    }

    /* the end that moves into the container, until it is renamed */
    snprintf(ifc->peer, sizeof(ifc->peer), "slp%s", ifc->host + 3);

    return 0;
}


/*
 * Runs "ip -batch -" with the lines in batch, in the network namespace
 * nsfd (-1: the caller's); 0, or -1 with ip's own words in err.
 */

static int
sla_ip(int nsfd, const char *batch, char *err, size_t err_size)
{
    int      in[2], out[2], status;
    pid_t    pid;
    size_t   len, got;
    ssize_t  n;

    if (pipe2(in, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "pipe: %s", strerror(errno));
        return -1;
    }

    if (pipe2(out, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }

    pid = fork();

    if (pid == -1) {
        snprintf(err, err_size, "fork: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        return -1;
    }

    if (pid == 0) {
        if ((nsfd >= 0 && setns(nsfd, CLONE_NEWNET) != 0)
            || dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1
            || dup2(out[1], 2) == -1)
        {
            _exit(126);
        }

        execl(SLA_IP_PATH, "ip", "-batch", "-", (char *) NULL);
        dprintf(2, "exec %s: %s (package iproute2)", SLA_IP_PATH,
                strerror(errno));
        _exit(127);
    }

    close(in[0]);
    close(out[1]);

    len = strlen(batch);
    n = write(in[1], batch, len);
    close(in[1]);

    got = 0;
    err[0] = '\0';

    for ( ;; ) {
        n = read(out[0], err + got, err_size - 1 - got);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        got += (size_t) n;

        if (got == err_size - 1) {
            break;
        }
    }

    close(out[0]);
    err[got] = '\0';

    while (got && (err[got - 1] == '\n' || err[got - 1] == ' ')) {
        err[--got] = '\0';
    }

    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) {
            snprintf(err, err_size, "waitpid: %s", strerror(errno));
            return -1;
        }
    }

    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (got == 0) {
            snprintf(err, err_size, "ip exited with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128);
        }

        return -1;
    }

    return 0;
}


static int
sla_net_write(const char *path, const char *value)
{
    int      fd;
    ssize_t  n;

    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    n = write(fd, value, strlen(value));
    close(fd);

    return n == (ssize_t) strlen(value) ? 0 : -1;
}


/*
 * The bridge of a network, in the caller's (the host's) namespace: made
 * if missing, with the gateway address, up, and not forwarding, so that
 * the host routes no packet from one network to another.
 */

int
sla_net_bridge(sla_iface_t *ifc, char *err, size_t err_size)
{
    char  batch[512], path[128];

    /* another container may be making it at the same time */
    snprintf(batch, sizeof(batch), "link add %s type bridge\n", ifc->bridge);
    (void) sla_ip(-1, batch, err, err_size);

    snprintf(batch, sizeof(batch),
             "addr replace %s/%u dev %s\n"
             "link set %s up\n",
             ifc->gateway, ifc->prefix, ifc->bridge, ifc->bridge);

    if (sla_ip(-1, batch, err, err_size) != 0) {
        return -1;
    }

    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
             ifc->bridge);

    if (sla_net_write(path, "0") != 0) {
        snprintf(err, err_size, "writing %s: %s", path, strerror(errno));
        return -1;
    }

    return 0;
}


/*
 * The veth pair, made in the host's namespace (hostfd, -1: the caller's)
 * with its container end moved into the namespace of pid
 */

int
sla_net_veth(int hostfd, sla_iface_t *ifc, pid_t pid, char *err,
    size_t err_size)
{
    char  batch[512];

    /* a pair left by an earlier run of the container */
    snprintf(batch, sizeof(batch), "link del %s\n", ifc->host);
    (void) sla_ip(hostfd, batch, err, err_size);

    snprintf(batch, sizeof(batch),
             "link add %s type veth peer name %s\n"
             "link set %s master %s up\n"
             "link set %s netns %d\n",
             ifc->host, ifc->peer, ifc->host, ifc->bridge, ifc->peer,
             (int) pid);

    return sla_ip(hostfd, batch, err, err_size);
}


/*
 * The container's end, in its namespace (nsfd, -1: the caller's): named
 * name (NULL: the first free ethN), with its address, up, and the
 * default route when route is set
 */

int
sla_net_inside(int nsfd, sla_iface_t *ifc, const char *name, int route,
    char *err, size_t err_size)
{
    int   i;
    char  batch[512], eth[IFNAMSIZ];

    if (name) {
        snprintf(batch, sizeof(batch), "link set %s name %s\n", ifc->peer,
                 name);

        if (sla_ip(nsfd, batch, err, err_size) != 0) {
            return -1;
        }

        snprintf(eth, sizeof(eth), "%s", name);

    } else {
        for (i = 0; i < 32; i++) {
            snprintf(eth, sizeof(eth), "eth%d", i);
            snprintf(batch, sizeof(batch), "link set %s name %s\n",
                     ifc->peer, eth);

            if (sla_ip(nsfd, batch, err, err_size) == 0) {
                break;
            }
        }

        if (i == 32) {
            return -1;
        }
    }

    snprintf(batch, sizeof(batch),
             "link set %s address %s\n"
             "addr add %s/%u dev %s\n"
             "link set %s up\n",
             eth, ifc->mac, ifc->address, ifc->prefix, eth, eth);

    if (sla_ip(nsfd, batch, err, err_size) != 0) {
        return -1;
    }

    if (!route) {
        return 0;
    }

    snprintf(batch, sizeof(batch), "route add default via %s\n",
             ifc->gateway);

    return sla_ip(nsfd, batch, err, err_size);
}


/* loopback up, without a process (the next fork may be pid 1) */

int
sla_net_loopback(char *err, size_t err_size)
{
    int           s;
    struct ifreq  ifr;

    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s == -1) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }

    memset(&ifr, 0, sizeof(struct ifreq));
    strcpy(ifr.ifr_name, "lo");

    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        goto failed;
    }

    ifr.ifr_flags |= IFF_UP;

    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
        goto failed;
    }

    close(s);

    return 0;

failed:

    snprintf(err, err_size, "bringing lo up failed: %s", strerror(errno));
    close(s);

    return -1;
}


/*
 * The container's own network namespace (run mode, as root, before the
 * other namespaces): the bridges and veth ends are made from the host's
 * namespace, kept open as hostfd while the agent is in the new one.
 */

int
sla_net_setup(sla_agent_t *a, char *err, size_t err_size)
{
    int           hostfd, rc;
    char        **s, name[IFNAMSIZ];
    size_t        i;
    sla_iface_t   ifc;

    if (a->conf.network == NULL || a->conf.network[0] == '\0'
        || strcmp(a->conf.network, "host") == 0)
    {
        return 0;
    }

    for (s = a->conf.interfaces; s && *s; s++) {
        if (sla_net_parse(*s, &ifc) != 0) {
            snprintf(err, err_size, "agent.json: bad interface \"%s\"", *s);
            return -1;
        }

        if (sla_net_bridge(&ifc, err, err_size) != 0) {
            return -1;
        }
    }

    hostfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (hostfd == -1) {
        snprintf(err, err_size, "open /proc/self/ns/net: %s",
                 strerror(errno));
        return -1;
    }

    if (unshare(CLONE_NEWNET) != 0) {
        snprintf(err, err_size, "unshare(CLONE_NEWNET) failed: %s",
                 strerror(errno));
        close(hostfd);
        return -1;
    }

    rc = sla_net_loopback(err, err_size);

    for (i = 0, s = a->conf.interfaces; rc == 0 && s && *s; s++, i++) {
        (void) sla_net_parse(*s, &ifc);
        snprintf(name, sizeof(name), "eth%u", (unsigned) i);

        if (sla_net_veth(hostfd, &ifc, getpid(), err, err_size) != 0
            || sla_net_inside(-1, &ifc, name, i == 0, err, err_size) != 0)
        {
            rc = -1;
        }
    }

    close(hostfd);

    if (rc != 0) {
        return -1;
    }

    sla_log("info", "sockerless-agent: network namespace with %u "
            "interface(s)", (unsigned) i);

    return 0;
}


/*
 * sockerless-agent net add|del <agent pid> <interface> --status-fd N:
 * connects or disconnects a running container; one status line,
 * {"ok":true} or {"error":"..."}
 */

int
sla_net_main(sla_agent_t *a, int argc, char **argv)
{
    int           nsfd, rc;
    char          path[64], err[SLA_ERR_LEN];
    pid_t         pid;
    sla_iface_t   ifc;

    if (argc != 7 || strcmp(argv[5], "--status-fd") != 0
        || (strcmp(argv[2], "add") != 0 && strcmp(argv[2], "del") != 0))
    {
        fprintf(stderr, "usage: sockerless-agent net add|del <pid> "
                "<interface> --status-fd N\n");
        return 2;
    }

    a->status_fd = atoi(argv[6]);
    pid = (pid_t) atoi(argv[3]);
    rc = -1;
    nsfd = -1;

    if (pid <= 1 || sla_net_parse(argv[4], &ifc) != 0) {
        snprintf(err, sizeof(err), "bad arguments");
        goto done;
    }

    if (strcmp(argv[2], "del") == 0) {
        /* the pair goes with its host end */
        snprintf(err, sizeof(err), "link del %s\n", ifc.host);
        rc = sla_ip(-1, err, err, sizeof(err));
        goto done;
    }

    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);

    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd == -1) {
        snprintf(err, sizeof(err), "open %s: %s", path, strerror(errno));
        goto done;
    }

    if (sla_net_bridge(&ifc, err, sizeof(err)) != 0
        || sla_net_veth(-1, &ifc, pid, err, sizeof(err)) != 0)
    {
        goto done;
    }

    /* the default route stays the one of the first network */
    rc = sla_net_inside(nsfd, &ifc, NULL, 0, err, sizeof(err));

done:

    if (nsfd != -1) {
        close(nsfd);
    }

    sla_status(a, rc == 0 ? NULL : err, 0);

    return rc == 0 ? 0 : 1;
}
