/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: published ports. The agent binds every host address
 * and port before it enters the container's network namespace, so the
 * sockets stay in the host's, and relays each connection (TCP) or each
 * client address (UDP) to 127.0.0.1:<container port>, dialed from the
 * container's namespace: dockerd's userland proxy, in the agent's loop.
 */


#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sla.h>


#define SLA_RELAY_BUF        (64 * 1024)
#define SLA_RELAYS_MAX       1024
#define SLA_UDP_IDLE_MSEC    90000       /* dockerd's UDP proxy timeout */
#define SLA_UDP_BURST        64


struct sla_relay_s {
    sla_port_t              *port;
    int                      fd[2];      /* 0: the client, 1: the container */
    int                      connecting;
    int                      eof[2];     /* fd[i] has nothing more to read */
    int                      shut[2];    /* fd[i] was shut for writing */
    size_t                   len[2];     /* read from fd[i], for fd[1 - i] */
    size_t                   off[2];
    unsigned char           *buf[2];
    struct sockaddr_storage  peer;       /* udp: the client */
    socklen_t                peer_len;
    int64_t                  last;       /* udp: ms of the last datagram */
    sla_relay_t             *next;
};


static int sla_ports_own_netns(sla_agent_t *a);
static int sla_port_bind(sla_port_t *p, char *err, size_t err_size);
static void sla_port_accept(sla_agent_t *a, sla_port_t *p);
static void sla_port_datagrams(sla_agent_t *a, sla_port_t *p);
static int sla_relay_dial(sla_relay_t *r, int type);
static void sla_relay_tcp(sla_relay_t *r, int side, int revents);
static void sla_relay_udp(sla_relay_t *r);
static void sla_relay_kill(sla_relay_t *r);


/*
 * agent.json "ports": [{"proto": "tcp"|"udp", "port": 80,
 * "host_ip": "0.0.0.0", "host_port": 8080, "host_last": 8080}];
 * host_port 0 lets the kernel pick, host_last > host_port is a range
 */

int
sla_ports_conf(sla_config_t *conf, sls_json_t *j, char *err, size_t err_size)
{
    size_t       n;
    sls_json_t  *e, *proto, *port, *ip, *hp, *hl;
    sla_port_t  *p;

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_ARRAY) {
        goto invalid;
    }

    n = 0;

    for (e = j->child; e; e = e->next) {
        n++;
    }

    conf->ports = calloc(n + 1, sizeof(sla_port_t));
    if (conf->ports == NULL) {
        return -1;
    }

    for (e = j->child; e; e = e->next) {
        if (e->type != SLS_JSON_OBJECT) {
            goto invalid;
        }

        proto = sls_json_get(e, "proto");
        port = sls_json_get(e, "port");
        ip = sls_json_get(e, "host_ip");
        hp = sls_json_get(e, "host_port");
        hl = sls_json_get(e, "host_last");

        if (proto == NULL || proto->type != SLS_JSON_STRING
            || (strcmp(proto->str, "tcp") != 0
                && strcmp(proto->str, "udp") != 0)
            || port == NULL || port->type != SLS_JSON_NUMBER
            || port->num < 1 || port->num > 65535
            || ip == NULL || ip->type != SLS_JSON_STRING
            || strlen(ip->str) >= sizeof(p->host_ip)
            || hp == NULL || hp->type != SLS_JSON_NUMBER
            || hp->num < 0 || hp->num > 65535
            || (hl && (hl->type != SLS_JSON_NUMBER || hl->num < hp->num
                       || hl->num > 65535)))
        {
            goto invalid;
        }

        p = &conf->ports[conf->nports++];

        p->udp = (strcmp(proto->str, "udp") == 0);
        p->port = (unsigned) port->num;
        strcpy(p->host_ip, ip->str[0] ? ip->str : "0.0.0.0");
        p->host_port = (unsigned) hp->num;
        p->host_last = hl ? (unsigned) hl->num : p->host_port;
        p->fd = -1;
    }

    return 0;

invalid:

    snprintf(err, err_size, "agent.json: \"ports\" must be an array of "
             "{\"proto\", \"port\", \"host_ip\", \"host_port\"}");
    return -1;
}


/* the relays dial 127.0.0.1 from the container's own namespace */

static int
sla_ports_own_netns(sla_agent_t *a)
{
    return a->conf.namespaces && geteuid() == 0 && a->conf.network
           && strcmp(a->conf.network, "bridge") == 0;
}


/*
 * Binds every published port, in the caller's (the host's) namespace;
 * on failure a->port_error is the port's index and err the reason in
 * Go's words ("address already in use"), and nothing stays bound
 */

