
/*
 * Copyright (C) sockerless contributors
 *
 * Registry pulls without nginx: references as docker's reference package
 * normalizes them, challenges, credentials, manifest and index checks.
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_registry.h>


static int sls_registry_name_ok(const char *path);
static int sls_registry_domain_ok(const char *domain);
static int sls_registry_tag_ok(const char *tag);
static void sls_registry_copy(char *dst, size_t size, const char *src,
    size_t len);
static int sls_registry_b64_value(int ch);
static int sls_registry_str(cJSON *json, const char *name, char *buf,
    size_t size);
static int sls_registry_layer_type_ok(const char *type);


static void
sls_registry_copy(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size) {
        len = size - 1;
    }

    memcpy(dst, src, len);
    dst[len] = '\0';
}


/* path components: [a-z0-9]+ joined by ".", "_", "__" or dashes */

static int
sls_registry_name_ok(const char *path)
{
    const char  *p, *sep;

    p = path;

    for ( ;; ) {
        if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p))) {
            return 0;
        }

        while (islower((unsigned char) *p) || isdigit((unsigned char) *p)) {
            p++;
        }

        if (*p == '\0') {
            return 1;
        }

        if (*p == '/') {
            p++;
            continue;
        }

        sep = p;

        if (*p == '.') {
            p++;

        } else if (*p == '_') {
            p += (p[1] == '_') ? 2 : 1;

        } else if (*p == '-') {
            while (*p == '-') {
                p++;
            }

        } else {
            return 0;
        }

        if (p == sep) {
            return 0;
        }
    }
}


static int
sls_registry_domain_ok(const char *domain)
{
    const char  *p;
    int          label;

    p = domain;
    label = 0;

    for ( ; *p && *p != ':'; p++) {
        if (isalnum((unsigned char) *p)) {
            label++;
            continue;
        }

        if (*p == '-' && label) {
            continue;
        }

        if (*p == '.' && label && p[-1] != '-') {
            label = 0;
            continue;
        }

        return 0;
    }

    if (label == 0 || p[-1] == '-') {
        return 0;
    }

    if (*p == ':') {
        p++;

        if (*p == '\0' || strspn(p, "0123456789") != strlen(p)) {
            return 0;
        }
    }

    return 1;
}


static int
sls_registry_tag_ok(const char *tag)
{
    size_t  len;

    len = strlen(tag);

    if (len == 0 || len > 128) {
        return 0;
    }

    if (!(isalnum((unsigned char) tag[0]) || tag[0] == '_')) {
        return 0;
    }

    return strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_.-") == len;
}


int
sls_registry_digest_ok(const char *s)
{
    return s != NULL && strncmp(s, "sha256:", 7) == 0
           && strlen(s) == 71
           && strspn(s + 7, "0123456789abcdef") == 64;
}


