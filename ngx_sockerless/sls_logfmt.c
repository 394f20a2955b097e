/*
 * Copyright (C) sockerless contributors
 *
 * Container log file records: 16-byte header + payload. nginx-free.
 */


#include <sls_logfmt.h>


size_t
sls_logfmt_encode_header(unsigned char *hdr16, int stream, uint32_t len,
    uint64_t ns)
{
    int  i;

    hdr16[0] = (unsigned char) stream;
    hdr16[1] = 0;
    hdr16[2] = 0;
    hdr16[3] = 0;
    hdr16[4] = (unsigned char) (len >> 24);
    hdr16[5] = (unsigned char) (len >> 16);
    hdr16[6] = (unsigned char) (len >> 8);
    hdr16[7] = (unsigned char) len;

    for (i = 0; i < 8; i++) {
        hdr16[8 + i] = (unsigned char) (ns >> (56 - 8 * i));
    }

    return SLS_LOGFMT_HEADER_LEN;
}


int
sls_logfmt_decode_header(const unsigned char *hdr16, int *stream,
    uint32_t *len, uint64_t *ns)
{
    int       i;
    uint32_t  l;
    uint64_t  t;

    if ((hdr16[0] != 1 && hdr16[0] != 2)
        || hdr16[1] != 0 || hdr16[2] != 0 || hdr16[3] != 0)
    {
        return -1;
    }

    l = (uint32_t) hdr16[4] << 24 | (uint32_t) hdr16[5] << 16
        | (uint32_t) hdr16[6] << 8 | (uint32_t) hdr16[7];

    if (l > SLS_LOGFMT_MAX_RECORD) {
        return -1;
    }

    t = 0;
    for (i = 0; i < 8; i++) {
        t = t << 8 | hdr16[8 + i];
    }

    *stream = hdr16[0];
    *len = l;
    *ns = t;

    return 0;
}