int
sla_ports_bind(sla_agent_t *a, char *err, size_t err_size)
{
    int          own;
    size_t       i;
    sla_port_t  *p;

    own = sla_ports_own_netns(a);

    for (i = 0; i < a->conf.nports; i++) {
        p = &a->conf.ports[i];

        /*
         * Sharing the host's network, the container's own socket is the
         * published port when both are the same number: nothing to relay
         */

        if (!own && p->host_port == p->port && p->host_last == p->port) {
            p->bound = p->port;
            continue;
        }

        if (sla_port_bind(p, err, err_size) != 0) {
            a->port_error = (int) i;
            sla_ports_close(a);
            return -1;
        }

        sla_log("info", "sockerless-agent: publishing %s:%u/%s to port %u",
                p->host_ip, p->bound, p->udp ? "udp" : "tcp", p->port);
    }

    return 0;
}


static int
sla_port_bind(sla_port_t *p, char *err, size_t err_size)
{
    int                      fd, one, e;
    unsigned                 port;
    socklen_t                len;
    struct sockaddr_in      *sin;
    struct sockaddr_in6     *sin6;
    struct sockaddr_storage  sa;

    memset(&sa, 0, sizeof(sa));
    sin = (struct sockaddr_in *) &sa;
    sin6 = (struct sockaddr_in6 *) &sa;

    if (inet_pton(AF_INET, p->host_ip, &sin->sin_addr) == 1) {
        sa.ss_family = AF_INET;
        len = sizeof(struct sockaddr_in);

    } else if (inet_pton(AF_INET6, p->host_ip, &sin6->sin6_addr) == 1) {
        sa.ss_family = AF_INET6;
        len = sizeof(struct sockaddr_in6);

    } else {
        snprintf(err, err_size, "invalid host IP \"%s\"", p->host_ip);
        return -1;
    }

    e = 0;

    for (port = p->host_port; port <= p->host_last; port++) {
        fd = socket(sa.ss_family, (p->udp ? SOCK_DGRAM : SOCK_STREAM)
                                  | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd == -1) {
            e = errno;
            break;
        }

        one = 1;

        if (!p->udp) {
            (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                              sizeof(int));
        }

        if (sa.ss_family == AF_INET6) {
            (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
                              sizeof(int));
            sin6->sin6_port = htons((uint16_t) port);

        } else {
            sin->sin_port = htons((uint16_t) port);
        }

        if (bind(fd, (struct sockaddr *) &sa, len) == 0
            && (p->udp || listen(fd, 511) == 0))
        {
            e = 0;
            break;
        }

        e = errno;
        close(fd);
        fd = -1;

        if (e != EADDRINUSE || port == p->host_last) {
            break;
        }
    }

    if (fd == -1) {
        snprintf(err, err_size, "%s", strerror(e ? e : EINVAL));

        /* Go's errno strings start in lowercase */
        if (err[0] >= 'A' && err[0] <= 'Z') {
            err[0] = (char) (err[0] - 'A' + 'a');
        }

        return -1;
    }

    len = sizeof(sa);

    if (getsockname(fd, (struct sockaddr *) &sa, &len) != 0) {
        snprintf(err, err_size, "getsockname: %s", strerror(errno));
        close(fd);
        return -1;
    }

    p->bound = ntohs(sa.ss_family == AF_INET6 ? sin6->sin6_port
                                              : sin->sin_port);
    p->fd = fd;

    return 0;
}


/* main has exited: nothing more is published, every relay goes */

void
sla_ports_close(sla_agent_t *a)
{
    size_t        i;
    sla_relay_t  *r;

    for (i = 0; i < a->conf.nports; i++) {
        if (a->conf.ports[i].fd != -1) {
            close(a->conf.ports[i].fd);
            a->conf.ports[i].fd = -1;
        }
    }

    for (r = a->relays; r; r = r->next) {
        sla_relay_kill(r);
    }
}


void
sla_ports_sweep(sla_agent_t *a)
{
    sla_relay_t  *r, **rp;

    for (rp = &a->relays; *rp; ) {
        r = *rp;

        if (r->fd[0] != -1 || r->fd[1] != -1) {
            rp = &r->next;
            continue;
        }

        *rp = r->next;
        a->nrelays--;

        free(r->buf[0]);
        free(r->buf[1]);
        free(r);
    }
}


/* the most poll entries sla_ports_poll() may add */

size_t
sla_ports_count(sla_agent_t *a)
{
    return a->conf.nports + 2 * a->nrelays;
}


#define sla_ports_add(f, ev, p, s)                                            \
    pfds[n].fd = (f);                                                         \
    pfds[n].events = (ev);                                                    \
    pfds[n].revents = 0;                                                      \
    ptrs[n] = (p);                                                            \
    sides[n] = (s);                                                           \
    n++

/*
 * Listeners have side -1; a relay's sides are 0 (the client) and 1 (the
 * container). A side with nothing to wait for is left out, so a hung up
 * socket never spins the loop.
 */

