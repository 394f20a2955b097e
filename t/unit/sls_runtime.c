/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_runtime: capability names and dockerd's
 * TweakCapabilities(), go-units' rlimit names, sysctl namespaces. TAP.
 */


#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sls_runtime.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *input;
    int          number;
} sls_cap_vector_t;


typedef struct {
    const char  *name;
    int          add[3];
    size_t       nadd;
    int          drop[3];
    size_t       ndrop;
    int          privileged;
    uint64_t     caps;
} sls_tweak_vector_t;


typedef struct {
    const char  *name;
    const char  *input;
    int          kind;
} sls_sysctl_vector_t;


static const sls_cap_vector_t  caps[] = {
    { "bare name", "chown", 0 },
    { "prefixed", "CAP_NET_ADMIN", 12 },
    { "mixed case", "Cap_Sys_Admin", 21 },
    { "the last", "checkpoint_restore", SLS_CAP_LAST },
    { "ALL", "ALL", SLS_CAP_ALL },
    { "CAP_ALL", "cap_all", SLS_CAP_ALL },
    { "unknown", "CAP_FOO", -1 },
    { "prefix only", "CAP_", -1 },
    { "empty", "", -1 },
    { "a name's head", "CAP_SYS", -1 },
};


#define D  SLS_CAP_DEFAULTS
#define A  ((2ULL << SLS_CAP_LAST) - 1)

static const sls_tweak_vector_t  tweaks[] = {
    { "defaults", {0}, 0, {0}, 0, 0, D },
    { "privileged", {0}, 0, {0}, 0, 1, A },
    { "add NET_ADMIN", {12}, 1, {0}, 0, 0, D | (1ULL << 12) },
    { "drop CHOWN", {0}, 0, {0}, 1, 0, D & ~1ULL },
    { "drop ALL", {0}, 0, {SLS_CAP_ALL}, 1, 0, 0 },
    { "drop ALL add CHOWN", {0}, 1, {SLS_CAP_ALL}, 1, 0, 1 },
    { "add ALL drop KILL", {SLS_CAP_ALL}, 1, {5}, 1, 0, A & ~(1ULL << 5) },
    { "add ALL drop ALL", {SLS_CAP_ALL}, 1, {SLS_CAP_ALL}, 1, 0, A },
    { "privileged wins", {0}, 0, {SLS_CAP_ALL}, 1, 1, A },
};


static const sls_sysctl_vector_t  sysctls[] = {
    { "net", "net.ipv4.ip_forward", SLS_SYSCTL_NET },
    { "shm", "kernel.shmmax", SLS_SYSCTL_IPC },
    { "sem", "kernel.sem", SLS_SYSCTL_IPC },
    { "mqueue", "fs.mqueue.msg_max", SLS_SYSCTL_IPC },
    { "domainname", "kernel.domainname", SLS_SYSCTL_UTS },
    { "hostname is not", "kernel.hostname", SLS_SYSCTL_NONE },
    { "global", "kernel.pid_max", SLS_SYSCTL_NONE },
    { "net alone", "net.", SLS_SYSCTL_NONE },
    { "a prefix only", "kernel.shm", SLS_SYSCTL_NONE },
    { "vm", "vm.swappiness", SLS_SYSCTL_NONE },
};


int
main(void)
{
    size_t  i;

    TEST_PLAN((int) (TEST_NELTS(caps) + TEST_NELTS(tweaks)
                     + TEST_NELTS(sysctls) + 5));

    for (i = 0; i < TEST_NELTS(caps); i++) {
        TEST_OK(sls_cap_number(caps[i].input, strlen(caps[i].input))
                == caps[i].number, "capability: %s", caps[i].name);
    }

    for (i = 0; i < TEST_NELTS(tweaks); i++) {
        TEST_OK(sls_cap_tweak(tweaks[i].add, tweaks[i].nadd, tweaks[i].drop,
                              tweaks[i].ndrop, tweaks[i].privileged)
                == tweaks[i].caps, "tweak: %s", tweaks[i].name);
    }

    for (i = 0; i < TEST_NELTS(sysctls); i++) {
        TEST_OK(sls_sysctl_kind(sysctls[i].input) == sysctls[i].kind,
                "sysctl: %s", sysctls[i].name);
    }

    TEST_OK(strcmp(sls_cap_name(13), "CAP_NET_RAW") == 0
            && sls_cap_name(SLS_CAP_LAST + 1) == NULL, "capability names");
    TEST_OK(sls_cap_number("net_raw", 3) == -1, "a length is honoured");
    TEST_OK(sls_rlimit_number("nofile") == RLIMIT_NOFILE
            && sls_rlimit_number("stack") == RLIMIT_STACK,
            "rlimit: nofile and stack");
    TEST_OK(sls_rlimit_number("NOFILE") == -1
            && sls_rlimit_number("foo") == -1, "rlimit: unknown names");
    TEST_OK(sls_rlimit_number("rttime") == RLIMIT_RTTIME, "rlimit: rttime");

    return TEST_DONE();
}
