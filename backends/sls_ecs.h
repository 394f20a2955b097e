
/*
 * Copyright (C) sockerless contributors
 *
 * ECS helpers that need no nginx.
 */


#ifndef _SLS_ECS_H_INCLUDED_
#define _SLS_ECS_H_INCLUDED_


#include <stdint.h>


/*
 * The smallest Fargate task size (CPU units, memory MiB) that holds
 * HostConfig's NanoCpus and Memory (bytes); 0 means "not asked". Returns
 * -1 when nothing Fargate offers is large enough.
 */
int sls_ecs_fargate_size(uint64_t nano_cpus, uint64_t memory_bytes,
    unsigned long *cpu, unsigned long *memory_mib);


#endif /* _SLS_ECS_H_INCLUDED_ */
