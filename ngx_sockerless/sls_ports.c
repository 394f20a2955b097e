/*
 * Copyright (C) sockerless contributors
 *
 * Published port keys and host port ranges (see sls_ports.h).
 */


#include <string.h>
#include <sls_ports.h>


static int sls_port_number(const char *p, const char *end, unsigned *n);


/* decimal digits only, at most 65535; the caller checks for 0 */

static int
sls_port_number(const char *p, const char *end, unsigned *n)
{
    unsigned  v;

    if (p == end || end - p > 5) {
        return -1;
    }

    for (v = 0; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        v = v * 10 + (unsigned) (*p - '0');
    }

    if (v > 65535) {
        return -1;
    }

    *n = v;

    return 0;
}


int
sls_port_parse(const char *s, unsigned *port, const char **proto)
{
    const char  *slash, *end;

    end = s + strlen(s);
    slash = strchr(s, '/');

    if (slash == NULL) {
        *proto = "tcp";

    } else if (strcmp(slash + 1, "tcp") == 0) {
        *proto = "tcp";

    } else if (strcmp(slash + 1, "udp") == 0) {
        *proto = "udp";

    } else if (strcmp(slash + 1, "sctp") == 0) {
        *proto = "sctp";

    } else {
        return -1;
    }

    if (sls_port_number(s, slash ? slash : end, port) != 0 || *port == 0) {
        return -1;
    }

    return 0;
}


int
sls_port_range(const char *s, unsigned *first, unsigned *last)
{
    const char  *dash, *end;

    if (*s == '\0') {
        *first = 0;
        *last = 0;
        return 0;
    }

    end = s + strlen(s);
    dash = strchr(s, '-');

    if (dash == NULL) {
        if (sls_port_number(s, end, first) != 0) {
            return -1;
        }

        *last = *first;
        return 0;
    }

    if (sls_port_number(s, dash, first) != 0
        || sls_port_number(dash + 1, end, last) != 0
        || *first > *last)
    {
        return -1;
    }

    return 0;
}
