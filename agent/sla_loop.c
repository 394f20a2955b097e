/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: the poll() loop: the WebSocket server, process output
 * to the log, the ring and attached connections, stdin, exits.
 */


#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sls_logfmt.h>
#include <sla.h>
#include <sla_archive.h>


#define SLA_MAX_CONNS     256
#define SLA_IN_MAX        (SLS_WS_MAX_MESSAGE + SLS_WS_MAX_HEADER + 65536)

#define SLA_P_LISTEN      0
#define SLA_P_SIGNAL      1
#define SLA_P_CONN        2
#define SLA_P_STDOUT      3
#define SLA_P_STDERR      4
#define SLA_P_STDIN       5
#define SLA_P_CLIENT_IN   6       /* direct exec: the client's socket */
#define SLA_P_CLIENT_OUT  7
#define SLA_P_DIRECT_IN   8       /* direct exec: its stdin pipe */
#define SLA_P_DIAL        9       /* reverse: a park or the exit report */
#define SLA_P_STDIO       10      /* reverse: the container's stdout */
#define SLA_P_PORTS       11      /* published ports, sla_ports.c */


typedef struct {
    int                kind;
    int                side;      /* SLA_P_PORTS */
    void              *ptr;
} sla_pref_t;


static void sla_accept(sla_agent_t *a);
static void sla_conn_read(sla_agent_t *a, sla_conn_t *c);
static void sla_conn_write(sla_conn_t *c);
static void sla_conn_process(sla_agent_t *a, sla_conn_t *c);
static void sla_conn_handshake(sla_agent_t *a, sla_conn_t *c);
static void sla_conn_http(sla_conn_t *c, const char *status,
    const char *extra);
static void sla_conn_message(sla_agent_t *a, sla_conn_t *c,
    sls_ws_msg_t *msg);
static void sla_conn_control(sla_agent_t *a, sla_conn_t *c,
    const char *p, size_t len);
static void sla_conn_data(sla_agent_t *a, sla_conn_t *c,
    const unsigned char *p, size_t len);
static void sla_conn_exec(sla_agent_t *a, sla_conn_t *c,
    sls_agent_msg_t *m);
static void sla_conn_archive(sla_agent_t *a, sla_conn_t *c,
    sls_agent_msg_t *m);
static void sla_conn_attach(sla_agent_t *a, sla_conn_t *c,
    sls_agent_msg_t *m);
static void sla_send_frame(sla_conn_t *c, int opcode, const void *p,
    size_t len);
static void sla_send_msg(sla_conn_t *c, sls_agent_msg_t *m);
static void sla_send_error(sla_conn_t *c, const char *id, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static void sla_send_data(sla_conn_t *c, int stream, const char *id,
    const unsigned char *p, size_t len);
static void sla_send_close(sla_conn_t *c, int code);
static sla_session_t *sla_session_find(sla_agent_t *a, const char *id,
    size_t len);
static int sla_session_throttled(sla_agent_t *a, sla_session_t *s);
static ssize_t sla_session_read(sla_agent_t *a, sla_session_t *s,
    int stream);
static void sla_session_deliver(sla_agent_t *a, sla_session_t *s,
    int stream, const unsigned char *p, size_t len);
static void sla_session_end(sla_agent_t *a, sla_session_t *s);
static void sla_session_free(sla_session_t *s);
static void sla_stdin_write(sla_agent_t *a, sla_session_t *s, sla_conn_t *c,
    const unsigned char *p, size_t len);
static void sla_stdin_flush(sla_agent_t *a, sla_session_t *s);
static void sla_stdin_close(sla_session_t *s);
static void sla_unpause(sla_agent_t *a, sla_session_t *s);
static void sla_reap(sla_agent_t *a);
static void sla_ring_add(sla_agent_t *a, int stream, const unsigned char *p,
    size_t len);
static void sla_sweep(sla_agent_t *a);
static int sla_token_ok(sla_agent_t *a, const char *auth, size_t len);


int
sla_listen(sla_agent_t *a, char *err, size_t err_size)
{
    int                 fd, dirfd;
    char               *slash;
    mode_t              mask;
    struct sockaddr_un  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;

    dirfd = -1;

    if (strlen(a->conf.socket) < sizeof(sa.sun_path)) {
        strcpy(sa.sun_path, a->conf.socket);

    } else {
        /* too long for sun_path: bound through its directory's descriptor */
        slash = strrchr(a->conf.socket, '/');

        if (slash == NULL || strlen(slash) > 64) {
            snprintf(err, err_size, "socket path %s is too long",
                     a->conf.socket);
            return -1;
        }

        *slash = '\0';
        dirfd = open(a->conf.socket[0] ? a->conf.socket : "/",
                     O_PATH | O_DIRECTORY | O_CLOEXEC);
        *slash = '/';

        if (dirfd == -1) {
            snprintf(err, err_size, "open the directory of %s: %s",
                     a->conf.socket, strerror(errno));
            return -1;
        }

        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d%s",
                 dirfd, slash);
    }

    unlink(a->conf.socket);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }

    mask = umask(077);

    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
        umask(mask);
        snprintf(err, err_size, "bind %s: %s", a->conf.socket,
                 strerror(errno));
        close(fd);

        if (dirfd != -1) {
            close(dirfd);
        }

        return -1;
    }

    umask(mask);

    if (dirfd != -1) {
        close(dirfd);
    }

    chmod(a->conf.socket, 0600);

    if (listen(fd, 64) != 0) {
        snprintf(err, err_size, "listen %s: %s", a->conf.socket,
                 strerror(errno));
        close(fd);
        unlink(a->conf.socket);
        return -1;
    }

    a->listen_fd = fd;

    return 0;
}