size_t
sla_ports_poll(sla_agent_t *a, struct pollfd *pfds, void **ptrs, int *sides)
{
    int           i;
    short         ev;
    size_t        n, k;
    sla_relay_t  *r;

    n = 0;

    for (k = 0; k < a->conf.nports; k++) {
        if (a->conf.ports[k].fd != -1 && a->conf.ports[k].resume == 0) {
            sla_ports_add(a->conf.ports[k].fd, POLLIN, &a->conf.ports[k],
                          -1);
        }
    }

    for (r = a->relays; r; r = r->next) {
        if (r->fd[0] == -1) {
            continue;
        }

        if (r->port->udp) {
            sla_ports_add(r->fd[1], POLLIN, r, 1);
            continue;
        }

        if (r->connecting) {
            sla_ports_add(r->fd[1], POLLOUT, r, 1);
            continue;
        }

        for (i = 0; i < 2; i++) {
            ev = 0;

            if (!r->eof[i] && r->len[i] == 0) {
                ev |= POLLIN;
            }

            if (r->len[1 - i]) {
                ev |= POLLOUT;
            }

            if (ev) {
                sla_ports_add(r->fd[i], ev, r, i);
            }
        }
    }

    return n;
}

#undef sla_ports_add


void
sla_ports_event(sla_agent_t *a, void *ptr, int side, int revents)
{
    sla_port_t   *p;
    sla_relay_t  *r;

    if (side == -1) {
        p = ptr;

        if (p->fd == -1) {
            return;
        }

        if (p->udp) {
            sla_port_datagrams(a, p);

        } else {
            sla_port_accept(a, p);
        }

        return;
    }

    r = ptr;

    if (r->fd[0] == -1) {
        return;
    }

    if (r->port->udp) {
        sla_relay_udp(r);

    } else {
        sla_relay_tcp(r, side, revents);
    }
}


/*
 * udp flows idle for 90 s end, listeners out of descriptors accept
 * again; the ms until the next of these
 */

int64_t
sla_ports_tick(sla_agent_t *a)
{
    size_t        k;
    int64_t       now, wait, left;
    sla_port_t   *p;
    sla_relay_t  *r;

    wait = -1;
    now = sla_now_ms();

    for (k = 0; k < a->conf.nports; k++) {
        p = &a->conf.ports[k];

        if (p->resume == 0) {
            continue;
        }

        left = p->resume - now;

        if (left <= 0) {
            p->resume = 0;
            continue;
        }

        if (wait == -1 || left < wait) {
            wait = left;
        }
    }

    for (r = a->relays; r; r = r->next) {
        if (!r->port->udp || r->fd[0] == -1) {
            continue;
        }

        left = r->last + SLA_UDP_IDLE_MSEC - now;

        if (left <= 0) {
            sla_relay_kill(r);
            continue;
        }

        if (wait == -1 || left < wait) {
            wait = left;
        }
    }

    return wait;
}


static void
sla_port_accept(sla_agent_t *a, sla_port_t *p)
{
    int           fd;
    sla_relay_t  *r;

    for ( ;; ) {
        fd = accept4(p->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }

            if (errno == EMFILE || errno == ENFILE) {
                /* as nginx: no accepting for a while, not a busy loop */
                p->resume = sla_now_ms() + 500;
            }

            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                sla_log("error", "sockerless-agent: accept() on port %u "
                        "failed: %s", p->bound, strerror(errno));
            }

            return;
        }

        r = NULL;

        if (a->nrelays < SLA_RELAYS_MAX) {
            r = calloc(1, sizeof(sla_relay_t));
        }

        if (r) {
            r->buf[0] = malloc(SLA_RELAY_BUF);
            r->buf[1] = malloc(SLA_RELAY_BUF);
        }

        if (r == NULL || r->buf[0] == NULL || r->buf[1] == NULL) {
            sla_log("error", "sockerless-agent: a connection to port %u "
                    "refused: too many relays or out of memory", p->bound);

            if (r) {
                free(r->buf[0]);
                free(r->buf[1]);
                free(r);
            }

            close(fd);
            continue;
        }

        r->port = p;
        r->fd[0] = fd;

        if (sla_relay_dial(r, SOCK_STREAM) != 0) {
            /* as dockerd's proxy: the client sees the container refuse */
            close(fd);
            free(r->buf[0]);
            free(r->buf[1]);
            free(r);
            continue;
        }

        r->next = a->relays;
        a->relays = r;
        a->nrelays++;
    }
}


/* the socket to the container's port, from the agent's namespace */

static int
sla_relay_dial(sla_relay_t *r, int type)
{
    int                 fd;
    struct sockaddr_in  sin;

    fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) r->port->port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return -1;
        }

        r->connecting = 1;
    }

    r->fd[1] = fd;

    return 0;
}


