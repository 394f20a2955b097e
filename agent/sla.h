/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: types shared by the agent's files.
 */


#ifndef _SLA_H_INCLUDED_
#define _SLA_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <poll.h>
#include <sys/socket.h>
#include <sls_ws.h>
#include <sls_agent_proto.h>
#include <sls_callback.h>


#define SLA_READ_CHUNK        (32 * 1024)
#define SLA_RING_MAX          (1024 * 1024)
#define SLA_CONN_HIGH_WATER   (1024 * 1024)
#define SLA_DRAIN_MAX         (8 * 1024 * 1024)
#define SLA_FLUSH_MSEC        2000
#define SLA_ERR_LEN           512
#define SLA_DIRECT_FRAME      (1024 * 1024)
#define SLA_DIRECT_PIPE       (1024 * 1024)

/* reverse mode: redial backoff, one attempt, the exit report */
#define SLA_DIAL_MIN_MSEC     100
#define SLA_DIAL_MAX_MSEC     5000
#define SLA_DIAL_TIMEOUT      10000
#define SLA_REPORT_MSEC       10000
#define SLA_LINGER_MSEC       30000   /* reverse: for the gateway to read */

#define SLA_DEFAULT_PATH                                                      \
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


/* a host path bound into the container, or a tmpfs (source NULL) */
typedef struct {
    char              *source;
    char              *target;
    int                readonly;
    int                copy_up;       /* the image's files into it if empty */
    int                tmpfs;
    unsigned long long tmpfs_size;    /* bytes, 0: the kernel's default */
    unsigned           tmpfs_mode;    /* 0: the kernel's default (1777) */
    char              *tmpfs_options; /* --tmpfs: fstab options, or NULL */
    char              *subpath;       /* volume-subpath under source */
} sla_bind_t;


/* the health check of agent.json; times in ms, defaults applied */
typedef struct {
    char             **test;          /* the probe's argv, shell resolved */
    int64_t            interval;
    int64_t            timeout;
    int64_t            start_period;
    int64_t            start_interval;
} sla_health_conf_t;


typedef struct sla_health_s   sla_health_t;


/* an endpoint on a bridge network (sla_net.c) */
typedef struct {
    char               bridge[16];
    char               gateway[16];
    unsigned           prefix;
    char               address[16];
    char               mac[18];
    char               host[16];      /* the host end of the veth pair */
    char               peer[16];      /* the other end, before its rename */
} sla_iface_t;


/* a published port (sla_ports.c): a host socket relayed to the container */
typedef struct {
    int                udp;
    unsigned           port;          /* the container's */
    char               host_ip[48];   /* "0.0.0.0", "::", an address */
    unsigned           host_port;     /* 0: the kernel picks */
    unsigned           host_last;     /* a range: the first free in it */
    unsigned           bound;         /* the port it got */
    int                fd;            /* -1: not bound or no proxy needed */
    int64_t            resume;        /* ms: accept again (out of fds) */
} sla_port_t;


typedef struct sla_relay_s    sla_relay_t;


/* one of HostConfig.Ulimits */
typedef struct {
    int                resource;      /* RLIMIT_* */
    unsigned long long soft;
    unsigned long long hard;
} sla_rlimit_t;


/* one of HostConfig.Devices: a host node bound into the container */
typedef struct {
    char              *source;
    char              *target;
} sla_device_t;


