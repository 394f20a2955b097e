
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_registry: docker's reference normalization, challenges,
 * X-Registry-Auth, manifest kinds, index selection and progress bars.
 */


#include <stdio.h>
#include <string.h>
#include <sls_registry.h>
#include "test.h"


typedef struct {
    const char  *name;
    const char  *from;
    const char  *tag;
    const char  *domain;     /* NULL: an error, path holds its text */
    const char  *path;
    const char  *rtag;
    const char  *digest;
    const char  *familiar;
} sls_ref_vector_t;


#define D64  "0123456789abcdef0123456789abcdef" \
             "0123456789abcdef0123456789abcdef"


static const sls_ref_vector_t  refs[] = {
    { "short hub name", "busybox", "", "docker.io", "library/busybox",
      "latest", "", "busybox" },
    { "hub name with tag arg", "busybox", "1.36", "docker.io",
      "library/busybox", "1.36", "", "busybox" },
    { "tag in name", "busybox:musl", NULL, "docker.io", "library/busybox",
      "musl", "", "busybox" },
    { "tag arg wins", "busybox:musl", "glibc", "docker.io",
      "library/busybox", "glibc", "", "busybox" },
    { "hub user repo", "grafana/loki", "", "docker.io", "grafana/loki",
      "latest", "", "grafana/loki" },
    { "explicit docker.io", "docker.io/library/alpine", "", "docker.io",
      "library/alpine", "latest", "", "alpine" },
    { "index.docker.io", "index.docker.io/alpine", "", "docker.io",
      "library/alpine", "latest", "", "alpine" },
    { "host port", "127.0.0.1:5000/busybox", "latest", "127.0.0.1:5000",
      "busybox", "latest", "", "127.0.0.1:5000/busybox" },
    { "host port tag in name", "127.0.0.1:5000/a/b:v1", "",
      "127.0.0.1:5000", "a/b", "v1", "", "127.0.0.1:5000/a/b" },
    { "localhost", "localhost/app", "", "localhost", "app", "latest", "",
      "localhost/app" },
    { "dotted host", "ghcr.io/o/r", "", "ghcr.io", "o/r", "latest", "",
      "ghcr.io/o/r" },
    { "digest in name", "127.0.0.1:5000/bb@sha256:" D64, "",
      "127.0.0.1:5000", "bb", "", "sha256:" D64, "127.0.0.1:5000/bb" },
    { "digest as tag arg", "busybox", "sha256:" D64, "docker.io",
      "library/busybox", "", "sha256:" D64, "busybox" },
    { "separators", "a_b__c-d--e/f.g", "", "docker.io", "a_b__c-d--e/f.g",
      "latest", "", "a_b__c-d--e/f.g" },
    { "a dot makes a domain", "a.b/c", "", "a.b", "c", "latest", "",
      "a.b/c" },
    { "uppercase repository", "Busybox", "", NULL,
      "invalid reference format: repository name (library/Busybox) must "
      "be lowercase", NULL, NULL, NULL },
    { "bad characters", "busy box", "", NULL, "invalid reference format",
      NULL, NULL, NULL },
    { "empty", "", "", NULL, "invalid reference format", NULL, NULL, NULL },
    { "bad tag", "busybox", "-x", NULL, "invalid reference format", NULL,
      NULL, NULL },
    { "short digest", "busybox@sha256:abc", "", NULL,
      "invalid reference format", NULL, NULL, NULL },
    { "triple underscore", "a___b", "", NULL, "invalid reference format",
      NULL, NULL, NULL },
    { "trailing separator", "abc-", "", NULL, "invalid reference format",
      NULL, NULL, NULL },
};


typedef struct {
    const char  *name;
    const char  *value;
    int          rc;
    int          scheme;
    const char  *realm;
    const char  *service;
    const char  *scope;
} sls_challenge_vector_t;