int
sls_registry_parse_ref(const char *name, const char *tag,
    sls_registry_ref_t *ref, char *err, size_t errlen)
{
    int          domain;
    char         buf[512], *remainder, *at, *colon, *slash;
    size_t       len, i;
    const char  *first;

    memset(ref, 0, sizeof(sls_registry_ref_t));

    len = strlen(name);

    if (len == 0 || len >= 256) {
        snprintf(err, errlen, "invalid reference format");
        return -1;
    }

    memcpy(buf, name, len + 1);

    at = strchr(buf, '@');
    if (at) {
        *at++ = '\0';

        if (!sls_registry_digest_ok(at)) {
            snprintf(err, errlen, "invalid reference format");
            return -1;
        }

        strcpy(ref->digest, at);
    }

    /* a ":" after the last "/" is a tag */

    slash = strrchr(buf, '/');
    colon = strrchr(slash ? slash : buf, ':');

    if (colon) {
        *colon++ = '\0';

        if (!sls_registry_tag_ok(colon)) {
            snprintf(err, errlen, "invalid reference format");
            return -1;
        }

        strcpy(ref->tag, colon);
    }

    /* docker's splitDockerDomain() */

    slash = strchr(buf, '/');
    first = buf;
    domain = 0;

    if (slash) {
        len = slash - first;

        domain = memchr(first, '.', len) != NULL
                 || memchr(first, ':', len) != NULL
                 || (len == 9 && strncmp(first, "localhost", 9) == 0);

        for (i = 0; i < len; i++) {
            if (isupper((unsigned char) first[i])) {
                domain = 1;
            }
        }
    }

    if (domain) {
        *slash = '\0';
        sls_registry_copy(ref->domain, sizeof(ref->domain), first, len);
        remainder = slash + 1;

    } else {
        strcpy(ref->domain, SLS_REGISTRY_DOCKER_HUB);
        remainder = buf;
    }

    if (strcmp(ref->domain, "index.docker.io") == 0) {
        strcpy(ref->domain, SLS_REGISTRY_DOCKER_HUB);
    }

    if (strcmp(ref->domain, SLS_REGISTRY_DOCKER_HUB) == 0
        && strchr(remainder, '/') == NULL)
    {
        snprintf(ref->path, sizeof(ref->path), "library/%.240s", remainder);

    } else {
        sls_registry_copy(ref->path, sizeof(ref->path), remainder,
                          strlen(remainder));
    }

    if (!sls_registry_domain_ok(ref->domain)) {
        snprintf(err, errlen, "invalid reference format");
        return -1;
    }

    if (!sls_registry_name_ok(ref->path)) {
        char  lower[256];

        for (i = 0; ref->path[i] && i < 255; i++) {
            lower[i] = tolower((unsigned char) ref->path[i]);
        }

        lower[i] = '\0';

        if (strcmp(lower, ref->path) != 0 && sls_registry_name_ok(lower)) {
            snprintf(err, errlen, "invalid reference format: repository "
                     "name (%s) must be lowercase", ref->path);

        } else {
            snprintf(err, errlen, "invalid reference format");
        }

        return -1;
    }

    if (strlen(ref->domain) + strlen(ref->path) + 1 > 255) {
        snprintf(err, errlen, "invalid reference format: repository name "
                 "must not be more than 255 characters");
        return -1;
    }

    if (tag && tag[0]) {
        if (strncmp(tag, "sha256:", 7) == 0) {
            if (!sls_registry_digest_ok(tag)) {
                snprintf(err, errlen, "invalid reference format");
                return -1;
            }

            strcpy(ref->digest, tag);
            ref->tag[0] = '\0';

        } else {
            if (!sls_registry_tag_ok(tag)) {
                snprintf(err, errlen, "invalid reference format");
                return -1;
            }

            strcpy(ref->tag, tag);
        }
    }

    if (ref->tag[0] == '\0' && ref->digest[0] == '\0') {
        strcpy(ref->tag, "latest");
    }

    if (strcmp(ref->domain, SLS_REGISTRY_DOCKER_HUB) == 0) {
        if (strncmp(ref->path, "library/", 8) == 0
            && strchr(ref->path + 8, '/') == NULL)
        {
            strcpy(ref->familiar, ref->path + 8);

        } else {
            strcpy(ref->familiar, ref->path);
        }

    } else {
        snprintf(ref->familiar, sizeof(ref->familiar), "%.255s/%.255s",
                 ref->domain, ref->path);
    }

    return 0;
}


void
sls_registry_ref_string(const sls_registry_ref_t *ref, char *buf,
    size_t size)
{
    if (ref->digest[0]) {
        snprintf(buf, size, "%s@%s", ref->familiar, ref->digest);

    } else {
        snprintf(buf, size, "%s:%s", ref->familiar, ref->tag);
    }
}


const char *
sls_registry_api_host(const char *domain)
{
    if (strcmp(domain, SLS_REGISTRY_DOCKER_HUB) == 0) {
        return SLS_REGISTRY_HUB_API;
    }

    return domain;
}


/* Bearer realm="...",service="...",scope="..." or Basic realm="..." */

int
sls_registry_parse_challenge(const char *value, size_t len,
    sls_registry_challenge_t *ch)
{
    char         key[32], val[1024];
    size_t       n, klen, vlen;
    const char  *p, *end;

    memset(ch, 0, sizeof(sls_registry_challenge_t));

    p = value;
    end = value + len;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    for (n = 0; p + n < end && p[n] != ' ' && p[n] != '\t'; n++) {
        /* the scheme */
    }

    if (n == 6 && strncasecmp(p, "bearer", 6) == 0) {
        ch->scheme = SLS_REGISTRY_AUTH_BEARER;

    } else if (n == 5 && strncasecmp(p, "basic", 5) == 0) {
        ch->scheme = SLS_REGISTRY_AUTH_BASIC;

    } else {
        return -1;
    }

    p += n;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        if (p == end) {
            break;
        }

        for (klen = 0; p + klen < end && p[klen] != '='; klen++) {
            if (p[klen] == ',' || p[klen] == ' ') {
                /* a second challenge starts: the first one is enough */
                return 0;
            }
        }

        if (p + klen == end) {
            break;
        }

        sls_registry_copy(key, sizeof(key), p, klen);
        p += klen + 1;
        vlen = 0;

        if (p < end && *p == '"') {
            p++;

            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end) {
                    p++;
                }

                if (vlen < sizeof(val) - 1) {
                    val[vlen++] = *p;
                }

                p++;
            }

            if (p == end) {
                return -1;
            }

            p++;

        } else {
            while (p < end && *p != ',' && *p != ' ') {
                if (vlen < sizeof(val) - 1) {
                    val[vlen++] = *p;
                }

                p++;
            }
        }

        val[vlen] = '\0';

        if (strcasecmp(key, "realm") == 0) {
            sls_registry_copy(ch->realm, sizeof(ch->realm), val, vlen);

        } else if (strcasecmp(key, "service") == 0) {
            sls_registry_copy(ch->service, sizeof(ch->service), val, vlen);

        } else if (strcasecmp(key, "scope") == 0) {
            sls_registry_copy(ch->scope, sizeof(ch->scope), val, vlen);

        } else if (strcasecmp(key, "error") == 0) {
            sls_registry_copy(ch->error, sizeof(ch->error), val, vlen);
        }
    }

    if (ch->scheme == SLS_REGISTRY_AUTH_BEARER && ch->realm[0] == '\0') {
        return -1;
    }

    return 0;
}