int
sla_loop(sla_agent_t *a)
{
    int             n, i, timeout, busy, *sides;
    void          **ptrs;
    size_t          nfds, cap, k, np;
    int64_t         now, wait;
    sla_conn_t     *c;
    sla_pref_t     *refs;
    struct pollfd  *pfds;
    sla_session_t  *s;

    pfds = NULL;
    refs = NULL;
    ptrs = NULL;
    sides = NULL;
    cap = 0;

    for ( ;; ) {
        sla_sweep(a);

        if (a->oneshot && a->sessions == NULL && a->conns == NULL
            && (a->served || sla_now_ms() >= a->deadline))
        {
            break;
        }

        if (a->oneshot) {
            now = sla_now_ms();
            timeout = (a->served || now >= a->deadline)
                      ? -1 : (int) (a->deadline - now);

        } else if (a->finishing) {
            busy = 0;

            for (s = a->sessions; s; s = s->next) {
                busy = 1;
            }

            for (c = a->conns; c; c = c->next) {
                if (c->out.len) {
                    busy = 1;
                }
            }

            now = sla_now_ms();

            /* reverse mode: the exit report is out (or given up) first */

            if ((!busy || now >= a->deadline)
                && !(a->reverse && sla_reverse_busy(a))
                && !(a->reverse && sla_reverse_lingering(a)))
            {
                break;
            }

            timeout = (busy && now < a->deadline)
                      ? (int) (a->deadline - now) : -1;

            if (a->reverse && sla_reverse_lingering(a)
                && (timeout == -1 || a->linger_until - now < timeout))
            {
                timeout = (int) (a->linger_until - now);
            }

        } else {
            timeout = -1;
        }

        wait = sla_health_tick(a);

        if (wait >= 0 && (timeout == -1 || wait < timeout)) {
            timeout = (int) wait;
        }

        wait = sla_ports_tick(a);

        if (wait >= 0 && (timeout == -1 || wait < timeout)) {
            timeout = (int) wait;
        }

        if (a->reverse) {
            wait = sla_reverse_tick(a);

            if (wait >= 0 && (timeout == -1 || wait < timeout)) {
                timeout = (int) wait;
            }
        }

        /*
         * a direct exec that was reaped ends when its output has all gone
         * out, or, once 2 s have passed, when none is on its way (a child
         * may hold the pipes open); a slow client gets all of it
         */

        now = sla_now_ms();

        for (s = a->sessions; s; s = s->next) {
            if (s->reaped && !s->exited) {
                if (sla_direct_drained(s)
                    || (now >= s->drain_until && sla_direct_idle(s)))
                {
                    sla_session_end(a, s);
                    continue;
                }

                /* past the deadline nothing wakes the loop when it ends */
                wait = (now < s->drain_until) ? s->drain_until - now : 100;

                if (timeout == -1 || wait < timeout) {
                    timeout = (int) wait;
                }
            }
        }

        nfds = 5 + sla_ports_count(a);
        for (c = a->conns; c; c = c->next) {
            nfds++;
        }

        for (s = a->sessions; s; s = s->next) {
            nfds += 4;
        }

        if (nfds > cap) {
            cap = nfds * 2;
            free(pfds);
            free(refs);
            free(ptrs);
            free(sides);
            pfds = malloc(cap * sizeof(struct pollfd));
            refs = malloc(cap * sizeof(sla_pref_t));
            ptrs = malloc(cap * sizeof(void *));
            sides = malloc(cap * sizeof(int));

            if (pfds == NULL || refs == NULL || ptrs == NULL
                || sides == NULL)
            {
                sla_log("alert", "sockerless-agent: out of memory");
                return 1;
            }
        }

        nfds = 0;

#define sla_poll_add(f, ev, k, p)                                             \
        pfds[nfds].fd = (f);                                                  \
        pfds[nfds].events = (ev);                                             \
        pfds[nfds].revents = 0;                                               \
        refs[nfds].kind = (k);                                                \
        refs[nfds].ptr = (p);                                                 \
        nfds++

        if (a->listen_fd != -1) {
            sla_poll_add(a->listen_fd, POLLIN, SLA_P_LISTEN, NULL);
        }

        sla_poll_add(a->sig_fd, POLLIN, SLA_P_SIGNAL, NULL);

        np = sla_ports_poll(a, pfds + nfds, ptrs, sides);

        for (k = 0; k < np; k++) {
            refs[nfds].kind = SLA_P_PORTS;
            refs[nfds].side = sides[k];
            refs[nfds].ptr = ptrs[k];
            nfds++;
        }

        if (a->reverse) {
            sla_dial_t     *d;
            unsigned char  *q;

            for (d = &a->park; d; d = (d == &a->park) ? &a->report : NULL) {
                if (d->fd != -1) {
                    sla_poll_add(d->fd, d->state == SLA_DIAL_HEAD
                                        ? POLLIN : POLLOUT, SLA_P_DIAL, d);
                }
            }

            if (a->stdq.len) {
                q = sla_buf_pos(&a->stdq);
                sla_poll_add(q[0] == 2 ? a->err_fd : a->out_fd, POLLOUT,
                             SLA_P_STDIO, NULL);
            }
        }

        for (c = a->conns; c; c = c->next) {
            short  ev;

            ev = 0;

            if (c->state != SLA_CONN_CLOSING && c->paused_on == NULL
                && c->in.len < SLA_IN_MAX)
            {
                ev |= POLLIN;
            }

            if (c->out.len) {
                ev |= POLLOUT;
            }

            sla_poll_add(c->fd, ev, SLA_P_CONN, c);
        }

        for (s = a->sessions; s; s = s->next) {
            int  throttled;

            if (s->exited) {
                continue;
            }

            if (s->direct) {
                if (sla_direct_pending(s)) {
                    sla_poll_add(s->cfd, POLLOUT, SLA_P_CLIENT_OUT, s);

                } else {
                    if (s->fd_out != -1) {
                        sla_poll_add(s->fd_out, POLLIN, SLA_P_STDOUT, s);
                    }

                    if (s->fd_err != -1) {
                        sla_poll_add(s->fd_err, POLLIN, SLA_P_STDERR, s);
                    }
                }

                if (s->fd_in != -1 && !s->c_in_eof) {
                    if (s->in_blocked) {
                        sla_poll_add(s->fd_in, POLLOUT, SLA_P_DIRECT_IN, s);

                    } else {
                        sla_poll_add(s->cfd, POLLIN, SLA_P_CLIENT_IN, s);
                    }
                }

                continue;
            }

            throttled = sla_session_throttled(a, s);

            if (s->fd_out != -1 && !s->pty_eof && !throttled) {
                sla_poll_add(s->fd_out, POLLIN, SLA_P_STDOUT, s);
            }

            if (s->fd_err != -1 && !throttled) {
                sla_poll_add(s->fd_err, POLLIN, SLA_P_STDERR, s);
            }

            if (s->fd_in != -1 && s->pending.len) {
                sla_poll_add(s->fd_in, POLLOUT, SLA_P_STDIN, s);
            }
        }

#undef sla_poll_add

        n = poll(pfds, nfds, timeout);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            sla_log("alert", "sockerless-agent: poll() failed: %s",
                    strerror(errno));
            return 1;
        }

        for (i = 0; i < (int) nfds && n > 0; i++) {
            if (pfds[i].revents == 0) {
                continue;
            }

            n--;

            switch (refs[i].kind) {

            case SLA_P_LISTEN:
                if (a->listen_fd != -1) {
                    sla_accept(a);
                }
                break;

            case SLA_P_SIGNAL:
                sla_reap(a);
                break;

            case SLA_P_DIAL:
                sla_reverse_dial_event(a, refs[i].ptr, pfds[i].revents);
                break;

            case SLA_P_STDIO:
                sla_reverse_stdio_flush(a, 0);
                break;

            case SLA_P_PORTS:
                sla_ports_event(a, refs[i].ptr, refs[i].side,
                                pfds[i].revents);
                break;

            case SLA_P_CONN:
                c = refs[i].ptr;

                if (c->fd == -1) {
                    break;
                }

                if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                    sla_conn_read(a, c);
                }

                if (c->fd != -1 && c->out.len
                    && (pfds[i].revents & (POLLOUT | POLLERR)))
                {
                    sla_conn_write(c);
                }
                break;

            case SLA_P_STDOUT:
            case SLA_P_STDERR:
                s = refs[i].ptr;

                if (s->direct && !s->exited) {
                    sla_direct_out(s, refs[i].kind == SLA_P_STDOUT ? 1 : 2,
                                   (pfds[i].revents & (POLLHUP | POLLERR))
                                   != 0);

                } else if (!s->exited) {
                    sla_session_read(a, s, refs[i].kind == SLA_P_STDOUT
                                           ? 1 : 2);
                }
                break;

            case SLA_P_STDIN:
                s = refs[i].ptr;

                if (!s->exited) {
                    sla_stdin_flush(a, s);
                }
                break;

            case SLA_P_CLIENT_OUT:
                s = refs[i].ptr;

                if (!s->exited) {
                    sla_direct_out(s, 0, 0);
                }
                break;

            case SLA_P_CLIENT_IN:
            case SLA_P_DIRECT_IN:
                s = refs[i].ptr;

                if (!s->exited) {
                    sla_direct_in(s);
                }
                break;
            }
        }
    }

    free(pfds);
    free(refs);
    free(ptrs);
    free(sides);

    /* main has exited: close the connections and go */

    for (c = a->conns; c; c = c->next) {
        if (c->fd == -1) {
            continue;
        }

        if (c->state == SLA_CONN_WS) {
            sla_send_close(c, SLS_WS_CLOSE_NORMAL);
        }

        sla_conn_write(c);

        if (c->fd != -1) {
            close(c->fd);
            c->fd = -1;
        }
    }

    if (a->conf.socket) {
        unlink(a->conf.socket);
    }

    sla_log("info", "sockerless-agent: exiting");

    return 0;
}