/*
 * One TCP relay: each side's bytes go to the other through a buffer
 * that is read only when empty (back-pressure); a side's EOF becomes a
 * shutdown(SHUT_WR) of the other once its bytes are out; any failure
 * closes both
 */

static void
sla_relay_tcp(sla_relay_t *r, int side, int revents)
{
    int        i, e;
    ssize_t    n;
    socklen_t  len;

    if (r->connecting) {
        e = 0;
        len = sizeof(int);

        if (getsockopt(r->fd[1], SOL_SOCKET, SO_ERROR, &e, &len) != 0
            || e != 0)
        {
            sla_relay_kill(r);
            return;
        }

        r->connecting = 0;
        return;
    }

    if ((revents & (POLLIN | POLLHUP | POLLERR))
        && !r->eof[side] && r->len[side] == 0)
    {
        n = recv(r->fd[side], r->buf[side], SLA_RELAY_BUF, 0);

        if (n > 0) {
            r->len[side] = (size_t) n;
            r->off[side] = 0;

        } else if (n == 0) {
            r->eof[side] = 1;

        } else if (errno != EAGAIN && errno != EINTR) {
            sla_relay_kill(r);
            return;
        }
    }

    /* write out at once what came, whichever side polled */

    for (i = 0; i < 2; i++) {
        while (r->len[i]) {
            n = send(r->fd[1 - i], r->buf[i] + r->off[i], r->len[i],
                     MSG_NOSIGNAL);

            if (n > 0) {
                r->off[i] += (size_t) n;
                r->len[i] -= (size_t) n;
                continue;
            }

            if (n == -1 && errno == EINTR) {
                continue;
            }

            if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                break;
            }

            sla_relay_kill(r);
            return;
        }

        if (r->eof[i] && r->len[i] == 0 && !r->shut[1 - i]) {
            (void) shutdown(r->fd[1 - i], SHUT_WR);
            r->shut[1 - i] = 1;
        }
    }

    if (r->shut[0] && r->shut[1]) {
        sla_relay_kill(r);
    }
}


/* datagrams from clients: one flow (a connected socket) per address */

static void
sla_port_datagrams(sla_agent_t *a, sla_port_t *p)
{
    int                      k;
    ssize_t                  n;
    socklen_t                len;
    sla_relay_t             *r;
    struct sockaddr_storage  from;
    unsigned char            buf[65536];

    for (k = 0; k < SLA_UDP_BURST; k++) {
        len = sizeof(from);
        n = recvfrom(p->fd, buf, sizeof(buf), 0, (struct sockaddr *) &from,
                     &len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return;
        }

        for (r = a->relays; r; r = r->next) {
            if (r->port == p && r->fd[0] != -1 && r->peer_len == len
                && memcmp(&r->peer, &from, len) == 0)
            {
                break;
            }
        }

        if (r == NULL) {
            if (a->nrelays >= SLA_RELAYS_MAX) {
                continue;
            }

            r = calloc(1, sizeof(sla_relay_t));
            if (r == NULL) {
                continue;
            }

            r->port = p;
            r->fd[1] = -1;

            if (sla_relay_dial(r, SOCK_DGRAM) != 0) {
                free(r);
                continue;
            }

            /* fd[0] is the port's socket, shared: only marks it alive */
            r->fd[0] = p->fd;
            memcpy(&r->peer, &from, len);
            r->peer_len = len;

            r->next = a->relays;
            a->relays = r;
            a->nrelays++;
        }

        r->last = sla_now_ms();

        /* a datagram that does not fit is dropped, as on the wire */
        (void) send(r->fd[1], buf, (size_t) n, MSG_NOSIGNAL);
    }
}


static void
sla_relay_udp(sla_relay_t *r)
{
    int            k;
    ssize_t        n;
    unsigned char  buf[65536];

    for (k = 0; k < SLA_UDP_BURST; k++) {
        n = recv(r->fd[1], buf, sizeof(buf), 0);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            /* EAGAIN, or ECONNREFUSED: nothing listens there (yet) */
            return;
        }

        r->last = sla_now_ms();

        (void) sendto(r->port->fd, buf, (size_t) n, MSG_NOSIGNAL,
                      (struct sockaddr *) &r->peer, r->peer_len);
    }
}


static void
sla_relay_kill(sla_relay_t *r)
{
    if (r->port->udp) {
        /* fd[0] belongs to the port */
        r->fd[0] = -1;

    } else if (r->fd[0] != -1) {
        close(r->fd[0]);
        r->fd[0] = -1;
    }

    if (r->fd[1] != -1) {
        close(r->fd[1]);
        r->fd[1] = -1;
    }
}