static int
sls_registry_b64_value(int ch)
{
    if (ch >= 'A' && ch <= 'Z') {
        return ch - 'A';
    }

    if (ch >= 'a' && ch <= 'z') {
        return ch - 'a' + 26;
    }

    if (ch >= '0' && ch <= '9') {
        return ch - '0' + 52;
    }

    if (ch == '+' || ch == '-') {
        return 62;
    }

    if (ch == '/' || ch == '_') {
        return 63;
    }

    return -1;
}


static int
sls_registry_str(cJSON *json, const char *name, char *buf, size_t size)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(json, name);

    if (!cJSON_IsString(item)) {
        /* docker sends lowercase keys; some clients capitalize them */
        item = cJSON_GetObjectItem(json, name);
    }

    buf[0] = '\0';

    if (!cJSON_IsString(item)) {
        return 0;
    }

    if (strlen(item->valuestring) >= size) {
        return -1;
    }

    strcpy(buf, item->valuestring);

    return 0;
}


int
sls_registry_auth_from_json(cJSON *json, sls_registry_auth_t *auth)
{
    memset(auth, 0, sizeof(sls_registry_auth_t));

    if (!cJSON_IsObject(json)) {
        return -1;
    }

    if (sls_registry_str(json, "username", auth->username,
                         sizeof(auth->username)) != 0
        || sls_registry_str(json, "password", auth->password,
                            sizeof(auth->password)) != 0
        || sls_registry_str(json, "serveraddress", auth->serveraddress,
                            sizeof(auth->serveraddress)) != 0
        || sls_registry_str(json, "identitytoken", auth->identitytoken,
                            sizeof(auth->identitytoken)) != 0
        || sls_registry_str(json, "registrytoken", auth->registrytoken,
                            sizeof(auth->registrytoken)) != 0)
    {
        memset(auth, 0, sizeof(sls_registry_auth_t));
        return -1;
    }

    return 0;
}


int
sls_registry_decode_auth(const char *b64, size_t len,
    sls_registry_auth_t *auth)
{
    int             v, rc;
    char           *text;
    cJSON          *json;
    size_t          i, n;
    unsigned long   acc;
    int             bits;

    memset(auth, 0, sizeof(sls_registry_auth_t));

    while (len && (b64[len - 1] == '=' || b64[len - 1] == ' ')) {
        len--;
    }

    if (len == 0) {
        return 0;
    }

    if (len > 16384) {
        return -1;
    }

    text = malloc(len + 1);
    if (text == NULL) {
        return -1;
    }

    n = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        v = sls_registry_b64_value((unsigned char) b64[i]);
        if (v < 0) {
            free(text);
            return -1;
        }

        acc = (acc << 6) | (unsigned long) v;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            text[n++] = (char) ((acc >> bits) & 0xff);
        }
    }

    text[n] = '\0';

    json = cJSON_ParseWithLength(text, n);

    /* the decoded text holds the password: it does not stay in memory */
    memset(text, 0, n);
    free(text);

    if (json == NULL) {
        return -1;
    }

    rc = sls_registry_auth_from_json(json, auth);

    cJSON_Delete(json);

    return rc;
}


void
sls_registry_server_host(const char *address, char *buf, size_t size)
{
    size_t       len;
    const char  *p;

    p = address;

    if (strncmp(p, "https://", 8) == 0) {
        p += 8;

    } else if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    }

    len = strcspn(p, "/");
    sls_registry_copy(buf, size, p, len);

    if (buf[0] == '\0' || strcmp(buf, "index.docker.io") == 0
        || strcmp(buf, "registry-1.docker.io") == 0)
    {
        sls_registry_copy(buf, size, SLS_REGISTRY_DOCKER_HUB,
                          strlen(SLS_REGISTRY_DOCKER_HUB));
    }
}


