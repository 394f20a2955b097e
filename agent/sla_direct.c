/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: direct execs. The module hands the agent the client's
 * hijacked socket (SCM_RIGHTS) for an exec without a TTY; the agent then
 * splices the client's bytes into the process' stdin and its output back
 * in stdcopy frames, so the payload never passes through user space or
 * nginx. The module keeps the control connection: "started", "exit".
 */


#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sls_stdcopy.h>
#include <sla.h>


static void sla_direct_gone(sla_session_t *s);
static void sla_direct_in_end(sla_session_t *s);


void
sla_direct_init(sla_session_t *s, int cfd)
{
    s->direct = 1;
    s->cfd = cfd;
    s->ohdr_sent = sizeof(s->ohdr);

    /* larger pipes: fewer wake-ups per megabyte (best effort) */

    if (s->fd_in != -1) {
        (void) fcntl(s->fd_in, F_SETPIPE_SZ, SLA_DIRECT_PIPE);

    } else {
        /* nothing reads the client: its bytes stay for nginx to drop */
        s->c_in_eof = 1;
    }

    if (s->fd_out != -1) {
        (void) fcntl(s->fd_out, F_SETPIPE_SZ, SLA_DIRECT_PIPE);
    }

    if (s->fd_err != -1) {
        (void) fcntl(s->fd_err, F_SETPIPE_SZ, SLA_DIRECT_PIPE);
    }
}


/* a frame is under way: wait for the client, not for the pipes */

int
sla_direct_pending(sla_session_t *s)
{
    return s->ohdr_sent < sizeof(s->ohdr) || s->oleft != 0;
}


/* every byte of output went out (or was dropped) and both pipes ended */

int
sla_direct_drained(sla_session_t *s)
{
    return s->fd_out == -1 && s->fd_err == -1 && !sla_direct_pending(s);
}


/*
 * Nothing is on its way to the client: no frame under way and the pipes
 * hold nothing (though something may still hold them open)
 */

int
sla_direct_idle(sla_session_t *s)
{
    int  avail;

    if (sla_direct_pending(s)) {
        return 0;
    }

    if (s->fd_out != -1
        && ioctl(s->fd_out, FIONREAD, &avail) == 0 && avail > 0)
    {
        return 0;
    }

    if (s->fd_err != -1
        && ioctl(s->fd_err, FIONREAD, &avail) == 0 && avail > 0)
    {
        return 0;
    }

    return 1;
}


/*
 * Output: stream is the pipe poll() found readable (1 or 2), or 0 when
 * the client can take more of the frame under way; hup is poll()'s
 * POLLHUP for that pipe.
 */

void
sla_direct_out(sla_session_t *s, int stream, int hup)
{
    int            fd, avail, *fdp;
    size_t         want;
    ssize_t        n;
    unsigned char  buf[65536];

    for ( ;; ) {

        if (!sla_direct_pending(s)) {
            if (stream == 0) {
                return;
            }

            fdp = (stream == 1) ? &s->fd_out : &s->fd_err;

            if (*fdp == -1) {
                return;
            }

            if (ioctl(*fdp, FIONREAD, &avail) != 0) {
                avail = 0;
            }

            if (avail <= 0) {
                if (hup) {
                    /* no writer and nothing left: the stream has ended */
                    close(*fdp);
                    *fdp = -1;
                }

                return;
            }

            if (avail > SLA_DIRECT_FRAME) {
                avail = SLA_DIRECT_FRAME;
            }

            s->ostream = stream;
            s->oleft = (size_t) avail;
            s->ohdr_sent = 0;
            sls_stdcopy_header(s->ohdr, stream, (uint32_t) avail);
        }

        fd = (s->ostream == 1) ? s->fd_out : s->fd_err;

        while (s->ohdr_sent < sizeof(s->ohdr) && !s->c_dead) {
            n = send(s->cfd, s->ohdr + s->ohdr_sent,
                     sizeof(s->ohdr) - s->ohdr_sent,
                     MSG_NOSIGNAL | MSG_DONTWAIT);

            if (n > 0) {
                s->ohdr_sent += (size_t) n;
                continue;
            }

            if (n == -1 && errno == EINTR) {
                continue;
            }

            if (n == -1 && errno == EAGAIN) {
                return;
            }

            sla_direct_gone(s);
        }

        s->ohdr_sent = sizeof(s->ohdr);

        while (s->oleft) {
            if (s->c_dead) {
                /* nobody to send to: drain the pipe so the process goes on */
                want = s->oleft < sizeof(buf) ? s->oleft : sizeof(buf);
                n = read(fd, buf, want);

                if (n > 0) {
                    s->oleft -= (size_t) n;
                    continue;
                }

                if (n == -1 && errno == EINTR) {
                    continue;
                }

                s->oleft = 0;
                break;
            }

            n = splice(fd, NULL, s->cfd, NULL, s->oleft,
                       SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

            if (n > 0) {
                s->oleft -= (size_t) n;
                continue;
            }

            if (n == -1 && errno == EINTR) {
                continue;
            }

            if (n == -1 && errno == EAGAIN) {
                /* FIONREAD promised the bytes: it is the client that is full */
                return;
            }

            if (n == 0) {
                /* the pipe lost bytes it had: the frame cannot be completed */
                sla_log("alert", "sockerless-agent: exec %s: output pipe "
                        "ended inside a frame", s->id);
            }

            sla_direct_gone(s);
        }
    }
}


static void
sla_direct_gone(sla_session_t *s)
{
    if (!s->c_dead) {
        sla_log("info", "sockerless-agent: exec %s: the client went away",
                s->id);
    }

    s->c_dead = 1;
    sla_direct_in_end(s);
}


/* input: the client's bytes into the process' stdin until EOF */

void
sla_direct_in(sla_session_t *s)
{
    ssize_t        n;
    struct pollfd  pfd;

    while (s->fd_in != -1 && !s->c_in_eof) {
        n = splice(s->cfd, NULL, s->fd_in, NULL, SLA_DIRECT_PIPE,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

        if (n > 0) {
            s->in_blocked = 0;
            continue;
        }

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n == -1 && errno == EAGAIN) {
            /* either side may be the reason: a full pipe waits for POLLOUT */
            pfd.fd = s->fd_in;
            pfd.events = POLLOUT;
            pfd.revents = 0;

            s->in_blocked = (poll(&pfd, 1, 0) == 0);
            return;
        }

        /*
         * 0: the client half-closed, its stdin is over; EPIPE: the process
         * closed its stdin; anything else: the client broke off
         */
        sla_direct_in_end(s);
    }
}


static void
sla_direct_in_end(sla_session_t *s)
{
    s->c_in_eof = 1;
    s->in_blocked = 0;

    if (s->fd_in != -1) {
        close(s->fd_in);
        s->fd_in = -1;
    }
}
