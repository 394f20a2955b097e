
/*
 * Copyright (C) sockerless contributors
 *
 * The nginx-free parts of registry pulls (OCI distribution API): image
 * references normalized as docker does, WWW-Authenticate challenges,
 * X-Registry-Auth, and the choice of a manifest in an index.
 */


#ifndef _SLS_REGISTRY_H_INCLUDED_
#define _SLS_REGISTRY_H_INCLUDED_


#include <stddef.h>
#include <cjson/cJSON.h>


#define SLS_REGISTRY_DOCKER_HUB   "docker.io"
#define SLS_REGISTRY_HUB_API      "registry-1.docker.io"


/*
 * A reference: "busybox" is docker.io, "library/busybox", tag "latest";
 * "127.0.0.1:5000/app@sha256:..." has a digest and no tag.
 */
typedef struct {
    char    domain[256];     /* "docker.io", "127.0.0.1:5000" */
    char    path[256];       /* "library/busybox" */
    char    tag[129];        /* "" when pulled by digest only */
    char    digest[72];      /* "sha256:<64 hex>" or "" */
    char    familiar[520];   /* "busybox", "127.0.0.1:5000/app" */
} sls_registry_ref_t;


/*
 * Parses name (fromImage) with an optional separate tag (the "tag" query
 * argument, which may also be a digest). Returns 0, or -1 with dockerd's
 * words in err ("invalid reference format...").
 */
int sls_registry_parse_ref(const char *name, const char *tag,
    sls_registry_ref_t *ref, char *err, size_t errlen);

/* "busybox:latest", "127.0.0.1:5000/app@sha256:..." into buf */
void sls_registry_ref_string(const sls_registry_ref_t *ref, char *buf,
    size_t size);

/* the host the API is at: docker.io is registry-1.docker.io */
const char *sls_registry_api_host(const char *domain);


#define SLS_REGISTRY_AUTH_NONE    0
#define SLS_REGISTRY_AUTH_BASIC   1
#define SLS_REGISTRY_AUTH_BEARER  2

typedef struct {
    int     scheme;          /* SLS_REGISTRY_AUTH_* */
    char    realm[1024];
    char    service[256];
    char    scope[512];
    char    error[64];       /* error="insufficient_scope" */
} sls_registry_challenge_t;

/* the first challenge of a WWW-Authenticate value; -1 when none parses */
int sls_registry_parse_challenge(const char *value, size_t len,
    sls_registry_challenge_t *ch);


/* credentials from X-Registry-Auth or a POST /auth body */
typedef struct {
    char    username[256];
    char    password[512];
    char    serveraddress[512];
    char    identitytoken[4096];
    char    registrytoken[4096];
} sls_registry_auth_t;

/*
 * Decodes X-Registry-Auth: base64url (or standard base64, padded or not)
 * of a JSON object. An empty value is anonymous. 0, or -1 when invalid.
 */
int sls_registry_decode_auth(const char *b64, size_t len,
    sls_registry_auth_t *auth);

/* the same from a parsed JSON object; 0, or -1 when a field is too long */
int sls_registry_auth_from_json(cJSON *json, sls_registry_auth_t *auth);

/* "host[:port]" of a login server address ("https://h/v1/" is "h") */
void sls_registry_server_host(const char *address, char *buf, size_t size);


#define SLS_REGISTRY_MANIFEST    1
#define SLS_REGISTRY_INDEX       2

/*
 * What a manifest document is, from its Content-Type and mediaType:
 * SLS_REGISTRY_MANIFEST (docker schema2 or OCI image manifest),
 * SLS_REGISTRY_INDEX (manifest list or OCI index), or -1 with the reason
 * in err (schema1, unknown, malformed).
 */
int sls_registry_manifest_kind(const char *content_type, cJSON *doc,
    char *err, size_t errlen);

/*
 * The digest of the index entry for os/arch[/variant] (variant "" takes
 * any), or NULL; the string belongs to index.
 */
const char *sls_registry_select(cJSON *index, const char *os,
    const char *arch, const char *variant);

/* a layer or config descriptor as the pull uses it */
typedef struct {
    const char  *digest;     /* belongs to the manifest */
    const char  *media_type;
    double       size;
} sls_registry_blob_t;

/*
 * Checks an image manifest: config and layers with sha256 digests,
 * layers tar or tar+gzip. Fills config and up to max layers; returns the
 * number of layers, or -1 with the reason in err.
 */
int sls_registry_manifest_blobs(cJSON *manifest, sls_registry_blob_t *config,
    sls_registry_blob_t *layers, int max, char *err, size_t errlen);

/* 1 when s is "sha256:" and 64 lowercase hex digits */
int sls_registry_digest_ok(const char *s);

/* the GOARCH and variant of a uname machine ("x86_64" is "amd64") */
const char *sls_registry_arch(const char *machine, const char **variant);

/*
 * dockerd's progress bar: "[=====>      ]  1.049MB/2.152MB" (or just
 * the size when total is unknown) into buf
 */
void sls_registry_progress_bar(long long current, long long total,
    char *buf, size_t size);

/* units.HumanSize: "1.049MB", "528kB", "12B" */
void sls_registry_human_size(double size, char *buf, size_t bufsize);

/*
 * The text of a registry error answer ({"errors":[{code,message}]}):
 * "manifest unknown: manifest unknown"; code gets "MANIFEST_UNKNOWN".
 * 0, or -1 when the body is not one.
 */
int sls_registry_error_text(const char *body, size_t len, char *code,
    size_t codelen, char *text, size_t textlen);


#endif /* _SLS_REGISTRY_H_INCLUDED_ */
