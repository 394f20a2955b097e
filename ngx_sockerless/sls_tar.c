
/*
 * Copyright (C) sockerless contributors
 *
 * The tar codec (sls_tar.h): ustar blocks, pax records, GNU long names.
 */


#include <sls_tar.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>


#define SLS_TAR_OCTAL_MAX(w)  ((((uint64_t) 1) << (3 * ((w) - 1))) - 1)


static void sls_tar_octal(unsigned char *p, size_t w, uint64_t v);
static size_t sls_tar_record(char *p, size_t size, const char *key,
    const char *val);
static int sls_tar_fill(sls_tar_reader_t *t, void *buf, size_t len);
static int sls_tar_skip(sls_tar_reader_t *t, uint64_t n);
static int sls_tar_number(const unsigned char *p, size_t w, uint64_t *v);
static int sls_tar_pax(sls_tar_reader_t *t, char *p, size_t len,
    sls_tar_entry_t *e, int *has);
static int sls_tar_ext(sls_tar_reader_t *t, uint64_t size);


/* writer */

static void
sls_tar_octal(unsigned char *p, size_t w, uint64_t v)
{
    size_t  i;

    /* w - 1 digits, zero-padded, then a NUL */

    p[w - 1] = '\0';

    for (i = w - 1; i > 0; i--) {
        p[i - 1] = (unsigned char) ('0' + (v & 7));
        v >>= 3;
    }
}


/* "%d key=value\n" where the number counts the whole record */

static size_t
sls_tar_record(char *p, size_t size, const char *key, const char *val)
{
    size_t  n, len, digits;

    n = strlen(key) + strlen(val) + 3;

    for (digits = 1, len = n + 1; ; digits++, len = n + digits) {
        char  tmp[24];

        if ((size_t) snprintf(tmp, sizeof(tmp), "%zu", len) == digits) {
            break;
        }
    }

    if (len >= size) {
        return 0;
    }

    snprintf(p, size, "%zu %s=%s\n", len, key, val);

    return len;
}