typedef struct {
    char              *id;
    char              *image_rootfs;
    char              *container_dir;
    char              *socket;
    char              *log;
    char              *exit_dir;
    char             **cmd;
    char             **env;
    char              *workdir;
    char              *user;
    char              *hostname;
    char              *hosts;
    char              *network;       /* "host" (""), "none", "bridge" */
    char             **interfaces;    /* see sla_net.c */
    int                tty;
    int                open_stdin;
    int                stdin_once;
    int                namespaces;
    sla_bind_t        *binds;
    size_t             nbinds;
    sla_port_t        *ports;
    size_t             nports;
    sla_health_conf_t *health;        /* NULL: no health check */

    /* HostConfig's process options (see agent-protocol.md) */
    int                readonly_rootfs;
    unsigned long long shm_size;      /* bytes, 0: 64 MiB */
    char              *ipc;           /* "" private, "none", "host" */
    char              *pid;           /* "" its own, "host" */
    char              *uts;           /* "" its own, "host" */
    int                init;          /* an init as pid 1 (docker --init) */
    int                has_caps;      /* 0: capabilities left alone */
    uint64_t           caps;
    int                no_new_privs;
    int                has_oom;
    int                oom_score_adj;
    char             **group_add;
    char             **sysctls;       /* "name=value" */
    sla_rlimit_t      *rlimits;
    size_t             nrlimits;
    sla_device_t      *devices;
    size_t             ndevices;
    char             **cgroups;       /* the container's, see sla_cgroup.c */
} sla_config_t;


/* a byte queue with a consumed head; every queue has a maximum */
typedef struct {
    unsigned char     *data;
    size_t             start;
    size_t             len;
    size_t             cap;
} sla_buf_t;


typedef struct sla_conn_s     sla_conn_t;
typedef struct sla_session_s  sla_session_t;
typedef struct sla_chunk_s    sla_chunk_t;


/* the main process or one exec */
struct sla_session_s {
    char               id[SLS_AGENT_ID_MAX + 1];
    int                is_main;
    int                tty;
    pid_t              pid;
    int                fd_in;         /* pipe, dup of the pty master, -1 */
    int                fd_out;        /* stdout pipe or pty master, -1 */
    int                fd_err;        /* -1 with a tty */
    int                pty_eof;       /* EIO from the master: stop polling */
    sla_buf_t          pending;       /* stdin not yet written */
    int                close_in;      /* stdin_close once pending drains */
    int                exited;
    int                status;        /* from waitpid() */
    sla_conn_t        *owner;         /* exec: the connection that made it */

    /*
     * A direct exec serves the client's hijacked socket itself: stdin is
     * spliced from it, output spliced to it in stdcopy frames
     */
    int                direct;
    int                archive;       /* docker cp: no exit file */
    int                probe;         /* a health probe: no exit file */
    int                cfd;           /* the client's socket */
    int                c_in_eof;      /* its stdin ended or failed */
    int                c_dead;        /* it is gone: output is dropped */
    int                in_blocked;    /* the stdin pipe is full */
    int                ostream;       /* the frame being sent: 1 or 2 */
    unsigned char      ohdr[8];
    size_t             ohdr_sent;     /* 8: the header is out */
    size_t             oleft;         /* payload still to splice */
    int                reaped;        /* waited for; output still drains */
    int64_t            drain_until;   /* ms: then it ends regardless */

    sla_session_t     *next;
};


#define SLA_CONN_HTTP      0
#define SLA_CONN_WS        1
#define SLA_CONN_CLOSING   2


struct sla_conn_s {
    int                fd;
    int                state;
    sla_buf_t          in;
    sla_buf_t          out;
    sls_ws_reader_t    rd;
    int                att_main;
    int                att_stdin;
    int                att_stdout;
    int                att_stderr;
    int                att_logs;      /* attached with the ring replayed */
    int                exit_sent;     /* main's exit is queued to it */
    sla_session_t     *paused_on;     /* stdin of that session is full */
    int                passed_fd;     /* SCM_RIGHTS, for a direct exec */
    int                parked;        /* reverse: dialed, no byte yet */
    sla_conn_t        *next;
};


struct sla_chunk_s {
    sla_chunk_t       *next;
    int                stream;
    size_t             len;
    unsigned char      data[];
};


#define SLA_DIAL_OFF       0
#define SLA_DIAL_WAIT      1          /* timer: the next attempt */
#define SLA_DIAL_CONNECT   2          /* timer: the attempt's deadline */
#define SLA_DIAL_SEND      3
#define SLA_DIAL_HEAD      4
#define SLA_DIAL_PARKED    5          /* the park is a connection now */
#define SLA_DIAL_DONE      6          /* the exit report is over */


