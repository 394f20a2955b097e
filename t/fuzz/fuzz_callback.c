/*
 * Copyright (C) sockerless contributors
 *
 * libFuzzer target of sls_callback: the answer head parser on the input
 * at every length, and the URL parser on the input as a string.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sls_callback.h>
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, status;
    char                *p, err[512];
    size_t               head_len, i;
    sls_callback_url_t   u;

    /* an exact copy: ASan sees any read past the input */
    p = malloc(size + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);

    for (i = 0; i <= size; i++) {
        rc = sls_callback_parse_head(p, i, &status, &head_len);

        if (rc == SLS_CB_OK) {
            sls_fuzz_check(status >= 100 && status <= 599);
            sls_fuzz_check(head_len <= i && head_len <= SLS_CB_MAX_HEAD);
            sls_fuzz_check(memcmp(p + head_len - 4, "\r\n\r\n", 4) == 0);
        }
    }

    p[size] = '\0';

    if (sls_callback_parse_url(p, &u, err, sizeof(err)) == SLS_CB_OK) {
        sls_fuzz_check(u.host[0] != '\0' && u.port >= 1 && u.port <= 65535);
        sls_fuzz_check(strlen(u.prefix) <= SLS_CB_PREFIX_MAX);
        sls_fuzz_check(sls_callback_header_safe(u.authority));
    }

    free(p);

    return 0;
}
