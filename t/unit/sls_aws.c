
/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_aws: RFC 3986 encoding, SigV4's canonical query and
 * path (vectors named after the AWS SigV4 test suite), AWS errors,
 * credentials files and metadata JSON. TAP output. With --dump it prints
 * the canonical forms it computes instead, one JSON line each, which
 * t/unit/sls_aws_botocore.py checks against botocore.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_aws.h>
#include "test.h"


#define SLS_TEST_MAX_PAIRS  8


typedef struct {
    const char  *name;
    const char  *in;
    const char  *out;
} sls_encode_vector_t;


typedef struct {
    const char  *name;
    const char  *pairs[SLS_TEST_MAX_PAIRS * 2];   /* name, value, ... */
    const char  *out;
} sls_query_vector_t;


typedef struct {
    const char  *name;
    const char  *path;
    const char  *out;          /* NULL: refused */
    int          signable;
} sls_path_vector_t;


typedef struct {
    const char  *name;
    const char  *body;
    int          rc;
    const char  *type;
    const char  *message;
} sls_error_vector_t;


typedef struct {
    const char  *name;
    const char  *text;
    const char  *profile;
    int          rc;
    const char  *key_id;       /* rc 0 */
    const char  *secret;
    const char  *token;
    const char  *err;          /* rc -1 */
} sls_profile_vector_t;


typedef struct {
    const char  *name;
    const char  *body;
    int          rc;
    const char  *key_id;
    const char  *token;
    int64_t      expiration;
} sls_creds_vector_t;


