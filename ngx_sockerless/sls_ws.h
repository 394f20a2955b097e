/*
 * Copyright (C) sockerless contributors
 *
 * RFC 6455 WebSocket frame codec, message reassembly and the opening
 * handshake (request parser, Sec-WebSocket-Accept). nginx-free.
 */


#ifndef _SLS_WS_H_INCLUDED_
#define _SLS_WS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_WS_OP_CONT          0x0
#define SLS_WS_OP_TEXT          0x1
#define SLS_WS_OP_BINARY        0x2
#define SLS_WS_OP_CLOSE         0x8
#define SLS_WS_OP_PING          0x9
#define SLS_WS_OP_PONG          0xa

#define SLS_WS_CLOSE_NORMAL     1000
#define SLS_WS_CLOSE_PROTOCOL   1002
#define SLS_WS_CLOSE_TOO_BIG    1009

/* the largest message the agent protocol allows: 1 MiB of data + framing */
#define SLS_WS_MAX_MESSAGE      (1024 * 1024 + 256)

/* the largest frame header: 2 + 8 (length) + 4 (mask) */
#define SLS_WS_MAX_HEADER       14

#define SLS_WS_ACCEPT_LEN       28
#define SLS_WS_MAX_REQUEST      8192

#define SLS_WS_OK               0
#define SLS_WS_AGAIN            1
#define SLS_WS_ERROR            -1


typedef struct {
    int            fin;
    int            opcode;
    int            masked;
    unsigned char  mask[4];
    uint64_t       len;           /* payload length */
    size_t         header_len;    /* the frame is header_len + len bytes */
} sls_ws_frame_t;


/*
 * Message reassembly.  Set server (1: every frame must be masked, as
 * clients must; 0: no frame may be masked) and max_message, zero the rest.
 * buf is malloc()ed by the reader; sls_ws_reader_free() releases it.
 */
typedef struct {
    int            server;
    size_t         max_message;
    int            opcode;        /* of the fragmented message, 0: none */
    unsigned char *buf;
    size_t         len;
    size_t         cap;
    int            close_code;    /* set when SLS_WS_ERROR is returned */
} sls_ws_reader_t;


typedef struct {
    int            opcode;        /* TEXT, BINARY, CLOSE, PING or PONG */
    unsigned char *data;          /* valid until the next sls_ws_read() */
    size_t         len;
} sls_ws_msg_t;


typedef struct {
    const char    *path;
    size_t         path_len;
    const char    *key;           /* Sec-WebSocket-Key */
    size_t         key_len;
    const char    *auth;          /* Authorization */
    size_t         auth_len;
    int            get;           /* method is GET */
    int            upgrade;       /* Upgrade: websocket */
    int            connection;    /* Connection lists "upgrade" */
    int            version;       /* Sec-WebSocket-Version, 0: absent */
    size_t         header_len;    /* through the empty line */
} sls_ws_request_t;


/*
 * Writes a frame header (at most SLS_WS_MAX_HEADER bytes) to buf and
 * returns its length.  mask NULL: an unmasked (server) frame; else the
 * caller masks the payload with sls_ws_mask().
 */
size_t sls_ws_frame_header(unsigned char *buf, int fin, int opcode,
    uint64_t len, const unsigned char *mask);

/* XORs p[0..len) with mask, the first byte taking mask[offset % 4] */
void sls_ws_mask(unsigned char *p, size_t len, const unsigned char mask[4],
    size_t offset);

/*
 * Parses the frame header at p.  SLS_WS_OK: f is set (the payload may not
 * have arrived yet); SLS_WS_AGAIN: need more bytes; SLS_WS_ERROR: reserved
 * bits, unknown opcode, a fragmented or long control frame, or a 64-bit
 * length with the top bit set.
 */
int sls_ws_frame_parse(const unsigned char *p, size_t len,
    sls_ws_frame_t *f);

/*
 * Consumes whole frames from in[0..len) (unmasking them in place) and
 * stores the next complete message in msg.  *used is set to the bytes
 * consumed, which the caller drops from its buffer.  Control frames
 * interleaved in a fragmented message are returned on their own.
 * Returns SLS_WS_OK (msg set), SLS_WS_AGAIN (need more input: the buffer
 * must be able to hold one whole frame, max_message + 14 bytes) or
 * SLS_WS_ERROR (rd->close_code: 1002 protocol error, 1009 too big).
 */
int sls_ws_read(sls_ws_reader_t *rd, unsigned char *in, size_t len,
    size_t *used, sls_ws_msg_t *msg);

void sls_ws_reader_free(sls_ws_reader_t *rd);

/* base64(SHA-1(key + GUID)) and a NUL into accept (29 bytes) */
void sls_ws_accept_key(const char *key, size_t key_len, char *accept);

/*
 * Parses an HTTP/1.1 upgrade request.  Pointers refer into p.
 * SLS_WS_OK: req set; SLS_WS_AGAIN: no empty line yet; SLS_WS_ERROR:
 * malformed or larger than SLS_WS_MAX_REQUEST.
 */
int sls_ws_parse_request(const char *p, size_t len, sls_ws_request_t *req);

/*
 * Writes a client upgrade request for path with "Authorization: Bearer
 * token" (token may be NULL) into buf; returns the length it needs, like
 * snprintf().  key is a base64 16-byte nonce.
 */
size_t sls_ws_client_request(char *buf, size_t size, const char *path,
    const char *host, const char *key, const char *token);


#endif /* _SLS_WS_H_INCLUDED_ */
