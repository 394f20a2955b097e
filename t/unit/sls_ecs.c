
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_ecs: HostConfig's NanoCpus and Memory as the smallest
 * valid Fargate size, against AWS's table. TAP output.
 */


#include <stdio.h>
#include <sls_ecs.h>
#include "test.h"


#define MIB  (1024ULL * 1024)
#define CPU  1000000000ULL


typedef struct {
    const char          *name;
    unsigned long long   nano;
    unsigned long long   mem;
    int                  ok;
    unsigned long        cpu;
    unsigned long        mib;
} sls_size_vector_t;


static const sls_size_vector_t  vectors[] = {
    { "nothing asked: the smallest task", 0, 0, 1, 256, 512 },
    { "a quarter CPU", CPU / 4, 0, 1, 256, 512 },
    { "a bit over a quarter CPU", CPU / 4 + 1, 0, 1, 512, 1024 },
    { "one CPU", CPU, 0, 1, 1024, 2048 },
    { "1.5 CPU rounds up to 2", CPU * 3 / 2, 0, 1, 2048, 4096 },
    { "600 MiB at 256 units", 0, 600 * MIB, 1, 256, 1024 },
    { "1536 MiB is not offered at 256 units", 0, 1536 * MIB, 1, 256, 2048 },
    { "3 GiB moves to 512 units", 0, 3072 * MIB, 1, 512, 3072 },
    { "1 byte over 2 GiB", 0, 2048 * MIB + 1, 1, 512, 3072 },
    { "2 CPU and 5 GiB", 2 * CPU, 5120 * MIB, 1, 2048, 5120 },
    { "4 CPU and 30 GiB", 4 * CPU, 30720 * MIB, 1, 4096, 30720 },
    { "31 GiB needs 8 vCPU, by 4 GiB steps", 0, 31744 * MIB, 1, 8192,
      32768 },
    { "16 vCPU and 120 GiB: the largest", 16 * CPU, 122880 * MIB, 1, 16384,
      122880 },
    { "17 vCPU: none", 17 * CPU, 0, 0, 0, 0 },
    { "121 GiB: none", 0, 123904 * MIB, 0, 0, 0 },
};


int
main(void)
{
    int            rc;
    size_t         i;
    unsigned long  cpu, mib;

    TEST_PLAN((int) (sizeof(vectors) / sizeof(vectors[0])));

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        cpu = 0;
        mib = 0;

        rc = sls_ecs_fargate_size(vectors[i].nano, vectors[i].mem, &cpu,
                                  &mib);

        if (!TEST_OK(vectors[i].ok
                     ? rc == 0 && cpu == vectors[i].cpu
                       && mib == vectors[i].mib
                     : rc == -1,
                     "%s", vectors[i].name))
        {
            TEST_DIAG("got rc %d, cpu %lu, memory %lu", rc, cpu, mib);
        }
    }

    return TEST_DONE();
}