static const sls_encode_vector_t  encodes[] = {
    { "empty", "", "" },
    { "get-vanilla-query-unreserved",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
    { "get-space", "a b", "a%20b" },
    { "get-utf8", "\xe1\x88\xb4", "%E1%88%B4" },
    { "reserved", ":/?#[]@!$&'()*+,;=", "%3A%2F%3F%23%5B%5D%40%21%24%26%27"
      "%28%29%2A%2B%2C%3B%3D" },
    { "percent and plus", "%+", "%25%2B" },
    { "controls and high bytes", "\x01\x7f\xff", "%01%7F%FF" },
};


static const sls_query_vector_t  queries[] = {
    { "no parameters", { NULL }, "" },
    { "get-vanilla-query-order-key",
      { "Param2", "value2", "Param1", "value1", NULL },
      "Param1=value1&Param2=value2" },
    { "get-vanilla-query-order-key-case",
      { "Param2", "value2", "param1", "value1", NULL },
      "Param2=value2&param1=value1" },
    { "get-vanilla-query-order-value",
      { "Param1", "value2", "Param1", "Value1", NULL },
      "Param1=Value1&Param1=value2" },
    { "get-vanilla-empty-query-key", { "Param1", "", NULL }, "Param1=" },
    { "get-vanilla-query-unreserved",
      { "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        NULL },
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" },
    { "get-utf8", { "\xe1\x88\xb4", "bar", NULL }, "%E1%88%B4=bar" },
    { "get-space", { "a b", "c d", NULL }, "a%20b=c%20d" },
    { "sorted by the encoded form: %C3 before ~",
      { "~x", "1", "\xc3\xa4", "2", NULL }, "%C3%A4=2&~x=1" },
    { "sorted by the encoded form: space before +",
      { "k", "a+", "k", "a ", NULL }, "k=a%20&k=a%2B" },
    { "a prefix sorts first", { "ab", "1", "a", "2", NULL }, "a=2&ab=1" },
    { "Lambda ListFunctions",
      { "MaxItems", "50", "Marker", "abc/def==", NULL },
      "Marker=abc%2Fdef%3D%3D&MaxItems=50" },
};


static const sls_path_vector_t  paths[] = {
    { "get-slash", "/", "/", 1 },
    { "empty path", "", "/", 1 },
    { "no leading slash", "2015-03-31/functions", "/2015-03-31/functions",
      1 },
    { "Lambda Invoke", "/2015-03-31/functions/sockerless-abc/invocations",
      "/2015-03-31/functions/sockerless-abc/invocations", 1 },
    { "trailing slash kept", "/a/b/", "/a/b/", 1 },
    { "get-space", "/example space/", "/example%20space/", 0 },
    { "get-utf8", "/\xe1\x88\xb4", "/%E1%88%B4", 0 },
    { "an ARN segment", "/functions/arn:aws:lambda:us-east-1:1:function:f",
      "/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af", 0 },
    { "get-relative", "/example/..", NULL, 0 },
    { "get-slash-dot-slash", "/./", NULL, 0 },
};


static const sls_error_vector_t  errors[] = {
    { "JSON 1.1 with a namespace",
      "{\"__type\":\"com.amazonaws.ecs#ClientException\","
      "\"message\":\"Cluster not found.\"}",
      0, "ClientException", "Cluster not found." },
    { "JSON 1.1 bare", "{\"__type\":\"ThrottlingException\","
      "\"Message\":\"Rate exceeded\"}",
      0, "ThrottlingException", "Rate exceeded" },
    { "the last # counts", "{\"__type\":\"a#b#ResourceNotFoundException\"}",
      0, "ResourceNotFoundException", "" },
    { "a type with a :suffix",
      "{\"__type\":\"ResourceNotFoundException:http://internal/\"}",
      0, "ResourceNotFoundException", "" },
    { "REST: Type is not the name, message only",
      "{\"Type\":\"User\",\"message\":\"Function not found: f\"}",
      0, "", "Function not found: f" },
    { "Code", "{\"Code\":\"InvalidParameterValue\",\"Message\":\"no\"}",
      0, "InvalidParameterValue", "no" },
    { "not JSON", "<html>502</html>", -1, "", "" },
    { "not an object", "[1]", -1, "", "" },
    { "no known member", "{\"x\":1}", -1, "", "" },
    { "empty", "", -1, "", "" },
};


static const sls_profile_vector_t  profiles[] = {
    { "default",
      "[default]\naws_access_key_id = AKID\naws_secret_access_key=SECRET\n",
      "default", 0, "AKID", "SECRET", "", NULL },
    { "a named profile among others, comments, CRLF, blanks",
      "# top\r\n[default]\r\naws_access_key_id=A1\r\n"
      "aws_secret_access_key=S1\r\n\r\n[  dev  ]\r\n; c\r\n"
      "  aws_access_key_id =  A2 \r\naws_secret_access_key\t=\tS2\r\n"
      "aws_session_token = T2/+=\r\nregion = eu-west-1\r\n[other]\r\n"
      "aws_access_key_id=A3\r\n",
      "dev", 0, "A2", "S2", "T2/+=", NULL },
    { "config file form", "[profile dev]\naws_access_key_id=A\n"
      "aws_secret_access_key=S\naws_security_token=T",
      "dev", 0, "A", "S", "T", NULL },
    { "no such profile", "[default]\naws_access_key_id=A\n", "dev", -1,
      NULL, NULL, NULL, "no profile \"dev\"" },
    { "a prefix is not the profile", "[development]\naws_access_key_id=A\n"
      "aws_secret_access_key=S\n", "dev", -1, NULL, NULL, NULL,
      "no profile \"dev\"" },
    { "no secret", "[default]\naws_access_key_id=A\n", "default", -1, NULL,
      NULL, NULL, "profile \"default\" has no aws_secret_access_key" },
    { "no key id", "[default]\naws_secret_access_key=S\n", "default", -1,
      NULL, NULL, NULL, "profile \"default\" has no aws_access_key_id" },
};


static const sls_creds_vector_t  creds_json[] = {
    { "ECS container endpoint",
      "{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"AccessKeyId\":\"ASIA1\","
      "\"SecretAccessKey\":\"s\",\"Token\":\"tok\","
      "\"Expiration\":\"2026-11-22T14:25:20Z\"}",
      0, "ASIA1", "tok", 1795357520 },
    { "IMDS",
      "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-22T08:00:00Z\","
      "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA2\","
      "\"SecretAccessKey\":\"s\",\"Token\":\"t\","
      "\"Expiration\":\"2026-11-22T14:25:20+00:00\"}",
      0, "ASIA2", "t", 1795357520 },
    { "no token, no expiration",
      "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}", 0, "A", "", 0 },
    { "IMDS failure", "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\","
      "\"SecretAccessKey\":\"s\"}", -1, NULL, NULL, 0 },
    { "no secret", "{\"AccessKeyId\":\"A\"}", -1, NULL, NULL, 0 },
    { "bad expiration", "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\","
      "\"Expiration\":\"tomorrow\"}", -1, NULL, NULL, 0 },
    { "not JSON", "Unauthorized", -1, NULL, NULL, 0 },
};


static size_t sls_test_pairs(const sls_query_vector_t *v,
    sls_aws_pair_t *pairs);
static void sls_test_hex(const char *s, size_t len);
static int sls_test_dump(void);


static size_t
sls_test_pairs(const sls_query_vector_t *v, sls_aws_pair_t *pairs)
{
    size_t  n;

    for (n = 0; n < SLS_TEST_MAX_PAIRS && v->pairs[n * 2]; n++) {
        pairs[n].name = v->pairs[n * 2];
        pairs[n].name_len = strlen(v->pairs[n * 2]);
        pairs[n].value = v->pairs[n * 2 + 1];
        pairs[n].value_len = strlen(v->pairs[n * 2 + 1]);
    }

    return n;
}


static void
sls_test_hex(const char *s, size_t len)
{
    size_t  i;

    printf("\"");

    for (i = 0; i < len; i++) {
        printf("%02x", (unsigned char) s[i]);
    }

    printf("\"");
}


/* one JSON line per canonical form, byte strings in hex */

static int
sls_test_dump(void)
{
    char            buf[1024];
    size_t          i, j, n, len;
    sls_aws_pair_t  pairs[SLS_TEST_MAX_PAIRS];

    for (i = 0; i < TEST_NELTS(queries); i++) {
        n = sls_test_pairs(&queries[i], pairs);

        printf("{\"name\":\"%s\",\"pairs\":[", queries[i].name);

        for (j = 0; j < n; j++) {
            printf("%s[", j ? "," : "");
            sls_test_hex(pairs[j].name, pairs[j].name_len);
            printf(",");
            sls_test_hex(pairs[j].value, pairs[j].value_len);
            printf("]");
        }

        len = sls_aws_query(buf, pairs, n);
        printf("],\"query\":");
        sls_test_hex(buf, len);
        printf("}\n");
    }

    for (i = 0; i < TEST_NELTS(paths); i++) {
        len = sls_aws_path(buf, paths[i].path, strlen(paths[i].path));
        if (len == (size_t) -1) {
            continue;
        }

        printf("{\"name\":\"%s\",\"path\":", paths[i].name);
        sls_test_hex(paths[i].path, strlen(paths[i].path));
        printf(",\"encoded\":");
        sls_test_hex(buf, len);
        printf("}\n");
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int              rc;
    char             buf[1024], type[64], msg[256], err[128];
    size_t           i, n, len, start, tlen;
    sls_aws_pair_t   pairs[SLS_TEST_MAX_PAIRS];
    sls_aws_creds_t  creds;

    if (argc > 1 && strcmp(argv[1], "--dump") == 0) {
        return sls_test_dump();
    }

    for (i = 0; i < TEST_NELTS(encodes); i++) {
        n = strlen(encodes[i].in);
        len = sls_aws_encode(buf, encodes[i].in, n);

        if (!TEST_OK(len == strlen(encodes[i].out)
                     && memcmp(buf, encodes[i].out, len) == 0
                     && sls_aws_encode(NULL, encodes[i].in, n) == len,
                     "encode: %s", encodes[i].name))
        {
            TEST_DIAG("got \"%.*s\"", (int) len, buf);
        }
    }

    for (i = 0; i < TEST_NELTS(queries); i++) {
        n = sls_test_pairs(&queries[i], pairs);
        len = sls_aws_query(NULL, pairs, n);
        memset(buf, 0, sizeof(buf));

        if (!TEST_OK(sls_aws_query(buf, pairs, n) == len
                     && len == strlen(queries[i].out)
                     && strcmp(buf, queries[i].out) == 0,
                     "query: %s", queries[i].name))
        {
            TEST_DIAG("got \"%s\"", buf);
        }
    }

    for (i = 0; i < TEST_NELTS(paths); i++) {
        n = strlen(paths[i].path);
        len = sls_aws_path(NULL, paths[i].path, n);
        memset(buf, 0, sizeof(buf));

        if (paths[i].out == NULL) {
            TEST_OK(len == (size_t) -1
                    && sls_aws_path(buf, paths[i].path, n) == (size_t) -1,
                    "path: %s is refused", paths[i].name);
            continue;
        }

        if (!TEST_OK(sls_aws_path(buf, paths[i].path, n) == len
                     && len == strlen(paths[i].out)
                     && strcmp(buf, paths[i].out) == 0
                     && sls_aws_path_signable(buf, len) == paths[i].signable,
                     "path: %s", paths[i].name))
        {
            TEST_DIAG("got \"%s\"", buf);
        }
    }

    TEST_OK(sls_aws_error_name("x-amzn: Foo:bar", 15, &start, &tlen) == 0
            && tlen == 6 && memcmp("x-amzn: Foo:bar" + start, "x-amzn", 6)
               == 0,
            "error name: up to the first colon");
    TEST_OK(sls_aws_error_name("ns#", 3, &start, &tlen) == -1,
            "error name: nothing after #");

    for (i = 0; i < TEST_NELTS(errors); i++) {
        rc = sls_aws_parse_error(errors[i].body, strlen(errors[i].body),
                                 type, sizeof(type), msg, sizeof(msg));

        if (!TEST_OK(rc == errors[i].rc && strcmp(type, errors[i].type) == 0
                     && strcmp(msg, errors[i].message) == 0,
                     "error: %s", errors[i].name))
        {
            TEST_DIAG("rc %d type \"%s\" message \"%s\"", rc, type, msg);
        }
    }

    rc = sls_aws_parse_error("{\"message\":\"0123456789\"}", 24, type, 4,
                             msg, 5);
    TEST_OK(rc == 0 && strcmp(msg, "0123") == 0,
            "error: a long message is cut to the buffer");

    for (i = 0; i < TEST_NELTS(profiles); i++) {
        err[0] = '\0';
        rc = sls_aws_parse_profile(profiles[i].text,
                                   strlen(profiles[i].text),
                                   profiles[i].profile, &creds, err,
                                   sizeof(err));

        if (profiles[i].rc == 0) {
            if (!TEST_OK(rc == 0
                         && strcmp(creds.key_id, profiles[i].key_id) == 0
                         && strcmp(creds.secret, profiles[i].secret) == 0
                         && strcmp(creds.token, profiles[i].token) == 0,
                         "profile: %s", profiles[i].name))
            {
                TEST_DIAG("rc %d err \"%s\" id \"%s\" secret \"%s\" "
                             "token \"%s\"", rc, err, creds.key_id,
                             creds.secret, creds.token);
            }

        } else {
            if (!TEST_OK(rc == -1 && strcmp(err, profiles[i].err) == 0,
                         "profile: %s", profiles[i].name))
            {
                TEST_DIAG("rc %d err \"%s\"", rc, err);
            }
        }
    }

    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "[default]\naws_access_key_id=", 28);
    rc = sls_aws_parse_profile(buf, sizeof(buf), "default", &creds, err,
                               sizeof(err));
    TEST_OK(rc == -1 && strstr(err, "too long") != NULL,
            "profile: a key id longer than its array is refused");

    for (i = 0; i < TEST_NELTS(creds_json); i++) {
        err[0] = '\0';
        rc = sls_aws_parse_creds_json(creds_json[i].body,
                                      strlen(creds_json[i].body), &creds,
                                      err, sizeof(err));

        if (creds_json[i].rc == 0) {
            if (!TEST_OK(rc == 0
                         && strcmp(creds.key_id, creds_json[i].key_id) == 0
                         && strcmp(creds.secret, "s") == 0
                         && strcmp(creds.token, creds_json[i].token) == 0
                         && creds.expiration == creds_json[i].expiration,
                         "credentials JSON: %s", creds_json[i].name))
            {
                TEST_DIAG("rc %d err \"%s\" expiration %lld", rc, err,
                             (long long) creds.expiration);
            }

        } else {
            if (!TEST_OK(rc == -1 && err[0] != '\0'
                         && creds.key_id[0] == '\0',
                         "credentials JSON: %s is refused", creds_json[i].name))
            {
                TEST_DIAG("rc %d", rc);
            }
        }
    }

    return TEST_DONE();
}
