/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: health checks.  The probe runs on dockerd's schedule
 * as an exec would; each result goes to a file the module watches.
 */


#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sls_time.h>
#include <sla.h>


#define SLA_HEALTH_OUTPUT   4096          /* dockerd's maxOutputLen */
#define SLA_HEALTH_KEEP     5             /* dockerd's maxLogEntries */


struct sla_health_s {
    sla_health_conf_t  *conf;
    int64_t             started;          /* ms, main's start */
    int64_t             next;             /* ms: the next probe */
    int64_t             deadline;         /* ms: the probe's timeout */
    int                 ok;               /* a probe has passed */
    sla_session_t      *probe;            /* the probe under way */
    int                 killed;           /* at its timeout */
    uint64_t            seq;
    struct timespec     start;
    size_t              out_len;
    int                 truncated;
    char                out[SLA_HEALTH_OUTPUT + 3];
    char               *results[SLA_HEALTH_KEEP];  /* oldest first */
};


static int64_t sla_health_interval(sla_health_t *h, int64_t now);
static void sla_health_start(sla_agent_t *a, sla_health_t *h, int64_t now);
static void sla_health_result(sla_agent_t *a, sla_health_t *h, int code,
    const char *error);
static void sla_health_write(sla_agent_t *a, sla_health_t *h);
static int sla_health_ms(sls_json_t *j, const char *key, int64_t dflt,
    int64_t *out, char *err, size_t err_size);


/*
 * "healthcheck": {"test": [argv], "interval": ms, "timeout": ms,
 * "start_period": ms, "start_interval": ms}; the module has resolved
 * CMD-SHELL to the shell and left NONE out
 */

int
sla_health_conf(sla_config_t *conf, sls_json_t *j, char *err,
    size_t err_size)
{
    size_t              n, i;
    sls_json_t         *t, *e;
    sla_health_conf_t  *hc;

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    t = sls_json_get(j, "test");

    if (j->type != SLS_JSON_OBJECT || t == NULL
        || t->type != SLS_JSON_ARRAY || t->child == NULL)
    {
        snprintf(err, err_size, "healthcheck: \"test\" must be a non-empty "
                 "array of strings");
        return -1;
    }

    n = 0;
    for (e = t->child; e; e = e->next) {
        if (e->type != SLS_JSON_STRING) {
            snprintf(err, err_size, "healthcheck: \"test\" must be a "
                     "non-empty array of strings");
            return -1;
        }

        n++;
    }

    hc = calloc(1, sizeof(sla_health_conf_t));
    if (hc == NULL) {
        return -1;
    }

    hc->test = calloc(n + 1, sizeof(char *));
    if (hc->test == NULL) {
        free(hc);
        return -1;
    }

    conf->health = hc;

    for (i = 0, e = t->child; e; e = e->next, i++) {
        hc->test[i] = strdup(e->str);
        if (hc->test[i] == NULL) {
            return -1;
        }
    }

    if (sla_health_ms(j, "interval", 30000, &hc->interval, err, err_size)
        || sla_health_ms(j, "timeout", 30000, &hc->timeout, err, err_size)
        || sla_health_ms(j, "start_period", 0, &hc->start_period,
                         err, err_size)
        || sla_health_ms(j, "start_interval", 5000, &hc->start_interval,
                         err, err_size))
    {
        return -1;
    }

    return 0;
}


static int
sla_health_ms(sls_json_t *j, const char *key, int64_t dflt, int64_t *out,
    char *err, size_t err_size)
{
    sls_json_t  *v;

    v = sls_json_get(j, key);

    if (v == NULL || v->type == SLS_JSON_NULL) {
        *out = dflt;
        return 0;
    }

    if (v->type != SLS_JSON_NUMBER || v->num < 0 || v->num > 1e12) {
        snprintf(err, err_size, "healthcheck: \"%s\" must be a number of "
                 "milliseconds", key);
        return -1;
    }

    /* 0 is dockerd's "the default" */
    *out = (v->num == 0) ? dflt : (int64_t) v->num;

    return 0;
}


/* main has started: the first probe comes after one interval */

