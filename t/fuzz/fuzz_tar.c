/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_tar: any input read as an archive, through
 * reads of sizes taken from the input, must end (OK entries, then END or
 * an error) with names, links and sizes within their limits; a header
 * written from each entry must read back the same.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_tar.h>
#include "fuzz.h"


typedef struct {
    const uint8_t  *p;
    size_t          len;
    size_t          off;
    unsigned        seed;
} sls_fuzz_mem_t;


static ssize_t
sls_fuzz_read(void *data, void *buf, size_t len)
{
    size_t           n;
    sls_fuzz_mem_t  *m = data;

    m->seed = m->seed * 1103515245 + 12345;
    n = 1 + (m->seed >> 16) % 1031;

    if (n > len) {
        n = len;
    }

    if (n > m->len - m->off) {
        n = m->len - m->off;
    }

    memcpy(buf, m->p + m->off, n);
    m->off += n;

    return (ssize_t) n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc, entries;
    char              buf[700];
    ssize_t           n;
    unsigned char    *hdr;
    sls_fuzz_mem_t    m, m2;
    sls_tar_entry_t   e, e2;
    sls_tar_reader_t  t, t2;

    m.p = data;
    m.len = size;
    m.off = 0;
    m.seed = size ? data[0] : 1;

    hdr = malloc(SLS_TAR_HEADER_MAX + 2 * SLS_TAR_BLOCK);
    sls_fuzz_check(hdr != NULL);

    if (sls_tar_reader_init(&t, sls_fuzz_read, &m) != 0) {
        sls_tar_reader_free(&t);
        free(hdr);
        return 0;
    }

    for (entries = 0; entries < 1000; entries++) {
        rc = sls_tar_next(&t, &e);

        if (rc != SLS_TAR_OK) {
            sls_fuzz_check(rc == SLS_TAR_END || rc == SLS_TAR_ERROR);
            break;
        }

        sls_fuzz_check(strlen(e.name) <= SLS_TAR_NAME_MAX);
        sls_fuzz_check(strlen(e.linkname) <= SLS_TAR_NAME_MAX);
        sls_fuzz_check(e.type >= SLS_TAR_REG && e.type <= SLS_TAR_FIFO);
        sls_fuzz_check(e.type == SLS_TAR_REG || e.size == 0);

        /* what the writer makes of it reads back the same */

        e.mtime = e.mtime < 0 ? 0 : e.mtime;
        n = (ssize_t) sls_tar_header(hdr, SLS_TAR_HEADER_MAX, &e);
        sls_fuzz_check(n > 0 && n % SLS_TAR_BLOCK == 0);
        memset(hdr + n, 0, 2 * SLS_TAR_BLOCK);

        m2.p = hdr;
        m2.len = (size_t) n + 2 * SLS_TAR_BLOCK;
        m2.off = 0;
        m2.seed = 7;

        if (e.size == 0) {
            sls_fuzz_check(sls_tar_reader_init(&t2, sls_fuzz_read, &m2)
                           == 0);
            sls_fuzz_check(sls_tar_next(&t2, &e2) == SLS_TAR_OK);
            sls_fuzz_check(strcmp(e2.name, e.name) == 0
                           && strcmp(e2.linkname, e.linkname) == 0
                           && e2.type == e.type && e2.mode == e.mode
                           && e2.uid == e.uid && e2.gid == e.gid);
            sls_tar_reader_free(&t2);
        }

        while ((n = sls_tar_data(&t, buf, sizeof(buf))) > 0) {
            /* void */
        }

        if (n < 0) {
            break;
        }
    }

    sls_tar_reader_free(&t);
    free(hdr);

    return 0;
}