int
sls_registry_manifest_kind(const char *content_type, cJSON *doc,
    char *err, size_t errlen)
{
    const char  *mt;
    char         ct[256];
    size_t       len;

    mt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc,
                                                               "mediaType"));
    ct[0] = '\0';

    if (content_type) {
        len = strcspn(content_type, "; ");
        sls_registry_copy(ct, sizeof(ct), content_type, len);
    }

    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "invalid manifest: not a JSON object");
        return -1;
    }

    if (mt == NULL || mt[0] == '\0') {
        /* OCI documents may leave mediaType out: the content type says */
        mt = ct;
    }

    if (strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2"
                   "+json") == 0
        || strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0)
    {
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc,
                                                            "manifests")))
        {
            snprintf(err, errlen, "invalid manifest list: no manifests");
            return -1;
        }

        return SLS_REGISTRY_INDEX;
    }

    if (strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json")
        == 0
        || strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0)
    {
        return SLS_REGISTRY_MANIFEST;
    }

    if (strncmp(mt, "application/vnd.docker.distribution.manifest.v1", 47)
        == 0)
    {
        snprintf(err, errlen, "[DEPRECATION NOTICE] Docker Image Format v1 "
                 "and Docker Image manifest version 2, schema 1 support has "
                 "been removed. Suggest the author of the image to upgrade "
                 "the image to the OCI Format or Docker Image manifest v2, "
                 "schema 2.");
        return -1;
    }

    if (mt[0] == '\0'
        && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "manifests")))
    {
        return SLS_REGISTRY_INDEX;
    }

    if (mt[0] == '\0'
        && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "config")))
    {
        return SLS_REGISTRY_MANIFEST;
    }

    snprintf(err, errlen, "unsupported manifest media type and no default "
             "available: %.100s", mt[0] ? mt : "(none)");

    return -1;
}


const char *
sls_registry_select(cJSON *index, const char *os, const char *arch,
    const char *variant)
{
    cJSON       *m, *platform;
    const char  *mos, *march, *mvar, *digest, *any;

    any = NULL;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(index,
                                                           "manifests"))
    {
        platform = cJSON_GetObjectItemCaseSensitive(m, "platform");
        digest = cJSON_GetStringValue(
                     cJSON_GetObjectItemCaseSensitive(m, "digest"));
        mos = cJSON_GetStringValue(
                  cJSON_GetObjectItemCaseSensitive(platform, "os"));
        march = cJSON_GetStringValue(
                    cJSON_GetObjectItemCaseSensitive(platform,
                                                     "architecture"));
        mvar = cJSON_GetStringValue(
                   cJSON_GetObjectItemCaseSensitive(platform, "variant"));

        if (!sls_registry_digest_ok(digest) || mos == NULL || march == NULL
            || strcmp(mos, os) != 0 || strcmp(march, arch) != 0)
        {
            continue;
        }

        if (variant[0] == '\0' || (mvar && strcmp(mvar, variant) == 0)) {
            return digest;
        }

        if (any == NULL) {
            any = digest;
        }
    }

    return any;
}