int
sla_health_init(sla_agent_t *a)
{
    sla_health_t  *h;

    if (a->conf.health == NULL) {
        return 0;
    }

    h = calloc(1, sizeof(sla_health_t));
    if (h == NULL) {
        return -1;
    }

    h->conf = a->conf.health;
    h->started = sla_now_ms();
    h->next = h->started + sla_health_interval(h, h->started);
    a->health = h;

    return 0;
}


/*
 * dockerd's getInterval(): the start interval while the container is
 * still starting in its start period, the start period's end if that
 * comes before the next interval, else the interval
 */

static int64_t
sla_health_interval(sla_health_t *h, int64_t now)
{
    int64_t  elapsed, left;

    elapsed = now - h->started;

    if (elapsed >= h->conf->start_period) {
        return h->conf->interval;
    }

    left = h->conf->start_period - elapsed;

    if (left < h->conf->interval) {
        return left;
    }

    return h->ok ? h->conf->interval : h->conf->start_interval;
}


/* starts a probe when one is due, kills one past its timeout; ms to wait */

int64_t
sla_health_tick(sla_agent_t *a)
{
    int64_t        now;
    sla_health_t  *h;

    h = a->health;

    if (h == NULL || a->finishing) {
        return -1;
    }

    now = sla_now_ms();

    if (h->probe) {
        if (h->killed) {
            /* the reap ends it */
            return -1;
        }

        if (now >= h->deadline) {
            sla_log("info", "sockerless-agent: health check %s timed out",
                    h->probe->id);
            /* its process group: what a shell started goes too */
            kill(-h->probe->pid, SIGKILL);
            kill(h->probe->pid, SIGKILL);
            h->killed = 1;
            return -1;
        }

        return h->deadline - now;
    }

    if (now < h->next) {
        return h->next - now;
    }

    sla_health_start(a, h, now);

    if (h->probe) {
        return h->deadline - now;
    }

    return h->next > now ? h->next - now : 0;
}


static void
sla_health_start(sla_agent_t *a, sla_health_t *h, int64_t now)
{
    char            err[SLA_ERR_LEN];
    sla_spawn_t     sp;
    sla_session_t  *s;

    clock_gettime(CLOCK_REALTIME, &h->start);
    h->out_len = 0;
    h->truncated = 0;
    h->killed = 0;
    h->seq++;

    s = calloc(1, sizeof(sla_session_t));
    if (s == NULL) {
        sla_health_result(a, h, -1, "out of memory");
        h->next = now + sla_health_interval(h, now);
        return;
    }

    snprintf(s->id, sizeof(s->id), "health-%llu", (unsigned long long) h->seq);
    s->probe = 1;

    /* as dockerd's probe exec: the container's user, workdir and env */

    sp.argv = h->conf->test;
    sp.env = a->conf.env;
    sp.workdir = a->conf.workdir;
    sp.user = a->conf.user;
    sp.tty = 0;
    sp.open_stdin = 0;
    sp.pid1 = 0;
    sp.privileged = 0;

    if (sla_spawn(a, &sp, s, err, sizeof(err)) != 0) {
        free(s);
        sla_health_result(a, h, -1, err);
        h->next = now + sla_health_interval(h, sla_now_ms());
        return;
    }

    s->next = a->sessions;
    a->sessions = s;

    h->probe = s;
    h->deadline = now + h->conf->timeout;
}


/* stdout and stderr together, the first 4 KiB kept, as dockerd */

void
sla_health_output(sla_agent_t *a, const unsigned char *p, size_t len)
{
    size_t         keep;
    sla_health_t  *h;

    h = a->health;

    if (h == NULL) {
        return;
    }

    keep = SLA_HEALTH_OUTPUT - h->out_len;

    if (keep > len) {
        keep = len;
    }

    memcpy(h->out + h->out_len, p, keep);
    h->out_len += keep;

    if (keep < len) {
        h->truncated = 1;
    }
}


/* the probe's process was reaped and its output drained */

void
sla_health_done(sla_agent_t *a, sla_session_t *s)
{
    int            code;
    int64_t        now;
    sla_health_t  *h;

    h = a->health;

    if (h == NULL || h->probe != s) {
        return;
    }

    h->probe = NULL;

    if (a->finishing) {
        /* main has ended: dockerd drops a probe cancelled by the stop */
        return;
    }

    code = WIFSIGNALED(s->status) ? 128 + WTERMSIG(s->status)
                                  : WEXITSTATUS(s->status);

    sla_health_result(a, h, h->killed ? -1 : code, NULL);

    if (code == 0 && !h->killed) {
        h->ok = 1;
    }

    now = sla_now_ms();
    h->next = now + sla_health_interval(h, now);
}


