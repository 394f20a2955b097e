
/*
 * Copyright (C) sockerless contributors
 *
 * Parsers of the kernel's cgroup files (see sls_cgroup.h).
 */


#include <string.h>
#include <stdlib.h>
#include <sls_cgroup.h>


static const char *sls_cgroup_line_end(const char *p, const char *last);
static int sls_cgroup_field(const char **pp, const char *last, char *out,
    size_t size);
static int sls_cgroup_has_word(const char *list, size_t len,
    const char *word);


static const char *
sls_cgroup_line_end(const char *p, const char *last)
{
    const char  *nl;

    nl = memchr(p, '\n', (size_t) (last - p));

    return nl ? nl : last;
}


/* the next blank-separated field of a mountinfo line, \ooo decoded */

static int
sls_cgroup_field(const char **pp, const char *last, char *out, size_t size)
{
    size_t       n;
    const char  *p;

    p = *pp;

    while (p < last && *p == ' ') {
        p++;
    }

    if (p == last) {
        return -1;
    }

    n = 0;

    while (p < last && *p != ' ') {
        if (n + 1 >= size) {
            return -1;
        }

        if (*p == '\\' && last - p >= 4
            && p[1] >= '0' && p[1] <= '3'
            && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')
        {
            out[n++] = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8
                               + (p[3] - '0'));
            p += 4;
            continue;
        }

        out[n++] = *p++;
    }

    out[n] = '\0';
    *pp = p;

    return 0;
}


/* a word of a comma-separated list */

static int
sls_cgroup_has_word(const char *list, size_t len, const char *word)
{
    size_t       wlen;
    const char  *p, *last, *comma;

    wlen = strlen(word);
    p = list;
    last = list + len;

    while (p < last) {
        comma = memchr(p, ',', (size_t) (last - p));
        if (comma == NULL) {
            comma = last;
        }

        if ((size_t) (comma - p) == wlen && memcmp(p, word, wlen) == 0) {
            return 1;
        }

        p = comma + 1;
    }

    return 0;
}


int
sls_cgroup_self(const char *text, size_t len, const char *controller,
    char *path, size_t size)
{
    size_t       n;
    const char  *p, *last, *end, *c1, *c2;

    p = text;
    last = text + len;

    while (p < last) {
        end = sls_cgroup_line_end(p, last);

        /* "id:controllers:path" */

        c1 = memchr(p, ':', (size_t) (end - p));
        c2 = c1 ? memchr(c1 + 1, ':', (size_t) (end - c1 - 1)) : NULL;

        if (c2) {
            if (controller[0] == '\0'
                ? (c1 - p == 1 && *p == '0' && c2 == c1 + 1)
                : sls_cgroup_has_word(c1 + 1, (size_t) (c2 - c1 - 1),
                                      controller))
            {
                n = (size_t) (end - c2 - 1);

                if (n + 1 > size) {
                    return -1;
                }

                memcpy(path, c2 + 1, n);
                path[n] = '\0';

                return 0;
            }
        }

        p = end + 1;
    }

    return -1;
}


