/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_logfmt: the input is read as a log file, record
 * after record; each header that decodes must encode back to the same 16
 * bytes, and each refused one must break one of the rules.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_logfmt.h>
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc, stream;
    size_t          off;
    uint32_t        len;
    uint64_t        ns;
    unsigned char  *hdr, out[SLS_LOGFMT_HEADER_LEN];

    off = 0;

    while (size - off >= SLS_LOGFMT_HEADER_LEN) {

        /* an exact copy: ASan sees any read past the 16 bytes */
        hdr = malloc(SLS_LOGFMT_HEADER_LEN);
        sls_fuzz_check(hdr != NULL);
        memcpy(hdr, data + off, SLS_LOGFMT_HEADER_LEN);

        stream = -1;
        rc = sls_logfmt_decode_header(hdr, &stream, &len, &ns);

        if (rc != 0) {
            sls_fuzz_check(rc == -1 && stream == -1);
            sls_fuzz_check((hdr[0] != 1 && hdr[0] != 2)
                           || hdr[1] || hdr[2] || hdr[3]
                           || ((uint32_t) hdr[4] << 24 | hdr[5] << 16
                               | hdr[6] << 8 | hdr[7])
                              > SLS_LOGFMT_MAX_RECORD);
            free(hdr);
            break;
        }

        sls_fuzz_check((stream == 1 || stream == 2)
                       && len <= SLS_LOGFMT_MAX_RECORD);

        sls_fuzz_check(sls_logfmt_encode_header(out, stream, len, ns)
                       == SLS_LOGFMT_HEADER_LEN);
        sls_fuzz_check(memcmp(out, hdr, SLS_LOGFMT_HEADER_LEN) == 0);

        free(hdr);

        off += SLS_LOGFMT_HEADER_LEN;

        if (len > size - off) {
            break;
        }

        off += len;
    }

    /* and the other way: what is encoded from valid values decodes */

    if (size >= 13) {
        len = ((uint32_t) data[0] << 24 | (uint32_t) data[1] << 16
               | (uint32_t) data[2] << 8 | data[3])
              % (SLS_LOGFMT_MAX_RECORD + 1);

        ns = 0;
        for (off = 4; off < 12; off++) {
            ns = ns << 8 | data[off];
        }

        stream = 1 + (data[12] & 1);

        sls_logfmt_encode_header(out, stream, len, ns);

        rc = sls_logfmt_decode_header(out, &stream, &len, &ns);
        sls_fuzz_check(rc == 0 && stream == 1 + (data[12] & 1));
        sls_fuzz_check(len == ((uint32_t) data[0] << 24
                               | (uint32_t) data[1] << 16
                               | (uint32_t) data[2] << 8 | data[3])
                              % (SLS_LOGFMT_MAX_RECORD + 1));
    }

    return 0;
}
