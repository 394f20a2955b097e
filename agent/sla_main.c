/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: command line, agent.json, daemonizing, the status
 * line, log lines and exit files.
 */


#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sla.h>
#include <sls_runtime.h>
#include <sls_time.h>


static int sla_config_binds(sls_json_t *root, sla_config_t *conf,
    char *err, size_t err_size);
static int sla_config_load(sla_config_t *conf, const char *path, char *err,
    size_t err_size);
static int sla_config_str(sls_json_t *root, const char *key, char **out,
    int required, char *err, size_t err_size);
static int sla_config_strv(sls_json_t *root, const char *key, char ***out,
    char *err, size_t err_size);
static int sla_config_bool(sls_json_t *root, const char *key, int *out,
    char *err, size_t err_size);
static int sla_config_runtime(sla_config_t *conf, sls_json_t *root,
    char *err, size_t err_size);
static int sla_daemonize(sla_agent_t *a);
static int sla_usage(void);


int
main(int argc, char **argv)
{
    int             i;
    char            err[SLA_ERR_LEN];
    char           *config, *token, *socket;
    sigset_t        set;
    sla_agent_t     a;
    sla_spawn_t     sp;
    sla_session_t  *s;

    /* pid 1 of a container run with --init (see sla_proc.c) */

    if (getenv("SOCKERLESS_INIT_PID") != NULL) {
        return sla_init_main();
    }

    memset(&a, 0, sizeof(sla_agent_t));
    a.status_fd = -1;
    a.log_fd = -1;
    a.listen_fd = -1;
    a.sig_fd = -1;
    a.port_error = -1;

    /* the token must never reach a child, read it before anything else */

    token = getenv("SOCKERLESS_AGENT_TOKEN");
    a.token = strdup(token ? token : "");
    unsetenv("SOCKERLESS_AGENT_TOKEN");

    if (a.token == NULL) {
        return 1;
    }

    if (argc >= 2 && strcmp(argv[1], "reverse") == 0) {
        return sla_reverse_main(&a, argc, argv);
    }

    if (argc >= 2 && strcmp(argv[1], "net") == 0) {
        return sla_net_main(&a, argc, argv);
    }

    if (argc < 2 || (strcmp(argv[1], "run") != 0
                     && strcmp(argv[1], "archive") != 0))
    {
        return sla_usage();
    }

    config = NULL;
    socket = NULL;
    a.oneshot = (strcmp(argv[1], "archive") == 0);

    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];

        } else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
            socket = argv[++i];

        } else if (strcmp(argv[i], "--status-fd") == 0 && i + 1 < argc) {
            a.status_fd = atoi(argv[++i]);

        } else {
            return sla_usage();
        }
    }

    if (config == NULL || (a.oneshot && socket == NULL)) {
        return sla_usage();
    }

    if (sla_config_load(&a.conf, config, err, sizeof(err)) != 0) {
        sla_log("error", "%s", err);
        sla_status(&a, err, 0);
        return 1;
    }

    if (a.token[0] == '\0') {
        sla_status(&a, "SOCKERLESS_AGENT_TOKEN is not set", 0);
        return 1;
    }

    if (a.oneshot) {
        free(a.conf.socket);
        a.conf.socket = strdup(socket);

        if (a.conf.socket == NULL) {
            return 1;
        }
    }

    if (sla_daemonize(&a) != 0) {
        return 1;
    }

    sla_log("info", "sockerless-agent: starting container %s", a.conf.id);

    signal(SIGPIPE, SIG_IGN);

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);

    a.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a.sig_fd == -1) {
        snprintf(err, sizeof(err), "signalfd() failed: %s", strerror(errno));
        goto failed;
    }

    if (a.oneshot) {
        /* docker cp of a stopped container: its files, no process */

        if (sla_container_setup(&a, err, sizeof(err)) != 0
            || sla_listen(&a, err, sizeof(err)) != 0)
        {
            goto failed;
        }

        a.deadline = sla_now_ms() + SLA_DIAL_TIMEOUT;
        sla_status(&a, NULL, getpid());

        return sla_loop(&a);
    }

    a.log_fd = open(a.conf.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                    0640);
    if (a.log_fd == -1) {
        snprintf(err, sizeof(err), "open %s: %s", a.conf.log,
                 strerror(errno));
        goto failed;
    }

    /* before the network namespace: the sockets stay in the host's */

    if (sla_ports_bind(&a, err, sizeof(err)) != 0
        || sla_container_setup(&a, err, sizeof(err)) != 0)
    {
        goto failed;
    }

    if (sla_listen(&a, err, sizeof(err)) != 0) {
        goto failed;
    }

    s = calloc(1, sizeof(sla_session_t));
    if (s == NULL) {
        snprintf(err, sizeof(err), "out of memory");
        goto failed;
    }

    strcpy(s->id, "main");
    s->is_main = 1;

    sp.argv = a.conf.cmd;
    sp.env = a.conf.env;
    sp.workdir = a.conf.workdir;
    sp.user = a.conf.user;
    sp.tty = a.conf.tty;
    sp.open_stdin = a.conf.open_stdin;
    sp.pid1 = 1;
    sp.privileged = 0;

    /* a cgroup kept from an earlier run counts its kills already */
    a.oom_base = sla_cgroup_ooms(&a);

    if (sla_spawn(&a, &sp, s, err, sizeof(err)) != 0) {
        free(s);
        unlink(a.conf.socket);
        goto failed;
    }

    a.sessions = s;

    sla_log("info", "sockerless-agent: main process %d started", s->pid);

    if (sla_health_init(&a) != 0) {
        sla_log("alert", "sockerless-agent: out of memory: no health "
                "checks");
    }

    sla_status(&a, NULL, s->pid);

    return sla_loop(&a);

