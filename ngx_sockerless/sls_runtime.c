/*
 * Copyright (C) sockerless contributors
 *
 * HostConfig's process options by name: capabilities, rlimits, sysctls.
 */


#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sls_runtime.h>


/* in the kernel's order, <linux/capability.h> */

static const char  *sls_caps[SLS_CAP_LAST + 1] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
    "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"
};


int
sls_cap_number(const char *name, size_t len)
{
    int  n;

    if (len >= 4 && strncasecmp(name, "CAP_", 4) == 0) {
        name += 4;
        len -= 4;
    }

    if (len == 3 && strncasecmp(name, "ALL", 3) == 0) {
        return SLS_CAP_ALL;
    }

    for (n = 0; n <= SLS_CAP_LAST; n++) {
        if (strlen(sls_caps[n] + 4) == len
            && strncasecmp(sls_caps[n] + 4, name, len) == 0)
        {
            return n;
        }
    }

    return -1;
}


const char *
sls_cap_name(int n)
{
    if (n < 0 || n > SLS_CAP_LAST) {
        return NULL;
    }

    return sls_caps[n];
}


uint64_t
sls_cap_tweak(const int *add, size_t nadd, const int *drop, size_t ndrop,
    int privileged)
{
    size_t    i;
    uint64_t  all, adds, drops;

    all = (2ULL << SLS_CAP_LAST) - 1;

    if (privileged) {
        return all;
    }

    adds = 0;
    drops = 0;

    for (i = 0; i < nadd; i++) {
        adds |= (add[i] == SLS_CAP_ALL) ? ~0ULL : 1ULL << add[i];
    }

    for (i = 0; i < ndrop; i++) {
        drops |= (drop[i] == SLS_CAP_ALL) ? ~0ULL : 1ULL << drop[i];
    }

    /* the order of dockerd's switch: ALL added wins over ALL dropped */

    if (adds == ~0ULL) {
        return all & ~(drops == ~0ULL ? 0 : drops);
    }

    if (drops == ~0ULL) {
        return adds & all;
    }

    return ((SLS_CAP_DEFAULTS & ~drops) | adds) & all;
}


int
sls_rlimit_number(const char *name)
{
    size_t  i;

    static const struct {
        const char  *name;
        int          resource;
    } rlimits[] = {
        { "core", RLIMIT_CORE },
        { "cpu", RLIMIT_CPU },
        { "data", RLIMIT_DATA },
        { "fsize", RLIMIT_FSIZE },
        { "locks", RLIMIT_LOCKS },
        { "memlock", RLIMIT_MEMLOCK },
        { "msgqueue", RLIMIT_MSGQUEUE },
        { "nice", RLIMIT_NICE },
        { "nofile", RLIMIT_NOFILE },
        { "nproc", RLIMIT_NPROC },
        { "rss", RLIMIT_RSS },
        { "rtprio", RLIMIT_RTPRIO },
        { "rttime", RLIMIT_RTTIME },
        { "sigpending", RLIMIT_SIGPENDING },
        { "stack", RLIMIT_STACK },
    };

    for (i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
        if (strcmp(rlimits[i].name, name) == 0) {
            return rlimits[i].resource;
        }
    }

    return -1;
}


int
sls_sysctl_kind(const char *name)
{
    size_t  i;

    static const char  *ipc[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
        "kernel.shm_rmid_forced"
    };

    for (i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++) {
        if (strcmp(ipc[i], name) == 0) {
            return SLS_SYSCTL_IPC;
        }
    }

    if (strncmp(name, "fs.mqueue.", 10) == 0 && name[10] != '\0') {
        return SLS_SYSCTL_IPC;
    }

    if (strncmp(name, "net.", 4) == 0 && name[4] != '\0') {
        return SLS_SYSCTL_NET;
    }

    if (strcmp(name, "kernel.domainname") == 0) {
        return SLS_SYSCTL_UTS;
    }

    return SLS_SYSCTL_NONE;
}
