
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
 * A tar of path written to out, or the reason on stderr; returns 0 or an
 * SLA_AR_EXIT_* code.
 */
int sla_archive_get(int rootfd, const char *path, int out);

/*
 * The tar read from in extracted into the directory path; nothing is
 * written outside it. Returns 0 or an SLA_AR_EXIT_* code with the reason
 * on stderr.
 */
int sla_archive_put(int rootfd, const char *path, int in, int no_overwrite,
    int copy_uidgid, unsigned max_entries);


#endif /* _SLA_ARCHIVE_H_INCLUDED_ */