failed:

    sla_log("error", "sockerless-agent: %s", err);
    sla_status(&a, err, 0);

    return 1;
}


static int
sla_usage(void)
{
    fprintf(stderr, "usage: sockerless-agent run --config /abs/agent.json "
            "[--status-fd N]\n"
            "       sockerless-agent archive --config /abs/agent.json "
            "--socket /abs/path [--status-fd N]\n"
            "       sockerless-agent reverse -- CMD [ARG...]\n");
    return 2;
}


void
sla_status(sla_agent_t *a, const char *err, pid_t pid)
{
    char    *line;
    size_t   n, i, size;

    if (a->status_fd < 0) {
        return;
    }

    /* the ports each take at most 6 bytes, ",65535" */
    size = SLA_ERR_LEN * 2 + 64 + a->conf.nports * 6;

    line = malloc(size);
    if (line == NULL) {
        close(a->status_fd);
        a->status_fd = -1;
        return;
    }

    if (err) {
        n = (size_t) snprintf(line, size, "{\"error\":");
        n += sls_json_quote(line + n, size - n - 32, err, strlen(err));
        if (n > size - 32) {
            n = size - 32;
        }

        /* the published port that could not be bound */
        if (a->port_error >= 0) {
            n += (size_t) snprintf(line + n, size - n, ",\"port\":%d",
                                   a->port_error);
        }

    } else {
        n = (size_t) snprintf(line, size, "{\"pid\":%d", (int) pid);

        /* the host ports published, in the order of agent.json's */
        if (a->conf.nports) {
            n += (size_t) snprintf(line + n, size - n, ",\"ports\":[");

            for (i = 0; i < a->conf.nports; i++) {
                n += (size_t) snprintf(line + n, size - n, "%s%u",
                                       i ? "," : "",
                                       a->conf.ports[i].bound);
            }

            line[n++] = ']';
        }
    }

    memcpy(line + n, "}\n", 3);
    n += 2;

    if (write(a->status_fd, line, n) != (ssize_t) n) {
        sla_log("error", "sockerless-agent: write() of the status failed");
    }

    free(line);
    close(a->status_fd);
    a->status_fd = -1;
}


