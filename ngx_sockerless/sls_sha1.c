/*
 * Copyright (C) sockerless contributors
 *
 * SHA-1 (FIPS 180-4), only for the WebSocket handshake. nginx-free.
 */


#include <string.h>
#include <sls_sha1.h>


#define sls_rol(x, n)  (((x) << (n)) | ((x) >> (32 - (n))))


static void sls_sha1_block(sls_sha1_t *ctx, const unsigned char *p);


void
sls_sha1_init(sls_sha1_t *ctx)
{
    ctx->h[0] = 0x67452301;
    ctx->h[1] = 0xefcdab89;
    ctx->h[2] = 0x98badcfe;
    ctx->h[3] = 0x10325476;
    ctx->h[4] = 0xc3d2e1f0;
    ctx->bytes = 0;
    ctx->used = 0;
}


static void
sls_sha1_block(sls_sha1_t *ctx, const unsigned char *p)
{
    int       i;
    uint32_t  a, b, c, d, e, f, k, t, w[80];

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t) p[i * 4] << 24 | (uint32_t) p[i * 4 + 1] << 16
               | (uint32_t) p[i * 4 + 2] << 8 | (uint32_t) p[i * 4 + 3];
    }

    for (i = 16; i < 80; i++) {
        t = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
        w[i] = sls_rol(t, 1);
    }

    a = ctx->h[0];
    b = ctx->h[1];
    c = ctx->h[2];
    d = ctx->h[3];
    e = ctx->h[4];

    for (i = 0; i < 80; i++) {
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;

        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;

        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;

        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }

        t = sls_rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = sls_rol(b, 30);
        b = a;
        a = t;
    }

    ctx->h[0] += a;
    ctx->h[1] += b;
    ctx->h[2] += c;
    ctx->h[3] += d;
    ctx->h[4] += e;
}


void
sls_sha1_update(sls_sha1_t *ctx, const void *data, size_t len)
{
    size_t               n;
    const unsigned char  *p;

    p = data;
    ctx->bytes += len;

    while (len) {
        n = 64 - ctx->used;
        if (n > len) {
            n = len;
        }

        memcpy(ctx->block + ctx->used, p, n);
        ctx->used += n;
        p += n;
        len -= n;

        if (ctx->used == 64) {
            sls_sha1_block(ctx, ctx->block);
            ctx->used = 0;
        }
    }
}


void
sls_sha1_final(sls_sha1_t *ctx, unsigned char digest[20])
{
    int       i;
    uint64_t  bits;

    bits = ctx->bytes * 8;

    ctx->block[ctx->used++] = 0x80;

    if (ctx->used > 56) {
        memset(ctx->block + ctx->used, 0, 64 - ctx->used);
        sls_sha1_block(ctx, ctx->block);
        ctx->used = 0;
    }

    memset(ctx->block + ctx->used, 0, 56 - ctx->used);

    for (i = 0; i < 8; i++) {
        ctx->block[56 + i] = (unsigned char) (bits >> (56 - 8 * i));
    }

    sls_sha1_block(ctx, ctx->block);

    for (i = 0; i < 20; i++) {
        digest[i] = (unsigned char) (ctx->h[i / 4] >> (24 - 8 * (i % 4)));
    }
}


void
sls_sha1(const void *data, size_t len, unsigned char digest[20])
{
    sls_sha1_t  ctx;

    sls_sha1_init(&ctx);
    sls_sha1_update(&ctx, data, len);
    sls_sha1_final(&ctx, digest);
}
