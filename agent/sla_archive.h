
/*
 * Copyright (C) sockerless contributors
 *
 * docker cp in the agent (sla_archive.c). Blocking: stat and the
 * destination check run in the loop (a few system calls), get and put in
 * a child of their own. rootfd is the container's root directory.
 */


#ifndef _SLA_ARCHIVE_H_INCLUDED_
#define _SLA_ARCHIVE_H_INCLUDED_


#include <sls_agent_proto.h>


/* exit codes of get and put, and the HTTP status each stands for */
#define SLA_AR_EXIT_ERROR     1       /* 500 */
#define SLA_AR_EXIT_INVALID   2       /* 400 */
#define SLA_AR_EXIT_NOTFOUND  3       /* 404 */
#define SLA_AR_EXIT_TOOBIG    4       /* 413 */
#define SLA_AR_EXIT_GONE      5       /* a direct put: the client left */


/*
 * The stat of path as dockerd's ContainerStatPath: fills name, size,
 * mode, mtime, link_target of m (malloc()ed). Returns 0, or an HTTP
 * status (404 missing, 500) with the reason in err.
 */
int sla_archive_stat(int rootfd, const char *path, sls_agent_msg_t *m,
    char *err, size_t size);

/* 0 when path is a directory; else 404 or 400 with the reason in err */
int sla_archive_dir(int rootfd, const char *path, char *err, size_t size);

/*
 * A direct copy: the client's socket itself is the input or the output,
 * and these are its HTTP framing (sla_archive_get(), sla_archive_put())
 */
typedef struct {
    int                    chunked;      /* the body's transfer coding */
    long long              length;       /* put: Content-Length, or -1 */
    long long              max_body;     /* put: 0, no limit */
    const unsigned char   *preread;      /* put: body bytes nginx read */
    size_t                 preread_len;
} sla_ar_http_t;

/* a client that neither sends nor takes anything this long is gone */
#define SLA_AR_TIMEOUT        60000

/*
 * A tar of path written to out, or the reason on stderr; returns 0 or an
 * SLA_AR_EXIT_* code. With http, out is the client's socket and the tar
 * goes out in chunks when http->chunked (nginx sends the last chunk).
 */
int sla_archive_get(int rootfd, const char *path, int out,
    const sla_ar_http_t *http);

/*
 * The tar read from in extracted into the directory path; nothing is
 * written outside it, nor more than max_entries entries or (when not 0)
 * entries that hold more than max_bytes. Returns 0 or an SLA_AR_EXIT_*
 * code with the reason on stderr. With http, in is the client's socket:
 * the body is decoded from it (http->preread first), bounded by
 * http->max_body, and read to its end after the tar's end.
 */
int sla_archive_put(int rootfd, const char *path, int in, int no_overwrite,
    int copy_uidgid, unsigned max_entries, long long max_bytes,
    const sla_ar_http_t *http);


#endif /* _SLA_ARCHIVE_H_INCLUDED_ */
