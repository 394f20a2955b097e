
/*
 * Copyright (C) sockerless contributors
 *
 * Docker's stream multiplexing ("stdcopy"): 8-byte frame headers and an
 * incremental decoder that is safe on arbitrary bytes. nginx-free.
 */


#ifndef _SLS_STDCOPY_H_INCLUDED_
#define _SLS_STDCOPY_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_STDCOPY_STDIN         0
#define SLS_STDCOPY_STDOUT        1
#define SLS_STDCOPY_STDERR        2
#define SLS_STDCOPY_SYSTEMERR     3

#define SLS_STDCOPY_HEADER_SIZE   8

/* sls_stdcopy_decode() results */
#define SLS_STDCOPY_PIECE         1
#define SLS_STDCOPY_AGAIN         0
#define SLS_STDCOPY_ERROR        -1


/*
 * Writes the frame header: byte 0 the stream (0-3), bytes 1-3 zero,
 * bytes 4-7 the payload length, big endian.
 */
void sls_stdcopy_header(unsigned char hdr[SLS_STDCOPY_HEADER_SIZE],
    int stream, uint32_t len);


/*
 * The decoder holds no pointer and allocates nothing: the caller owns it
 * (usually embedded in a larger struct) and every input buffer. Pieces
 * point into the caller's input and are valid as long as that input is.
 */
typedef struct {
    uint32_t       max_frame;   /* larger frames are an error */
    uint32_t       frame_len;   /* length of the current frame */
    uint32_t       left;        /* payload bytes of it not yet yielded */
    int            stream;      /* stream of the current frame */
    int            in_payload;  /* the header is complete */
    unsigned       have;        /* header bytes collected so far */
    int            failed;      /* sticky: every later call fails too */
    unsigned char  hdr[SLS_STDCOPY_HEADER_SIZE];
    char           err[80];     /* NUL-terminated text of the failure */
} sls_stdcopy_decoder_t;


typedef struct {
    int                   stream;     /* 0-3 */
    const unsigned char  *data;       /* into the caller's input */
    size_t                len;        /* may be 0 for an empty frame */
    uint32_t              frame_len;  /* length of the whole frame */
    int                   last;       /* 1: this piece ends its frame */
} sls_stdcopy_piece_t;


/* max_frame 0 means no limit below 4 GiB - 1 */
void sls_stdcopy_decoder_init(sls_stdcopy_decoder_t *d, uint32_t max_frame);

/*
 * Consumes input from *pos up to end, advancing *pos:
 *   SLS_STDCOPY_PIECE  *piece holds the next piece of payload (a frame
 *                      split across inputs comes as several pieces); call
 *                      again with the same *pos/end for more;
 *   SLS_STDCOPY_AGAIN  everything was consumed, feed more input;
 *   SLS_STDCOPY_ERROR  an unknown stream byte ("unrecognized input header:
 *                      N", dockerd's text) or a frame over max_frame;
 *                      d->err says which. Bytes 1-3 of a header are
 *                      ignored, as dockerd's reader does.
 */
int sls_stdcopy_decode(sls_stdcopy_decoder_t *d, const unsigned char **pos,
    const unsigned char *end, sls_stdcopy_piece_t *piece);

/* 1 when a frame (or its header) was started but not finished: at EOF
 * this means the stream was truncated */
int sls_stdcopy_decoder_pending(const sls_stdcopy_decoder_t *d);


#endif /* _SLS_STDCOPY_H_INCLUDED_ */
