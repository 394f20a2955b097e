
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_id: dockerd's container name rule and random names.
 */


#include <stdio.h>
#include <string.h>
#include <sls_id.h>


typedef struct {
    const char  *name;
    const char  *input;
    int          valid;
} sls_test_name_t;


static sls_test_name_t  sls_names[] = {
    { "two letters", "ab", 1 },
    { "leading slash", "/web", 1 },
    { "dots dashes underscores", "a.b-c_d", 1 },
    { "digits first", "0abc", 1 },
    { "one letter is too short", "a", 0 },
    { "slash and one letter", "/a", 0 },
    { "empty", "", 0 },
    { "leading dash", "-ab", 0 },
    { "leading dot", ".ab", 0 },
    { "space", "a b", 0 },
    { "inner slash", "a/b", 0 },
    { "non-ascii", "caf\xc3\xa9", 0 },
};


int
main(void)
{
    int     n, i, failed;
    char    buf[64];
    size_t  k;

    n = 0;
    failed = 0;

    printf("1..%d\n", (int) (sizeof(sls_names) / sizeof(sls_names[0])) + 3);

    for (k = 0; k < sizeof(sls_names) / sizeof(sls_names[0]); k++) {
        i = sls_name_valid(sls_names[k].input, strlen(sls_names[k].input))
            == sls_names[k].valid;
        failed += !i;
        printf("%s %d - name rule: %s\n", i ? "ok" : "not ok", ++n,
               sls_names[k].name);
    }

    sls_name_random(buf, sizeof(buf), 7, 11);
    i = sls_name_valid(buf, strlen(buf)) && strchr(buf, '_') != NULL;
    failed += !i;
    printf("%s %d - a random name is a valid adjective_surname\n",
           i ? "ok" : "not ok", ++n);

    i = 1;

    for (k = 0; k < 200000; k++) {
        sls_name_random(buf, sizeof(buf), (unsigned) k, (unsigned) (k * 7));
        if (strcmp(buf, "boring_wozniak") == 0) {
            i = 0;
        }
    }

    failed += !i;
    printf("%s %d - never boring_wozniak\n", i ? "ok" : "not ok", ++n);

    sls_name_random(buf, 8, 1, 1);
    i = strlen(buf) < 8;
    failed += !i;
    printf("%s %d - a small buffer is never overrun\n", i ? "ok" : "not ok",
           ++n);

    return failed ? 1 : 0;
}
