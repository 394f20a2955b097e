
/*
 * Copyright (C) sockerless contributors
 *
 * The memory backend's cgroups: each container's processes (the agent's
 * children, execs and probes, not the agent) join <parent>/<id> in every
 * hierarchy a limit needs, v1 or v2, found at run time. The files are
 * small and in memory: read and written inline, as dockerd's runc does.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_memory_cgroup.h>
#include <sys/sysinfo.h>


#define NGX_HTTP_SOCKERLESS_CG_TEXT  65536


typedef struct {
    const char                    *v1;
    const char                    *v2;
} ngx_http_sockerless_cg_name_t;


static ngx_http_sockerless_cg_name_t  ngx_http_sockerless_cg_names[] = {
    { "memory", "memory" },
    { "cpu", "cpu" },
    { "cpuacct", "cpu" },
    { "cpuset", "cpuset" },
    { "pids", "pids" },
    { "blkio", "io" },
};


static ssize_t ngx_http_sockerless_cg_read(const char *path, char *buf,
    size_t size);
static ngx_int_t ngx_http_sockerless_cg_write(const char *dir,
    const char *id, const char *file, const char *value, char *err,
    size_t size);
static ngx_uint_t ngx_http_sockerless_cg_has(const char *dir,
    const char *file);
static ngx_uint_t ngx_http_sockerless_cg_word(const char *list,
    const char *word);
static ngx_int_t ngx_http_sockerless_cg_mkdir(char *path);
static void ngx_http_sockerless_cg_copy(const char *from, const char *to,
    const char *file);
static void ngx_http_sockerless_cg_warn(cJSON *warnings, const char *text);
static ngx_int_t ngx_http_sockerless_cg_value(ngx_http_sockerless_cgroup_t *cg,
    ngx_uint_t c, const char *id, const char *file, uint64_t *v);


static ssize_t
ngx_http_sockerless_cg_read(const char *path, char *buf, size_t size)
{
    ssize_t   n, total;
    ngx_fd_t  fd;

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return -1;
    }

    total = 0;

    while ((size_t) total < size - 1) {
        n = read(fd, buf + total, size - 1 - total);

        if (n <= 0) {
            break;
        }

        total += n;
    }

    (void) ngx_close_file(fd);

    buf[total] = '\0';

    return total;
}


static ngx_int_t
ngx_http_sockerless_cg_write(const char *dir, const char *id,
    const char *file, const char *value, char *err, size_t size)
{
    size_t    len;
    ngx_fd_t  fd;
    u_char    path[NGX_MAX_PATH];

    if (ngx_snprintf(path, sizeof(path) - 1, "%s/%s/%s%Z", dir, id, file)
        == path + sizeof(path) - 1)
    {
        ngx_snprintf((u_char *) err, size, "cgroup path too long%Z");
        return NGX_ERROR;
    }

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_OPEN, 0);

    len = ngx_strlen(value);

    if (fd == NGX_INVALID_FILE || write(fd, value, len) != (ssize_t) len) {
        ngx_snprintf((u_char *) err, size, "writing %s to %s: %s%Z", value,
                     path, strerror(ngx_errno));

        if (fd != NGX_INVALID_FILE) {
            (void) ngx_close_file(fd);
        }

        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    return NGX_OK;
}


static ngx_uint_t
ngx_http_sockerless_cg_has(const char *dir, const char *file)
{
    u_char  path[NGX_MAX_PATH];

    if (dir == NULL) {
        return 0;
    }

    ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", dir, file);

    return access((char *) path, W_OK) == 0;
}


/* a word of cgroup.controllers ("cpuset cpu io memory pids") */

