/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent reverse mode: the container's entrypoint in a cloud.
 * It dials the gateway and parks connections there, writes the main
 * process's output to its own stdout, and posts the exit.
 */


#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sla.h>


#define SLA_STDQ_HEADER  5          /* stream, length (uint32 BE) */


extern char **environ;


static int sla_reverse_env(sla_agent_t *a, char *err, size_t err_size);
static int sla_reverse_stdio_init(sla_agent_t *a, const char *log,
    char *err, size_t err_size);
static void sla_reverse_stdio_restore(sla_agent_t *a);
static int sla_reverse_start_code(const char *err);
static void sla_dial_connect(sla_agent_t *a, sla_dial_t *d);
static int sla_dial_resolve(sla_agent_t *a);
static void sla_dial_send(sla_agent_t *a, sla_dial_t *d);
static void sla_dial_head(sla_agent_t *a, sla_dial_t *d);
static void sla_dial_parked(sla_agent_t *a, sla_dial_t *d, size_t used);
static void sla_dial_failed(sla_agent_t *a, sla_dial_t *d, int64_t delay);
static void sla_dial_close(sla_dial_t *d);
static void sla_reverse_stop_parking(sla_agent_t *a);


/*
 * sockerless-agent reverse -- CMD [ARG...]
 *
 * Setup errors go to stderr (nothing else of the agent's ever does) and
 * end the agent with 125, as docker run does for its own errors
 */

int
sla_reverse_main(sla_agent_t *a, int argc, char **argv)
{
    int             rc;
    char            err[SLA_ERR_LEN];
    sigset_t        set;
    const char     *logpath;
    sla_spawn_t     sp;
    sla_session_t  *s;

    a->reverse = 1;
    a->out_fd = -1;
    a->err_fd = -1;
    a->park.fd = -1;
    a->report.fd = -1;
    a->report.report = 1;

    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: sockerless-agent reverse -- CMD [ARG...]\n");
        return 125;
    }

    a->conf.cmd = argv + 3;

    logpath = getenv("SOCKERLESS_AGENT_LOG");
    logpath = logpath ? strdup(logpath) : NULL;

    if (sla_reverse_env(a, err, sizeof(err)) != 0
        || sla_reverse_stdio_init(a, logpath, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "sockerless-agent: %s\n", err);
        return 125;
    }

    sla_log("info", "sockerless-agent: reverse mode for container %s, "
            "gateway %s", a->conf.id, a->url.authority);

    signal(SIGPIPE, SIG_IGN);

    /* as the task's pid 1 the agent gets the cloud's stop signals: main's */

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    a->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a->sig_fd == -1) {
        sla_log("alert", "sockerless-agent: signalfd() failed: %s",
                strerror(errno));
        sla_reverse_stdio_restore(a);
        return 125;
    }

    s = calloc(1, sizeof(sla_session_t));
    if (s == NULL) {
        sla_reverse_stdio_restore(a);
        return 125;
    }

    strcpy(s->id, "main");
    s->is_main = 1;

    sp.argv = a->conf.cmd;
    sp.env = a->conf.env;
    sp.workdir = a->conf.workdir;
    sp.user = a->conf.user;
    sp.tty = a->conf.tty;
    sp.open_stdin = a->conf.open_stdin;
    sp.pid1 = 0;
    sp.privileged = 0;

    if (sla_spawn(a, &sp, s, err, sizeof(err)) != 0) {
        free(s);

        /* nobody else would see why: the task's log gets it too */
        sla_log("error", "sockerless-agent: %s", err);
        dprintf(a->err_fd != -1 ? a->err_fd : a->out_fd,
                "sockerless-agent: %s\n", err);

        a->finishing = 1;
        a->deadline = sla_now_ms() + SLA_FLUSH_MSEC;
        sla_reverse_exited(a, sla_reverse_start_code(err), 0, err);

    } else {
        a->sessions = s;
        a->main_pid = s->pid;

        sla_log("info", "sockerless-agent: main process %d started",
                (int) s->pid);

        a->park.state = SLA_DIAL_WAIT;
        a->park.timer = sla_now_ms();
        a->park.delay = SLA_DIAL_MIN_MSEC;
    }

    rc = sla_loop(a);

    sla_reverse_stdio_restore(a);

    return rc == 0 ? a->exit_code : 125;
}


