
/*
 * Copyright (C) sockerless contributors
 *
 * Reading the kernel's cgroup files, nginx-free: where a hierarchy is
 * mounted, which cgroup a process is in, "key value" lines, CPU lists,
 * and the v1 to v2 conversions runc makes. Every function reads the
 * caller's text and writes into the caller's buffers; nothing allocates.
 */


#ifndef _SLS_CGROUP_H_INCLUDED_
#define _SLS_CGROUP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_CGROUP_MAX_CPUS  1024


/*
 * The path of this process's cgroup in the hierarchy of a v1 controller
 * ("memory"; also found in a joint "cpu,cpuacct" line) or, with
 * controller "", the v2 one ("0::/path"), from /proc/self/cgroup's text.
 * 0 found, -1 not there or too long for size.
 */
int sls_cgroup_self(const char *text, size_t len, const char *controller,
    char *path, size_t size);

/*
 * The mount point and mounted root of the v1 hierarchy of a controller
 * (its name among the super options of a "cgroup" mount) or, with
 * controller "", of the cgroup2 file system, from /proc/self/mountinfo's
 * text; octal escapes (\040) are decoded. 0 found, -1 not.
 */
int sls_cgroup_mount(const char *text, size_t len, const char *controller,
    char *mnt, size_t mnt_size, char *root, size_t root_size);

/*
 * A CPU list ("0-3,5", as cpuset.cpus): 0 with the CPUs set in mask
 * (SLS_CGROUP_MAX_CPUS bits, cleared first), -1 when malformed (the
 * Go parser's rules: no blanks, ranges ascending, "" is the empty set).
 */
int sls_cgroup_cpus(const char *list, unsigned char *mask);

/* 1 when every CPU of want is in have */
int sls_cgroup_cpus_subset(const unsigned char *want,
    const unsigned char *have);

/*
 * The number after "key " at the start of a line (memory.stat,
 * memory.events, memory.oom_control, cpu.stat): 0 found, -1 not.
 */
int sls_cgroup_key(const char *text, size_t len, const char *key,
    uint64_t *value);

/* cpu.shares (2..262144) as cpu.weight (1..10000), as runc converts */
uint64_t sls_cgroup_shares_to_weight(uint64_t shares);

/* blkio.weight (10..1000) as io.weight (1..10000), as runc converts */
uint64_t sls_cgroup_blkio_to_io(uint64_t weight);


#endif /* _SLS_CGROUP_H_INCLUDED_ */