int
sls_cgroup_mount(const char *text, size_t len, const char *controller,
    char *mnt, size_t mnt_size, char *root, size_t root_size)
{
    char         field[4096], fstype[64], opts[1024];
    const char  *p, *last, *end, *q, *dash;

    p = text;
    last = text + len;

    while (p < last) {
        end = sls_cgroup_line_end(p, last);

        /*
         * "id parent major:minor root mountpoint options [tags] -
         *  fstype source superoptions"
         */

        dash = NULL;

        for (q = p; q + 3 <= end; q++) {
            if (q[0] == ' ' && q[1] == '-' && q[2] == ' ') {
                dash = q + 3;
                break;
            }
        }

        q = p;

        if (dash == NULL
            || sls_cgroup_field(&q, dash, field, sizeof(field)) != 0
            || sls_cgroup_field(&q, dash, field, sizeof(field)) != 0
            || sls_cgroup_field(&q, dash, field, sizeof(field)) != 0
            || sls_cgroup_field(&q, dash, field, sizeof(field)) != 0)
        {
            goto next;
        }

        /* field: the mounted root */

        if (strlen(field) + 1 > root_size) {
            goto next;
        }

        strcpy(root, field);

        if (sls_cgroup_field(&q, dash, field, sizeof(field)) != 0
            || strlen(field) + 1 > mnt_size)
        {
            goto next;
        }

        strcpy(mnt, field);

        q = dash;

        if (sls_cgroup_field(&q, end, fstype, sizeof(fstype)) != 0
            || sls_cgroup_field(&q, end, field, sizeof(field)) != 0
            || sls_cgroup_field(&q, end, opts, sizeof(opts)) != 0)
        {
            goto next;
        }

        if (controller[0] == '\0') {
            if (strcmp(fstype, "cgroup2") == 0) {
                return 0;
            }

        } else if (strcmp(fstype, "cgroup") == 0
                   && sls_cgroup_has_word(opts, strlen(opts), controller))
        {
            return 0;
        }

    next:

        p = end + 1;
    }

    mnt[0] = '\0';
    root[0] = '\0';

    return -1;
}


int
sls_cgroup_cpus(const char *list, unsigned char *mask)
{
    char          *end;
    const char    *p;
    unsigned long  a, b, i;

    memset(mask, 0, SLS_CGROUP_MAX_CPUS / 8);

    p = list;

    if (*p == '\0') {
        return 0;
    }

    for ( ;; ) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        a = strtoul(p, &end, 10);
        p = end;
        b = a;

        if (*p == '-') {
            p++;

            if (*p < '0' || *p > '9') {
                return -1;
            }

            b = strtoul(p, &end, 10);
            p = end;
        }

        if (b < a || b >= SLS_CGROUP_MAX_CPUS) {
            return -1;
        }

        for (i = a; i <= b; i++) {
            mask[i / 8] |= (unsigned char) (1 << (i % 8));
        }

        if (*p == '\0') {
            return 0;
        }

        if (*p != ',') {
            return -1;
        }

        p++;
    }
}


int
sls_cgroup_cpus_subset(const unsigned char *want, const unsigned char *have)
{
    size_t  i;

    for (i = 0; i < SLS_CGROUP_MAX_CPUS / 8; i++) {
        if (want[i] & ~have[i]) {
            return 0;
        }
    }

    return 1;
}


int
sls_cgroup_key(const char *text, size_t len, const char *key,
    uint64_t *value)
{
    char         num[32];
    size_t       klen, n;
    const char  *p, *last, *end;

    klen = strlen(key);
    p = text;
    last = text + len;

    while (p < last) {
        end = sls_cgroup_line_end(p, last);

        if ((size_t) (end - p) > klen + 1 && memcmp(p, key, klen) == 0
            && p[klen] == ' ')
        {
            n = (size_t) (end - p) - klen - 1;

            if (n == 0 || n >= sizeof(num)) {
                return -1;
            }

            memcpy(num, p + klen + 1, n);
            num[n] = '\0';

            if (num[0] < '0' || num[0] > '9') {
                return -1;
            }

            *value = strtoull(num, NULL, 10);

            return 0;
        }

        p = end + 1;
    }

    return -1;
}


uint64_t
sls_cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0) {
        return 0;
    }

    if (shares < 2) {
        shares = 2;
    }

    if (shares > 262144) {
        shares = 262144;
    }

    return 1 + ((shares - 2) * 9999) / 262142;
}


uint64_t
sls_cgroup_blkio_to_io(uint64_t weight)
{
    if (weight == 0) {
        return 0;
    }

    if (weight < 10) {
        weight = 10;
    }

    if (weight > 1000) {
        weight = 1000;
    }

    return 1 + ((weight - 10) * 9999) / 990;
}