/* the environment: read, checked, and gone before anything starts */

static int
sla_reverse_env(sla_agent_t *a, char *err, size_t err_size)
{
    char        **v, *url, *id, *config, **env, *eq;
    size_t        n, i;
    const char   *p;

    url = getenv("SOCKERLESS_CALLBACK_URL");
    id = getenv("SOCKERLESS_CONTAINER_ID");
    config = getenv("SOCKERLESS_AGENT_CONFIG");

    url = strdup(url ? url : "");
    id = strdup(id ? id : "");
    config = config ? strdup(config) : NULL;

    /* every SOCKERLESS_* variable, the token was taken already */

    for (v = environ; v && *v; ) {
        if (strncmp(*v, "SOCKERLESS_", 11) != 0) {
            v++;
            continue;
        }

        eq = strchr(*v, '=');
        n = eq ? (size_t) (eq - *v) : strlen(*v);

        if (n >= err_size) {
            v++;
            continue;
        }

        memcpy(err, *v, n);
        err[n] = '\0';
        unsetenv(err);
        v = environ;
    }

    err[0] = '\0';

    if (url == NULL || id == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    if (url[0] == '\0') {
        snprintf(err, err_size, "SOCKERLESS_CALLBACK_URL is not set");
        return -1;
    }

    if (sls_callback_parse_url(url, &a->url, err, err_size) != SLS_CB_OK) {
        return -1;
    }

    for (p = id, i = 0; *p; p++, i++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) {
            break;
        }
    }

    if (*p || i != 64) {
        snprintf(err, err_size, "SOCKERLESS_CONTAINER_ID must be 64 "
                 "lower-case hex digits");
        return -1;
    }

    if (!sls_callback_header_safe(a->token)) {
        snprintf(err, err_size, "SOCKERLESS_AGENT_TOKEN is not set or has "
                 "characters a header cannot carry");
        return -1;
    }

    a->conf.id = id;
    free(url);

    a->conf.workdir = strdup("");
    a->conf.user = strdup("");

    if (a->conf.workdir == NULL || a->conf.user == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    if (config
        && sla_config_json(&a->conf, config, strlen(config), err, err_size)
           != 0)
    {
        return -1;
    }

    free(config);

    /* the container's env: the agent's own plus the config's entries */

    env = sla_env_merge(environ, a->conf.env);
    if (env == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }

    sla_strv_free(a->conf.env);
    a->conf.env = env;

    return 0;
}


/*
 * The container's stdout and stderr are kept (non-blocking, close-on-
 * exec) for the main process's output; the agent's descriptors 1 and 2
 * become its own log, or /dev/null, so that sla_log() never writes there
 */

static int
sla_reverse_stdio_init(sla_agent_t *a, const char *log, char *err,
    size_t err_size)
{
    int  fd;

    fd = open(log ? log : "/dev/null", O_WRONLY | O_APPEND | O_CREAT
              | O_CLOEXEC, 0640);
    if (fd == -1) {
        snprintf(err, err_size, "SOCKERLESS_AGENT_LOG: open %s: %s", log,
                 strerror(errno));
        return -1;
    }

    a->out_fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
    a->err_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);

    if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1) {
        snprintf(err, err_size, "dup2: %s", strerror(errno));
        close(fd);
        return -1;
    }

    if (fd > 2) {
        close(fd);
    }

    if (a->out_fd != -1) {
        a->out_flags = fcntl(a->out_fd, F_GETFL);
        fcntl(a->out_fd, F_SETFL, a->out_flags | O_NONBLOCK);
    }

    if (a->err_fd != -1) {
        a->err_flags = fcntl(a->err_fd, F_GETFL);
        fcntl(a->err_fd, F_SETFL, a->err_flags | O_NONBLOCK);
    }

    return 0;
}


/* the rest of the output, blocking; the descriptors as they were */

static void
sla_reverse_stdio_restore(sla_agent_t *a)
{
    if (a->out_fd != -1 && a->out_flags != -1) {
        fcntl(a->out_fd, F_SETFL, a->out_flags);
    }

    if (a->err_fd != -1 && a->err_flags != -1) {
        fcntl(a->err_fd, F_SETFL, a->err_flags);
    }

    sla_reverse_stdio_flush(a, 1);
}


