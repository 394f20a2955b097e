/*
 * Copyright (C) sockerless contributors
 *
 * Unit tests of sls_agent_proto: control messages, data frames and the
 * small JSON reader and writer. TAP output.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sls_agent_proto.h>


#define ASSERT(name, cond)                                                    \
    do {                                                                      \
        n++;                                                                  \
        if (cond) {                                                           \
            printf("ok %d - %s\n", n, name);                                  \
        } else {                                                              \
            printf("not ok %d - %s\n", n, name);                              \
            failed++;                                                         \
        }                                                                     \
    } while (0)


static int  n, failed;


typedef struct {
    const char  *name;
    const char  *json;
    int          type;
    const char  *id;
    const char  *canonical;      /* sls_agent_msg_encode() of the result */
} sls_proto_vector_t;


static const sls_proto_vector_t  good[] = {
    { "attach",
      "{\"type\":\"attach\",\"id\":\"main\",\"stdin\":true,\"stdout\":true,"
      "\"stderr\":false,\"logs\":true}",
      1, "main",
      "{\"type\":\"attach\",\"id\":\"main\",\"stdin\":true,\"stdout\":true,"
      "\"stderr\":false,\"logs\":true}" },
    { "attach, flags absent and unknown members",
      " {\"x\":[1,{\"y\":null}],\"type\":\"attach\",\"id\":\"main\"} ",
      1, "main",
      "{\"type\":\"attach\",\"id\":\"main\",\"stdin\":false,\"stdout\":false,"
      "\"stderr\":false,\"logs\":false}" },
    { "exec",
      "{\"type\":\"exec\",\"id\":\"e1\",\"cmd\":[\"sh\",\"-c\","
      "\"echo \\\"hi\\\"\"],\"env\":[\"A=1\"],\"workdir\":\"/w\","
      "\"user\":\"1:2\",\"tty\":true,\"stdin\":true}",
      2, "e1",
      "{\"type\":\"exec\",\"id\":\"e1\",\"cmd\":[\"sh\",\"-c\","
      "\"echo \\\"hi\\\"\"],\"env\":[\"A=1\"],\"workdir\":\"/w\","
      "\"user\":\"1:2\",\"tty\":true,\"stdin\":true}" },
    { "exec, minimal",
      "{\"type\":\"exec\",\"id\":\"e2\",\"cmd\":[\"ls\"]}", 2, "e2",
      "{\"type\":\"exec\",\"id\":\"e2\",\"cmd\":[\"ls\"],\"env\":[],"
      "\"workdir\":\"\",\"user\":\"\",\"tty\":false,\"stdin\":false}" },
    { "exec, direct",
      "{\"type\":\"exec\",\"id\":\"e3\",\"cmd\":[\"cat\"],\"stdin\":true,"
      "\"direct\":true}", 2, "e3",
      "{\"type\":\"exec\",\"id\":\"e3\",\"cmd\":[\"cat\"],\"env\":[],"
      "\"workdir\":\"\",\"user\":\"\",\"tty\":false,\"stdin\":true,"
      "\"direct\":true}" },
    { "exec, direct false is left out",
      "{\"type\":\"exec\",\"id\":\"e4\",\"cmd\":[\"ls\"],\"direct\":false}",
      2, "e4",
      "{\"type\":\"exec\",\"id\":\"e4\",\"cmd\":[\"ls\"],\"env\":[],"
      "\"workdir\":\"\",\"user\":\"\",\"tty\":false,\"stdin\":false}" },
    { "stdin_close",
      "{\"type\":\"stdin_close\",\"id\":\"e1\"}", 3, "e1",
      "{\"type\":\"stdin_close\",\"id\":\"e1\"}" },
    { "resize",
      "{\"type\":\"resize\",\"id\":\"main\",\"height\":40,\"width\":1.2e2}",
      4, "main",
      "{\"type\":\"resize\",\"id\":\"main\",\"height\":40,\"width\":120}" },
    { "signal",
      "{\"type\":\"signal\",\"id\":\"main\",\"signal\":15}", 5, "main",
      "{\"type\":\"signal\",\"id\":\"main\",\"signal\":15}" },
    { "ping", "{\"type\":\"ping\"}", 6, "", "{\"type\":\"ping\"}" },
    { "started",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":12345}", 7, "e1",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":12345}" },
    { "started, direct",
      "{\"type\":\"started\",\"direct\":true,\"id\":\"e1\",\"pid\":7}", 7, "e1",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":7,\"direct\":true}" },
    { "error with escapes",
      "{\"type\":\"error\",\"id\":\"e1\",\"message\":\"exec: \\\"x\\\": "
      "tab\\there\\nnl \\u00e9 \\ud83d\\ude00 \\/ \\u001f\"}", 8, "e1",
      "{\"type\":\"error\",\"id\":\"e1\",\"message\":\"exec: \\\"x\\\": "
      "tab\\there\\nnl \xc3\xa9 \xf0\x9f\x98\x80 / \\u001f\"}" },
    { "exit, negative code",
      "{\"type\":\"exit\",\"id\":\"main\",\"exitCode\":-1}", 9, "main",
      "{\"type\":\"exit\",\"id\":\"main\",\"exitCode\":-1}" },
    { "exit 137",
      "{\"type\":\"exit\",\"id\":\"main\",\"exitCode\":137}", 9, "main",
      "{\"type\":\"exit\",\"id\":\"main\",\"exitCode\":137}" },
    { "pong", "{\"type\":\"pong\"}", 10, "", "{\"type\":\"pong\"}" },
    { "archive_get, direct",
      "{\"type\":\"archive_get\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"chunked\":true}", 12, "cp",
      "{\"type\":\"archive_get\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"chunked\":true}" },
    { "archive_put, direct, chunked",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"chunked\":true,\"maxBody\":1048576,"
      "\"preread\":\"00fF0a\"}", 13, "cp",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"noOverwriteDirNonDir\":false,\"copyUIDGID\":false,"
      "\"maxBody\":1048576,\"preread\":\"00ff0a\",\"direct\":true,"
      "\"chunked\":true}" },
    { "archive_put, direct, a length",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"length\":1024,\"preread\":\"\"}", 13, "cp",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"noOverwriteDirNonDir\":false,\"copyUIDGID\":false,"
      "\"length\":1024,\"maxBody\":0,\"preread\":\"\",\"direct\":true,"
      "\"chunked\":false}" },
};