static void
sla_sweep(sla_agent_t *a)
{
    sla_conn_t     *c, **cp;
    sla_session_t  *s, **sp;

    sla_ports_sweep(a);

    for (cp = &a->conns; *cp; ) {
        c = *cp;

        if (c->fd != -1) {
            cp = &c->next;
            continue;
        }

        *cp = c->next;

        if (c->parked) {
            /* closed before the gateway used it: dial another */
            c->parked = 0;
            sla_reverse_park_lost(a);
        }

        if (c->passed_fd != -1) {
            close(c->passed_fd);
        }

        sla_buf_free(&c->in);
        sla_buf_free(&c->out);
        sls_ws_reader_free(&c->rd);
        free(c);
    }

    for (sp = &a->sessions; *sp; ) {
        s = *sp;

        if (!s->exited) {
            sp = &s->next;
            continue;
        }

        *sp = s->next;
        sla_session_free(s);
    }
}


/* connections */

static void
sla_accept(sla_agent_t *a)
{
    int  fd;

    for ( ;; ) {
        fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd == -1) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
                sla_log("alert", "sockerless-agent: accept() failed: %s",
                        strerror(errno));
            }

            return;
        }

        if (sla_conn_add(a, fd) == NULL) {
            close(fd);
            continue;
        }

        a->served = 1;
    }
}


/* a connection accepted or, in reverse mode, dialed and parked */

sla_conn_t *
sla_conn_add(sla_agent_t *a, int fd)
{
    int          n;
    sla_conn_t  *c;

    n = 0;
    for (c = a->conns; c; c = c->next) {
        n++;
    }

    c = (n < SLA_MAX_CONNS) ? calloc(1, sizeof(sla_conn_t)) : NULL;

    if (c == NULL) {
        sla_log("error", "sockerless-agent: too many connections");
        return NULL;
    }

    c->fd = fd;
    c->passed_fd = -1;
    c->state = SLA_CONN_HTTP;
    c->rd.server = 1;
    c->rd.max_message = SLS_WS_MAX_MESSAGE;
    c->next = a->conns;
    a->conns = c;

    return c;
}


/* bytes read for c elsewhere (after a parked connection's answer head) */

void
sla_conn_feed(sla_agent_t *a, sla_conn_t *c, const void *p, size_t len)
{
    if (sla_buf_add(&c->in, p, len) != 0) {
        sla_conn_close(a, c);
        return;
    }

    sla_conn_process(a, c);
}


static void
sla_conn_read(sla_agent_t *a, sla_conn_t *c)
{
    int              *fds;
    size_t            room, i, nfds;
    ssize_t           n;
    struct iovec      iov;
    struct msghdr     mh;
    struct cmsghdr   *cm;
    unsigned char     buf[65536];

    union {
        struct cmsghdr  align;
        char            buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;

    while (c->fd != -1 && c->state != SLA_CONN_CLOSING
           && c->paused_on == NULL && c->in.len < SLA_IN_MAX)
    {
        room = SLA_IN_MAX - c->in.len;

        iov.iov_base = buf;
        iov.iov_len = room < sizeof(buf) ? room : sizeof(buf);

        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);

        n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);

        /* a client's socket for a direct exec rides with its message */

        for (cm = (n >= 0) ? CMSG_FIRSTHDR(&mh) : NULL; cm;
             cm = CMSG_NXTHDR(&mh, cm))
        {
            if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
                continue;
            }

            fds = (int *) CMSG_DATA(cm);
            nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

            for (i = 0; i < nfds; i++) {
                if (c->state == SLA_CONN_WS && c->passed_fd == -1) {
                    c->passed_fd = fds[i];

                } else {
                    close(fds[i]);
                }
            }
        }

        if (n > 0) {
            if (c->parked) {
                /* the gateway has taken this one: park another */
                c->parked = 0;
                sla_reverse_park_used(a);
            }

            if (sla_buf_add(&c->in, buf, (size_t) n) != 0) {
                sla_conn_close(a, c);
                return;
            }

            sla_conn_process(a, c);
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        /* EOF or error: nothing more will come, flush what is queued */

        if (c->out.len && n == 0) {
            c->state = SLA_CONN_CLOSING;

        } else {
            sla_conn_close(a, c);
        }

        return;
    }
}