static ngx_uint_t
ngx_http_sockerless_cg_word(const char *list, const char *word)
{
    size_t       len;
    const char  *p;

    len = ngx_strlen(word);

    for (p = list; (p = ngx_strstr(p, word)) != NULL; p += len) {
        if ((p == list || p[-1] == ' ')
            && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
        {
            return 1;
        }
    }

    return 0;
}


/* mkdir -p; the parent may be "a/b" */

static ngx_int_t
ngx_http_sockerless_cg_mkdir(char *path)
{
    char  *p;

    for (p = path + 1; *p; p++) {
        if (*p != '/') {
            continue;
        }

        *p = '\0';

        if (mkdir(path, 0755) == -1 && ngx_errno != NGX_EEXIST) {
            *p = '/';
            return NGX_ERROR;
        }

        *p = '/';
    }

    if (mkdir(path, 0755) == -1 && ngx_errno != NGX_EEXIST) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* v1 cpuset: a new cgroup has no CPUs or memory nodes until given some */

static void
ngx_http_sockerless_cg_copy(const char *from, const char *to,
    const char *file)
{
    char      buf[1024];
    u_char    path[NGX_MAX_PATH];
    ssize_t   n;
    ngx_fd_t  fd;

    ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", to, file);

    n = ngx_http_sockerless_cg_read((char *) path, buf, sizeof(buf));
    if (n > 1) {
        return;
    }

    ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", from, file);

    n = ngx_http_sockerless_cg_read((char *) path, buf, sizeof(buf));
    if (n <= 0) {
        return;
    }

    ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", to, file);

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return;
    }

    if (write(fd, buf, n) != n) {
        /* left empty: joining the cgroup fails, and the start with it */
    }

    (void) ngx_close_file(fd);
}


ngx_int_t
ngx_http_sockerless_cgroup_init(ngx_cycle_t *cycle,
    ngx_http_sockerless_cgroup_t *cg, ngx_str_t *parent)
{
    char        *self, *mi, *mnt, *root, *own, *dir, *rel, *p;
    size_t       len;
    ssize_t      n, ns, nm;
    ngx_uint_t   c, d;
    const char  *v2name;

    ngx_memzero(cg, sizeof(ngx_http_sockerless_cgroup_t));

    /* "off": no cgroups, every limit a warning (as rootless dockerd) */

    if (geteuid() != 0
        || (parent->len == 3 && ngx_strncmp(parent->data, "off", 3) == 0))
    {
        goto cpus;
    }

    self = ngx_alloc(NGX_HTTP_SOCKERLESS_CG_TEXT * 2 + 4 * NGX_MAX_PATH,
                     cycle->log);
    if (self == NULL) {
        return NGX_ERROR;
    }

    mi = self + NGX_HTTP_SOCKERLESS_CG_TEXT;
    mnt = mi + NGX_HTTP_SOCKERLESS_CG_TEXT;
    root = mnt + NGX_MAX_PATH;
    own = root + NGX_MAX_PATH;
    rel = own + NGX_MAX_PATH;

    ns = ngx_http_sockerless_cg_read("/proc/self/cgroup", self,
                                     NGX_HTTP_SOCKERLESS_CG_TEXT);
    nm = ngx_http_sockerless_cg_read("/proc/self/mountinfo", mi,
                                     NGX_HTTP_SOCKERLESS_CG_TEXT);

    for (c = 0; ns > 0 && nm > 0 && c < NGX_HTTP_SOCKERLESS_CG_N; c++) {

        /* the v1 hierarchy of the controller, else the unified one */

        if (sls_cgroup_mount(mi, nm, ngx_http_sockerless_cg_names[c].v1, mnt,
                             NGX_MAX_PATH, root, NGX_MAX_PATH) == 0
            && sls_cgroup_self(self, ns, ngx_http_sockerless_cg_names[c].v1,
                               rel, NGX_MAX_PATH) == 0)
        {
            cg->v2[c] = 0;

        } else if (sls_cgroup_mount(mi, nm, "", mnt, NGX_MAX_PATH, root,
                                    NGX_MAX_PATH) == 0
                   && sls_cgroup_self(self, ns, "", rel, NGX_MAX_PATH) == 0)
        {
            cg->v2[c] = 1;

        } else {
            continue;
        }

        /* this process's cgroup as a path under the mount point */

        len = ngx_strlen(root);
        p = rel;

        if (len > 1 && ngx_strncmp(rel, root, len) == 0) {
            p = rel + len;
        }

        if (parent->len && parent->data[0] == '/') {
            ngx_snprintf((u_char *) own, NGX_MAX_PATH - 1, "%s%Z", mnt);

        } else {
            ngx_snprintf((u_char *) own, NGX_MAX_PATH - 1, "%s%s%Z", mnt,
                         ngx_strcmp(p, "/") == 0 ? "" : p);
        }

        if (cg->v2[c]) {
            v2name = ngx_http_sockerless_cg_names[c].v2;

            ngx_snprintf((u_char *) mnt, NGX_MAX_PATH - 1,
                         "%s/cgroup.controllers%Z", own);

            n = ngx_http_sockerless_cg_read(mnt, root, NGX_MAX_PATH);

            if (n <= 0 || !ngx_http_sockerless_cg_word(root, v2name)) {
                continue;
            }
        }

        len = ngx_strlen(own) + parent->len + 2;

        dir = ngx_pnalloc(cycle->pool, len);
        if (dir == NULL) {
            ngx_free(self);
            return NGX_ERROR;
        }

        if (parent->data[0] == '/') {
            ngx_snprintf((u_char *) dir, len, "%s/%*s%Z", own,
                         parent->len - 1, parent->data + 1);

        } else {
            ngx_snprintf((u_char *) dir, len, "%s/%V%Z", own, parent);
        }

        if (ngx_http_sockerless_cg_mkdir(dir) != NGX_OK) {
            ngx_log_error(NGX_LOG_WARN, cycle->log, ngx_errno,
                          "sockerless memory: cannot make the cgroup "
                          "\"%s\": its limits are discarded", dir);
            continue;
        }

        if (cg->v2[c]) {
            /* the controller delegated to the parent and its children */

            ngx_snprintf((u_char *) mnt, NGX_MAX_PATH - 1, "+%s%Z",
                         ngx_http_sockerless_cg_names[c].v2);

            if (ngx_http_sockerless_cg_write(own, ".", "cgroup.subtree_control",
                                             mnt, root, NGX_MAX_PATH)
                != NGX_OK
                || ngx_http_sockerless_cg_write(dir, ".",
                                                "cgroup.subtree_control",
                                                mnt, root, NGX_MAX_PATH)
                   != NGX_OK)
            {
                ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                              "sockerless memory: the %s controller cannot "
                              "be delegated (%s)",
                              ngx_http_sockerless_cg_names[c].v2, root);
                continue;
            }

        } else if (c == NGX_HTTP_SOCKERLESS_CG_SET) {
            ngx_http_sockerless_cg_copy(own, dir, "cpuset.cpus");
            ngx_http_sockerless_cg_copy(own, dir, "cpuset.mems");
        }

        cg->dir[c] = dir;
    }

    ngx_free(self);

    /* what dockerd's sysinfo would find there */

    d = NGX_HTTP_SOCKERLESS_CG_MEM;
    dir = cg->dir[d];

    if (ngx_http_sockerless_cg_has(dir, "memory.limit_in_bytes")
        || ngx_http_sockerless_cg_has(dir, "memory.max"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_MEMORY;
    }

    if (ngx_http_sockerless_cg_has(dir, "memory.memsw.limit_in_bytes")
        || ngx_http_sockerless_cg_has(dir, "memory.swap.max"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_SWAP;
    }

    if (ngx_http_sockerless_cg_has(dir, "memory.soft_limit_in_bytes")
        || ngx_http_sockerless_cg_has(dir, "memory.low"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_RESERVATION;
    }

    if (ngx_http_sockerless_cg_has(cg->dir[NGX_HTTP_SOCKERLESS_CG_PID],
                                   "pids.max"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_PIDS;
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_CPU];

    if (ngx_http_sockerless_cg_has(dir, "cpu.shares")
        || ngx_http_sockerless_cg_has(dir, "cpu.weight"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_SHARES;
    }

    if (ngx_http_sockerless_cg_has(dir, "cpu.cfs_quota_us")
        || ngx_http_sockerless_cg_has(dir, "cpu.max"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_CFS;
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_SET];

    if (ngx_http_sockerless_cg_has(dir, "cpuset.cpus")) {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_CPUSET;
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_IO];

    if (ngx_http_sockerless_cg_has(dir, "blkio.weight")
        || ngx_http_sockerless_cg_has(dir, "blkio.bfq.weight")
        || ngx_http_sockerless_cg_has(dir, "io.weight")
        || ngx_http_sockerless_cg_has(dir, "io.bfq.weight"))
    {
        cg->caps |= NGX_HTTP_SOCKERLESS_CG_BLKIO;
    }

cpus:

    /* the CPUs a container may ask for (dockerd's sysinfo.Cpus) */

    n = -1;

    if (cg->dir[NGX_HTTP_SOCKERLESS_CG_SET]) {
        u_char  path[NGX_MAX_PATH];

        ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z",
                     cg->dir[NGX_HTTP_SOCKERLESS_CG_SET],
                     cg->v2[NGX_HTTP_SOCKERLESS_CG_SET]
                     ? "cpuset.cpus.effective" : "cpuset.cpus");

        n = ngx_http_sockerless_cg_read((char *) path, cg->cpus,
                                        sizeof(cg->cpus));
    }

    if (n <= 1) {
        n = ngx_http_sockerless_cg_read("/sys/devices/system/cpu/online",
                                        cg->cpus, sizeof(cg->cpus));
    }

    while (n > 0 && (cg->cpus[n - 1] == '\n' || cg->cpus[n - 1] == ' ')) {
        cg->cpus[--n] = '\0';
    }

    if (n <= 0 || sls_cgroup_cpus(cg->cpus, cg->cpu_mask) != 0) {
        ngx_snprintf((u_char *) cg->cpus, sizeof(cg->cpus), "0-%ui%Z",
                     ngx_ncpu - 1);
        (void) sls_cgroup_cpus(cg->cpus, cg->cpu_mask);
    }

    return NGX_OK;
}


void
ngx_http_sockerless_cgroup_done(ngx_http_sockerless_cgroup_t *cg)
{
    ngx_uint_t  c;

    for (c = 0; c < NGX_HTTP_SOCKERLESS_CG_N; c++) {
        if (cg->dir[c]) {
            /* busy while containers run or other workers use it */
            (void) rmdir(cg->dir[c]);
        }
    }
}


static void
ngx_http_sockerless_cg_warn(cJSON *warnings, const char *text)
{
    cJSON_AddItemToArray(warnings, cJSON_CreateString(text));
}


ngx_int_t
ngx_http_sockerless_cgroup_verify(ngx_http_sockerless_cgroup_t *cg,
    cJSON *res, cJSON *warnings, char *err, size_t size)
{
    cJSON          *v;
    int64_t         nano;
    ngx_uint_t      caps;
    const char     *cpus, *mems;
    unsigned char   mask[SLS_CGROUP_MAX_CPUS / 8];

    caps = cg->caps;

    if (ngx_http_sockerless_json_int(res, "Memory") > 0
        && !(caps & NGX_HTTP_SOCKERLESS_CG_MEMORY))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "memory limit capabilities or the cgroup is not mounted. "
            "Limitation discarded.");
        ngx_http_sockerless_json_set(res, "Memory", cJSON_CreateNumber(0));
        ngx_http_sockerless_json_set(res, "MemorySwap", cJSON_CreateNumber(-1));
    }

    if (ngx_http_sockerless_json_int(res, "Memory") > 0
        && ngx_http_sockerless_json_int(res, "MemorySwap") != -1
        && !(caps & NGX_HTTP_SOCKERLESS_CG_SWAP))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "swap limit capabilities or the cgroup is not mounted. Memory "
            "limited without swap.");
        ngx_http_sockerless_json_set(res, "MemorySwap", cJSON_CreateNumber(-1));
    }

    if (ngx_http_sockerless_json_int(res, "MemoryReservation") > 0
        && !(caps & NGX_HTTP_SOCKERLESS_CG_RESERVATION))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "memory soft limit capabilities or the cgroup is not mounted. "
            "Limitation discarded.");
        ngx_http_sockerless_json_set(res, "MemoryReservation",
                                     cJSON_CreateNumber(0));
    }

    v = cJSON_GetObjectItemCaseSensitive(res, "PidsLimit");

    if (cJSON_IsNumber(v) && !(caps & NGX_HTTP_SOCKERLESS_CG_PIDS)) {
        if (v->valuedouble > 0) {
            ngx_http_sockerless_cg_warn(warnings, "Your kernel does not "
                "support PIDs limit capabilities or the cgroup is not "
                "mounted. PIDs limit discarded.");
        }

        ngx_http_sockerless_json_set(res, "PidsLimit", cJSON_CreateNull());
    }

    nano = ngx_http_sockerless_json_int(res, "NanoCpus");

    if (nano > 0 && !(caps & NGX_HTTP_SOCKERLESS_CG_CFS)) {
        ngx_cpystrn((u_char *) err, (u_char *) "NanoCPUs can not be set, as "
                    "your kernel does not support CPU CFS scheduler or the "
                    "cgroup is not mounted", size);
        return NGX_DECLINED;
    }

    if (nano != 0 && (nano < 0 || nano > (int64_t) ngx_ncpu * 1000000000)) {
        ngx_snprintf((u_char *) err, size, "Range of CPUs is from 0.01 to "
                     "%ui.00, as there are only %ui CPUs available%Z",
                     ngx_ncpu, ngx_ncpu);
        return NGX_DECLINED;
    }

    if (ngx_http_sockerless_json_int(res, "CpuShares") > 0
        && !(caps & NGX_HTTP_SOCKERLESS_CG_SHARES))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "CPU shares or the cgroup is not mounted. Shares discarded.");
        ngx_http_sockerless_json_set(res, "CpuShares", cJSON_CreateNumber(0));
    }

    if ((ngx_http_sockerless_json_int(res, "CpuPeriod") != 0
         || ngx_http_sockerless_json_int(res, "CpuQuota") != 0)
        && !(caps & NGX_HTTP_SOCKERLESS_CG_CFS))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "CPU CFS scheduler. CPU period/quota discarded.");
        ngx_http_sockerless_json_set(res, "CpuPeriod", cJSON_CreateNumber(0));
        ngx_http_sockerless_json_set(res, "CpuQuota", cJSON_CreateNumber(0));
    }

    cpus = ngx_http_sockerless_json_str(res, "CpusetCpus");
    mems = ngx_http_sockerless_json_str(res, "CpusetMems");

    if (((cpus && *cpus) || (mems && *mems))
        && !(caps & NGX_HTTP_SOCKERLESS_CG_CPUSET))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "cpuset or the cgroup is not mounted. Cpuset discarded.");
        ngx_http_sockerless_json_set(res, "CpusetCpus", cJSON_CreateString(""));
        ngx_http_sockerless_json_set(res, "CpusetMems", cJSON_CreateString(""));
        cpus = NULL;
    }

    if (cpus && *cpus
        && (sls_cgroup_cpus(cpus, mask) != 0
            || !sls_cgroup_cpus_subset(mask, cg->cpu_mask)))
    {
        ngx_snprintf((u_char *) err, size, "Requested CPUs are not available "
                     "- requested %s, available: %s%Z", cpus, cg->cpus);
        return NGX_DECLINED;
    }

    if (ngx_http_sockerless_json_int(res, "BlkioWeight") > 0
        && !(caps & NGX_HTTP_SOCKERLESS_CG_BLKIO))
    {
        ngx_http_sockerless_cg_warn(warnings, "Your kernel does not support "
            "Block I/O weight or the cgroup is not mounted. Weight "
            "discarded.");
        ngx_http_sockerless_json_set(res, "BlkioWeight", cJSON_CreateNumber(0));
    }

    return NGX_OK;
}