void
sla_reverse_stdio(sla_agent_t *a, int stream, const unsigned char *p,
    size_t len)
{
    int            fd;
    ssize_t        n;
    unsigned char  hdr[SLA_STDQ_HEADER];

    fd = (stream == 2 && a->err_fd != -1) ? a->err_fd : a->out_fd;

    if (fd == -1 || len == 0) {
        return;
    }

    /* in order: only when nothing waits is it written at once */

    if (a->stdq.len == 0) {
        n = write(fd, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t) n;
        }

        if (len == 0) {
            return;
        }
    }

    hdr[0] = (unsigned char) (fd == a->err_fd ? 2 : 1);
    hdr[1] = (unsigned char) (len >> 24);
    hdr[2] = (unsigned char) (len >> 16);
    hdr[3] = (unsigned char) (len >> 8);
    hdr[4] = (unsigned char) len;

    if (sla_buf_add(&a->stdq, hdr, sizeof(hdr)) != 0
        || sla_buf_add(&a->stdq, p, len) != 0)
    {
        sla_log("alert", "sockerless-agent: stdout queue overflow");
    }

    sla_reverse_stdio_flush(a, 0);
}


void
sla_reverse_stdio_flush(sla_agent_t *a, int block)
{
    int             *fdp;
    size_t           len;
    ssize_t          n;
    struct pollfd    pfd;
    unsigned char   *q;

    while (a->stdq.len >= SLA_STDQ_HEADER) {
        q = sla_buf_pos(&a->stdq);
        len = (size_t) q[1] << 24 | (size_t) q[2] << 16
              | (size_t) q[3] << 8 | q[4];
        fdp = (q[0] == 2) ? &a->err_fd : &a->out_fd;

        n = (*fdp == -1) ? (ssize_t) (len - a->stdq_off)
                         : write(*fdp, q + SLA_STDQ_HEADER + a->stdq_off,
                                 len - a->stdq_off);

        if (n >= 0) {
            a->stdq_off += (size_t) n;

            if (a->stdq_off == len) {
                sla_buf_drop(&a->stdq, SLA_STDQ_HEADER + len);
                a->stdq_off = 0;
            }

            continue;
        }

        if (errno == EINTR) {
            continue;
        }

        if (errno == EAGAIN) {
            if (!block) {
                return;
            }

            pfd.fd = *fdp;
            pfd.events = POLLOUT;
            poll(&pfd, 1, -1);
            continue;
        }

        /* nobody reads the container's output any more (EPIPE) */
        sla_log("error", "sockerless-agent: write() to the container's %s "
                "failed: %s", q[0] == 2 ? "stderr" : "stdout",
                strerror(errno));
        close(*fdp);
        *fdp = -1;
    }
}


/* the main process has ended, or could not start (error != NULL) */

void
sla_reverse_exited(sla_agent_t *a, int code, int sig, const char *error)
{
    char     body[4096];
    size_t   n;
    int64_t  now;

    a->exit_code = code;

    /*
     * Parks go on while the exit report is under way; a gateway that
     * answers it 202 reads the output itself, so they go on until a
     * connection attached with "logs" has been sent main's output and
     * exit (main may have ended before the gateway attached at all), or
     * SLA_LINGER_MSEC have passed
     */

    a->linger_until = 0;

    n = sla_exit_json(a, NULL, code, sig, error, body, sizeof(body));
    if (n >= sizeof(body)) {
        n = sla_exit_json(a, NULL, code, sig, "", body, sizeof(body));
    }

    /* the exit file's JSON without its newline */
    body[--n] = '\0';

    a->report_body = strdup(body);
    if (a->report_body == NULL) {
        sla_log("alert", "sockerless-agent: out of memory");
        return;
    }

    now = sla_now_ms();

    a->report.state = SLA_DIAL_WAIT;
    a->report.timer = now;
    a->report.delay = SLA_DIAL_MIN_MSEC;
    a->report_until = now + SLA_REPORT_MSEC;
}


/* main has ended and the gateway has not read all of it yet */

