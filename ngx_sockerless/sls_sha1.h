/*
 * Copyright (C) sockerless contributors
 *
 * SHA-1 (FIPS 180-4), only for the WebSocket handshake. nginx-free.
 */


#ifndef _SLS_SHA1_H_INCLUDED_
#define _SLS_SHA1_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_SHA1_DIGEST_LEN  20


typedef struct {
    uint32_t       h[5];
    uint64_t       bytes;
    size_t         used;
    unsigned char  block[64];
} sls_sha1_t;


void sls_sha1_init(sls_sha1_t *ctx);
void sls_sha1_update(sls_sha1_t *ctx, const void *data, size_t len);
void sls_sha1_final(sls_sha1_t *ctx, unsigned char digest[20]);

/* one call: digest of data[0..len) */
void sls_sha1(const void *data, size_t len, unsigned char digest[20]);


#endif /* _SLS_SHA1_H_INCLUDED_ */
