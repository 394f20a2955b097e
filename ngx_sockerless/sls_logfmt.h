/*
 * Copyright (C) sockerless contributors
 *
 * Container log file records: 16-byte header + payload. nginx-free.
 */


#ifndef _SLS_LOGFMT_H_INCLUDED_
#define _SLS_LOGFMT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/*
 * Header layout:
 *   byte 0      stream: 1 = stdout, 2 = stderr
 *   bytes 1-3   zero
 *   bytes 4-7   payload length, uint32 big endian (at most 1 MiB)
 *   bytes 8-15  read time, ns since the Unix epoch, uint64 big endian
 */

#define SLS_LOGFMT_HEADER_LEN  16
#define SLS_LOGFMT_MAX_RECORD  (1024 * 1024)


/* writes 16 bytes to hdr16 and returns 16 */
size_t sls_logfmt_encode_header(unsigned char *hdr16, int stream,
    uint32_t len, uint64_t ns);

/* returns 0 ok, -1 malformed (bad stream, non-zero pad, len > 1 MiB) */
int sls_logfmt_decode_header(const unsigned char *hdr16, int *stream,
    uint32_t *len, uint64_t *ns);


#endif /* _SLS_LOGFMT_H_INCLUDED_ */