static void
sla_conn_write(sla_conn_t *c)
{
    ssize_t  n;

    while (c->out.len) {
        n = write(c->fd, sla_buf_pos(&c->out), c->out.len);

        if (n > 0) {
            sla_buf_drop(&c->out, (size_t) n);
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        /* the peer is gone; the loop's sweep frees c */
        close(c->fd);
        c->fd = -1;
        c->out.len = 0;
        return;
    }

    if (c->state == SLA_CONN_CLOSING) {
        close(c->fd);
        c->fd = -1;
    }
}


void
sla_conn_close(sla_agent_t *a, sla_conn_t *c)
{
    sla_session_t  *s;

    for (s = a->sessions; s; s = s->next) {
        if (s->owner == c) {
            s->owner = NULL;

            if (s->archive && !s->exited) {
                /* docker cp whose client went away: it ends here */
                kill(s->pid, SIGKILL);
            }
        }
    }

    if (c->fd != -1) {
        close(c->fd);
        c->fd = -1;
    }

    if (c->passed_fd != -1) {
        close(c->passed_fd);
        c->passed_fd = -1;
    }

    c->paused_on = NULL;
    c->att_main = 0;
    c->out.len = 0;
}


static void
sla_conn_process(sla_agent_t *a, sla_conn_t *c)
{
    int           rc;
    size_t        used;
    sls_ws_msg_t  msg;

    if (c->state == SLA_CONN_HTTP) {
        sla_conn_handshake(a, c);
    }

    while (c->fd != -1 && c->state == SLA_CONN_WS && c->paused_on == NULL
           && c->in.len)
    {
        rc = sls_ws_read(&c->rd, sla_buf_pos(&c->in), c->in.len, &used,
                         &msg);

        if (rc == SLS_WS_ERROR) {
            sla_log("info", "sockerless-agent: websocket protocol error, "
                    "closing with %d", c->rd.close_code);
            sla_send_close(c, c->rd.close_code);
            c->state = SLA_CONN_CLOSING;
            c->in.len = 0;
            return;
        }

        if (rc == SLS_WS_AGAIN) {
            sla_buf_drop(&c->in, used);
            return;
        }

        sla_conn_message(a, c, &msg);
        sla_buf_drop(&c->in, used);
    }
}


static int
sla_token_ok(sla_agent_t *a, const char *auth, size_t len)
{
    size_t          i, tlen;
    unsigned char   diff;

    if (auth == NULL || len < 7 || strncasecmp(auth, "Bearer ", 7) != 0) {
        return 0;
    }

    auth += 7;
    len -= 7;
    tlen = strlen(a->token);

    /* constant time in the token's length */

    diff = (len != tlen);

    for (i = 0; i < tlen; i++) {
        diff |= (unsigned char) (a->token[i] ^ (i < len ? auth[i] : 0));
    }

    return diff == 0;
}


static void
sla_conn_http(sla_conn_t *c, const char *status, const char *extra)
{
    char  buf[512];
    int   n;

    n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\n%sContent-Length: 0\r\n"
                 "Connection: close\r\n\r\n", status, extra);

    sla_buf_add(&c->out, buf, (size_t) n);
    c->state = SLA_CONN_CLOSING;
    c->in.len = 0;
}


static void
sla_conn_handshake(sla_agent_t *a, sla_conn_t *c)
{
    int               rc, n;
    char              accept[SLS_WS_ACCEPT_LEN + 1], buf[256];
    sls_ws_request_t  req;

    rc = sls_ws_parse_request((const char *) sla_buf_pos(&c->in), c->in.len,
                              &req);

    if (rc == SLS_WS_AGAIN) {
        return;
    }

    if (rc == SLS_WS_ERROR) {
        sla_conn_http(c, "400 Bad Request", "");
        return;
    }

    if (!sla_token_ok(a, req.auth, req.auth_len)) {
        sla_log("info", "sockerless-agent: connection without a valid "
                "token refused");
        sla_conn_http(c, "401 Unauthorized", "");
        return;
    }

    if (!req.get) {
        sla_conn_http(c, "405 Method Not Allowed", "Allow: GET\r\n");
        return;
    }

    if (req.version != 13) {
        sla_conn_http(c, "426 Upgrade Required",
                      "Sec-WebSocket-Version: 13\r\n");
        return;
    }

    if (!req.upgrade || !req.connection || req.key_len == 0) {
        sla_conn_http(c, "400 Bad Request", "");
        return;
    }

    sls_ws_accept_key(req.key, req.key_len, accept);

    n = snprintf(buf, sizeof(buf), "HTTP/1.1 101 Switching Protocols\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: %s\r\n\r\n", accept);

    sla_buf_add(&c->out, buf, (size_t) n);
    sla_buf_drop(&c->in, req.header_len);
    c->state = SLA_CONN_WS;
}


static void
sla_conn_message(sla_agent_t *a, sla_conn_t *c, sls_ws_msg_t *msg)
{
    int  code;

    switch (msg->opcode) {

    case SLS_WS_OP_CLOSE:
        code = SLS_WS_CLOSE_NORMAL;

        if (msg->len >= 2) {
            code = msg->data[0] << 8 | msg->data[1];
        }

        sla_send_close(c, code);
        c->state = SLA_CONN_CLOSING;
        c->in.len = 0;
        break;

    case SLS_WS_OP_PING:
        sla_send_frame(c, SLS_WS_OP_PONG, msg->data, msg->len);
        break;

    case SLS_WS_OP_PONG:
        break;

    case SLS_WS_OP_TEXT:
        sla_conn_control(a, c, (const char *) msg->data, msg->len);
        break;

    case SLS_WS_OP_BINARY:
        sla_conn_data(a, c, msg->data, msg->len);
        break;
    }
}


static void
sla_conn_data(sla_agent_t *a, sla_conn_t *c, const unsigned char *p,
    size_t len)
{
    sla_session_t     *s;
    sls_agent_data_t   d;

    if (sls_agent_data_parse(p, len, &d) != 0
        || d.stream != SLS_AGENT_STDIN)
    {
        sla_send_error(c, "", "malformed data frame");
        return;
    }

    s = sla_session_find(a, d.id, d.id_len);

    if (s == NULL || s->exited) {
        return;
    }

    if (s->is_main ? !(c->att_main && c->att_stdin) : s->owner != c) {
        sla_send_error(c, s->id, "stdin of %s is not attached", s->id);
        return;
    }

    sla_stdin_write(a, s, c, d.data, d.len);
}