static int
sla_daemonize(sla_agent_t *a)
{
    int     fd;
    char    path[4096];
    pid_t   pid;

    pid = fork();

    if (pid == -1) {
        sla_status(a, "fork() failed", 0);
        return -1;
    }

    if (pid > 0) {
        _exit(0);
    }

    setsid();

    fd = open("/dev/null", O_RDWR);
    if (fd != -1) {
        dup2(fd, 0);
        if (fd > 2) {
            close(fd);
        }
    }

    snprintf(path, sizeof(path), "%s/agent.log", a->conf.container_dir);

    fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (fd != -1) {
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2) {
            close(fd);
        }
    }

    if (a->status_fd > 3) {
        close_range(3, (unsigned) a->status_fd - 1, 0);
    }

    if (a->status_fd >= 3) {
        close_range((unsigned) a->status_fd + 1, ~0U, 0);

    } else {
        close_range(3, ~0U, 0);
    }

    if (a->status_fd >= 0) {
        fcntl(a->status_fd, F_SETFD, FD_CLOEXEC);
    }

    return 0;
}


void
sla_log(const char *level, const char *fmt, ...)
{
    char        buf[1024];
    time_t      now;
    size_t      n;
    va_list     args;
    struct tm   tm;

    now = time(NULL);
    gmtime_r(&now, &tm);

    n = strftime(buf, sizeof(buf), "%Y/%m/%d %H:%M:%S ", &tm);
    n += (size_t) snprintf(buf + n, sizeof(buf) - n, "[%s] %d: ", level,
                           (int) getpid());

    va_start(args, fmt);
    if (n < sizeof(buf)) {
        vsnprintf(buf + n, sizeof(buf) - n, fmt, args);
    }
    va_end(args);

    n = strlen(buf);
    if (n < sizeof(buf) - 1) {
        buf[n++] = '\n';
    }

    if (write(2, buf, n) < 0) {
        return;
    }
}


int64_t
sla_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* the exit file's JSON, a newline included; the length it needs */

size_t
sla_exit_json(sla_agent_t *a, const char *exec_id, int code, int sig,
    const char *error, char *buf, size_t size)
{
    char             when[64];
    size_t           n;
    struct timespec  ts;

    /* Go's RFC3339Nano, as dockerd writes FinishedAt: no trailing zeros */

    clock_gettime(CLOCK_REALTIME, &ts);
    sls_time_rfc3339nano(when, sizeof(when), ts.tv_sec, ts.tv_nsec);

    if (exec_id == NULL) {
        exec_id = "";
    }

    if (error == NULL) {
        error = "";
    }

    n = (size_t) snprintf(buf, size, "{\"id\":");
    n += sls_json_quote(buf + n, n < size ? size - n : 0, a->conf.id,
                        strlen(a->conf.id));
    n += (size_t) snprintf(buf + (n < size ? n : 0), n < size ? size - n : 0,
                           ",\"exec\":");
    n += sls_json_quote(buf + (n < size ? n : 0), n < size ? size - n : 0,
                        exec_id, strlen(exec_id));
    n += (size_t) snprintf(buf + (n < size ? n : 0), n < size ? size - n : 0,
                           ",\"exitCode\":%d,\"signal\":%d,"
                           "\"finishedAt\":\"%s\",\"oomKilled\":%s,"
                           "\"error\":", code, sig, when,
                           (exec_id[0] == '\0' && a->oom_killed)
                           ? "true" : "false");
    n += sls_json_quote(buf + (n < size ? n : 0), n < size ? size - n : 0,
                        error, strlen(error));
    n += (size_t) snprintf(buf + (n < size ? n : 0), n < size ? size - n : 0,
                           "}\n");

    return n;
}