static const sls_challenge_vector_t  challenges[] = {
    { "docker hub", "Bearer realm=\"https://auth.docker.io/token\","
      "service=\"registry.docker.io\",scope=\"repository:library/busybox:"
      "pull\"", 0, SLS_REGISTRY_AUTH_BEARER, "https://auth.docker.io/token",
      "registry.docker.io", "repository:library/busybox:pull" },
    { "basic", "Basic realm=\"Registry Realm\"", 0, SLS_REGISTRY_AUTH_BASIC,
      "Registry Realm", "", "" },
    { "spaces and case", "bearer  realm=\"http://h/t\", service=\"s\"", 0,
      SLS_REGISTRY_AUTH_BEARER, "http://h/t", "s", "" },
    { "unquoted", "Bearer realm=http://h/t,service=s", 0,
      SLS_REGISTRY_AUTH_BEARER, "http://h/t", "s", "" },
    { "escaped quote", "Bearer realm=\"a\\\"b\"", 0,
      SLS_REGISTRY_AUTH_BEARER, "a\"b", "", "" },
    { "bearer without realm", "Bearer service=\"s\"", -1, 0, NULL, NULL,
      NULL },
    { "unknown scheme", "Digest realm=\"x\"", -1, 0, NULL, NULL, NULL },
    { "unterminated", "Bearer realm=\"abc", -1, 0, NULL, NULL, NULL },
    { "empty", "", -1, 0, NULL, NULL, NULL },
};


typedef struct {
    const char  *name;
    const char  *b64;
    int          rc;
    const char  *username;
    const char  *password;
    const char  *server;
    const char  *token;
} sls_auth_vector_t;


static const sls_auth_vector_t  auths[] = {
    /* {"username":"u","password":"p+/?","serveraddress":"h:5000"} */
    { "base64url",
      "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InArLz8iLCJzZXJ2ZXJhZGRyZXNz"
      "IjoiaDo1MDAwIn0=", 0, "u", "p+/?", "h:5000", "" },
    { "unpadded",
      "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InArLz8iLCJzZXJ2ZXJhZGRyZXNz"
      "IjoiaDo1MDAwIn0", 0, "u", "p+/?", "h:5000", "" },
    /* {"identitytoken":"tok"} */
    { "identity token", "eyJpZGVudGl0eXRva2VuIjoidG9rIn0=", 0, "", "", "",
      "tok" },
    { "empty is anonymous", "", 0, "", "", "", "" },
    { "empty object", "e30=", 0, "", "", "", "" },
    { "not base64", "!!!", -1, NULL, NULL, NULL, NULL },
    { "not json", "bm90IGpzb24=", -1, NULL, NULL, NULL, NULL },
};


static int
str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}