static void
sla_conn_control(sla_agent_t *a, sla_conn_t *c, const char *p, size_t len)
{
    char             err[256];
    sla_session_t   *s;
    sls_agent_msg_t  m, r;
    struct winsize   ws;

    if (sls_agent_msg_parse(p, len, &m, err, sizeof(err)) != 0) {
        sla_send_error(c, "", "%s", err);
        return;
    }

    memset(&r, 0, sizeof(r));
    s = NULL;

    switch (m.type) {

    case SLS_AGENT_MSG_PING:
        r.type = SLS_AGENT_MSG_PONG;
        sla_send_msg(c, &r);
        break;

    case SLS_AGENT_MSG_ATTACH:
        sla_conn_attach(a, c, &m);
        break;

    case SLS_AGENT_MSG_EXEC:
        sla_conn_exec(a, c, &m);
        break;

    case SLS_AGENT_MSG_ARCHIVE_STAT:
    case SLS_AGENT_MSG_ARCHIVE_GET:
    case SLS_AGENT_MSG_ARCHIVE_PUT:
        sla_conn_archive(a, c, &m);
        break;

    case SLS_AGENT_MSG_STDIN_CLOSE:
    case SLS_AGENT_MSG_RESIZE:
    case SLS_AGENT_MSG_SIGNAL:
        s = sla_session_find(a, m.id, strlen(m.id));

        if (s == NULL || s->exited) {
            sla_send_error(c, m.id, "no such process: %s", m.id);
            break;
        }

        if (m.type == SLS_AGENT_MSG_STDIN_CLOSE) {
            if (s->is_main ? !(c->att_main && c->att_stdin)
                           : s->owner != c)
            {
                sla_send_error(c, s->id, "stdin of %s is not attached",
                               s->id);
                break;
            }

            if (s->tty) {
                sla_stdin_write(a, s, NULL, (const unsigned char *) "\004",
                                1);

            } else if (s->pending.len) {
                s->close_in = 1;

            } else {
                sla_stdin_close(s);
            }

        } else if (m.type == SLS_AGENT_MSG_RESIZE) {
            if (s->tty && s->fd_out != -1) {
                memset(&ws, 0, sizeof(ws));
                ws.ws_row = (unsigned short) m.height;
                ws.ws_col = (unsigned short) m.width;

                if (ioctl(s->fd_out, TIOCSWINSZ, &ws) != 0) {
                    sla_send_error(c, s->id, "resize: %s", strerror(errno));
                }
            }

        } else if (kill(s->pid, m.signal) != 0) {
            sla_send_error(c, s->id, "kill %d: %s", (int) s->pid,
                           strerror(errno));
        }

        break;

    default:
        sla_send_error(c, m.id, "unexpected message type");
        break;
    }

    sls_agent_msg_free(&m);
}


static void
sla_conn_attach(sla_agent_t *a, sla_conn_t *c, sls_agent_msg_t *m)
{
    sla_chunk_t      *ch;
    sls_agent_msg_t   r;

    if (strcmp(m->id, "main") != 0) {
        sla_send_error(c, m->id, "only \"main\" can be attached");
        return;
    }

    if (a->finishing && !(a->reverse && m->logs)) {
        sla_send_error(c, m->id, "the container has exited");
        return;
    }

    c->att_main = 1;
    c->att_stdin = m->attach_stdin;
    c->att_stdout = m->attach_stdout;
    c->att_stderr = m->attach_stderr;
    c->att_logs = m->logs;

    if (!m->logs) {
        return;
    }

    for (ch = a->ring; ch; ch = ch->next) {
        if (ch->stream == 1 ? c->att_stdout : c->att_stderr) {
            sla_send_data(c, ch->stream, "main", ch->data, ch->len);
        }
    }

    if (a->finishing) {
        /* reverse mode: the gateway reads a run that ended before it came */
        memset(&r, 0, sizeof(r));
        r.type = SLS_AGENT_MSG_EXIT;
        strcpy(r.id, "main");
        r.exit_code = a->exit_code;
        sla_send_msg(c, &r);
        c->exit_sent = 1;
    }
}


static void
sla_conn_exec(sla_agent_t *a, sla_conn_t *c, sls_agent_msg_t *m)
{
    int              cfd;
    char             err[SLA_ERR_LEN], **env;
    sla_spawn_t      sp;
    sla_session_t   *s;
    sls_agent_msg_t  r;

    /* a direct exec takes the socket that came with its message */

    cfd = -1;

    if (m->direct) {
        cfd = c->passed_fd;
        c->passed_fd = -1;

        if (cfd == -1 || m->tty) {
            if (cfd != -1) {
                close(cfd);
            }

            sla_send_error(c, m->id, cfd == -1 ? "a direct exec came without "
                           "a socket" : "a direct exec cannot have a tty");
            return;
        }
    }

    if (a->finishing) {
        sla_send_error(c, m->id, "container %s is not running", a->conf.id);
        goto failed;
    }

    if (sla_session_find(a, m->id, strlen(m->id))) {
        sla_send_error(c, m->id, "exec %s is already running", m->id);
        goto failed;
    }

    env = sla_env_merge(a->conf.env, m->env);
    s = calloc(1, sizeof(sla_session_t));

    if (env == NULL || s == NULL) {
        sla_strv_free(env);
        free(s);
        sla_send_error(c, m->id, "out of memory");
        goto failed;
    }

    strcpy(s->id, m->id);

    sp.argv = m->cmd;
    sp.env = env;
    sp.workdir = (m->workdir && m->workdir[0]) ? m->workdir
                                               : a->conf.workdir;
    sp.user = (m->user && m->user[0]) ? m->user : a->conf.user;
    sp.tty = m->tty;
    sp.open_stdin = m->attach_stdin;
    sp.pid1 = 0;
    sp.privileged = m->privileged;

    if (sla_spawn(a, &sp, s, err, sizeof(err)) != 0) {
        sla_strv_free(env);
        free(s);
        sla_send_error(c, m->id, "%s", err);
        goto failed;
    }

    sla_strv_free(env);

    if (cfd != -1) {
        sla_direct_init(s, cfd);
    }

    s->owner = c;
    s->next = a->sessions;
    a->sessions = s;

    sla_log("info", "sockerless-agent: exec %s started as %d%s", s->id,
            (int) s->pid, s->direct ? " on the client's socket" : "");

    memset(&r, 0, sizeof(r));
    r.type = SLS_AGENT_MSG_STARTED;
    strcpy(r.id, s->id);
    r.pid = s->pid;
    r.direct = s->direct;

    sla_send_msg(c, &r);

    return;

failed:

    if (cfd != -1) {
        close(cfd);
    }
}