typedef struct {
    const char  *name;
    const char  *json;
} sls_proto_bad_t;


static const sls_proto_bad_t  bad[] = {
    { "empty input", "" },
    { "not an object", "[1,2]" },
    { "truncated", "{\"type\":\"ping\"" },
    { "trailing data", "{\"type\":\"ping\"} x" },
    { "trailing comma", "{\"type\":\"ping\",}" },
    { "single quotes", "{'type':'ping'}" },
    { "no type", "{\"id\":\"main\"}" },
    { "type not a string", "{\"type\":1}" },
    { "unknown type", "{\"type\":\"reboot\",\"id\":\"main\"}" },
    { "missing id", "{\"type\":\"signal\",\"signal\":9}" },
    { "empty id", "{\"type\":\"signal\",\"id\":\"\",\"signal\":9}" },
    { "id of 65 bytes",
      "{\"type\":\"stdin_close\",\"id\":\"0123456789012345678901234567890123"
      "4567890123456789012345678901234\"}" },
    { "bool as string",
      "{\"type\":\"attach\",\"id\":\"main\",\"stdin\":\"true\"}" },
    { "exec without cmd", "{\"type\":\"exec\",\"id\":\"e\"}" },
    { "exec with empty cmd", "{\"type\":\"exec\",\"id\":\"e\",\"cmd\":[]}" },
    { "exec cmd with a number",
      "{\"type\":\"exec\",\"id\":\"e\",\"cmd\":[\"ls\",1]}" },
    { "exec, direct not a boolean",
      "{\"type\":\"exec\",\"id\":\"e\",\"cmd\":[\"ls\"],\"direct\":1}" },
    { "archive_put, preread of odd length",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"preread\":\"abc\"}" },
    { "archive_put, preread not hex",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"preread\":\"zz\"}" },
    { "archive_put, a negative length",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"direct\":true,\"length\":-1}" },
    { "archive_put, maxBody not a whole number",
      "{\"type\":\"archive_put\",\"id\":\"cp\",\"path\":\"/d\","
      "\"maxBody\":1.5}" },
    { "started, direct not a boolean",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":7,\"direct\":\"yes\"}" },
    { "resize without width",
      "{\"type\":\"resize\",\"id\":\"main\",\"height\":1}" },
    { "resize negative",
      "{\"type\":\"resize\",\"id\":\"main\",\"height\":-1,\"width\":1}" },
    { "resize fractional",
      "{\"type\":\"resize\",\"id\":\"main\",\"height\":1.5,\"width\":1}" },
    { "signal 0", "{\"type\":\"signal\",\"id\":\"main\",\"signal\":0}" },
    { "signal 65", "{\"type\":\"signal\",\"id\":\"main\",\"signal\":65}" },
    { "started, pid past a long (UB of the cast)",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":1e300}" },
    { "started, pid of 2^63",
      "{\"type\":\"started\",\"id\":\"e1\",\"pid\":9223372036854775808}" },
    { "bad escape", "{\"type\":\"ping\",\"x\":\"\\q\"}" },
    { "short \\u", "{\"type\":\"ping\",\"x\":\"\\u12\"}" },
    { "lone high surrogate", "{\"type\":\"ping\",\"x\":\"\\ud83d\"}" },
    { "lone low surrogate", "{\"type\":\"ping\",\"x\":\"\\ude00\"}" },
    { "\\u0000", "{\"type\":\"ping\",\"x\":\"a\\u0000b\"}" },
    { "raw control character", "{\"type\":\"ping\",\"x\":\"a\nb\"}" },
    { "leading zero", "{\"type\":\"ping\",\"x\":01}" },
    { "bare minus", "{\"type\":\"ping\",\"x\":-}" },
    { "bad literal", "{\"type\":\"ping\",\"x\":tru}" },
    { "unterminated string", "{\"type\":\"ping\",\"x\":\"abc" },
};


