
/*
 * Copyright (C) sockerless contributors
 *
 * Docker's stream multiplexing ("stdcopy") encoder and decoder. nginx-free.
 */


#include <stdio.h>
#include <string.h>
#include <sls_stdcopy.h>


void
sls_stdcopy_header(unsigned char hdr[SLS_STDCOPY_HEADER_SIZE], int stream,
    uint32_t len)
{
    hdr[0] = (unsigned char) stream;
    hdr[1] = 0;
    hdr[2] = 0;
    hdr[3] = 0;
    hdr[4] = (unsigned char) (len >> 24);
    hdr[5] = (unsigned char) (len >> 16);
    hdr[6] = (unsigned char) (len >> 8);
    hdr[7] = (unsigned char) len;
}


void
sls_stdcopy_decoder_init(sls_stdcopy_decoder_t *d, uint32_t max_frame)
{
    memset(d, 0, sizeof(sls_stdcopy_decoder_t));

    d->max_frame = max_frame ? max_frame : UINT32_MAX;
}


int
sls_stdcopy_decode(sls_stdcopy_decoder_t *d, const unsigned char **pos,
    const unsigned char *end, sls_stdcopy_piece_t *piece)
{
    size_t                n;
    uint32_t              len;
    const unsigned char  *p;

    if (d->failed) {
        return SLS_STDCOPY_ERROR;
    }

    p = *pos;

    if (!d->in_payload) {

        while (d->have < SLS_STDCOPY_HEADER_SIZE && p < end) {
            d->hdr[d->have++] = *p++;
        }

        *pos = p;

        if (d->have < SLS_STDCOPY_HEADER_SIZE) {
            return SLS_STDCOPY_AGAIN;
        }

        if (d->hdr[0] > SLS_STDCOPY_SYSTEMERR) {
            d->failed = 1;
            snprintf(d->err, sizeof(d->err),
                     "unrecognized input header: %d", (int) d->hdr[0]);
            return SLS_STDCOPY_ERROR;
        }

        len = ((uint32_t) d->hdr[4] << 24) | ((uint32_t) d->hdr[5] << 16)
              | ((uint32_t) d->hdr[6] << 8) | (uint32_t) d->hdr[7];

        if (len > d->max_frame) {
            d->failed = 1;
            snprintf(d->err, sizeof(d->err),
                     "stream frame of %lu bytes exceeds the limit of %lu",
                     (unsigned long) len, (unsigned long) d->max_frame);
            return SLS_STDCOPY_ERROR;
        }

        d->stream = d->hdr[0];
        d->frame_len = len;
        d->left = len;
        d->in_payload = 1;

        if (len == 0) {
            d->in_payload = 0;
            d->have = 0;

            piece->stream = d->stream;
            piece->data = p;
            piece->len = 0;
            piece->frame_len = 0;
            piece->last = 1;

            return SLS_STDCOPY_PIECE;
        }
    }

    if (p >= end) {
        return SLS_STDCOPY_AGAIN;
    }

    n = (size_t) (end - p);

    if (n > d->left) {
        n = d->left;
    }

    piece->stream = d->stream;
    piece->data = p;
    piece->len = n;
    piece->frame_len = d->frame_len;

    d->left -= (uint32_t) n;
    *pos = p + n;

    piece->last = (d->left == 0);

    if (d->left == 0) {
        d->in_payload = 0;
        d->have = 0;
    }

    return SLS_STDCOPY_PIECE;
}


int
sls_stdcopy_decoder_pending(const sls_stdcopy_decoder_t *d)
{
    return d->in_payload || d->have != 0;
}