cJSON *
ngx_http_sockerless_cgroup_create(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *hc, char *err, size_t size)
{
    cJSON       *dirs, *e;
    ngx_uint_t   c, seen;
    u_char       path[NGX_MAX_PATH];

    dirs = cJSON_CreateArray();
    if (dirs == NULL) {
        return NULL;
    }

    for (c = 0; c < NGX_HTTP_SOCKERLESS_CG_N; c++) {
        if (cg->dir[c] == NULL) {
            continue;
        }

        ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", cg->dir[c], id);

        seen = 0;

        cJSON_ArrayForEach(e, dirs) {
            if (ngx_strcmp(e->valuestring, path) == 0) {
                seen = 1;
            }
        }

        if (seen) {
            continue;
        }

        /* another worker's exit may have taken an empty parent away */

        if (ngx_http_sockerless_cg_mkdir((char *) path) != NGX_OK) {
            ngx_snprintf((u_char *) err, size, "making the cgroup %s: %s%Z",
                         path, strerror(ngx_errno));
            cJSON_Delete(dirs);
            return NULL;
        }

        if (c == NGX_HTTP_SOCKERLESS_CG_SET && !cg->v2[c]) {
            ngx_http_sockerless_cg_copy(cg->dir[c], (char *) path,
                                        "cpuset.cpus");
            ngx_http_sockerless_cg_copy(cg->dir[c], (char *) path,
                                        "cpuset.mems");
        }

        cJSON_AddItemToArray(dirs, cJSON_CreateString((char *) path));
    }

    if (ngx_http_sockerless_cgroup_apply(cg, id, hc, err, size) != NGX_OK) {
        cJSON_Delete(dirs);
        ngx_http_sockerless_cgroup_remove(cg, id);
        return NULL;
    }

    return dirs;
}