static int
sls_registry_layer_type_ok(const char *type)
{
    static const char  *types[] = {
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.docker.image.rootfs.diff.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar",
        NULL
    };

    int  i;

    if (type == NULL) {
        return 0;
    }

    for (i = 0; types[i]; i++) {
        if (strcmp(type, types[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


int
sls_registry_manifest_blobs(cJSON *manifest, sls_registry_blob_t *config,
    sls_registry_blob_t *layers, int max, char *err, size_t errlen)
{
    int     n;
    cJSON  *c, *l, *item;

    c = cJSON_GetObjectItemCaseSensitive(manifest, "config");

    config->digest = cJSON_GetStringValue(
                         cJSON_GetObjectItemCaseSensitive(c, "digest"));
    config->media_type = cJSON_GetStringValue(
                             cJSON_GetObjectItemCaseSensitive(c,
                                                              "mediaType"));
    item = cJSON_GetObjectItemCaseSensitive(c, "size");
    config->size = cJSON_IsNumber(item) ? item->valuedouble : -1;

    if (!sls_registry_digest_ok(config->digest)) {
        snprintf(err, errlen, "invalid manifest: the config has no valid "
                 "sha256 digest");
        return -1;
    }

    l = cJSON_GetObjectItemCaseSensitive(manifest, "layers");
    if (!cJSON_IsArray(l)) {
        snprintf(err, errlen, "invalid manifest: no layers");
        return -1;
    }

    n = 0;

    cJSON_ArrayForEach(c, l) {
        if (n == max) {
            snprintf(err, errlen, "invalid manifest: more than %d layers",
                     max);
            return -1;
        }

        layers[n].digest = cJSON_GetStringValue(
                               cJSON_GetObjectItemCaseSensitive(c, "digest"));
        layers[n].media_type = cJSON_GetStringValue(
                               cJSON_GetObjectItemCaseSensitive(c,
                                                                "mediaType"));
        item = cJSON_GetObjectItemCaseSensitive(c, "size");
        layers[n].size = cJSON_IsNumber(item) ? item->valuedouble : -1;

        if (!sls_registry_digest_ok(layers[n].digest)) {
            snprintf(err, errlen, "invalid manifest: layer %d has no valid "
                     "sha256 digest", n);
            return -1;
        }

        if (!sls_registry_layer_type_ok(layers[n].media_type)) {
            snprintf(err, errlen, "unsupported layer media type \"%.100s\" "
                     "(only tar and tar+gzip layers can be pulled)",
                     layers[n].media_type ? layers[n].media_type : "");
            return -1;
        }

        n++;
    }

    return n;
}


const char *
sls_registry_arch(const char *machine, const char **variant)
{
    static const char  *map[][3] = {
        { "x86_64", "amd64", "" },
        { "amd64", "amd64", "" },
        { "aarch64", "arm64", "v8" },
        { "arm64", "arm64", "v8" },
        { "armv7l", "arm", "v7" },
        { "armv6l", "arm", "v6" },
        { "i386", "386", "" },
        { "i686", "386", "" },
        { "ppc64le", "ppc64le", "" },
        { "s390x", "s390x", "" },
        { "riscv64", "riscv64", "" },
        { NULL, NULL, NULL }
    };

    int  i;

    for (i = 0; map[i][0]; i++) {
        if (strcmp(machine, map[i][0]) == 0) {
            *variant = map[i][2];
            return map[i][1];
        }
    }

    *variant = "";

    return machine;
}


void
sls_registry_human_size(double size, char *buf, size_t bufsize)
{
    int          i;
    static const char  *units[] = { "B", "kB", "MB", "GB", "TB", "PB" };

    i = 0;

    while (size >= 1000 && i < 5) {
        size /= 1000;
        i++;
    }

    snprintf(buf, bufsize, "%.4g%s", size, units[i]);
}


void
sls_registry_progress_bar(long long current, long long total, char *buf,
    size_t size)
{
    int   pct;
    char  cur[32], tot[32], bar[64], numbers[80];

    sls_registry_human_size((double) current, cur, sizeof(cur));

    if (total <= 0) {
        snprintf(buf, size, "%8s", cur);
        return;
    }

    sls_registry_human_size((double) total, tot, sizeof(tot));

    pct = (int) ((double) current / (double) total * 100) / 2;
    if (pct > 50) {
        pct = 50;
    }

    if (pct < 0) {
        pct = 0;
    }

    memset(bar, '=', pct);
    bar[pct] = '>';
    memset(bar + pct + 1, ' ', 50 - pct);
    bar[51] = '\0';

    if (current > total) {
        snprintf(numbers, sizeof(numbers), "%8s", cur);

    } else {
        snprintf(numbers, sizeof(numbers), "%8s/%s", cur, tot);
    }

    snprintf(buf, size, "[%s] %s", bar, numbers);
}


int
sls_registry_error_text(const char *body, size_t len, char *code,
    size_t codelen, char *text, size_t textlen)
{
    char        lower[128];
    cJSON      *json, *e;
    size_t      i;
    const char *c, *m;

    json = cJSON_ParseWithLength(body, len);
    e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "errors"),
                           0);

    c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "code"));
    m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "message"));

    if (c == NULL) {
        cJSON_Delete(json);
        return -1;
    }

    /* errcode.ErrorCode.Error(): lowercase, "_" as " " */

    for (i = 0; c[i] && i < sizeof(lower) - 1; i++) {
        lower[i] = (c[i] == '_') ? ' ' : tolower((unsigned char) c[i]);
    }

    lower[i] = '\0';

    snprintf(code, codelen, "%s", c);

    if (m && m[0]) {
        snprintf(text, textlen, "%s: %s", lower, m);

    } else {
        snprintf(text, textlen, "%s", lower);
    }

    cJSON_Delete(json);

    return 0;
}