int
sla_reverse_lingering(sla_agent_t *a)
{
    sla_conn_t  *c;

    if (!a->finishing
        || (!sla_reverse_busy(a) && sla_now_ms() >= a->linger_until))
    {
        return 0;
    }

    for (c = a->conns; c; c = c->next) {
        if (c->fd != -1 && c->att_main && c->att_logs && c->exit_sent
            && c->out.len == 0)
        {
            return 0;
        }
    }

    return 1;
}


int
sla_reverse_busy(sla_agent_t *a)
{
    return a->report.state != SLA_DIAL_OFF
           && a->report.state != SLA_DIAL_DONE;
}


void
sla_reverse_park_used(sla_agent_t *a)
{
    if (a->park.state != SLA_DIAL_PARKED) {
        return;
    }

    a->park.state = SLA_DIAL_OFF;

    if (a->finishing && !sla_reverse_lingering(a)) {
        return;
    }

    a->park.state = SLA_DIAL_WAIT;
    a->park.timer = sla_now_ms();
}


void
sla_reverse_park_lost(sla_agent_t *a)
{
    if (a->park.state != SLA_DIAL_PARKED) {
        return;
    }

    a->park.state = SLA_DIAL_OFF;

    if (a->finishing && !sla_reverse_lingering(a)) {
        return;
    }

    sla_log("info", "sockerless-agent: the parked connection was closed");
    sla_dial_failed(a, &a->park, a->park.delay);
}


/* fires what is due; the milliseconds to the next timer, or -1 */

int
sla_reverse_tick(sla_agent_t *a)
{
    int          i;
    int64_t      now, next;
    sla_dial_t  *d;

    next = -1;

    for (i = 0; i < 2; i++) {
        d = i ? &a->report : &a->park;
        now = sla_now_ms();

        if (d->state == SLA_DIAL_WAIT && now >= d->timer) {
            sla_dial_connect(a, d);

        } else if ((d->state == SLA_DIAL_CONNECT
                    || d->state == SLA_DIAL_SEND
                    || d->state == SLA_DIAL_HEAD)
                   && now >= d->timer)
        {
            sla_log("error", "sockerless-agent: %s timed out",
                    d->report ? "the exit report" : "dialing the gateway");
            sla_dial_failed(a, d, d->delay);
        }

        if (d->state == SLA_DIAL_WAIT || d->state == SLA_DIAL_CONNECT
            || d->state == SLA_DIAL_SEND || d->state == SLA_DIAL_HEAD)
        {
            now = sla_now_ms();

            if (next == -1 || d->timer - now < next) {
                next = d->timer > now ? d->timer - now : 0;
            }
        }
    }

    return (int) next;
}


/*
 * The gateway's address: after a failed connect the name is resolved
 * again and the next of its addresses is taken (localhost may be ::1
 * first while the gateway listens on 127.0.0.1 only)
 */

static int
sla_dial_resolve(sla_agent_t *a)
{
    int               rc, n;
    char              port[8];
    struct addrinfo   hints, *res, *ai;

    if (a->addr_len) {
        return 0;
    }

    /* libc's resolver blocks the loop while it runs */

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;

    snprintf(port, sizeof(port), "%u", a->url.port);

    rc = getaddrinfo(a->url.host, port, &hints, &res);
    if (rc != 0) {
        sla_log("error", "sockerless-agent: resolving \"%s\" failed: %s",
                a->url.host, gai_strerror(rc));
        return -1;
    }

    n = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        n++;
    }

    a->addr_index %= n;

    for (ai = res, n = 0; n < a->addr_index; n++) {
        ai = ai->ai_next;
    }

    memcpy(&a->addr, ai->ai_addr, ai->ai_addrlen);
    a->addr_len = ai->ai_addrlen;
    freeaddrinfo(res);

    return 0;
}


