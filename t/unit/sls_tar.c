
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_tar: headers written by sls_tar_header() read back by
 * libarchive, archives written by libarchive (ustar, pax, GNU) read by
 * sls_tar_next(), and broken input refused. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <archive.h>
#include <archive_entry.h>
#include <sls_tar.h>
#include "test.h"


typedef struct {
    const unsigned char  *p;
    size_t                len;
    size_t                off;
} sls_mem_t;


typedef struct {
    const char           *name;       /* vector name */
    int                   format;     /* libarchive format */
    const char           *path;
    const char           *link;
    int                   type;
    unsigned              mode;
    uint64_t              uid;
    uint64_t              size;
} sls_tar_vector_t;


static ssize_t
sls_mem_read(void *data, void *buf, size_t len)
{
    sls_mem_t  *m = data;

    /* short reads on purpose: the reader must loop */

    if (len > 7 + (m->off % 300)) {
        len = 7 + (m->off % 300);
    }

    if (len > m->len - m->off) {
        len = m->len - m->off;
    }

    memcpy(buf, m->p + m->off, len);
    m->off += len;

    return (ssize_t) len;
}


static char *
sls_long(char c, size_t n)
{
    char  *s;

    s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';

    return s;
}


/* writer -> libarchive */

static void
sls_test_writer(const char *vname, const char *name, const char *link,
    int type, uint64_t size, uint64_t uid)
{
    int                    rc, ok;
    size_t                 n, total, i;
    unsigned char         *buf;
    struct archive        *a;
    sls_tar_entry_t        e;
    struct archive_entry  *ae;

    buf = calloc(1, SLS_TAR_HEADER_MAX + 2 * SLS_TAR_BLOCK + 4096);

    memset(&e, 0, sizeof(e));
    e.name = name;
    e.linkname = link;
    e.type = type;
    e.mode = 04755;
    e.uid = uid;
    e.gid = 7;
    e.size = (type == SLS_TAR_REG) ? size : 0;
    e.mtime = 1700000000;

    n = sls_tar_header(buf, SLS_TAR_HEADER_MAX, &e);
    total = n;

    /* data only when small: the big size vector has no bytes to read */

    if (type == SLS_TAR_REG && size <= 4096) {
        for (i = 0; i < size; i++) {
            buf[total + i] = (unsigned char) i;
        }

        total += size + sls_tar_padding(size);
    }

    total += 2 * SLS_TAR_BLOCK;

    a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_open_memory(a, buf, total);

    rc = archive_read_next_header(a, &ae);
    ok = (n % SLS_TAR_BLOCK == 0) && rc == ARCHIVE_OK
         && strcmp(archive_entry_pathname(ae), name) == 0
         && (archive_entry_mode(ae) & 07777) == 04755
         && (uint64_t) archive_entry_uid(ae) == uid
         && archive_entry_gid(ae) == 7
         && archive_entry_mtime(ae) == 1700000000
         && (type != SLS_TAR_REG
             || (uint64_t) archive_entry_size(ae) == size)
         && (type != SLS_TAR_SYMLINK
             || strcmp(archive_entry_symlink(ae), link) == 0)
         && (type != SLS_TAR_LINK
             || strcmp(archive_entry_hardlink(ae), link) == 0);

    TEST_OK(ok, "writer: %s", vname);

    if (!ok) {
        TEST_DIAG("rc %d: %s", rc, archive_error_string(a));
    }

    archive_read_free(a);
    free(buf);
}


/* libarchive -> reader */