int
sla_write_exit_file(sla_agent_t *a, const char *exec_id, int status)
{
    int              fd, code, sig;
    char             tmp[4096], path[4096], json[2048];
    size_t           n;
    const char      *name;

    if (WIFSIGNALED(status)) {
        sig = WTERMSIG(status);
        code = 128 + sig;

    } else {
        sig = 0;
        code = WEXITSTATUS(status);
    }

    name = exec_id ? exec_id : a->conf.id;

    if (a->conf.exit_dir == NULL) {
        /* reverse mode: sessions see exec exits, the main exit is posted */
        sla_log("info", "sockerless-agent: %s %s exited with %d",
                exec_id ? "exec" : "container", name, code);
        return 0;
    }

    n = sla_exit_json(a, exec_id, code, sig, NULL, json, sizeof(json));

    if (n >= sizeof(json)) {
        sla_log("alert", "sockerless-agent: exit file too long");
        return -1;
    }

    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", a->conf.exit_dir, name);
    snprintf(path, sizeof(path), "%s/%s", a->conf.exit_dir, name);

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd == -1) {
        sla_log("alert", "sockerless-agent: open(\"%s\") failed: %s", tmp,
                strerror(errno));
        return -1;
    }

    if (write(fd, json, n) != (ssize_t) n || fsync(fd) != 0) {
        sla_log("alert", "sockerless-agent: write(\"%s\") failed: %s", tmp,
                strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }

    close(fd);

    if (rename(tmp, path) != 0) {
        sla_log("alert", "sockerless-agent: rename(\"%s\") failed: %s", tmp,
                strerror(errno));
        unlink(tmp);
        return -1;
    }

    sla_log("info", "sockerless-agent: %s %s exited with %d",
            exec_id ? "exec" : "container", name, code);

    return 0;
}


/* agent.json */

static int
sla_config_str(sls_json_t *root, const char *key, char **out, int required,
    char *err, size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(root, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        if (required) {
            snprintf(err, err_size, "agent.json: \"%s\" is missing", key);
            return -1;
        }

        *out = strdup("");
        return *out ? 0 : -1;
    }

    if (j->type != SLS_JSON_STRING) {
        snprintf(err, err_size, "agent.json: \"%s\" must be a string", key);
        return -1;
    }

    if (required && j->len == 0) {
        snprintf(err, err_size, "agent.json: \"%s\" is empty", key);
        return -1;
    }

    *out = strdup(j->str);

    return *out ? 0 : -1;
}


/*
 * "mounts": [{"source": "/host", "target": "/ctr", "readonly": false,
 * "copy_up": false}] or [{"type": "tmpfs", "target": "/ctr",
 * "tmpfs_size": bytes, "tmpfs_mode": mode}] or, for --tmpfs, [{"type":
 * "tmpfs", "target": "/ctr", "tmpfs_options": "noexec,size=64m"}];
 * a bind may have "subpath": "dir/sub" (resolved beneath its source)
 */

