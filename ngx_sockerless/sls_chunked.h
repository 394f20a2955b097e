
/*
 * Copyright (C) sockerless contributors
 *
 * HTTP/1.1 chunked transfer coding (RFC 9112, section 7.1): an
 * incremental decoder safe on arbitrary bytes, for request bodies read
 * outside nginx (the agent's direct docker cp). nginx-free.
 */


#ifndef _SLS_CHUNKED_H_INCLUDED_
#define _SLS_CHUNKED_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* sls_chunked_decode() results */
#define SLS_CHUNKED_DATA     1        /* *data, *len: body bytes */
#define SLS_CHUNKED_AGAIN    0        /* all input used: more is needed */
#define SLS_CHUNKED_DONE     2        /* the last chunk and its trailer */
#define SLS_CHUNKED_ERROR   -1

/* the longest chunk size line (with extensions) or trailer line */
#define SLS_CHUNKED_LINE_MAX  4096


/*
 * The decoder holds no pointer and allocates nothing; zero it to start.
 * size is what is left of the chunk under way while state is DATA.
 */
typedef struct {
    uint64_t       size;
    unsigned       state;
    unsigned       line;          /* bytes of the current line */
    unsigned       digits;
} sls_chunked_t;


/*
 * Decodes from *pos up to last and advances *pos over what it used.
 * Returns SLS_CHUNKED_DATA with (*data, *len) pointing into the input,
 * SLS_CHUNKED_AGAIN when the input is used up, SLS_CHUNKED_DONE after
 * the final CRLF (bytes after it are left at *pos), SLS_CHUNKED_ERROR on
 * a malformed framing (*pos at the byte that is wrong).
 */
int sls_chunked_decode(sls_chunked_t *ck, const unsigned char **pos,
    const unsigned char *last, const unsigned char **data, size_t *len);


#endif /* _SLS_CHUNKED_H_INCLUDED_ */
