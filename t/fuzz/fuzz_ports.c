/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_ports: a port key and a host port range from
 * the input; what parses is in range, and written back it parses to the
 * same values.
 */


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_ports.h>
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         *s, buf[64];
    unsigned      port, port2, first, last, first2, last2;
    const char   *proto, *proto2;

    s = malloc(size + 1);
    sls_fuzz_check(s != NULL);

    memcpy(s, data, size);
    s[size] = '\0';

    if (sls_port_parse(s, &port, &proto) == 0) {
        sls_fuzz_check(port >= 1 && port <= 65535);
        sls_fuzz_check(strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0
                       || strcmp(proto, "sctp") == 0);

        snprintf(buf, sizeof(buf), "%u/%s", port, proto);
        sls_fuzz_check(sls_port_parse(buf, &port2, &proto2) == 0);
        sls_fuzz_check(port2 == port && strcmp(proto2, proto) == 0);
    }

    if (sls_port_range(s, &first, &last) == 0) {
        sls_fuzz_check(first <= last && last <= 65535);

        snprintf(buf, sizeof(buf), "%u-%u", first, last);
        sls_fuzz_check(sls_port_range(buf, &first2, &last2) == 0);
        sls_fuzz_check(first2 == first && last2 == last);
    }

    free(s);

    return 0;
}