static int
sla_config_binds(sls_json_t *root, sla_config_t *conf, char *err,
    size_t err_size)
{
    size_t       n;
    sla_bind_t  *b;
    sls_json_t  *j, *e, *src, *dst, *ro, *type, *cu, *size, *mode, *opts;
    sls_json_t  *sub;

    j = sls_json_get(root, "mounts");
    n = 0;

    if (j == NULL || j->type == SLS_JSON_NULL) {
        return 0;
    }

    if (j->type != SLS_JSON_ARRAY) {
        goto invalid;
    }

    for (e = j->child; e; e = e->next) {
        n++;
    }

    conf->binds = calloc(n + 1, sizeof(sla_bind_t));
    if (conf->binds == NULL) {
        return -1;
    }

    for (e = j->child; e; e = e->next) {
        if (e->type != SLS_JSON_OBJECT) {
            goto invalid;
        }

        src = sls_json_get(e, "source");
        dst = sls_json_get(e, "target");
        ro = sls_json_get(e, "readonly");
        type = sls_json_get(e, "type");
        cu = sls_json_get(e, "copy_up");
        size = sls_json_get(e, "tmpfs_size");
        mode = sls_json_get(e, "tmpfs_mode");
        opts = sls_json_get(e, "tmpfs_options");
        sub = sls_json_get(e, "subpath");

        b = &conf->binds[conf->nbinds];

        if (dst == NULL || dst->type != SLS_JSON_STRING
            || dst->str[0] != '/')
        {
            goto invalid;
        }

        if (type && type->type == SLS_JSON_STRING
            && strcmp(type->str, "tmpfs") == 0)
        {
            b->tmpfs = 1;

            if ((size && (size->type != SLS_JSON_NUMBER || size->num < 0))
                || (mode && (mode->type != SLS_JSON_NUMBER || mode->num < 0
                             || mode->num > 07777)))
            {
                goto invalid;
            }

            b->tmpfs_size = size ? (unsigned long long) size->num : 0;
            b->tmpfs_mode = mode ? (unsigned) mode->num : 0;

            if (opts && opts->type != SLS_JSON_NULL) {
                if (opts->type != SLS_JSON_STRING) {
                    goto invalid;
                }

                b->tmpfs_options = strdup(opts->str);
                if (b->tmpfs_options == NULL) {
                    return -1;
                }
            }

        } else if (type && !(type->type == SLS_JSON_STRING
                             && strcmp(type->str, "bind") == 0))
        {
            goto invalid;

        } else {
            if (src == NULL || src->type != SLS_JSON_STRING
                || src->str[0] != '/')
            {
                goto invalid;
            }

            b->source = strdup(src->str);
            if (b->source == NULL) {
                return -1;
            }

            b->copy_up = (cu && cu->type == SLS_JSON_TRUE);

            if (sub && sub->type != SLS_JSON_NULL) {
                if (sub->type != SLS_JSON_STRING || sub->str[0] == '/') {
                    goto invalid;
                }

                b->subpath = strdup(sub->str);
                if (b->subpath == NULL) {
                    return -1;
                }
            }
        }

        b->target = strdup(dst->str);
        b->readonly = (ro && ro->type == SLS_JSON_TRUE);

        if (b->target == NULL) {
            return -1;
        }

        conf->nbinds++;
    }

    return 0;

invalid:

    snprintf(err, err_size, "agent.json: \"mounts\" must be an array of "
             "{\"source\", \"target\"} with absolute paths, or of "
             "{\"type\": \"tmpfs\", \"target\"}");
    return -1;
}


static int
sla_config_strv(sls_json_t *root, const char *key, char ***out, char *err,
    size_t err_size)
{
    size_t       n;
    char       **v;
    sls_json_t  *j, *e;

    j = sls_json_get(root, key);
    n = 0;

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_ARRAY) {
            goto invalid;
        }

        for (e = j->child; e; e = e->next) {
            if (e->type != SLS_JSON_STRING) {
                goto invalid;
            }

            n++;
        }
    }

    v = calloc(n + 1, sizeof(char *));
    if (v == NULL) {
        return -1;
    }

    *out = v;

    for (e = n ? j->child : NULL; e; e = e->next) {
        *v = strdup(e->str);
        if (*v++ == NULL) {
            return -1;
        }
    }

    return 0;

invalid:

    snprintf(err, err_size, "agent.json: \"%s\" must be an array of strings",
             key);
    return -1;
}


static int
sla_config_bool(sls_json_t *root, const char *key, int *out, char *err,
    size_t err_size)
{
    sls_json_t  *j;

    j = sls_json_get(root, key);

    if (j == NULL || j->type == SLS_JSON_NULL) {
        *out = 0;
        return 0;
    }

    if (j->type != SLS_JSON_TRUE && j->type != SLS_JSON_FALSE) {
        snprintf(err, err_size, "agent.json: \"%s\" must be a boolean", key);
        return -1;
    }

    *out = (j->type == SLS_JSON_TRUE);

    return 0;
}