static void
sls_test_reader(const sls_tar_vector_t *v)
{
    int                    rc, ok;
    char                   data[64];
    size_t                 used;
    ssize_t                n;
    unsigned char         *buf;
    struct archive        *a;
    sls_mem_t              m;
    sls_tar_entry_t        e;
    sls_tar_reader_t       t;
    struct archive_entry  *ae;

    buf = calloc(1, 65536);

    a = archive_write_new();
    archive_write_set_format(a, v->format);
    archive_write_open_memory(a, buf, 65536, &used);

    ae = archive_entry_new();
    archive_entry_set_pathname(ae, v->path);
    archive_entry_set_filetype(ae, v->type == SLS_TAR_DIR ? AE_IFDIR
                                   : v->type == SLS_TAR_SYMLINK ? AE_IFLNK
                                   : AE_IFREG);
    archive_entry_set_perm(ae, v->mode);
    archive_entry_set_uid(ae, v->uid);
    archive_entry_set_size(ae, v->size);
    archive_entry_set_mtime(ae, 1700000000, 0);

    if (v->link && v->type == SLS_TAR_SYMLINK) {
        archive_entry_set_symlink(ae, v->link);
    }

    if (v->link && v->type == SLS_TAR_LINK) {
        archive_entry_set_hardlink(ae, v->link);
    }

    archive_write_header(a, ae);

    if (v->size) {
        archive_write_data(a, "0123456789abcdef", v->size);
    }

    archive_entry_free(ae);
    archive_write_close(a);
    archive_write_free(a);

    m.p = buf;
    m.len = used;
    m.off = 0;

    sls_tar_reader_init(&t, sls_mem_read, &m);

    rc = sls_tar_next(&t, &e);
    n = (rc == SLS_TAR_OK) ? sls_tar_data(&t, data, sizeof(data)) : -1;

    ok = rc == SLS_TAR_OK && strcmp(e.name, v->path) == 0
         && e.type == v->type && e.mode == v->mode && e.uid == v->uid
         && e.size == v->size && e.mtime == 1700000000
         && (v->link == NULL || strcmp(e.linkname, v->link) == 0)
         && n == (ssize_t) v->size
         && (v->size == 0 || memcmp(data, "0123456789abcdef", v->size) == 0)
         && sls_tar_next(&t, &e) == SLS_TAR_END;

    TEST_OK(ok, "reader: %s", v->name);

    if (!ok) {
        TEST_DIAG("rc %d (%s), name \"%.40s\"", rc, t.err,
                  rc == SLS_TAR_OK ? e.name : "");
    }

    sls_tar_reader_free(&t);
    free(buf);
}


static void
sls_test_bad(const char *vname, unsigned char *buf, size_t len, int want)
{
    int               rc;
    sls_mem_t         m;
    sls_tar_entry_t   e;
    sls_tar_reader_t  t;

    m.p = buf;
    m.len = len;
    m.off = 0;

    sls_tar_reader_init(&t, sls_mem_read, &m);

    do {
        rc = sls_tar_next(&t, &e);
    } while (rc == SLS_TAR_OK);

    TEST_OK(rc == want, "refused: %s (%s)", vname, t.err);

    sls_tar_reader_free(&t);
}