/*
 * docker cp: a stat answers at once; get and put run in a child whose
 * stdout (the tar) or stdin (the tar to extract) is a session's, so the
 * session's back-pressure, stdin_close and exit apply; its stderr is the
 * reason of a failure and its exit code the kind (sla_archive.h)
 */

static void
sla_conn_archive(sla_agent_t *a, sla_conn_t *c, sls_agent_msg_t *m)
{
    int              rootfd, status, in[2], out[2], errp[2], cfd;
    char             err[SLA_ERR_LEN];
    pid_t            pid;
    sla_ar_http_t    http;
    sla_session_t   *s;
    sls_agent_msg_t  r;

    /* a direct copy takes the socket that came with its message */

    cfd = -1;

    if (m->direct) {
        cfd = c->passed_fd;
        c->passed_fd = -1;

        if (cfd == -1 || m->type == SLS_AGENT_MSG_ARCHIVE_STAT) {
            if (cfd != -1) {
                close(cfd);
            }

            sla_send_error(c, m->id, "a direct copy needs a socket and a "
                           "body");
            return;
        }
    }

    if (sla_session_find(a, m->id, strlen(m->id))) {
        sla_send_error(c, m->id, "%s is already running", m->id);
        goto failed;
    }

    rootfd = open(a->rootfs ? a->rootfs : "/",
                  O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd == -1) {
        sla_send_error(c, m->id, "open %s: %s", a->rootfs ? a->rootfs : "/",
                       strerror(errno));
        goto failed;
    }

    memset(&r, 0, sizeof(r));
    strcpy(r.id, m->id);
    err[0] = '\0';
    status = 0;

    if (m->type != SLS_AGENT_MSG_ARCHIVE_PUT) {
        status = sla_archive_stat(rootfd, m->path, &r, err, sizeof(err));

        if (status == 0) {
            r.type = SLS_AGENT_MSG_STAT;
            sla_send_msg(c, &r);
        }

    } else {
        status = sla_archive_dir(rootfd, m->path, err, sizeof(err));
    }

    sls_agent_msg_free(&r);

    if (status) {
        r.type = SLS_AGENT_MSG_ERROR;
        r.message = err;
        r.status = status;
        sla_send_msg(c, &r);
        close(rootfd);
        goto failed;
    }

    if (m->type == SLS_AGENT_MSG_ARCHIVE_STAT) {
        close(rootfd);
        return;
    }

    in[0] = in[1] = out[0] = out[1] = errp[0] = errp[1] = -1;
    s = calloc(1, sizeof(sla_session_t));

    if (s == NULL || pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0
        || pipe2(errp, O_CLOEXEC) != 0)
    {
        snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
        pid = -1;

    } else {
        pid = fork();
        snprintf(err, sizeof(err), "fork: %s", strerror(errno));
    }

    if (pid == 0) {
        /* direct: the client's socket is stdin (put) or stdout (get) */

        signal(SIGPIPE, cfd == -1 ? SIG_DFL : SIG_IGN);

        if (dup2((cfd != -1 && m->type == SLS_AGENT_MSG_ARCHIVE_PUT)
                 ? cfd : in[0], 0) == -1
            || dup2((cfd != -1 && m->type == SLS_AGENT_MSG_ARCHIVE_GET)
                    ? cfd : out[1], 1) == -1
            || dup2(errp[1], 2) == -1 || dup2(rootfd, 3) == -1)
        {
            _exit(SLA_AR_EXIT_ERROR);
        }

        close_range(4, ~0U, 0);

        http.chunked = m->chunked;
        http.length = m->length;
        http.max_body = m->max_body;
        http.preread = m->preread;
        http.preread_len = m->preread_len;

        if (m->type == SLS_AGENT_MSG_ARCHIVE_GET) {
            _exit(sla_archive_get(3, m->path, 1,
                                  cfd != -1 ? &http : NULL));
        }

        _exit(sla_archive_put(3, m->path, 0, m->no_overwrite,
                              m->copy_uidgid, m->max_entries, m->max_bytes,
                              cfd != -1 ? &http : NULL));
    }

    close(rootfd);

    if (cfd != -1) {
        /* the child has it; nginx keeps its own */
        close(cfd);
        cfd = -1;
    }

    if (in[0] != -1) {
        close(in[0]);
    }

    if (out[1] != -1) {
        close(out[1]);
    }

    if (errp[1] != -1) {
        close(errp[1]);
    }

    if (pid == -1) {
        if (in[1] != -1) {
            close(in[1]);
        }

        if (out[0] != -1) {
            close(out[0]);
        }

        if (errp[0] != -1) {
            close(errp[0]);
        }

        free(s);
        sla_send_error(c, m->id, "%s", err);
        return;
    }

    if (m->direct) {
        /* the child has no use for the pipe of the other direction */

        if (m->type == SLS_AGENT_MSG_ARCHIVE_GET) {
            close(out[0]);
            out[0] = -1;

        } else {
            close(in[1]);
            in[1] = -1;
        }
    }

    strcpy(s->id, m->id);
    s->archive = 1;
    s->pid = pid;
    s->cfd = -1;
    s->fd_out = out[0];
    s->fd_err = errp[0];
    s->fd_in = in[1];
    (void) fcntl(errp[0], F_SETFL, O_NONBLOCK);

    if (out[0] != -1) {
        (void) fcntl(out[0], F_SETFL, O_NONBLOCK);
    }

    if (in[1] != -1) {
        (void) fcntl(in[1], F_SETFL, O_NONBLOCK);
    }

    if (m->type == SLS_AGENT_MSG_ARCHIVE_GET && in[1] != -1) {
        /* no stdin: the child sees its end */
        close(in[1]);
        s->fd_in = -1;
    }

    s->owner = c;
    s->next = a->sessions;
    a->sessions = s;

    sla_log("info", "sockerless-agent: docker cp %s: %s %s as %d%s", s->id,
            m->type == SLS_AGENT_MSG_ARCHIVE_GET ? "get" : "put", m->path,
            (int) pid, m->direct ? " on the client's socket" : "");

    memset(&r, 0, sizeof(r));
    r.type = SLS_AGENT_MSG_STARTED;
    strcpy(r.id, s->id);
    r.pid = pid;
    r.direct = m->direct;
    sla_send_msg(c, &r);

    return;

failed:

    if (cfd != -1) {
        close(cfd);
    }
}