static int
sla_config_load(sla_config_t *conf, const char *path, char *err,
    size_t err_size)
{
    int          fd, rc;
    char        *text, jerr[128];
    ssize_t      n;
    sls_json_t  *root;
    struct stat  st;

    err[0] = '\0';

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, err_size, "open %s: %s", path, strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) != 0 || st.st_size > 16 * 1024 * 1024) {
        snprintf(err, err_size, "%s: bad size", path);
        close(fd);
        return -1;
    }

    text = malloc((size_t) st.st_size + 1);
    if (text == NULL) {
        close(fd);
        return -1;
    }

    n = read(fd, text, (size_t) st.st_size);
    close(fd);

    if (n != st.st_size) {
        snprintf(err, err_size, "read %s: short read", path);
        free(text);
        return -1;
    }

    root = sls_json_parse(text, (size_t) n, jerr, sizeof(jerr));
    free(text);

    if (root == NULL || root->type != SLS_JSON_OBJECT) {
        snprintf(err, err_size, "%s: %s", path,
                 root ? "not a JSON object" : jerr);
        sls_json_free(root);
        return -1;
    }

    rc = -1;

    if (sla_config_str(root, "id", &conf->id, 1, err, err_size) != 0
        || sla_config_str(root, "image_rootfs", &conf->image_rootfs, 0,
                          err, err_size) != 0
        || sla_config_str(root, "container_dir", &conf->container_dir, 1,
                          err, err_size) != 0
        || sla_config_str(root, "socket", &conf->socket, 1, err, err_size)
           != 0
        || sla_config_str(root, "log", &conf->log, 1, err, err_size) != 0
        || sla_config_str(root, "exit_dir", &conf->exit_dir, 1,
                          err, err_size) != 0
        || sla_config_strv(root, "cmd", &conf->cmd, err, err_size) != 0
        || sla_config_strv(root, "env", &conf->env, err, err_size) != 0
        || sla_config_str(root, "workdir", &conf->workdir, 0, err, err_size)
           != 0
        || sla_config_str(root, "user", &conf->user, 0, err, err_size) != 0
        || sla_config_str(root, "hostname", &conf->hostname, 0,
                          err, err_size) != 0
        || sla_config_str(root, "hosts", &conf->hosts, 0, err, err_size)
           != 0
        || sla_config_str(root, "network", &conf->network, 0, err, err_size)
           != 0
        || sla_config_strv(root, "interfaces", &conf->interfaces, err,
                           err_size) != 0
        || sla_config_strv(root, "cgroups", &conf->cgroups, err, err_size)
           != 0
        || sla_config_bool(root, "tty", &conf->tty, err, err_size) != 0
        || sla_config_bool(root, "open_stdin", &conf->open_stdin,
                           err, err_size) != 0
        || sla_config_bool(root, "stdin_once", &conf->stdin_once,
                           err, err_size) != 0
        || sla_config_bool(root, "namespaces", &conf->namespaces,
                           err, err_size) != 0
        || sla_config_binds(root, conf, err, err_size) != 0
        || sla_ports_conf(conf, sls_json_get(root, "ports"), err, err_size)
           != 0
        || sla_health_conf(conf, sls_json_get(root, "healthcheck"),
                           err, err_size) != 0
        || sla_config_runtime(conf, root, err, err_size) != 0)
    {
        goto done;
    }

    if (conf->cmd[0] == NULL) {
        snprintf(err, err_size, "no command specified");
        goto done;
    }

    if (conf->workdir[0] == '\0') {
        free(conf->workdir);
        conf->workdir = strdup("/");
        if (conf->workdir == NULL) {
            goto done;
        }
    }

    rc = 0;