int
main(void)
{
    char              *l100, *l101, *l300, *l4096, *l4097;
    size_t             n;
    unsigned char     *buf;
    sls_tar_entry_t    e;
    sls_tar_vector_t  *v;

    static sls_tar_vector_t  vectors[] = {
        { "ustar file", ARCHIVE_FORMAT_TAR_USTAR, "a/b.txt", NULL,
          SLS_TAR_REG, 0644, 0, 5 },
        { "ustar dir", ARCHIVE_FORMAT_TAR_USTAR, "a/dir/", NULL,
          SLS_TAR_DIR, 0755, 1000, 0 },
        { "ustar symlink", ARCHIVE_FORMAT_TAR_USTAR, "ln", "../x/y",
          SLS_TAR_SYMLINK, 0777, 0, 0 },
        { "ustar setuid sticky", ARCHIVE_FORMAT_TAR_USTAR, "s", NULL,
          SLS_TAR_REG, 07755, 0, 16 },
        { "ustar hard link", ARCHIVE_FORMAT_TAR_USTAR, "h", "a/b.txt",
          SLS_TAR_LINK, 0644, 0, 0 },
        { "pax long name", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, NULL, NULL,
          SLS_TAR_REG, 0600, 0, 3 },
        { "pax long link", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "l", NULL,
          SLS_TAR_SYMLINK, 0777, 0, 0 },
        { "pax big uid", ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "u", NULL,
          SLS_TAR_REG, 0644, 100000000, 1 },
        { "GNU long name", ARCHIVE_FORMAT_TAR_GNUTAR, NULL, NULL,
          SLS_TAR_REG, 0644, 0, 2 },
        { "GNU long link", ARCHIVE_FORMAT_TAR_GNUTAR, "g", NULL,
          SLS_TAR_SYMLINK, 0777, 0, 0 },
    };

    l100 = sls_long('n', 100);
    l101 = sls_long('m', 101);
    l300 = sls_long('p', 300);
    l4096 = sls_long('q', 4096);
    l4097 = sls_long('r', 4097);

    vectors[5].path = l300;
    vectors[6].link = l300;
    vectors[8].path = l300;
    vectors[9].link = l101;

    TEST_PLAN(10 + 10 + 10);

    sls_test_writer("short file", "a/b", NULL, SLS_TAR_REG, 100, 0);
    sls_test_writer("name of 100", l100, NULL, SLS_TAR_REG, 3, 0);
    sls_test_writer("name of 101 (pax)", l101, NULL, SLS_TAR_REG, 3, 0);
    sls_test_writer("name of 4096 (pax)", l4096, NULL, SLS_TAR_DIR, 0, 0);
    sls_test_writer("symlink of 300 (pax)", "l", l300, SLS_TAR_SYMLINK, 0,
                    0);
    sls_test_writer("hard link", "h", "a/b", SLS_TAR_LINK, 0, 0);
    sls_test_writer("size of 8 GiB (pax)", "big", NULL, SLS_TAR_REG,
                    8ULL << 30, 0);
    sls_test_writer("uid 2097152 (pax)", "u", NULL, SLS_TAR_REG, 0,
                    2097152);
    sls_test_writer("both long", l300, l300, SLS_TAR_SYMLINK, 0, 0);

    buf = calloc(1, SLS_TAR_HEADER_MAX + 4096);

    memset(&e, 0, sizeof(e));
    e.name = l4097;
    e.type = SLS_TAR_REG;
    TEST_OK(sls_tar_header(buf, SLS_TAR_HEADER_MAX, &e) == 0,
            "writer: a name over 4096 is refused");

    for (v = vectors; v < vectors + 10; v++) {
        sls_test_reader(v);
    }

    /* broken input */

    memset(&e, 0, sizeof(e));
    e.name = "f";
    e.type = SLS_TAR_REG;
    e.mode = 0644;
    e.size = 1000;
    n = sls_tar_header(buf, SLS_TAR_HEADER_MAX, &e);

    sls_test_bad("truncated data", buf, n + 100, SLS_TAR_ERROR);

    TEST_OK(sls_tar_is_block(buf), "first block: a header");

    buf[0] = 'g';
    sls_test_bad("bad checksum", buf, n, SLS_TAR_ERROR);

    TEST_OK(!sls_tar_is_block(buf), "first block: a bad checksum is not");

    buf[0] = 0x1f;
    buf[1] = 0x8b;
    TEST_OK(!sls_tar_is_block(buf), "first block: gzip is not");
    buf[1] = 0;

    buf[0] = 'f';
    sls_test_bad("truncated header", buf, 300, SLS_TAR_ERROR);

    memset(buf, 0, 1024);
    sls_test_bad("two zero blocks", buf, 1024, SLS_TAR_END);

    TEST_OK(sls_tar_is_block(buf), "first block: a zero block");

    e.type = 'S';
    e.size = 0;
    n = sls_tar_header(buf, SLS_TAR_HEADER_MAX, &e);
    sls_test_bad("unknown type", buf, n, SLS_TAR_ERROR);

    e.type = SLS_TAR_REG;
    e.name = l300;
    n = sls_tar_header(buf, SLS_TAR_HEADER_MAX, &e);
    memcpy(buf + SLS_TAR_BLOCK, "99", 2);
    sls_test_bad("bad pax record length", buf, n, SLS_TAR_ERROR);

    free(buf);
    free(l100);
    free(l101);
    free(l300);
    free(l4096);
    free(l4097);

    return TEST_DONE();
}