/* frames out */

static void
sla_send_frame(sla_conn_t *c, int opcode, const void *p, size_t len)
{
    size_t         n;
    unsigned char  hdr[SLS_WS_MAX_HEADER];

    if (c->fd == -1 || c->state != SLA_CONN_WS) {
        return;
    }

    n = sls_ws_frame_header(hdr, 1, opcode, len, NULL);

    if (sla_buf_add(&c->out, hdr, n) != 0
        || sla_buf_add(&c->out, p, len) != 0)
    {
        sla_log("alert", "sockerless-agent: connection queue overflow");
        c->state = SLA_CONN_CLOSING;
    }
}


static void
sla_send_msg(sla_conn_t *c, sls_agent_msg_t *m)
{
    char    buf[1024], *p;
    size_t  n;

    n = sls_agent_msg_encode(m, buf, sizeof(buf));

    if (n < sizeof(buf)) {
        sla_send_frame(c, SLS_WS_OP_TEXT, buf, n);
        return;
    }

    p = malloc(n + 1);
    if (p == NULL) {
        return;
    }

    sls_agent_msg_encode(m, p, n + 1);
    sla_send_frame(c, SLS_WS_OP_TEXT, p, n);
    free(p);
}


static void
sla_send_error(sla_conn_t *c, const char *id, const char *fmt, ...)
{
    char             buf[SLA_ERR_LEN];
    va_list          args;
    sls_agent_msg_t  m;

    va_start(args, fmt);
    vsnprintf(buf, sizeof(buf), fmt, args);
    va_end(args);

    memset(&m, 0, sizeof(m));
    m.type = SLS_AGENT_MSG_ERROR;
    snprintf(m.id, sizeof(m.id), "%s", id);
    m.message = buf;

    sla_send_msg(c, &m);
}


static void
sla_send_data(sla_conn_t *c, int stream, const char *id,
    const unsigned char *p, size_t len)
{
    size_t         n, h;
    unsigned char  hdr[SLS_WS_MAX_HEADER], dh[SLS_AGENT_DATA_HEADER];

    if (c->fd == -1 || c->state != SLA_CONN_WS) {
        return;
    }

    h = sls_agent_data_header(dh, stream, id, strlen(id));
    n = sls_ws_frame_header(hdr, 1, SLS_WS_OP_BINARY, h + len, NULL);

    if (sla_buf_add(&c->out, hdr, n) != 0
        || sla_buf_add(&c->out, dh, h) != 0
        || sla_buf_add(&c->out, p, len) != 0)
    {
        sla_log("alert", "sockerless-agent: connection queue overflow");
        c->state = SLA_CONN_CLOSING;
    }
}


static void
sla_send_close(sla_conn_t *c, int code)
{
    unsigned char  p[2];

    p[0] = (unsigned char) (code >> 8);
    p[1] = (unsigned char) code;

    sla_send_frame(c, SLS_WS_OP_CLOSE, p, 2);
}


/* sessions */

static sla_session_t *
sla_session_find(sla_agent_t *a, const char *id, size_t len)
{
    sla_session_t  *s;

    for (s = a->sessions; s; s = s->next) {
        if (strlen(s->id) == len && memcmp(s->id, id, len) == 0) {
            return s;
        }
    }

    return NULL;
}


static int
sla_session_throttled(sla_agent_t *a, sla_session_t *s)
{
    sla_conn_t  *c;

    if (!s->is_main) {
        return s->owner && s->owner->out.len > SLA_CONN_HIGH_WATER;
    }

    if (a->stdq.len > SLA_CONN_HIGH_WATER) {
        return 1;
    }

    for (c = a->conns; c; c = c->next) {
        if (c->att_main && c->fd != -1 && c->out.len > SLA_CONN_HIGH_WATER) {
            return 1;
        }
    }

    return 0;
}


static ssize_t
sla_session_read(sla_agent_t *a, sla_session_t *s, int stream)
{
    int           *fdp;
    ssize_t        n;
    unsigned char  buf[SLA_READ_CHUNK];

    fdp = (stream == 1) ? &s->fd_out : &s->fd_err;

    if (*fdp == -1) {
        return 0;
    }

    n = read(*fdp, buf, sizeof(buf));

    if (n > 0) {
        sla_session_deliver(a, s, stream, buf, (size_t) n);
        return n;
    }

    if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
        return -1;
    }

    /* EOF, or EIO from a pty master whose slave side is gone */

    if (s->tty) {
        /* keep the master for resize until the process is reaped */
        s->pty_eof = 1;
        return 0;
    }

    close(*fdp);
    *fdp = -1;

    return 0;
}


static void
sla_session_deliver(sla_agent_t *a, sla_session_t *s, int stream,
    const unsigned char *p, size_t len)
{
    uint64_t          ns;
    sla_conn_t       *c;
    struct iovec      iov[2];
    unsigned char     hdr[SLS_LOGFMT_HEADER_LEN];
    struct timespec   ts;

    if (!s->is_main) {
        if (s->probe) {
            sla_health_output(a, p, len);

        } else if (s->owner) {
            sla_send_data(s->owner, stream, s->id, p, len);
        }

        return;
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    ns = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;

    sls_logfmt_encode_header(hdr, stream, (uint32_t) len, ns);

    iov[0].iov_base = hdr;
    iov[0].iov_len = sizeof(hdr);
    iov[1].iov_base = (void *) p;
    iov[1].iov_len = len;

    if (a->log_fd != -1
        && writev(a->log_fd, iov, 2) != (ssize_t) (sizeof(hdr) + len))
    {
        sla_log("alert", "sockerless-agent: writev() to %s failed: %s",
                a->conf.log, strerror(errno));
    }

    if (a->reverse) {
        /* the cloud's log driver reads the container's own stdout */
        sla_reverse_stdio(a, stream, p, len);
    }

    sla_ring_add(a, stream, p, len);

    for (c = a->conns; c; c = c->next) {
        if (c->att_main && (stream == 1 ? c->att_stdout : c->att_stderr)) {
            sla_send_data(c, stream, "main", p, len);
        }
    }
}


static void
sla_ring_add(sla_agent_t *a, int stream, const unsigned char *p, size_t len)
{
    sla_chunk_t  *ch;

    ch = malloc(sizeof(sla_chunk_t) + len);
    if (ch == NULL) {
        return;
    }

    ch->next = NULL;
    ch->stream = stream;
    ch->len = len;
    memcpy(ch->data, p, len);

    if (a->ring_last) {
        a->ring_last->next = ch;

    } else {
        a->ring = ch;
    }

    a->ring_last = ch;
    a->ring_size += len;

    while (a->ring_size > SLA_RING_MAX && a->ring != a->ring_last) {
        ch = a->ring;
        a->ring = ch->next;
        a->ring_size -= ch->len;
        free(ch);
    }
}


static void
sla_reap(sla_agent_t *a)
{
    int                      status;
    pid_t                    pid;
    sla_session_t           *s;
    struct signalfd_siginfo  si;

    while (read(a->sig_fd, &si, sizeof(si)) == sizeof(si)) {
        if (si.ssi_signo == SIGCHLD) {
            continue;
        }

        /* reverse mode: what the cloud sends the agent is for main */

        for (s = a->sessions; s; s = s->next) {
            if (s->is_main && !s->exited && !s->reaped) {
                kill(s->pid, (int) si.ssi_signo);
            }
        }
    }

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid <= 0) {
            return;
        }

        for (s = a->sessions; s; s = s->next) {
            if (s->pid == pid && !s->exited && !s->reaped) {
                s->status = status;

                if (s->direct) {
                    /*
                     * the exit is recorded now, as dockerd does; the loop
                     * ends the session once its output is out
                     */
                    sla_write_exit_file(a, s->id, status);
                    s->reaped = 1;
                    s->drain_until = sla_now_ms() + SLA_FLUSH_MSEC;
                    break;
                }

                sla_session_end(a, s);
                break;
            }
        }
    }
}


