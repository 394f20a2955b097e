/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_ports: port keys and host port ranges as dockerd's
 * validatePortBindings() accepts them. TAP output.
 */


#include <stdio.h>
#include <string.h>
#include <sls_ports.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *input;
    int          rc;
    unsigned     port;
    const char  *proto;
} sls_key_vector_t;


typedef struct {
    const char  *name;
    const char  *input;
    int          rc;
    unsigned     first;
    unsigned     last;
} sls_range_vector_t;


static const sls_key_vector_t  keys[] = {
    { "bare port is tcp", "80", 0, 80, "tcp" },
    { "tcp", "8080/tcp", 0, 8080, "tcp" },
    { "udp", "53/udp", 0, 53, "udp" },
    { "sctp", "9/sctp", 0, 9, "sctp" },
    { "highest", "65535/tcp", 0, 65535, "tcp" },
    { "zero", "0/tcp", -1, 0, NULL },
    { "too big", "70000/tcp", -1, 0, NULL },
    { "six digits", "000080/tcp", -1, 0, NULL },
    { "unknown protocol", "80/icmp", -1, 0, NULL },
    { "empty protocol", "80/", -1, 0, NULL },
    { "empty", "", -1, 0, NULL },
    { "letters", "http/tcp", -1, 0, NULL },
    { "range is no key", "80-81/tcp", -1, 0, NULL },
    { "sign", "+80/tcp", -1, 0, NULL },
};


static const sls_range_vector_t  ranges[] = {
    { "empty: the kernel picks", "", 0, 0, 0 },
    { "zero: the kernel picks", "0", 0, 0, 0 },
    { "one port", "8080", 0, 8080, 8080 },
    { "range", "8000-8010", 0, 8000, 8010 },
    { "range of one", "8000-8000", 0, 8000, 8000 },
    { "reversed range", "8010-8000", -1, 0, 0 },
    { "too big", "70000", -1, 0, 0 },
    { "range end too big", "8000-70000", -1, 0, 0 },
    { "open range", "8000-", -1, 0, 0 },
    { "letters", "http", -1, 0, 0 },
    { "negative", "-1", -1, 0, 0 },
    { "space", "80 ", -1, 0, 0 },
};


int
main(void)
{
    int          rc;
    size_t       i;
    unsigned     port, first, last;
    const char  *proto;

    TEST_PLAN((int) (TEST_NELTS(keys) + TEST_NELTS(ranges)));

    for (i = 0; i < TEST_NELTS(keys); i++) {
        port = 0;
        proto = NULL;
        rc = sls_port_parse(keys[i].input, &port, &proto);

        TEST_OK(rc == keys[i].rc
                && (rc != 0 || (port == keys[i].port
                                && strcmp(proto, keys[i].proto) == 0)),
                "key: %s", keys[i].name);
    }

    for (i = 0; i < TEST_NELTS(ranges); i++) {
        first = 1;
        last = 1;
        rc = sls_port_range(ranges[i].input, &first, &last);

        TEST_OK(rc == ranges[i].rc
                && (rc != 0 || (first == ranges[i].first
                                && last == ranges[i].last)),
                "host port: %s", ranges[i].name);
    }

    return TEST_DONE();
}