ngx_int_t
ngx_http_sockerless_cgroup_apply(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *hc, char *err, size_t size)
{
    cJSON       *v;
    int64_t      mem, swap, resv, nano, period, quota, shares, pids, blkio;
    const char  *dir, *cpus;
    char         val[64];

#define sls_write(d, file, value)                                           \
    if (ngx_http_sockerless_cg_write(d, id, file, value, err, size)        \
        != NGX_OK)                                                          \
    {                                                                       \
        return NGX_ERROR;                                                   \
    }

    mem = ngx_http_sockerless_json_int(hc, "Memory");
    swap = ngx_http_sockerless_json_int(hc, "MemorySwap");
    resv = ngx_http_sockerless_json_int(hc, "MemoryReservation");
    nano = ngx_http_sockerless_json_int(hc, "NanoCpus");
    period = ngx_http_sockerless_json_int(hc, "CpuPeriod");
    quota = ngx_http_sockerless_json_int(hc, "CpuQuota");
    shares = ngx_http_sockerless_json_int(hc, "CpuShares");
    blkio = ngx_http_sockerless_json_int(hc, "BlkioWeight");
    v = cJSON_GetObjectItemCaseSensitive(hc, "PidsLimit");
    pids = cJSON_IsNumber(v) ? (int64_t) v->valuedouble : 0;

    if (nano > 0) {
        period = 100000;
        quota = nano * period / 1000000000;
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_MEM];

    if (dir && cg->v2[NGX_HTTP_SOCKERLESS_CG_MEM]) {
        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", mem);
        sls_write(dir, "memory.max", mem > 0 ? val : "max");

        /* v2 limits swap alone: MemorySwap is memory plus swap */

        if (cg->caps & NGX_HTTP_SOCKERLESS_CG_SWAP) {
            ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", swap - mem);
            sls_write(dir, "memory.swap.max",
                      (mem > 0 && swap >= mem) ? val : "max");
        }

        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", resv);
        sls_write(dir, "memory.low", resv > 0 ? val : "0");

    } else if (dir) {
        /* memsw may never be below the limit: lifted first, set last */

        if (cg->caps & NGX_HTTP_SOCKERLESS_CG_SWAP) {
            sls_write(dir, "memory.memsw.limit_in_bytes", "-1");
        }

        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", mem);
        sls_write(dir, "memory.limit_in_bytes", mem > 0 ? val : "-1");

        if ((cg->caps & NGX_HTTP_SOCKERLESS_CG_SWAP) && mem > 0 && swap > 0) {
            ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", swap);
            sls_write(dir, "memory.memsw.limit_in_bytes", val);
        }

        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", resv);
        sls_write(dir, "memory.soft_limit_in_bytes", resv > 0 ? val : "-1");
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_CPU];

    if (dir && cg->v2[NGX_HTTP_SOCKERLESS_CG_CPU]) {
        ngx_snprintf((u_char *) val, sizeof(val), "%uL%Z",
                     shares > 0 ? sls_cgroup_shares_to_weight(shares) : 100);
        sls_write(dir, "cpu.weight", val);

        if (quota > 0) {
            ngx_snprintf((u_char *) val, sizeof(val), "%L %L%Z", quota,
                         period ? period : 100000);

        } else {
            ngx_snprintf((u_char *) val, sizeof(val), "max %L%Z",
                         period ? period : 100000);
        }

        sls_write(dir, "cpu.max", val);

    } else if (dir) {
        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z",
                     shares > 0 ? shares : 1024);
        sls_write(dir, "cpu.shares", val);

        /* a quota fits its period: lifted first, as runc does */

        sls_write(dir, "cpu.cfs_quota_us", "-1");
        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z",
                     period ? period : 100000);
        sls_write(dir, "cpu.cfs_period_us", val);
        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", quota);
        sls_write(dir, "cpu.cfs_quota_us", quota > 0 ? val : "-1");
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_SET];
    cpus = ngx_http_sockerless_json_str(hc, "CpusetCpus");

    if (dir) {
        sls_write(dir, "cpuset.cpus", (cpus && *cpus) ? cpus : cg->cpus);
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_PID];

    if (dir) {
        ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", pids);
        sls_write(dir, "pids.max", pids > 0 ? val : "max");
    }

    dir = cg->dir[NGX_HTTP_SOCKERLESS_CG_IO];

    if (dir && blkio > 0) {
        if (cg->v2[NGX_HTTP_SOCKERLESS_CG_IO]) {
            ngx_snprintf((u_char *) val, sizeof(val), "%uL%Z",
                         sls_cgroup_blkio_to_io(blkio));

            if (ngx_http_sockerless_cg_write(dir, id, "io.weight", val, err,
                                             size)
                != NGX_OK)
            {
                ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", blkio);
                sls_write(dir, "io.bfq.weight", val);
            }

        } else {
            ngx_snprintf((u_char *) val, sizeof(val), "%L%Z", blkio);

            if (ngx_http_sockerless_cg_write(dir, id, "blkio.weight", val,
                                             err, size)
                != NGX_OK)
            {
                sls_write(dir, "blkio.bfq.weight", val);
            }
        }
    }