static void
sla_session_end(sla_agent_t *a, sla_session_t *s)
{
    int              code;
    size_t           total;
    ssize_t          n;
    sla_conn_t      *c;
    sls_agent_msg_t  m;

    /* drain what the process wrote before it exited, bounded */

    total = 0;

    while (!s->direct && total < SLA_DRAIN_MAX
           && (n = sla_session_read(a, s, 1)) > 0)
    {
        total += (size_t) n;
    }

    while (!s->direct && total < SLA_DRAIN_MAX
           && (n = sla_session_read(a, s, 2)) > 0)
    {
        total += (size_t) n;
    }

    s->exited = 1;

    code = WIFSIGNALED(s->status) ? 128 + WTERMSIG(s->status)
                                  : WEXITSTATUS(s->status);

    memset(&m, 0, sizeof(m));
    m.type = SLS_AGENT_MSG_EXIT;
    strcpy(m.id, s->id);
    m.exit_code = code;

    sla_unpause(a, s);

    if (s->probe) {
        sla_health_done(a, s);
        return;
    }

    if (!s->is_main) {
        if (!s->direct && !s->archive) {
            sla_write_exit_file(a, s->id, s->status);
        }

        if (s->owner) {
            sla_send_msg(s->owner, &m);
            sla_conn_write(s->owner);
        }

        if (s->direct && s->cfd != -1) {
            /* the module closes the connection once it has the exit */
            close(s->cfd);
            s->cfd = -1;
        }

        return;
    }

    /* the ports are free again when the exit is known, as with dockerd */
    sla_ports_close(a);

    /* dockerd's OOMKilled: the kernel killed one of its processes */
    a->oom_killed = (sla_cgroup_ooms(a) > a->oom_base);

    /*
     * before the exit is reported: a restart the report leads to makes
     * the same cgroups again, which must not be removed under it
     */
    sla_cgroup_remove(a);

    sla_write_exit_file(a, NULL, s->status);

    for (c = a->conns; c; c = c->next) {
        if (c->att_main) {
            sla_send_msg(c, &m);
            c->exit_sent = 1;
        }

        if (c->fd != -1 && c->out.len) {
            sla_conn_write(c);
        }
    }

    a->finishing = 1;
    a->deadline = sla_now_ms() + SLA_FLUSH_MSEC;

    if (a->listen_fd != -1) {
        close(a->listen_fd);
        a->listen_fd = -1;
    }

    if (a->reverse) {
        sla_reverse_exited(a, code, WIFSIGNALED(s->status)
                                    ? WTERMSIG(s->status) : 0, NULL);
    }
}


static void
sla_session_free(sla_session_t *s)
{
    if (s->direct && s->cfd != -1) {
        close(s->cfd);
    }

    if (s->fd_out != -1) {
        close(s->fd_out);
    }

    if (s->fd_err != -1) {
        close(s->fd_err);
    }

    if (s->fd_in != -1) {
        close(s->fd_in);
    }

    sla_buf_free(&s->pending);
    free(s);
}


/* stdin */

static void
sla_stdin_write(sla_agent_t *a, sla_session_t *s, sla_conn_t *c,
    const unsigned char *p, size_t len)
{
    ssize_t  n;

    if (s->fd_in == -1 || len == 0) {
        return;
    }

    n = 0;

    if (s->pending.len == 0) {
        n = write(s->fd_in, p, len);

        if (n == -1) {
            if (errno != EAGAIN && errno != EINTR) {
                /* the reader is gone (EPIPE): what it did not read is lost */
                sla_stdin_close(s);
                sla_unpause(a, s);
                return;
            }

            n = 0;
        }
    }

    if ((size_t) n == len) {
        return;
    }

    if (sla_buf_add(&s->pending, p + n, len - (size_t) n) != 0) {
        sla_log("alert", "sockerless-agent: stdin queue overflow");
        return;
    }

    if (c) {
        c->paused_on = s;
    }
}


static void
sla_stdin_flush(sla_agent_t *a, sla_session_t *s)
{
    ssize_t  n;

    while (s->pending.len && s->fd_in != -1) {
        n = write(s->fd_in, sla_buf_pos(&s->pending), s->pending.len);

        if (n > 0) {
            sla_buf_drop(&s->pending, (size_t) n);
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        sla_stdin_close(s);
        break;
    }

    if (s->close_in) {
        sla_stdin_close(s);
    }

    sla_unpause(a, s);
}


static void
sla_stdin_close(sla_session_t *s)
{
    if (s->fd_in != -1) {
        close(s->fd_in);
        s->fd_in = -1;
    }

    s->pending.len = 0;
    s->close_in = 0;
}


static void
sla_unpause(sla_agent_t *a, sla_session_t *s)
{
    sla_conn_t  *c;

    for (c = a->conns; c; c = c->next) {
        if (c->paused_on == s) {
            c->paused_on = NULL;

            if (c->fd != -1) {
                sla_conn_process(a, c);
            }
        }
    }
}