done:

    if (rc != 0 && err[0] == '\0') {
        snprintf(err, err_size, "agent.json: out of memory");
    }

    sls_json_free(root);

    return rc;
}


/*
 * HostConfig's process options, prepared by the module: "readonly_rootfs",
 * "shm_size", "ipc", "pid", "uts", "init", "capabilities" (names; absent:
 * left alone), "no_new_privileges", "oom_score_adj" (absent: left alone),
 * "group_add", "sysctls" ("name=value"), "ulimits" ([{"name", "soft",
 * "hard"}]) and "devices" ([{"source", "target"}])
 */

static int
sla_config_runtime(sla_config_t *conf, sls_json_t *root, char *err,
    size_t err_size)
{
    int          n;
    size_t       count;
    sls_json_t  *j, *e, *name, *soft, *hard, *src, *dst;

    if (sla_config_bool(root, "readonly_rootfs", &conf->readonly_rootfs,
                        err, err_size) != 0
        || sla_config_str(root, "ipc", &conf->ipc, 0, err, err_size) != 0
        || sla_config_str(root, "pid", &conf->pid, 0, err, err_size) != 0
        || sla_config_str(root, "uts", &conf->uts, 0, err, err_size) != 0
        || sla_config_bool(root, "init", &conf->init, err, err_size) != 0
        || sla_config_bool(root, "no_new_privileges", &conf->no_new_privs,
                           err, err_size) != 0
        || sla_config_strv(root, "group_add", &conf->group_add,
                           err, err_size) != 0
        || sla_config_strv(root, "sysctls", &conf->sysctls, err, err_size)
           != 0)
    {
        return -1;
    }

    j = sls_json_get(root, "shm_size");

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_NUMBER || j->num < 0) {
            snprintf(err, err_size, "agent.json: \"shm_size\" must be a "
                     "number of bytes");
            return -1;
        }

        conf->shm_size = (unsigned long long) j->num;
    }

    j = sls_json_get(root, "oom_score_adj");

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_NUMBER || j->num < -1000 || j->num > 1000) {
            snprintf(err, err_size, "agent.json: \"oom_score_adj\" must be "
                     "a number from -1000 to 1000");
            return -1;
        }

        conf->has_oom = 1;
        conf->oom_score_adj = (int) j->num;
    }

    j = sls_json_get(root, "capabilities");

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_ARRAY) {
            goto bad_caps;
        }

        conf->has_caps = 1;

        for (e = j->child; e; e = e->next) {
            n = (e->type == SLS_JSON_STRING) ? sls_cap_number(e->str, e->len)
                                             : -1;

            if (n < 0 || n > SLS_CAP_LAST) {
                goto bad_caps;
            }

            conf->caps |= 1ULL << n;
        }
    }

    j = sls_json_get(root, "ulimits");
    count = 0;

    for (e = (j && j->type == SLS_JSON_ARRAY) ? j->child : NULL; e;
         e = e->next)
    {
        count++;
    }

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_ARRAY) {
            goto bad_ulimits;
        }

        conf->rlimits = calloc(count + 1, sizeof(sla_rlimit_t));
        if (conf->rlimits == NULL) {
            return -1;
        }

        for (e = j->child; e; e = e->next) {
            name = sls_json_get(e, "name");
            soft = sls_json_get(e, "soft");
            hard = sls_json_get(e, "hard");

            if (name == NULL || name->type != SLS_JSON_STRING
                || soft == NULL || soft->type != SLS_JSON_NUMBER
                || hard == NULL || hard->type != SLS_JSON_NUMBER
                || (n = sls_rlimit_number(name->str)) < 0)
            {
                goto bad_ulimits;
            }

            /* go-units' -1 is unlimited */

            conf->rlimits[conf->nrlimits].resource = n;
            conf->rlimits[conf->nrlimits].soft = soft->num < 0
                ? RLIM_INFINITY : (unsigned long long) soft->num;
            conf->rlimits[conf->nrlimits].hard = hard->num < 0
                ? RLIM_INFINITY : (unsigned long long) hard->num;
            conf->nrlimits++;
        }
    }

    j = sls_json_get(root, "devices");
    count = 0;

    for (e = (j && j->type == SLS_JSON_ARRAY) ? j->child : NULL; e;
         e = e->next)
    {
        count++;
    }

    if (j && j->type != SLS_JSON_NULL) {
        if (j->type != SLS_JSON_ARRAY) {
            goto bad_devices;
        }

        conf->devices = calloc(count + 1, sizeof(sla_device_t));
        if (conf->devices == NULL) {
            return -1;
        }

        for (e = j->child; e; e = e->next) {
            src = sls_json_get(e, "source");
            dst = sls_json_get(e, "target");

            if (src == NULL || src->type != SLS_JSON_STRING
                || src->str[0] != '/'
                || dst == NULL || dst->type != SLS_JSON_STRING
                || dst->str[0] != '/')
            {
                goto bad_devices;
            }

            conf->devices[conf->ndevices].source = strdup(src->str);
            conf->devices[conf->ndevices].target = strdup(dst->str);

            if (conf->devices[conf->ndevices].source == NULL
                || conf->devices[conf->ndevices].target == NULL)
            {
                return -1;
            }

            conf->ndevices++;
        }
    }

    return 0;