/* reverse mode: one connection dialed to the gateway (a park, a report) */
typedef struct {
    int                fd;
    int                state;
    int                report;        /* the exit report, else a park */
    int64_t            timer;         /* ms, CLOCK_MONOTONIC */
    int64_t            delay;         /* the next backoff, ms */
    sla_buf_t          req;           /* request bytes not yet written */
    size_t             head_len;
    char               head[SLS_CB_MAX_HEAD];
} sla_dial_t;


typedef struct {
    sla_config_t       conf;
    char              *token;
    char              *rootfs;        /* chroot target, NULL: host fs */
    int                isolated;      /* in our own PID/mount namespaces */
    int                status_fd;
    int                port_error;    /* the port that failed to bind, -1 */
    int                log_fd;
    int                listen_fd;
    int                sig_fd;
    sla_session_t     *sessions;
    sla_conn_t        *conns;
    sla_chunk_t       *ring;
    sla_chunk_t       *ring_last;
    size_t             ring_size;
    int                finishing;
    int64_t            deadline;      /* ms, CLOCK_MONOTONIC */
    sla_health_t      *health;        /* sla_health.c, NULL: none */
    sla_relay_t       *relays;        /* sla_ports.c */
    size_t             nrelays;
    uint64_t           oom_base;      /* OOM kills counted before main */
    int                oom_killed;    /* some during main's run */

    /*
     * archive mode: no main process; the agent serves docker cp on a
     * stopped container and exits when its connections are gone (or
     * none came by the deadline)
     */
    int                oneshot;
    int                served;

    /* reverse mode (sla_reverse.c) */
    int                reverse;
    int                exit_code;     /* the main process's, to exit with */
    pid_t              main_pid;
    sls_callback_url_t url;
    struct sockaddr_storage  addr;    /* the gateway, resolved */
    socklen_t          addr_len;      /* 0: resolve at the next dial */
    int                addr_index;    /* which of the name's addresses */
    sla_dial_t         park;
    sla_dial_t         report;
    int64_t            report_until;
    int64_t            linger_until;  /* after main: serve the gateway */
    char              *report_body;
    int                out_fd;        /* the container's stdout, -1: gone */
    int                err_fd;
    int                out_flags;     /* their file status flags on entry */
    int                err_flags;
    sla_buf_t          stdq;          /* records: stream, length, bytes */
    size_t             stdq_off;      /* of the first record's bytes */
} sla_agent_t;


/* what to start and how */
typedef struct {
    char             **argv;
    char             **env;
    const char        *workdir;
    const char        *user;
    int                tty;
    int                open_stdin;
    int                pid1;          /* mount /proc and /dev first */
    int                privileged;    /* every capability (exec) */
} sla_spawn_t;


/* sla_cgroup.c */
int sla_cgroup_join(sla_agent_t *a, char *err, size_t err_size);
uint64_t sla_cgroup_ooms(sla_agent_t *a);
void sla_cgroup_remove(sla_agent_t *a);