int
main(void)
{
    int                       rc, n;
    char                      err[256], buf[256], code[64];
    cJSON                    *doc;
    size_t                    i;
    const char               *d, *variant;
    sls_registry_ref_t        ref;
    sls_registry_auth_t       auth;
    sls_registry_blob_t       config, layers[4];
    sls_registry_challenge_t  ch;

    for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        rc = sls_registry_parse_ref(refs[i].from, refs[i].tag, &ref, err,
                                    sizeof(err));

        if (refs[i].domain == NULL) {
            TEST_OK(rc == -1 && str_eq(err, refs[i].path), "ref: %s",
                    refs[i].name);
            if (rc != -1 || !str_eq(err, refs[i].path)) {
                TEST_DIAG("rc %d, err \"%s\"", rc, err);
            }

            continue;
        }

        TEST_OK(rc == 0 && str_eq(ref.domain, refs[i].domain)
                && str_eq(ref.path, refs[i].path)
                && str_eq(ref.tag, refs[i].rtag)
                && str_eq(ref.digest, refs[i].digest)
                && str_eq(ref.familiar, refs[i].familiar),
                "ref: %s", refs[i].name);

        if (rc != 0) {
            TEST_DIAG("error \"%s\"", err);

        } else {
            TEST_DIAG("got %s | %s | %s | %s | %s", ref.domain, ref.path,
                      ref.tag, ref.digest, ref.familiar);
        }
    }

    sls_registry_parse_ref("127.0.0.1:5000/bb", "v2", &ref, err,
                           sizeof(err));
    sls_registry_ref_string(&ref, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "127.0.0.1:5000/bb:v2"), "ref string with tag");

    sls_registry_parse_ref("bb@sha256:" D64, NULL, &ref, err, sizeof(err));
    sls_registry_ref_string(&ref, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "bb@sha256:" D64), "ref string with digest");

    TEST_OK(str_eq(sls_registry_api_host("docker.io"),
                   "registry-1.docker.io")
            && str_eq(sls_registry_api_host("h:1"), "h:1"), "api host");

    for (i = 0; i < sizeof(challenges) / sizeof(challenges[0]); i++) {
        rc = sls_registry_parse_challenge(challenges[i].value,
                                          strlen(challenges[i].value), &ch);

        if (challenges[i].rc != 0) {
            TEST_OK(rc == -1, "challenge: %s", challenges[i].name);
            continue;
        }

        TEST_OK(rc == 0 && ch.scheme == challenges[i].scheme
                && str_eq(ch.realm, challenges[i].realm)
                && str_eq(ch.service, challenges[i].service)
                && str_eq(ch.scope, challenges[i].scope),
                "challenge: %s", challenges[i].name);
    }

    for (i = 0; i < sizeof(auths) / sizeof(auths[0]); i++) {
        rc = sls_registry_decode_auth(auths[i].b64, strlen(auths[i].b64),
                                      &auth);

        if (auths[i].rc != 0) {
            TEST_OK(rc == -1, "auth: %s", auths[i].name);
            continue;
        }

        TEST_OK(rc == 0 && str_eq(auth.username, auths[i].username)
                && str_eq(auth.password, auths[i].password)
                && str_eq(auth.serveraddress, auths[i].server)
                && str_eq(auth.identitytoken, auths[i].token),
                "auth: %s", auths[i].name);
    }

    sls_registry_server_host("https://index.docker.io/v1/", buf,
                             sizeof(buf));
    TEST_OK(str_eq(buf, "docker.io"), "server host: docker hub");
    sls_registry_server_host("http://127.0.0.1:5000/v2/", buf, sizeof(buf));
    TEST_OK(str_eq(buf, "127.0.0.1:5000"), "server host: scheme and path");
    sls_registry_server_host("127.0.0.1:5000", buf, sizeof(buf));
    TEST_OK(str_eq(buf, "127.0.0.1:5000"), "server host: bare");

    doc = cJSON_Parse("{\"schemaVersion\":2,\"mediaType\":\"application/"
                      "vnd.oci.image.index.v1+json\",\"manifests\":["
                      "{\"digest\":\"sha256:" D64 "\",\"platform\":{"
                      "\"os\":\"linux\",\"architecture\":\"arm\","
                      "\"variant\":\"v6\"}},"
                      "{\"digest\":\"sha256:" D64 "\",\"platform\":{"
                      "\"os\":\"windows\",\"architecture\":\"amd64\"}},"
                      "{\"digest\":\"sha256:1" D64 "\",\"platform\":{"
                      "\"os\":\"linux\",\"architecture\":\"amd64\"}},"
                      "{\"digest\":\"sha256:ffff" D64 "\",\"platform\":{"
                      "\"os\":\"linux\",\"architecture\":\"arm\","
                      "\"variant\":\"v7\"}}]}");
    /* the "1" and "ffff" digests are too long on purpose: refused */

    TEST_OK(sls_registry_manifest_kind(NULL, doc, err, sizeof(err))
            == SLS_REGISTRY_INDEX, "kind: OCI index");
    TEST_OK(sls_registry_select(doc, "linux", "amd64", "") == NULL,
            "select: a malformed digest is never chosen");
    d = sls_registry_select(doc, "linux", "arm", "v7");
    TEST_OK(str_eq(d, "sha256:" D64), "select: other variant as fallback");
    TEST_OK(sls_registry_select(doc, "linux", "s390x", "") == NULL,
            "select: no such platform");
    cJSON_Delete(doc);

    doc = cJSON_Parse("{\"schemaVersion\":2,\"config\":{\"digest\":"
                      "\"sha256:" D64 "\",\"size\":10},\"layers\":["
                      "{\"mediaType\":\"application/vnd.docker.image."
                      "rootfs.diff.tar.gzip\",\"digest\":\"sha256:" D64
                      "\",\"size\":20}]}");
    TEST_OK(sls_registry_manifest_kind("application/vnd.oci.image."
                                       "manifest.v1+json; x=y", doc, err,
                                       sizeof(err))
            == SLS_REGISTRY_MANIFEST, "kind: manifest from content type");
    n = sls_registry_manifest_blobs(doc, &config, layers, 4, err,
                                    sizeof(err));
    TEST_OK(n == 1 && config.size == 10 && layers[0].size == 20,
            "blobs: config and one layer");
    cJSON_Delete(doc);

    doc = cJSON_Parse("{\"config\":{\"digest\":\"sha256:" D64 "\"},"
                      "\"layers\":[{\"mediaType\":\"application/vnd.oci."
                      "image.layer.v1.tar+zstd\",\"digest\":\"sha256:" D64
                      "\"}]}");
    n = sls_registry_manifest_blobs(doc, &config, layers, 4, err,
                                    sizeof(err));
    TEST_OK(n == -1 && strstr(err, "zstd"), "blobs: zstd refused");
    cJSON_Delete(doc);

    doc = cJSON_Parse("{\"config\":{\"digest\":\"md5:abc\"},\"layers\":[]}");
    n = sls_registry_manifest_blobs(doc, &config, layers, 4, err,
                                    sizeof(err));
    TEST_OK(n == -1, "blobs: bad config digest refused");
    cJSON_Delete(doc);

    doc = cJSON_Parse("{\"schemaVersion\":1,\"mediaType\":\"application/"
                      "vnd.docker.distribution.manifest.v1+prettyjws\"}");
    TEST_OK(sls_registry_manifest_kind(NULL, doc, err, sizeof(err)) == -1
            && strstr(err, "schema 1"), "kind: schema1 refused");
    cJSON_Delete(doc);

    doc = cJSON_Parse("[1]");
    TEST_OK(sls_registry_manifest_kind(NULL, doc, err, sizeof(err)) == -1,
            "kind: an array is not a manifest");
    cJSON_Delete(doc);

    TEST_OK(str_eq(sls_registry_arch("x86_64", &variant), "amd64")
            && str_eq(variant, ""), "arch: x86_64");
    TEST_OK(str_eq(sls_registry_arch("aarch64", &variant), "arm64")
            && str_eq(variant, "v8"), "arch: aarch64");

    sls_registry_human_size(2152262, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "2.152MB"), "human size MB");
    sls_registry_human_size(528000, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "528kB"), "human size kB");
    sls_registry_human_size(12, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "12B"), "human size B");

    sls_registry_progress_bar(1048576, 2152262, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "[========================>                      "
                        "    ]  1.049MB/2.152MB"), "progress bar");
    if (!str_eq(buf, "[========================>                          "
                     "]  1.049MB/2.152MB"))
    {
        TEST_DIAG("got \"%s\"", buf);
    }

    sls_registry_progress_bar(2152262, 2152262, buf, sizeof(buf));
    TEST_OK(str_eq(buf, "[=================================================="
                        ">]  2.152MB/2.152MB"), "progress bar full");

    d = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
        "\"message\":\"manifest unknown\"}]}";
    rc = sls_registry_error_text(d, strlen(d), code, sizeof(code), buf,
                                 sizeof(buf));
    TEST_OK(rc == 0 && str_eq(code, "MANIFEST_UNKNOWN")
            && str_eq(buf, "manifest unknown: manifest unknown"),
            "registry error text");
    TEST_OK(sls_registry_error_text("nope", 4, code, sizeof(code), buf,
                                    sizeof(buf)) == -1,
            "registry error text: not JSON");

    return TEST_DONE();
}
