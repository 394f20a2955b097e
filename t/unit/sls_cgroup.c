
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_cgroup: /proc/self/cgroup and mountinfo of a hybrid
 * (v1 + unified) and a pure v2 host, CPU lists as the Go parser takes
 * them, "key value" files and runc's v2 conversions. TAP output.
 */


#include <stdio.h>
#include <string.h>
#include <sls_cgroup.h>
#include "test.h"


static const char  hybrid_self[] =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "4:memory:/process_api/e74\n"
    "2:cpu,cpuacct:/user.slice\n"
    "0::/\n";

static const char  v2_self[] = "0::/system.slice/nginx.service\n";

static const char  hybrid_mounts[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 /sub /sys/fs/cgroup/memory rw,relatime - cgroup cgroup "
    "rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,pids\n"
    "42 31 0:39 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 "
    "rw\n";


typedef struct {
    const char  *name;
    const char  *list;
    int          rc;
    const char  *set;        /* the CPUs expected, "0,1,2" */
} sls_cpus_vector_t;


static const sls_cpus_vector_t  cpus[] = {
    { "empty", "", 0, "" },
    { "one", "1", 0, "1" },
    { "a range", "0-2", 0, "0,1,2" },
    { "a list", "0,3-4", 0, "0,3,4" },
    { "a descending range", "3-1", -1, "" },
    { "a blank", "0, 1", -1, "" },
    { "a word", "abc", -1, "" },
    { "an open range", "1-", -1, "" },
    { "a trailing comma", "1,", -1, "" },
    { "too big", "4096", -1, "" },
};


int
main(void)
{
    int            rc, ok, c;
    char           path[256], mnt[256], root[256], want[64], *p;
    size_t         k;
    uint64_t       v;
    unsigned char  mask[SLS_CGROUP_MAX_CPUS / 8];
    unsigned char  have[SLS_CGROUP_MAX_CPUS / 8];

    TEST_PLAN(28 + (int) (sizeof(cpus) / sizeof(cpus[0])));

    /* /proc/self/cgroup */

    rc = sls_cgroup_self(hybrid_self, sizeof(hybrid_self) - 1, "memory",
                         path, sizeof(path));
    TEST_OK(rc == 0 && strcmp(path, "/process_api/e74") == 0,
            "self: a v1 controller");

    rc = sls_cgroup_self(hybrid_self, sizeof(hybrid_self) - 1, "cpuacct",
                         path, sizeof(path));
    TEST_OK(rc == 0 && strcmp(path, "/user.slice") == 0,
            "self: a controller of a joint hierarchy");

    rc = sls_cgroup_self(hybrid_self, sizeof(hybrid_self) - 1, "", path,
                         sizeof(path));
    TEST_OK(rc == 0 && strcmp(path, "/") == 0, "self: the unified one");

    rc = sls_cgroup_self(hybrid_self, sizeof(hybrid_self) - 1, "blkio",
                         path, sizeof(path));
    TEST_OK(rc == -1, "self: a controller not listed");

    rc = sls_cgroup_self(hybrid_self, sizeof(hybrid_self) - 1, "cpus",
                         path, sizeof(path));
    TEST_OK(rc == -1, "self: a prefix of a controller is not it");

    rc = sls_cgroup_self(v2_self, sizeof(v2_self) - 1, "", path, 8);
    TEST_OK(rc == -1, "self: a path too long for the buffer");

    rc = sls_cgroup_self(v2_self, sizeof(v2_self) - 1, "", path,
                         sizeof(path));
    TEST_OK(rc == 0 && strcmp(path, "/system.slice/nginx.service") == 0,
            "self: pure v2");

    rc = sls_cgroup_self(v2_self, sizeof(v2_self) - 1, "memory", path,
                         sizeof(path));
    TEST_OK(rc == -1, "self: no v1 controller on pure v2");

    /* mountinfo */

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1, "cpu",
                          mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == 0 && strcmp(mnt, "/sys/fs/cgroup/cpu,cpuacct") == 0
            && strcmp(root, "/") == 0, "mount: a joint hierarchy");

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1,
                          "memory", mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == 0 && strcmp(mnt, "/sys/fs/cgroup/memory") == 0
            && strcmp(root, "/sub") == 0, "mount: a mounted subtree");

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1, "pids",
                          mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == 0 && strcmp(mnt, "/sys/fs/cgroup/my dir") == 0,
            "mount: an escaped blank");

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1, "",
                          mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == 0 && strcmp(mnt, "/sys/fs/cgroup/unified") == 0,
            "mount: cgroup2");

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1,
                          "blkio", mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == -1 && mnt[0] == '\0', "mount: not mounted");

    rc = sls_cgroup_mount(hybrid_mounts, sizeof(hybrid_mounts) - 1,
                          "mode=755",
                          mnt, sizeof(mnt), root, sizeof(root));
    TEST_OK(rc == -1, "mount: the tmpfs is no hierarchy");

    /* CPU lists */

    for (k = 0; k < sizeof(cpus) / sizeof(cpus[0]); k++) {
        rc = sls_cgroup_cpus(cpus[k].list, mask);

        p = want;
        want[0] = '\0';

        for (c = 0; rc == 0 && c < 64; c++) {
            if (mask[c / 8] & (1 << (c % 8))) {
                p += sprintf(p, "%s%d", p == want ? "" : ",", c);
            }
        }

        TEST_OK(rc == cpus[k].rc && strcmp(want, cpus[k].set) == 0,
                "cpus: %s", cpus[k].name);
    }

    (void) sls_cgroup_cpus("0-1", have);
    (void) sls_cgroup_cpus("1", mask);
    TEST_OK(sls_cgroup_cpus_subset(mask, have), "cpus: a subset");
    (void) sls_cgroup_cpus("1-2", mask);
    TEST_OK(!sls_cgroup_cpus_subset(mask, have), "cpus: not a subset");

    /* key value lines */

    ok = sls_cgroup_key("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
                        41, "oom_kill", &v) == 0 && v == 3;
    TEST_OK(ok, "key: the last line");

    ok = sls_cgroup_key("low 0\noom 1\noom_kill 2\n", 23, "oom", &v) == 0
         && v == 1;
    TEST_OK(ok, "key: not a prefix of a longer key");

    ok = sls_cgroup_key("cache 4096\nrss 8192", 19, "rss", &v) == 0
         && v == 8192;
    TEST_OK(ok, "key: a last line without a newline");

    TEST_OK(sls_cgroup_key("cache 4096\n", 11, "rss", &v) == -1,
            "key: absent");

    TEST_OK(sls_cgroup_key("rss x\n", 6, "rss", &v) == -1,
            "key: not a number");

    ok = sls_cgroup_key("usage_usec 123456789012\n", 24, "usage_usec",
                        &v) == 0 && v == 123456789012ULL;
    TEST_OK(ok, "key: 64 bits");

    /* conversions */

    TEST_OK(sls_cgroup_shares_to_weight(0) == 0, "weight: unset");
    TEST_OK(sls_cgroup_shares_to_weight(2) == 1, "weight: the least");
    TEST_OK(sls_cgroup_shares_to_weight(1024) == 39, "weight: the default");
    TEST_OK(sls_cgroup_shares_to_weight(262144) == 10000,
            "weight: the most");
    TEST_OK(sls_cgroup_blkio_to_io(10) == 1
            && sls_cgroup_blkio_to_io(1000) == 10000,
            "io weight: both ends");
    TEST_OK(sls_cgroup_blkio_to_io(500) == 4950, "io weight: 500");

    return TEST_DONE();
}