#undef sls_write

    return NGX_OK;
}


void
ngx_http_sockerless_cgroup_remove(ngx_http_sockerless_cgroup_t *cg,
    const char *id)
{
    ngx_uint_t  c;
    u_char      path[NGX_MAX_PATH];

    for (c = 0; c < NGX_HTTP_SOCKERLESS_CG_N; c++) {
        if (cg->dir[c] == NULL) {
            continue;
        }

        ngx_snprintf(path, sizeof(path) - 1, "%s/%s%Z", cg->dir[c], id);

        /* ENOENT: removed already (by the agent, or a shared hierarchy) */
        (void) rmdir((char *) path);
    }
}


static ngx_int_t
ngx_http_sockerless_cg_value(ngx_http_sockerless_cgroup_t *cg, ngx_uint_t c,
    const char *id, const char *file, uint64_t *v)
{
    char     buf[64];
    u_char   path[NGX_MAX_PATH];
    ssize_t  n;

    if (cg->dir[c] == NULL) {
        return NGX_DECLINED;
    }

    ngx_snprintf(path, sizeof(path) - 1, "%s/%s/%s%Z", cg->dir[c], id, file);

    n = ngx_http_sockerless_cg_read((char *) path, buf, sizeof(buf));

    if (n <= 0 || buf[0] < '0' || buf[0] > '9') {
        return NGX_DECLINED;
    }

    *v = strtoull(buf, NULL, 10);

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_cgroup_stats(ngx_http_sockerless_cgroup_t *cg,
    const char *id, cJSON *stats)
{
    char            *buf;
    cJSON           *mem, *st, *cpu, *usage, *pids;
    ssize_t          n;
    uint64_t         v, limit;
    ngx_uint_t       v2, i;
    struct sysinfo   si;
    u_char           path[NGX_MAX_PATH];

    static const char  *keys[] = {
        "cache", "rss", "total_inactive_file", "inactive_file",
        "active_file", "anon", "file", "pgfault", "pgmajfault", NULL
    };

    v2 = cg->v2[NGX_HTTP_SOCKERLESS_CG_MEM];

    if (ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_MEM, id,
                                     v2 ? "memory.current"
                                        : "memory.usage_in_bytes", &v)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    mem = cJSON_GetObjectItemCaseSensitive(stats, "memory_stats");
    if (mem == NULL) {
        mem = cJSON_AddObjectToObject(stats, "memory_stats");
    }

    ngx_http_sockerless_json_set(mem, "usage", cJSON_CreateNumber((double) v));

    if (!v2
        && ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_MEM, id,
                                        "memory.max_usage_in_bytes", &v)
           == NGX_OK)
    {
        ngx_http_sockerless_json_set(mem, "max_usage",
                                     cJSON_CreateNumber((double) v));
    }

    if (!v2
        && ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_MEM, id,
                                        "memory.failcnt", &v)
           == NGX_OK)
    {
        ngx_http_sockerless_json_set(mem, "failcnt",
                                     cJSON_CreateNumber((double) v));
    }

    /* no limit reads as the machine's memory, as dockerd reports it */

    limit = 0;

    if (sysinfo(&si) == 0) {
        limit = (uint64_t) si.totalram * si.mem_unit;
    }

    if (ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_MEM, id,
                                     v2 ? "memory.max"
                                        : "memory.limit_in_bytes", &v)
            == NGX_OK
        && (limit == 0 || v < limit))
    {
        limit = v;
    }

    ngx_http_sockerless_json_set(mem, "limit",
                                 cJSON_CreateNumber((double) limit));

    buf = ngx_alloc(NGX_HTTP_SOCKERLESS_CG_TEXT, ngx_cycle->log);

    if (buf) {
        ngx_snprintf(path, sizeof(path) - 1, "%s/%s/memory.stat%Z",
                     cg->dir[NGX_HTTP_SOCKERLESS_CG_MEM], id);

        n = ngx_http_sockerless_cg_read((char *) path, buf,
                                        NGX_HTTP_SOCKERLESS_CG_TEXT);

        st = cJSON_CreateObject();

        for (i = 0; n > 0 && keys[i]; i++) {
            if (sls_cgroup_key(buf, n, keys[i], &v) == 0) {
                cJSON_AddNumberToObject(st, keys[i], (double) v);
            }
        }

        ngx_http_sockerless_json_set(mem, "stats", st);

        /* cpu: v1 cpuacct.usage in ns, v2 cpu.stat's usage_usec */

        n = 0;

        if (cg->v2[NGX_HTTP_SOCKERLESS_CG_CPUACCT]
            && cg->dir[NGX_HTTP_SOCKERLESS_CG_CPUACCT])
        {
            ngx_snprintf(path, sizeof(path) - 1, "%s/%s/cpu.stat%Z",
                         cg->dir[NGX_HTTP_SOCKERLESS_CG_CPUACCT], id);

            n = ngx_http_sockerless_cg_read((char *) path, buf,
                                            NGX_HTTP_SOCKERLESS_CG_TEXT);
        }

        cpu = cJSON_GetObjectItemCaseSensitive(stats, "cpu_stats");
        usage = cJSON_GetObjectItemCaseSensitive(cpu, "cpu_usage");

        if (usage && n > 0 && sls_cgroup_key(buf, n, "usage_usec", &v) == 0)
        {
            ngx_http_sockerless_json_set(usage, "total_usage",
                                         cJSON_CreateNumber((double) v * 1000));

            if (sls_cgroup_key(buf, n, "user_usec", &v) == 0) {
                ngx_http_sockerless_json_set(usage, "usage_in_usermode",
                                   cJSON_CreateNumber((double) v * 1000));
            }

            if (sls_cgroup_key(buf, n, "system_usec", &v) == 0) {
                ngx_http_sockerless_json_set(usage, "usage_in_kernelmode",
                                   cJSON_CreateNumber((double) v * 1000));
            }

        } else if (usage
                   && !cg->v2[NGX_HTTP_SOCKERLESS_CG_CPUACCT]
                   && ngx_http_sockerless_cg_value(cg,
                                         NGX_HTTP_SOCKERLESS_CG_CPUACCT, id,
                                         "cpuacct.usage", &v)
                      == NGX_OK)
        {
            ngx_http_sockerless_json_set(usage, "total_usage",
                                       cJSON_CreateNumber((double) v));
        }

        ngx_free(buf);
    }

    if (ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_PID, id,
                                     "pids.current", &v)
        == NGX_OK)
    {
        pids = cJSON_GetObjectItemCaseSensitive(stats, "pids_stats");
        if (pids == NULL) {
            pids = cJSON_AddObjectToObject(stats, "pids_stats");
        }

        ngx_http_sockerless_json_set(pids, "current",
                                     cJSON_CreateNumber((double) v));

        if (ngx_http_sockerless_cg_value(cg, NGX_HTTP_SOCKERLESS_CG_PID, id,
                                         "pids.max", &v)
            == NGX_OK)
        {
            ngx_http_sockerless_json_set(pids, "limit",
                                         cJSON_CreateNumber((double) v));
        }
    }

    return NGX_OK;
}