size_t
sls_tar_header(unsigned char *buf, size_t size, const sls_tar_entry_t *e)
{
    char            *x, num[24];
    size_t           nl, ll, xl, n, off;
    unsigned         sum;
    unsigned char   *h;
    const char      *link;

    link = e->linkname ? e->linkname : "";
    nl = strlen(e->name);
    ll = strlen(link);

    if (nl > SLS_TAR_NAME_MAX || ll > SLS_TAR_NAME_MAX
        || size < SLS_TAR_HEADER_MAX)
    {
        return 0;
    }

    memset(buf, 0, SLS_TAR_BLOCK);

    /* the pax records, written after the first block, then moved in */

    x = (char *) buf + 2 * SLS_TAR_BLOCK;
    xl = 0;

    if (nl > 100) {
        xl += sls_tar_record(x + xl, 2 * SLS_TAR_NAME_MAX + 256 - xl, "path",
                             e->name);
    }

    if (ll > 100) {
        xl += sls_tar_record(x + xl, 2 * SLS_TAR_NAME_MAX + 256 - xl,
                             "linkpath", link);
    }

    if (e->size > SLS_TAR_OCTAL_MAX(12)) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long) e->size);
        xl += sls_tar_record(x + xl, 2 * SLS_TAR_NAME_MAX + 256 - xl, "size",
                             num);
    }

    if (e->uid > SLS_TAR_OCTAL_MAX(8)) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long) e->uid);
        xl += sls_tar_record(x + xl, 2 * SLS_TAR_NAME_MAX + 256 - xl, "uid",
                             num);
    }

    if (e->gid > SLS_TAR_OCTAL_MAX(8)) {
        snprintf(num, sizeof(num), "%llu", (unsigned long long) e->gid);
        xl += sls_tar_record(x + xl, 2 * SLS_TAR_NAME_MAX + 256 - xl, "gid",
                             num);
    }

    off = 0;

    if (xl) {
        h = buf;
        memcpy(h, "PaxHeaders/", 11);
        memcpy(h + 11, e->name, nl > 88 ? 88 : nl);
        sls_tar_octal(h + 100, 8, 0644);
        sls_tar_octal(h + 108, 8, 0);
        sls_tar_octal(h + 116, 8, 0);
        sls_tar_octal(h + 124, 12, xl);
        sls_tar_octal(h + 136, 12, e->mtime > 0 ? (uint64_t) e->mtime : 0);
        h[156] = 'x';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);

        memset(h + 148, ' ', 8);
        for (sum = 0, n = 0; n < SLS_TAR_BLOCK; n++) {
            sum += h[n];
        }

        sls_tar_octal(h + 148, 7, sum);
        h[155] = ' ';

        memmove(buf + SLS_TAR_BLOCK, x, xl);
        off = SLS_TAR_BLOCK + xl + sls_tar_padding(xl);
        memset(buf + SLS_TAR_BLOCK + xl, 0, sls_tar_padding(xl));
    }

    h = buf + off;
    memset(h, 0, SLS_TAR_BLOCK);

    memcpy(h, e->name, nl > 100 ? 100 : nl);
    sls_tar_octal(h + 100, 8, e->mode & 07777);
    sls_tar_octal(h + 108, 8, e->uid > SLS_TAR_OCTAL_MAX(8) ? 0 : e->uid);
    sls_tar_octal(h + 116, 8, e->gid > SLS_TAR_OCTAL_MAX(8) ? 0 : e->gid);
    sls_tar_octal(h + 124, 12,
                  e->size > SLS_TAR_OCTAL_MAX(12) ? 0 : e->size);
    sls_tar_octal(h + 136, 12, e->mtime > 0 ? (uint64_t) e->mtime : 0);
    h[156] = (unsigned char) e->type;
    memcpy(h + 157, link, ll > 100 ? 100 : ll);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);

    if (e->type == SLS_TAR_CHR || e->type == SLS_TAR_BLK) {
        sls_tar_octal(h + 329, 8, e->devmajor & 07777777);
        sls_tar_octal(h + 337, 8, e->devminor & 07777777);
    }

    memset(h + 148, ' ', 8);
    for (sum = 0, n = 0; n < SLS_TAR_BLOCK; n++) {
        sum += h[n];
    }

    sls_tar_octal(h + 148, 7, sum);
    h[155] = ' ';

    return off + SLS_TAR_BLOCK;
}


size_t
sls_tar_padding(uint64_t n)
{
    return (size_t) ((SLS_TAR_BLOCK - (n % SLS_TAR_BLOCK)) % SLS_TAR_BLOCK);
}


/* reader */

int
sls_tar_reader_init(sls_tar_reader_t *t, sls_tar_read_pt read, void *data)
{
    memset(t, 0, sizeof(sls_tar_reader_t));
    t->read = read;
    t->data = data;
    t->name = malloc(SLS_TAR_NAME_MAX + 1);
    t->link = malloc(SLS_TAR_NAME_MAX + 1);

    return (t->name && t->link) ? 0 : -1;
}


void
sls_tar_reader_free(sls_tar_reader_t *t)
{
    free(t->name);
    free(t->link);
    free(t->ext);
    t->name = NULL;
    t->link = NULL;
    t->ext = NULL;
}


/* exactly len bytes: 0, 1 at the end of input, SLS_TAR_IO */

static int
sls_tar_fill(sls_tar_reader_t *t, void *buf, size_t len)
{
    size_t   got;
    ssize_t  n;

    for (got = 0; got < len; got += (size_t) n) {
        n = t->read(t->data, (char *) buf + got, len - got);

        if (n < 0) {
            snprintf(t->err, sizeof(t->err), "read: %s", strerror(errno));
            return SLS_TAR_IO;
        }

        if (n == 0) {
            if (got) {
                snprintf(t->err, sizeof(t->err), "unexpected EOF");
                return SLS_TAR_ERROR;
            }

            return 1;
        }
    }

    return 0;
}


static int
sls_tar_skip(sls_tar_reader_t *t, uint64_t n)
{
    int   rc;
    char  buf[4096];

    while (n) {
        rc = sls_tar_fill(t, buf, n > sizeof(buf) ? sizeof(buf) : n);

        if (rc == 1) {
            snprintf(t->err, sizeof(t->err), "unexpected EOF");
            return SLS_TAR_ERROR;
        }

        if (rc != 0) {
            return rc;
        }

        n -= n > sizeof(buf) ? sizeof(buf) : n;
    }

    return 0;
}