static void
sla_dial_connect(sla_agent_t *a, sla_dial_t *d)
{
    int      fd, on, idle;
    char     buf[8192];
    size_t   n;
    int64_t  now;

    now = sla_now_ms();

    if (d->report && now >= a->report_until) {
        sla_log("error", "sockerless-agent: the exit report could not be "
                "delivered, giving up");
        d->state = SLA_DIAL_DONE;
        sla_reverse_stop_parking(a);
        return;
    }

    if (d->report) {
        n = sls_callback_exit_request(buf, sizeof(buf), &a->url, a->conf.id,
                                      a->token, a->report_body,
                                      strlen(a->report_body));

    } else {
        n = sls_callback_park_request(buf, sizeof(buf), &a->url, a->conf.id,
                                      a->token, (long) a->main_pid);
    }

    d->req.len = 0;
    d->head_len = 0;

    if (n >= sizeof(buf) || sla_buf_add(&d->req, buf, n) != 0) {
        sla_log("alert", "sockerless-agent: the request is too long");
        sla_dial_failed(a, d, SLA_DIAL_MAX_MSEC);
        return;
    }

    if (sla_dial_resolve(a) != 0) {
        sla_dial_failed(a, d, d->delay);
        return;
    }

    fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK
                | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        sla_log("alert", "sockerless-agent: socket() failed: %s",
                strerror(errno));
        sla_dial_failed(a, d, d->delay);
        return;
    }

    /* parks sit idle for long behind NATs and balancers */

    on = 1;
    idle = 30;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));

    d->fd = fd;
    d->state = SLA_DIAL_CONNECT;
    d->timer = now + SLA_DIAL_TIMEOUT;

    if (d->report && d->timer > a->report_until) {
        d->timer = a->report_until;
    }

    if (connect(fd, (struct sockaddr *) &a->addr, a->addr_len) == 0) {
        d->state = SLA_DIAL_SEND;
        sla_dial_send(a, d);
        return;
    }

    if (errno != EINPROGRESS) {
        sla_log("error", "sockerless-agent: connect() to %s failed: %s",
                a->url.authority, strerror(errno));
        a->addr_len = 0;
        a->addr_index++;
        sla_dial_failed(a, d, d->delay);
    }
}


void
sla_reverse_dial_event(sla_agent_t *a, sla_dial_t *d, int revents)
{
    int        e;
    socklen_t  len;

    (void) revents;

    if (d->fd == -1) {
        return;
    }

    if (d->state == SLA_DIAL_CONNECT) {
        e = 0;
        len = sizeof(e);

        if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) {
            e = errno;
        }

        if (e == EINPROGRESS) {
            return;
        }

        if (e != 0) {
            sla_log("error", "sockerless-agent: connect() to %s failed: %s",
                    a->url.authority, strerror(e));
            a->addr_len = 0;
            a->addr_index++;
            sla_dial_failed(a, d, d->delay);
            return;
        }

        d->state = SLA_DIAL_SEND;
    }

    if (d->state == SLA_DIAL_SEND) {
        sla_dial_send(a, d);
        return;
    }

    if (d->state == SLA_DIAL_HEAD) {
        sla_dial_head(a, d);
    }
}