static void
sls_proto_test_messages(void)
{
    int              rc;
    char             name[160], err[128], buf[1024];
    char            *cmd[] = { "sh", "-c", "echo hi", NULL };
    size_t           i, len;
    sls_agent_msg_t  m, m2;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        rc = sls_agent_msg_parse(good[i].json, strlen(good[i].json), &m,
                                 err, sizeof(err));

        snprintf(name, sizeof(name), "parse: %s", good[i].name);
        ASSERT(name, rc == 0 && m.type == good[i].type
                     && strcmp(m.id, good[i].id) == 0);

        if (rc != 0) {
            printf("#   %s\n", err);
            continue;
        }

        len = sls_agent_msg_encode(&m, buf, sizeof(buf));

        snprintf(name, sizeof(name), "encode: %s", good[i].name);
        ASSERT(name, len == strlen(good[i].canonical)
                     && strcmp(buf, good[i].canonical) == 0);

        if (strcmp(buf, good[i].canonical) != 0) {
            printf("#   got %s\n", buf);
        }

        rc = sls_agent_msg_parse(buf, len, &m2, err, sizeof(err));
        len = sls_agent_msg_encode(&m2, buf, sizeof(buf));

        snprintf(name, sizeof(name), "round trip: %s", good[i].name);
        ASSERT(name, rc == 0 && strcmp(buf, good[i].canonical) == 0);

        sls_agent_msg_free(&m);
        sls_agent_msg_free(&m2);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        rc = sls_agent_msg_parse(bad[i].json, strlen(bad[i].json), &m,
                                 err, sizeof(err));

        snprintf(name, sizeof(name), "malformed: %s", bad[i].name);
        ASSERT(name, rc == -1 && err[0] != '\0' && m.cmd == NULL);
    }

    /* parse a slice that is not NUL-terminated */

    rc = sls_agent_msg_parse("{\"type\":\"ping\"}garbage", 15, &m, err,
                             sizeof(err));
    ASSERT("parse uses the length, not a NUL", rc == 0
           && m.type == SLS_AGENT_MSG_PING);

    /* snprintf-like size reporting */

    memset(&m, 0, sizeof(m));
    m.type = SLS_AGENT_MSG_EXIT;
    strcpy(m.id, "main");
    m.exit_code = 7;

    len = sls_agent_msg_encode(&m, buf, 10);
    ASSERT("encode into a short buffer: needed length, NUL-terminated",
           len == strlen("{\"type\":\"exit\",\"id\":\"main\",\"exitCode\":7}")
           && strlen(buf) == 9);

    len = sls_agent_msg_encode(&m, NULL, 0);
    ASSERT("encode size query", len == 40);

    /* found by fuzzing: a string that did not fit left a gap of garbage */

    memset(&m, 0, sizeof(m));
    m.type = SLS_AGENT_MSG_STARTED;
    strcpy(m.id, "0123456789abcdef");
    m.pid = 1;

    memset(buf, 'X', sizeof(buf));
    len = sls_agent_msg_encode(&m, buf, 30);
    ASSERT("encode into a short buffer: the start of the text",
           len == strlen("{\"type\":\"started\",\"id\":"
                         "\"0123456789abcdef\",\"pid\":1}")
           && strcmp(buf, "{\"type\":\"started\",\"id\":\"01234") == 0);

    m.type = SLS_AGENT_MSG_EXEC;
    m.cmd = cmd;

    memset(buf, 'X', sizeof(buf));
    len = sls_agent_msg_encode(&m, buf, 60);
    ASSERT("encode into a short buffer: the start of an array",
           len == 125
           && strcmp(buf, "{\"type\":\"exec\",\"id\":\"0123456789abcdef\","
                          "\"cmd\":[\"sh\",\"-c\",\"ec") == 0);
}