/* octal with blanks and NULs around, or GNU's base-256 */

static int
sls_tar_number(const unsigned char *p, size_t w, uint64_t *v)
{
    size_t  i;

    *v = 0;

    if (p[0] & 0x80) {
        if (p[0] != 0x80) {
            return -1;
        }

        for (i = 1; i < w; i++) {
            if (*v >> 56) {
                return -1;
            }

            *v = (*v << 8) | p[i];
        }

        return 0;
    }

    for (i = 0; i < w && (p[i] == ' ' || p[i] == '\0'); i++) {
        /* void */
    }

    for ( /* void */ ; i < w && p[i] >= '0' && p[i] <= '7'; i++) {
        if (*v >> 60) {
            return -1;
        }

        *v = (*v << 3) | (uint64_t) (p[i] - '0');
    }

    for ( /* void */ ; i < w; i++) {
        if (p[i] != ' ' && p[i] != '\0') {
            return -1;
        }
    }

    return 0;
}


/* the pax records in p[0..len), applied to e; has: 1 path, 2 linkpath */

static int
sls_tar_pax(sls_tar_reader_t *t, char *p, size_t len, sls_tar_entry_t *e,
    int *has)
{
    char      *end, *key, *eq, *val, *rec;
    size_t     n, vl, rl;
    uint64_t   num;

    end = p + len;

    while (p < end) {
        n = 0;
        rec = p;

        while (p < end && *p >= '0' && *p <= '9' && n < SLS_TAR_EXT_MAX) {
            n = n * 10 + (size_t) (*p++ - '0');
        }

        if (p == rec || p >= end || *p != ' ' || n > (size_t) (end - rec)
            || n < (size_t) (p - rec) + 3 || rec[n - 1] != '\n')
        {
            snprintf(t->err, sizeof(t->err), "bad pax record");
            return SLS_TAR_ERROR;
        }

        rl = n;
        key = p + 1;
        eq = memchr(key, '=', rec + n - 1 - key);

        if (eq == NULL) {
            snprintf(t->err, sizeof(t->err), "bad pax record");
            return SLS_TAR_ERROR;
        }

        val = eq + 1;
        vl = (size_t) (rec + rl - 1 - val);
        *eq = '\0';

        if (strcmp(key, "path") == 0 || strcmp(key, "linkpath") == 0) {
            if (vl > SLS_TAR_NAME_MAX || memchr(val, '\0', vl)) {
                snprintf(t->err, sizeof(t->err), "bad pax %s", key);
                return SLS_TAR_ERROR;
            }

            if (key[0] == 'p') {
                memcpy(t->name, val, vl);
                t->name[vl] = '\0';
                *has |= 1;

            } else {
                memcpy(t->link, val, vl);
                t->link[vl] = '\0';
                *has |= 2;
            }

        } else if (strcmp(key, "size") == 0 || strcmp(key, "uid") == 0
                   || strcmp(key, "gid") == 0 || strcmp(key, "mtime") == 0)
        {
            num = 0;

            for (n = 0; n < vl && val[n] >= '0' && val[n] <= '9'; n++) {
                if (num > (UINT64_MAX - 9) / 10) {
                    snprintf(t->err, sizeof(t->err), "bad pax %s", key);
                    return SLS_TAR_ERROR;
                }

                num = num * 10 + (uint64_t) (val[n] - '0');
            }

            /* mtime may have a fraction; the others are integers */

            if (n == 0 || (n < vl && !(key[0] == 'm' && val[n] == '.'))) {
                snprintf(t->err, sizeof(t->err), "bad pax %s", key);
                return SLS_TAR_ERROR;
            }

            if (key[0] == 's') {
                e->size = num;
                *has |= 4;

            } else if (key[0] == 'u') {
                e->uid = num;
                *has |= 8;

            } else if (key[0] == 'g') {
                e->gid = num;
                *has |= 16;

            } else {
                e->mtime = (int64_t) (num > INT64_MAX ? INT64_MAX : num);
                *has |= 32;
            }
        }

        p = rec + rl;
    }

    return 0;
}