static void
sla_dial_send(sla_agent_t *a, sla_dial_t *d)
{
    ssize_t  n;

    while (d->req.len) {
        n = send(d->fd, sla_buf_pos(&d->req), d->req.len, MSG_NOSIGNAL);

        if (n > 0) {
            sla_buf_drop(&d->req, (size_t) n);
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        sla_log("error", "sockerless-agent: send() to %s failed: %s",
                a->url.authority, strerror(errno));
        sla_dial_failed(a, d, d->delay);
        return;
    }

    d->state = SLA_DIAL_HEAD;
}


static void
sla_dial_head(sla_agent_t *a, sla_dial_t *d)
{
    int      rc, status;
    size_t   used;
    ssize_t  n;

    for ( ;; ) {
        n = recv(d->fd, d->head + d->head_len,
                 sizeof(d->head) - d->head_len, 0);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            return;
        }

        if (n <= 0) {
            sla_log("error", "sockerless-agent: %s closed the connection "
                    "before answering%s%s", a->url.authority,
                    n ? ": " : "", n ? strerror(errno) : "");
            sla_dial_failed(a, d, d->delay);
            return;
        }

        d->head_len += (size_t) n;

        rc = sls_callback_parse_head(d->head, d->head_len, &status, &used);

        if (rc == SLS_CB_OK) {
            break;
        }

        if (rc == SLS_CB_ERROR) {
            sla_log("error", "sockerless-agent: %s answered with something "
                    "else than HTTP/1.x", a->url.authority);
            sla_dial_failed(a, d, d->delay);
            return;
        }
    }

    if (d->report) {
        if (status >= 200 && status < 300) {
            sla_log("info", "sockerless-agent: exit reported (%d)", status);
            sla_dial_close(d);
            d->state = SLA_DIAL_DONE;

            if (status == 202) {
                /* the gateway comes for the output: serve it a while */
                a->linger_until = sla_now_ms() + SLA_LINGER_MSEC;

                if (sla_reverse_lingering(a)) {
                    return;
                }
            }

            sla_reverse_stop_parking(a);
            return;
        }

        sla_log("error", "sockerless-agent: the exit report got %d",
                status);
        sla_dial_failed(a, d, d->delay);
        return;
    }

    if (status == 101) {
        sla_dial_parked(a, d, used);
        return;
    }

    if (status == 401 || status == 403 || status == 404 || status == 410) {
        /* a refused token or a container the gateway forgot: main runs on */
        sla_log("error", "sockerless-agent: the gateway refused the agent "
                "(%d), retrying every %d ms", status, SLA_DIAL_MAX_MSEC);
        d->delay = SLA_DIAL_MAX_MSEC;
        sla_dial_failed(a, d, SLA_DIAL_MAX_MSEC);
        return;
    }

    sla_log("error", "sockerless-agent: the gateway answered the park with "
            "%d", status);
    sla_dial_failed(a, d, d->delay);
}


/* 101: from now on the connection is served as if it had been accepted */

static void
sla_dial_parked(sla_agent_t *a, sla_dial_t *d, size_t used)
{
    sla_conn_t  *c;

    c = sla_conn_add(a, d->fd);
    if (c == NULL) {
        sla_dial_failed(a, d, SLA_DIAL_MAX_MSEC);
        return;
    }

    d->fd = -1;
    d->state = SLA_DIAL_PARKED;
    d->delay = SLA_DIAL_MIN_MSEC;
    c->parked = 1;

    sla_log("info", "sockerless-agent: parked a connection at %s",
            a->url.authority);

    if (d->head_len > used) {
        /* the gateway spoke right after the answer */
        c->parked = 0;
        sla_reverse_park_used(a);
        sla_conn_feed(a, c, d->head + used, d->head_len - used);
    }
}


static void
sla_dial_failed(sla_agent_t *a, sla_dial_t *d, int64_t delay)
{
    int64_t  now;

    sla_dial_close(d);

    now = sla_now_ms();

    if (d->report && now + delay >= a->report_until) {
        sla_log("error", "sockerless-agent: the exit report could not be "
                "delivered, giving up");
        d->state = SLA_DIAL_DONE;
        sla_reverse_stop_parking(a);
        return;
    }

    if (!d->report && a->finishing) {
        d->state = SLA_DIAL_OFF;
        return;
    }

    d->state = SLA_DIAL_WAIT;
    d->timer = now + delay;

    d->delay *= 2;
    if (d->delay > SLA_DIAL_MAX_MSEC) {
        d->delay = SLA_DIAL_MAX_MSEC;
    }

    if (d->delay < SLA_DIAL_MIN_MSEC) {
        d->delay = SLA_DIAL_MIN_MSEC;
    }
}


static void
sla_dial_close(sla_dial_t *d)
{
    if (d->fd != -1) {
        close(d->fd);
        d->fd = -1;
    }

    d->req.len = 0;
    d->head_len = 0;
}


/* the report is over: the connection still parked is closed */

static void
sla_reverse_stop_parking(sla_agent_t *a)
{
    sla_conn_t  *c;

    sla_dial_close(&a->park);
    a->park.state = SLA_DIAL_OFF;

    for (c = a->conns; c; c = c->next) {
        if (c->parked) {
            c->parked = 0;
            sla_conn_close(a, c);
        }
    }
}


/* dockerd's exit codes for a process that could not start */

static int
sla_reverse_start_code(const char *err)
{
    if (strstr(err, "executable file not found")
        || strstr(err, "no such file or directory"))
    {
        return 127;
    }

    if (strstr(err, "permission denied")) {
        return 126;
    }

    return 128;
}
