/*
 * Copyright (C) sockerless contributors
 *
 * The agent protocol (docs/agent-protocol.md): control messages (small
 * JSON objects in text frames), data frames, and the tiny JSON reader and
 * writer they need, so the static agent has no library. nginx-free.
 */


#ifndef _SLS_AGENT_PROTO_H_INCLUDED_
#define _SLS_AGENT_PROTO_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_JSON_MAX_DEPTH     32

#define SLS_AGENT_ID_MAX       64
#define SLS_AGENT_DATA_HEADER  (2 + SLS_AGENT_ID_MAX)

#define SLS_AGENT_STDIN        0
#define SLS_AGENT_STDOUT       1
#define SLS_AGENT_STDERR       2


/* JSON document tree; every node and string is malloc()ed */

#define SLS_JSON_NULL          0
#define SLS_JSON_FALSE         1
#define SLS_JSON_TRUE          2
#define SLS_JSON_NUMBER        3
#define SLS_JSON_STRING        4
#define SLS_JSON_ARRAY         5
#define SLS_JSON_OBJECT        6


typedef struct sls_json_s  sls_json_t;

struct sls_json_s {
    int          type;
    char        *key;         /* member name when the parent is an object */
    char        *str;         /* STRING, NUL-terminated (no NUL inside) */
    size_t       len;         /* STRING length */
    double       num;         /* NUMBER */
    sls_json_t  *child;       /* ARRAY, OBJECT: first element */
    sls_json_t  *next;        /* next sibling */
};


/*
 * Parses one JSON value filling p[0..len) (whitespace around is allowed).
 * Returns a tree the caller frees with sls_json_free(), or NULL with a
 * short reason in err.  Depth is limited to SLS_JSON_MAX_DEPTH; "\u0000"
 * is refused because strings end up as C strings.
 */
sls_json_t *sls_json_parse(const char *p, size_t len, char *err,
    size_t err_size);
void sls_json_free(sls_json_t *j);

/* the member named key of an object, or NULL */
sls_json_t *sls_json_get(const sls_json_t *obj, const char *key);

/*
 * Writes s[0..len) as a quoted JSON string to dst (at most size bytes,
 * NUL-terminated when size > 0) and returns the length it needs without
 * the NUL, like snprintf().
 */
size_t sls_json_quote(char *dst, size_t size, const char *s, size_t len);


/* control messages */

#define SLS_AGENT_MSG_UNKNOWN      0
#define SLS_AGENT_MSG_ATTACH       1      /* client -> agent */
#define SLS_AGENT_MSG_EXEC         2
#define SLS_AGENT_MSG_STDIN_CLOSE  3
#define SLS_AGENT_MSG_RESIZE       4
#define SLS_AGENT_MSG_SIGNAL       5
#define SLS_AGENT_MSG_PING         6
#define SLS_AGENT_MSG_STARTED      7      /* agent -> client */
#define SLS_AGENT_MSG_ERROR        8
#define SLS_AGENT_MSG_EXIT         9
#define SLS_AGENT_MSG_PONG         10
#define SLS_AGENT_MSG_ARCHIVE_STAT 11     /* client -> agent: docker cp */
#define SLS_AGENT_MSG_ARCHIVE_GET  12
#define SLS_AGENT_MSG_ARCHIVE_PUT  13
#define SLS_AGENT_MSG_STAT         14     /* agent -> client */
#define SLS_AGENT_MSG_LAST         14

/* archive_put: the agent refuses more entries than this */
#define SLS_AGENT_ENTRIES_MAX      1000000


/*
 * One message.  After sls_agent_msg_parse() the pointers (cmd, env and
 * their strings, workdir, user, message, path, name, link_target, mtime)
 * are malloc()ed and released by
 * sls_agent_msg_free(); to encode, the caller fills them with its own
 * storage (NULL = absent; cmd and env are NULL-terminated arrays).
 */
typedef struct {
    int          type;
    char         id[SLS_AGENT_ID_MAX + 1];

    /* attach, exec ("stdin" of exec is attach_stdin) */
    int          attach_stdin;
    int          attach_stdout;
    int          attach_stderr;
    int          logs;

    /* exec */
    char       **cmd;
    char       **env;
    char        *workdir;
    char        *user;
    int          tty;
    int          privileged;  /* every capability, as exec --privileged */

    /*
     * exec: the client's socket came with this message (SCM_RIGHTS) and
     * the agent is to serve it itself; started: it does
     */
    int          direct;

    /* resize */
    unsigned     height;
    unsigned     width;

    /* signal */
    int          signal;

    /* started */
    long         pid;

    /* exit */
    int          exit_code;

    /* error */
    char        *message;

    /* error of an archive request: the HTTP status it stands for, or 0 */
    int          status;

    /* archive_stat, archive_get, archive_put */
    char        *path;
    int          no_overwrite;    /* "noOverwriteDirNonDir" */
    int          copy_uidgid;     /* "copyUIDGID" */
    unsigned     max_entries;     /* "maxEntries", 0: SLS_AGENT_ENTRIES_MAX */
    long long    max_bytes;       /* "maxBytes": the most the entries of a
                                     put hold, 0 for no limit */

    /*
     * archive_get and archive_put with "direct": the client's socket came
     * with the message and the agent answers (get) or reads the body
     * (put) on it. chunked: the coding of that body (put) or the one the
     * answer is to be written in (get); length: the Content-Length of the
     * body, -1 for none; max_body: "maxBody", the most body bytes taken,
     * 0 for no limit; preread ("preread", hex on the wire): the bytes of
     * the body nginx read with the request head, malloc()ed by parse.
     */
    int              chunked;
    long long        length;
    long long        max_body;
    unsigned char   *preread;
    size_t           preread_len;

    /* stat: dockerd's ContainerPathStat, mode as Go's os.FileMode */
    char        *name;
    char        *link_target;
    char        *mtime;           /* RFC 3339 with nanoseconds */
    long long    size;
    unsigned     mode;
} sls_agent_msg_t;


/*
 * Parses a text frame.  Returns 0, or -1 with a reason in err (the msg is
 * then already freed).  Unknown members are ignored; unknown types,
 * missing or malformed required members are errors.
 */
int sls_agent_msg_parse(const char *p, size_t len, sls_agent_msg_t *msg,
    char *err, size_t err_size);
void sls_agent_msg_free(sls_agent_msg_t *msg);

/* JSON text of msg into buf; returns the length needed, like snprintf() */
size_t sls_agent_msg_encode(const sls_agent_msg_t *msg, char *buf,
    size_t size);


/* data frames: stream byte, id length byte, id, payload */

typedef struct {
    int                   stream;
    const char           *id;
    size_t                id_len;
    const unsigned char  *data;
    size_t                len;
} sls_agent_data_t;


/* writes the header to buf (SLS_AGENT_DATA_HEADER bytes will do); 0: bad */
size_t sls_agent_data_header(unsigned char *buf, int stream, const char *id,
    size_t id_len);

/* returns 0, or -1 when the stream or id length is invalid */
int sls_agent_data_parse(const unsigned char *p, size_t len,
    sls_agent_data_t *d);


#endif /* _SLS_AGENT_PROTO_H_INCLUDED_ */