bad_caps:

    snprintf(err, err_size, "agent.json: \"capabilities\" must be an array "
             "of capability names");
    return -1;

bad_ulimits:

    snprintf(err, err_size, "agent.json: \"ulimits\" must be an array of "
             "{\"name\", \"soft\", \"hard\"}");
    return -1;

bad_devices:

    snprintf(err, err_size, "agent.json: \"devices\" must be an array of "
             "{\"source\", \"target\"} with absolute paths");
    return -1;
}


/*
 * SOCKERLESS_AGENT_CONFIG of reverse mode: the keys of agent.json that
 * apply there (tty, open_stdin, stdin_once, workdir, user, env); the
 * other members of conf are left alone
 */

int
sla_config_json(sla_config_t *conf, const char *text, size_t len, char *err,
    size_t err_size)
{
    int          rc;
    char         jerr[128], msg[SLA_ERR_LEN];
    sls_json_t  *root;

    err[0] = '\0';

    root = sls_json_parse(text, len, jerr, sizeof(jerr));

    if (root == NULL || root->type != SLS_JSON_OBJECT) {
        snprintf(err, err_size, "SOCKERLESS_AGENT_CONFIG: %s",
                 root ? "not a JSON object" : jerr);
        sls_json_free(root);
        return -1;
    }

    rc = -1;

    if (sla_config_strv(root, "env", &conf->env, err, err_size) != 0
        || sla_config_str(root, "workdir", &conf->workdir, 0, err, err_size)
           != 0
        || sla_config_str(root, "user", &conf->user, 0, err, err_size) != 0
        || sla_config_bool(root, "tty", &conf->tty, err, err_size) != 0
        || sla_config_bool(root, "open_stdin", &conf->open_stdin,
                           err, err_size) != 0
        || sla_config_bool(root, "stdin_once", &conf->stdin_once,
                           err, err_size) != 0)
    {
        snprintf(msg, sizeof(msg), "SOCKERLESS_AGENT_CONFIG: %s",
                 strncmp(err, "agent.json: ", 12) == 0 ? err + 12 : err);
        snprintf(err, err_size, "%s", msg);

        goto done;
    }

    rc = 0;

done:

    if (rc != 0 && err[0] == '\0') {
        snprintf(err, err_size, "SOCKERLESS_AGENT_CONFIG: out of memory");
    }

    sls_json_free(root);

    return rc;
}
