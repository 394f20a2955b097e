/*
 * Copyright (C) sockerless contributors
 *
 * sockerless-agent: byte queues for sockets and pipes.
 */


#include <stdlib.h>
#include <string.h>
#include <sla.h>


/* a queue beyond this is a bug elsewhere (back-pressure keeps them small) */
#define SLA_BUF_HARD_MAX  (64 * 1024 * 1024)


int
sla_buf_add(sla_buf_t *b, const void *p, size_t len)
{
    size_t          cap;
    unsigned char  *data;

    if (len == 0) {
        return 0;
    }

    if (b->start && b->start + b->len + len > b->cap) {
        memmove(b->data, b->data + b->start, b->len);
        b->start = 0;
    }

    if (b->len + len > b->cap) {
        if (b->len + len > SLA_BUF_HARD_MAX) {
            return -1;
        }

        cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) {
            cap *= 2;
        }

        data = realloc(b->data, cap);
        if (data == NULL) {
            return -1;
        }

        b->data = data;
        b->cap = cap;
    }

    memcpy(b->data + b->start + b->len, p, len);
    b->len += len;

    return 0;
}


void
sla_buf_drop(sla_buf_t *b, size_t len)
{
    if (len >= b->len) {
        b->start = 0;
        b->len = 0;
        return;
    }

    b->start += len;
    b->len -= len;
}


void
sla_buf_free(sla_buf_t *b)
{
    free(b->data);
    memset(b, 0, sizeof(sla_buf_t));
}
