/*
 * Copyright (C) sockerless contributors
 *
 * HostConfig's process options by name: Linux capabilities (CapAdd,
 * CapDrop, dockerd's default set), the rlimit names of Ulimits (as
 * go-units spells them) and which kernel namespace a sysctl belongs to.
 * Shared by the module (checks at create) and the agent (applies them).
 * nginx-free; nothing here allocates.
 */


#ifndef _SLS_RUNTIME_H_INCLUDED_
#define _SLS_RUNTIME_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_CAP_ALL        64     /* "ALL" in CapAdd or CapDrop */
#define SLS_CAP_LAST       40     /* CAP_CHECKPOINT_RESTORE */

/*
 * moby's oci/caps/defaults.go: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD
 * NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL
 * AUDIT_WRITE
 */
#define SLS_CAP_DEFAULTS   0xa80425fbULL


/*
 * A capability's number from "chown", "CAP_CHOWN", "Cap_Chown" (len
 * bytes); SLS_CAP_ALL for "ALL" (with or without CAP_), -1 when unknown
 */
int sls_cap_number(const char *name, size_t len);

/* "CAP_CHOWN" for 0; NULL past SLS_CAP_LAST */
const char *sls_cap_name(int n);

/*
 * dockerd's TweakCapabilities(): the set a container gets from the
 * defaults, its adds and drops (numbers, SLS_CAP_ALL allowed), all of
 * them when privileged
 */
uint64_t sls_cap_tweak(const int *add, size_t nadd, const int *drop,
    size_t ndrop, int privileged);

/* "nofile" to RLIMIT_NOFILE, as go-units names them; -1 when unknown */
int sls_rlimit_number(const char *name);


#define SLS_SYSCTL_NONE    0      /* not in a namespace of its own */
#define SLS_SYSCTL_IPC     1
#define SLS_SYSCTL_NET     2
#define SLS_SYSCTL_UTS     3

/* the namespace a sysctl ("net.ipv4.ip_forward") belongs to, as runc's */
int sls_sysctl_kind(const char *name);


#endif /* _SLS_RUNTIME_H_INCLUDED_ */