/*
 * One result: {"seq","start","end","exitCode","timedOut","output"}; the
 * module words a timeout with the configured duration, as dockerd
 */

static void
sla_health_result(sla_agent_t *a, sla_health_t *h, int code,
    const char *error)
{
    char             start[64], end[64], *r;
    size_t           n, size;
    const char      *out;
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    sls_time_rfc3339nano(start, sizeof(start), h->start.tv_sec,
                         h->start.tv_nsec);
    sls_time_rfc3339nano(end, sizeof(end), ts.tv_sec, ts.tv_nsec);

    if (error) {
        out = error;
        n = strlen(error);

    } else {
        if (h->truncated) {
            /* what was cut is marked as dockerd marks it */
            memcpy(h->out + h->out_len, "...", 3);
            h->out_len += 3;
        }

        out = h->out;
        n = h->out_len;
    }

    size = 6 * n + 256;
    r = malloc(size);
    if (r == NULL) {
        return;
    }

    n = (size_t) snprintf(r, size, "{\"seq\":%llu,\"start\":\"%s\","
                          "\"end\":\"%s\",\"exitCode\":%d,"
                          "\"timedOut\":%s,\"output\":",
                          (unsigned long long) h->seq, start, end, code,
                          h->killed ? "true" : "false");
    n += sls_json_quote(r + n, size - n, out,
                        error ? strlen(error) : h->out_len);

    if (n + 2 > size) {
        free(r);
        return;
    }

    r[n++] = '}';
    r[n] = '\0';

    if (h->results[0] && h->results[SLA_HEALTH_KEEP - 1]) {
        free(h->results[0]);
        memmove(&h->results[0], &h->results[1],
                (SLA_HEALTH_KEEP - 1) * sizeof(char *));
        h->results[SLA_HEALTH_KEEP - 1] = NULL;
    }

    for (n = 0; n < SLA_HEALTH_KEEP; n++) {
        if (h->results[n] == NULL) {
            h->results[n] = r;
            break;
        }
    }

    sla_log("info", "sockerless-agent: health check %llu: %d",
            (unsigned long long) h->seq, code);

    sla_health_write(a, h);
}


/*
 * <exit_dir>/h.<id>: the last results, replaced atomically; every
 * worker watching the directory reads it and the store decides which
 * results are new (docs/agent-protocol.md)
 */

static void
sla_health_write(sla_agent_t *a, sla_health_t *h)
{
    int      fd;
    char     tmp[4096], path[4096], *body, *p;
    size_t   len, i;
    ssize_t  n;

    if (a->conf.exit_dir == NULL) {
        /* reverse mode: not reported yet (docs/agent-protocol.md) */
        return;
    }

    len = strlen(a->conf.id) + 64;

    for (i = 0; i < SLA_HEALTH_KEEP && h->results[i]; i++) {
        len += strlen(h->results[i]) + 1;
    }

    body = malloc(len);
    if (body == NULL) {
        return;
    }

    p = body + snprintf(body, len, "{\"id\":\"%s\",\"results\":[", a->conf.id);

    for (i = 0; i < SLA_HEALTH_KEEP && h->results[i]; i++) {
        if (i) {
            *p++ = ',';
        }

        p = stpcpy(p, h->results[i]);
    }

    p = stpcpy(p, "]}\n");

    snprintf(tmp, sizeof(tmp), "%s/.h.%s.tmp", a->conf.exit_dir, a->conf.id);
    snprintf(path, sizeof(path), "%s/h.%s", a->conf.exit_dir, a->conf.id);

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        sla_log("alert", "sockerless-agent: open(\"%s\") failed: %s", tmp,
                strerror(errno));
        free(body);
        return;
    }

    n = write(fd, body, (size_t) (p - body));
    close(fd);

    if (n != p - body || rename(tmp, path) != 0) {
        sla_log("alert", "sockerless-agent: writing \"%s\" failed: %s",
                path, strerror(errno));
        unlink(tmp);
    }

    free(body);
}
