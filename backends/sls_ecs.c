
/*
 * Copyright (C) sockerless contributors
 *
 * Fargate task sizes: AWS's table of valid CPU and memory pairs.
 */


#include <stddef.h>
#include <sls_ecs.h>


typedef struct {
    unsigned long  cpu;       /* units: 1024 per vCPU */
    unsigned long  min;       /* MiB */
    unsigned long  max;
    unsigned long  step;
} sls_ecs_size_t;


static const sls_ecs_size_t  sls_ecs_sizes[] = {
    {   256,   512,   2048,  512 },   /* 512, 1024, 2048: see below */
    {   512,  1024,   4096, 1024 },
    {  1024,  2048,   8192, 1024 },
    {  2048,  4096,  16384, 1024 },
    {  4096,  8192,  30720, 1024 },
    {  8192, 16384,  61440, 4096 },
    { 16384, 32768, 122880, 8192 },
};


int
sls_ecs_fargate_size(uint64_t nano_cpus, uint64_t memory_bytes,
    unsigned long *cpu, unsigned long *memory_mib)
{
    size_t         i;
    uint64_t       want_cpu, want_mem;
    unsigned long  m;

    /* 1e9 NanoCpus is one CPU, 1024 units; rounded up */
    want_cpu = (nano_cpus * 1024 + 999999999) / 1000000000;
    want_mem = (memory_bytes + 1024 * 1024 - 1) / (1024 * 1024);

    for (i = 0; i < sizeof(sls_ecs_sizes) / sizeof(sls_ecs_sizes[0]); i++) {

        if (sls_ecs_sizes[i].cpu < want_cpu) {
            continue;
        }

        for (m = sls_ecs_sizes[i].min; m <= sls_ecs_sizes[i].max;
             m += sls_ecs_sizes[i].step)
        {
            /* 256 CPU units: 512, 1024 and 2048 only (no 1536) */
            if (sls_ecs_sizes[i].cpu == 256 && m == 1536) {
                continue;
            }

            if (m >= want_mem) {
                *cpu = sls_ecs_sizes[i].cpu;
                *memory_mib = m;
                return 0;
            }
        }
    }

    return -1;
}