static void
sls_proto_test_json(void)
{
    int          i;
    char         err[128], *deep, buf[64];
    size_t       len;
    sls_json_t  *j, *e;

    static const char  doc[] =
        "{\"a\":[true,false,null,-1.5e3,\"s\"],\"b\":{}}";

    j = sls_json_parse(doc, sizeof(doc) - 1, err, sizeof(err));

    e = sls_json_get(j, "a");
    ASSERT("json: array of every type",
           j && e && e->type == SLS_JSON_ARRAY
           && e->child->type == SLS_JSON_TRUE
           && e->child->next->type == SLS_JSON_FALSE
           && e->child->next->next->type == SLS_JSON_NULL
           && e->child->next->next->next->num == -1500.0
           && strcmp(e->child->next->next->next->next->str, "s") == 0
           && sls_json_get(j, "b")->type == SLS_JSON_OBJECT
           && sls_json_get(j, "c") == NULL);

    sls_json_free(j);

    /* nesting: SLS_JSON_MAX_DEPTH levels are fine, one more is not */

    deep = malloc(2 * SLS_JSON_MAX_DEPTH + 3);
    if (deep == NULL) {
        return;
    }

    for (i = 0; i < SLS_JSON_MAX_DEPTH; i++) {
        deep[i] = '[';
        deep[2 * SLS_JSON_MAX_DEPTH - 1 - i] = ']';
    }

    j = sls_json_parse(deep, 2 * SLS_JSON_MAX_DEPTH, err, sizeof(err));
    ASSERT("json: nesting at the limit", j != NULL);
    sls_json_free(j);

    for (i = 0; i <= SLS_JSON_MAX_DEPTH; i++) {
        deep[i] = '[';
        deep[2 * SLS_JSON_MAX_DEPTH + 1 - i] = ']';
    }

    j = sls_json_parse(deep, 2 * SLS_JSON_MAX_DEPTH + 2, err, sizeof(err));
    ASSERT("json: nesting over the limit is refused",
           j == NULL && strstr(err, "deep") != NULL);
    sls_json_free(j);
    free(deep);

    len = sls_json_quote(buf, sizeof(buf), "a\"b\\c\x01\x7f\xc3\xa9", 9);
    ASSERT("json quote escapes",
           strcmp(buf, "\"a\\\"b\\\\c\\u0001\\u007f\xc3\xa9\"") == 0
           && len == strlen(buf));

    len = sls_json_quote(buf, 4, "abcdef", 6);
    ASSERT("json quote truncates, reports the length",
           len == 8 && strcmp(buf, "\"ab") == 0);
}


static void
sls_proto_test_data(void)
{
    int               rc;
    size_t            len;
    unsigned char     buf[128];
    sls_agent_data_t  d;

    len = sls_agent_data_header(buf, SLS_AGENT_STDOUT, "e1", 2);
    memcpy(buf + len, "xyz", 3);

    rc = sls_agent_data_parse(buf, len + 3, &d);
    ASSERT("data frame round trip",
           len == 4 && buf[0] == 1 && buf[1] == 2 && rc == 0
           && d.stream == 1 && d.id_len == 2 && memcmp(d.id, "e1", 2) == 0
           && d.len == 3 && memcmp(d.data, "xyz", 3) == 0);

    rc = sls_agent_data_parse((const unsigned char *) "\0\4main", 6, &d);
    ASSERT("data frame with an empty payload",
           rc == 0 && d.stream == 0 && d.len == 0 && d.id_len == 4);

    ASSERT("data frame: stream 3 refused",
           sls_agent_data_parse((const unsigned char *) "\3\1a", 3, &d)
           == -1);
    ASSERT("data frame: id length 0 refused",
           sls_agent_data_parse((const unsigned char *) "\0\0a", 3, &d)
           == -1);
    ASSERT("data frame: id longer than the frame refused",
           sls_agent_data_parse((const unsigned char *) "\0\5main", 6, &d)
           == -1);
    ASSERT("data frame: id of 65 bytes refused",
           sls_agent_data_parse((const unsigned char *) "\0\101", 2, &d)
           == -1);
    ASSERT("data header: id of 65 bytes refused",
           sls_agent_data_header(buf, 1,
               "01234567890123456789012345678901234567890123456789012345678901"
               "234", 65) == 0);
}


int
main(void)
{
    sls_proto_test_messages();
    sls_proto_test_json();
    sls_proto_test_data();

    printf("1..%d\n", n);

    return failed ? 1 : 0;
}