/* sla_main.c */
void sla_log(const char *level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int64_t sla_now_ms(void);
int sla_write_exit_file(sla_agent_t *a, const char *exec_id, int status);
size_t sla_exit_json(sla_agent_t *a, const char *exec_id, int code, int sig,
    const char *error, char *buf, size_t size);
int sla_config_json(sla_config_t *conf, const char *text, size_t len,
    char *err, size_t err_size);

/* sla_runtime.c */
int sla_init_main(void);
int sla_runtime_sysctls(sla_agent_t *a, const char *root, char *err,
    size_t err_size);
int sla_runtime_groups(char **names, gid_t *groups, size_t *ngroups,
    size_t max, char *err, size_t err_size);
int sla_runtime_rlimits(sla_agent_t *a, char *err, size_t err_size);
int sla_runtime_bounding(uint64_t caps, char *err, size_t err_size);
int sla_runtime_caps(uint64_t caps, char *err, size_t err_size);

/* sla_proc.c */
int sla_container_setup(sla_agent_t *a, char *err, size_t err_size);
void sla_status(sla_agent_t *a, const char *err, pid_t pid);

/* sla_net.c */
int sla_net_parse(const char *spec, sla_iface_t *ifc);
int sla_net_bridge(sla_iface_t *ifc, char *err, size_t err_size);
int sla_net_veth(int hostfd, sla_iface_t *ifc, pid_t pid, char *err,
    size_t err_size);
int sla_net_inside(int nsfd, sla_iface_t *ifc, const char *name, int route,
    char *err, size_t err_size);
int sla_net_loopback(char *err, size_t err_size);
int sla_net_setup(sla_agent_t *a, char *err, size_t err_size);
int sla_net_main(sla_agent_t *a, int argc, char **argv);
int sla_spawn(sla_agent_t *a, sla_spawn_t *sp, sla_session_t *s, char *err,
    size_t err_size);
char **sla_env_merge(char **base, char **over);
void sla_strv_free(char **v);

/* sla_loop.c */
int sla_listen(sla_agent_t *a, char *err, size_t err_size);
int sla_loop(sla_agent_t *a);
sla_conn_t *sla_conn_add(sla_agent_t *a, int fd);
void sla_conn_feed(sla_agent_t *a, sla_conn_t *c, const void *p,
    size_t len);
void sla_conn_close(sla_agent_t *a, sla_conn_t *c);

/* sla_reverse.c */
int sla_reverse_main(sla_agent_t *a, int argc, char **argv);
void sla_reverse_park_used(sla_agent_t *a);
void sla_reverse_park_lost(sla_agent_t *a);
void sla_reverse_exited(sla_agent_t *a, int code, int sig,
    const char *error);
int sla_reverse_busy(sla_agent_t *a);
int sla_reverse_lingering(sla_agent_t *a);
int sla_reverse_tick(sla_agent_t *a);
void sla_reverse_dial_event(sla_agent_t *a, sla_dial_t *d, int revents);
void sla_reverse_stdio(sla_agent_t *a, int stream, const unsigned char *p,
    size_t len);
void sla_reverse_stdio_flush(sla_agent_t *a, int block);

/* sla_health.c */
int sla_health_conf(sla_config_t *conf, sls_json_t *j, char *err,
    size_t err_size);
int sla_health_init(sla_agent_t *a);
int64_t sla_health_tick(sla_agent_t *a);
void sla_health_output(sla_agent_t *a, const unsigned char *p, size_t len);
void sla_health_done(sla_agent_t *a, sla_session_t *s);

/* sla_ports.c */
int sla_ports_conf(sla_config_t *conf, sls_json_t *j, char *err,
    size_t err_size);
int sla_ports_bind(sla_agent_t *a, char *err, size_t err_size);
void sla_ports_close(sla_agent_t *a);
void sla_ports_sweep(sla_agent_t *a);
size_t sla_ports_count(sla_agent_t *a);
size_t sla_ports_poll(sla_agent_t *a, struct pollfd *pfds, void **ptrs,
    int *sides);
void sla_ports_event(sla_agent_t *a, void *ptr, int side, int revents);
int64_t sla_ports_tick(sla_agent_t *a);

/* sla_direct.c */
void sla_direct_init(sla_session_t *s, int cfd);
void sla_direct_out(sla_session_t *s, int stream, int hup);
void sla_direct_in(sla_session_t *s);
int sla_direct_pending(sla_session_t *s);
int sla_direct_drained(sla_session_t *s);
int sla_direct_idle(sla_session_t *s);

/* sla_buf.c */
int sla_buf_add(sla_buf_t *b, const void *p, size_t len);
void sla_buf_drop(sla_buf_t *b, size_t len);
void sla_buf_free(sla_buf_t *b);
#define sla_buf_pos(b)  ((b)->data + (b)->start)


#endif /* _SLA_H_INCLUDED_ */