/* reads an extension's size bytes (and padding) into t->ext */

static int
sls_tar_ext(sls_tar_reader_t *t, uint64_t size)
{
    int  rc;

    if (size > SLS_TAR_EXT_MAX) {
        snprintf(t->err, sizeof(t->err), "extended header too large");
        return SLS_TAR_ERROR;
    }

    free(t->ext);

    t->ext = malloc((size_t) size + 1);
    if (t->ext == NULL) {
        snprintf(t->err, sizeof(t->err), "out of memory");
        return SLS_TAR_ERROR;
    }

    rc = sls_tar_fill(t, t->ext, (size_t) size);

    if (rc == 1) {
        snprintf(t->err, sizeof(t->err), "unexpected EOF");
        return SLS_TAR_ERROR;
    }

    if (rc != 0) {
        return rc;
    }

    t->ext[size] = '\0';

    return sls_tar_skip(t, sls_tar_padding(size));
}


int
sls_tar_next(sls_tar_reader_t *t, sls_tar_entry_t *e)
{
    int             rc, has, zeros;
    size_t          i, n;
    unsigned        sum, want;
    uint64_t        v;
    unsigned char   h[SLS_TAR_BLOCK];
    sls_tar_entry_t x;

    rc = sls_tar_skip(t, t->left + t->pad);
    if (rc != 0) {
        return rc;
    }

    t->left = 0;
    t->pad = 0;

    memset(&x, 0, sizeof(sls_tar_entry_t));
    has = 0;
    zeros = 0;

    for ( ;; ) {
        rc = sls_tar_fill(t, h, SLS_TAR_BLOCK);

        if (rc == 1) {
            if (has) {
                snprintf(t->err, sizeof(t->err), "unexpected EOF");
                return SLS_TAR_ERROR;
            }

            return SLS_TAR_END;
        }

        if (rc != 0) {
            return rc;
        }

        for (sum = 0, n = 0, i = 0; i < SLS_TAR_BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : h[i];
            n |= h[i];
        }

        if (n == 0) {
            /* a zero block: two end the archive, one is skipped */
            if (++zeros == 2 || has) {
                if (has) {
                    snprintf(t->err, sizeof(t->err),
                             "extended header without an entry");
                    return SLS_TAR_ERROR;
                }

                return SLS_TAR_END;
            }

            continue;
        }

        zeros = 0;

        if (sls_tar_number(h + 148, 8, &v) != 0) {
            snprintf(t->err, sizeof(t->err), "bad header checksum");
            return SLS_TAR_ERROR;
        }

        want = (unsigned) v;

        if (want != sum) {
            snprintf(t->err, sizeof(t->err), "bad header checksum");
            return SLS_TAR_ERROR;
        }

        if (sls_tar_number(h + 124, 12, &v) != 0) {
            snprintf(t->err, sizeof(t->err), "bad size");
            return SLS_TAR_ERROR;
        }

        switch (h[156]) {

        case 'x':
            rc = sls_tar_ext(t, v);
            if (rc == 0) {
                rc = sls_tar_pax(t, t->ext, (size_t) v, &x, &has);
            }

            if (rc != 0) {
                return rc;
            }

            has |= 64;
            continue;

        case 'g':
            rc = sls_tar_skip(t, v + sls_tar_padding(v));
            if (rc != 0) {
                return rc;
            }

            continue;

        case 'L':
        case 'K':
            if (v > SLS_TAR_NAME_MAX + 1) {
                snprintf(t->err, sizeof(t->err), "GNU long name too long");
                return SLS_TAR_ERROR;
            }

            rc = sls_tar_ext(t, v);
            if (rc != 0) {
                return rc;
            }

            n = strnlen(t->ext, (size_t) v);

            if (n > SLS_TAR_NAME_MAX) {
                snprintf(t->err, sizeof(t->err), "GNU long name too long");
                return SLS_TAR_ERROR;
            }

            memcpy(h[156] == 'L' ? t->name : t->link, t->ext, n + 1);
            has |= (h[156] == 'L') ? 1 : 2;
            continue;
        }

        break;
    }

    e->type = (h[156] == '\0' || h[156] == '7') ? SLS_TAR_REG : h[156];

    if (e->type < SLS_TAR_REG || e->type > SLS_TAR_FIFO) {
        snprintf(t->err, sizeof(t->err), "unsupported entry type '%c'",
                 h[156] >= 0x20 && h[156] < 0x7f ? h[156] : '?');
        return SLS_TAR_ERROR;
    }

    if (!(has & 1)) {
        n = 0;

        if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
            /* ustar: prefix "/" name */
            n = strnlen((char *) h + 345, 155);
            memcpy(t->name, h + 345, n);
            t->name[n++] = '/';
        }

        i = strnlen((char *) h, 100);
        memcpy(t->name + n, h, i);
        t->name[n + i] = '\0';
    }

    if (!(has & 2)) {
        i = strnlen((char *) h + 157, 100);
        memcpy(t->link, h + 157, i);
        t->link[i] = '\0';
    }

    e->name = t->name;
    e->linkname = t->link;

    if (sls_tar_number(h + 100, 8, &v) != 0) {
        snprintf(t->err, sizeof(t->err), "bad mode");
        return SLS_TAR_ERROR;
    }

    e->mode = (unsigned) (v & 07777);

    if (has & 8) {
        e->uid = x.uid;

    } else if (sls_tar_number(h + 108, 8, &e->uid) != 0) {
        snprintf(t->err, sizeof(t->err), "bad uid");
        return SLS_TAR_ERROR;
    }

    if (has & 16) {
        e->gid = x.gid;

    } else if (sls_tar_number(h + 116, 8, &e->gid) != 0) {
        snprintf(t->err, sizeof(t->err), "bad gid");
        return SLS_TAR_ERROR;
    }

    if (has & 4) {
        e->size = x.size;

    } else {
        (void) sls_tar_number(h + 124, 12, &e->size);
    }

    if (has & 32) {
        e->mtime = x.mtime;

    } else if (sls_tar_number(h + 136, 12, &v) == 0) {
        e->mtime = (int64_t) (v > INT64_MAX ? INT64_MAX : v);

    } else {
        snprintf(t->err, sizeof(t->err), "bad mtime");
        return SLS_TAR_ERROR;
    }

    e->devmajor = 0;
    e->devminor = 0;

    if (e->type == SLS_TAR_CHR || e->type == SLS_TAR_BLK) {
        if (sls_tar_number(h + 329, 8, &v) == 0) {
            e->devmajor = (unsigned) v;
        }

        if (sls_tar_number(h + 337, 8, &v) == 0) {
            e->devminor = (unsigned) v;
        }
    }

    /* only regular files carry data; others' sizes are skipped as data */

    if (e->type == SLS_TAR_REG) {
        t->left = e->size;
        t->pad = sls_tar_padding(e->size);

    } else {
        if (e->size > ((uint64_t) 1 << 62)) {
            snprintf(t->err, sizeof(t->err), "bad size");
            return SLS_TAR_ERROR;
        }

        t->left = 0;
        t->pad = e->size + sls_tar_padding(e->size);
        e->size = 0;
    }

    return SLS_TAR_OK;
}


int
sls_tar_is_block(const unsigned char *h)
{
    size_t    i;
    uint64_t  v;
    unsigned  sum, any;

    for (sum = 0, any = 0, i = 0; i < SLS_TAR_BLOCK; i++) {
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
        any |= h[i];
    }

    if (any == 0) {
        return 1;
    }

    return sls_tar_number(h + 148, 8, &v) == 0 && v == sum;
}


ssize_t
sls_tar_data(sls_tar_reader_t *t, void *buf, size_t len)
{
    ssize_t  n;

    if (t->left == 0) {
        return 0;
    }

    if (len > t->left) {
        len = (size_t) t->left;
    }

    n = t->read(t->data, buf, len);

    if (n < 0) {
        snprintf(t->err, sizeof(t->err), "read: %s", strerror(errno));
        return SLS_TAR_IO;
    }

    if (n == 0) {
        snprintf(t->err, sizeof(t->err), "unexpected EOF");
        return SLS_TAR_ERROR;
    }

    t->left -= (uint64_t) n;

    return n;
}
