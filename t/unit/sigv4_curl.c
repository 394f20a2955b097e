
/*
 * Copyright (C) sockerless contributors
 *
 * Signs a request of every shape the AWS backends send with libcurl's
 * CURLOPT_AWS_SIGV4, the URL built by sls_aws exactly as the aws module
 * builds it, against the server of t/unit/sigv4_curl.py, which verifies
 * each signature with botocore and answers 200 or 403. TAP output.
 * Usage: sigv4_curl PORT
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <sls_aws.h>
#include "test.h"


#define SLS_TEST_KEY_ID     "AKIDEXAMPLE"
#define SLS_TEST_SECRET     "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SLS_TEST_TOKEN      "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3Qt" \
                            "MSJHMEUCIQ+/=="


typedef struct {
    const char  *name;
    const char  *service;
    const char  *method;
    const char  *target;        /* JSON 1.1: X-Amz-Target */
    const char  *path;          /* REST, unencoded */
    const char  *query[10];     /* REST: name, value, ..., unencoded */
    const char  *body;          /* NULL: none */
    const char  *token;         /* NULL: none */
    const char  *secret;        /* NULL: the right one */
    long         status;        /* expected */
} sls_sigv4_vector_t;


static const sls_sigv4_vector_t  vectors[] = {
    { "JSON 1.1 POST with a target (ECS RunTask)", "ecs", "POST",
      "AmazonEC2ContainerServiceV20141113.RunTask", NULL, { NULL },
      "{\"cluster\":\"c\",\"count\":1,\"overrides\":{\"x\":\"a b\\u00e9\"}}",
      NULL, NULL, 200 },
    { "JSON 1.1 POST with a session token (Logs)", "logs", "POST",
      "Logs_20140328.GetLogEvents", NULL, { NULL },
      "{\"logGroupName\":\"/sockerless\",\"startFromHead\":true}",
      SLS_TEST_TOKEN, NULL, 200 },
    { "JSON 1.1 POST with an empty object", "ecs", "POST",
      "AmazonEC2ContainerServiceV20141113.ListClusters", NULL, { NULL },
      "{}", NULL, NULL, 200 },
    { "REST GET with a query (Lambda ListFunctions)", "lambda", "GET",
      NULL, "/2015-03-31/functions/",
      { "MaxItems", "50", "Marker", "abc/def+==", NULL }, NULL, NULL, NULL,
      200 },
    { "REST GET with a query and a session token", "lambda", "GET", NULL,
      "/2015-03-31/functions/sockerless-0123abcd",
      { "Qualifier", "$LATEST", NULL }, NULL, SLS_TEST_TOKEN, NULL, 200 },
    { "REST GET with a query needing every kind of encoding", "lambda",
      "GET", NULL, "/2015-03-31/functions/",
      { "b", "x y", "~a", "1", "\xc3\xa4", "\xe1\x88\xb4", "b", "x+y",
        NULL }, NULL, NULL, NULL, 200 },
    { "REST POST with a body (Lambda Invoke)", "lambda", "POST", NULL,
      "/2015-03-31/functions/sockerless-0123abcd/invocations", { NULL },
      "{\"cmd\":[\"sh\",\"-c\",\"echo 'a  b'\"]}", NULL, NULL, 200 },
    { "REST POST with a body, a query and a session token", "lambda",
      "POST", NULL, "/2015-03-31/functions/f/invocations",
      { "Qualifier", "1", NULL }, "{}", SLS_TEST_TOKEN, NULL, 200 },
    { "REST DELETE without a body", "lambda", "DELETE", NULL,
      "/2015-03-31/functions/sockerless-0123abcd", { NULL }, NULL, NULL,
      NULL, 200 },
    { "REST PUT with a body", "lambda", "PUT", NULL,
      "/2015-03-31/functions/f/configuration", { NULL },
      "{\"Timeout\":900}", NULL, NULL, 200 },
    { "a wrong secret fails", "ecs", "POST",
      "AmazonEC2ContainerServiceV20141113.ListClusters", NULL, { NULL },
      "{}", NULL, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", 403 },
    { "a wrong secret fails with a session token", "lambda", "GET", NULL,
      "/2015-03-31/functions/", { "MaxItems", "1", NULL }, NULL,
      SLS_TEST_TOKEN, "x", 403 },
};


static size_t sls_test_body(char *ptr, size_t size, size_t n, void *data);
static int sls_test_request(const sls_sigv4_vector_t *v, int port,
    long *status, char *answer, size_t answer_size);


static size_t
sls_test_body(char *ptr, size_t size, size_t n, void *data)
{
    char    *answer;
    size_t   len;

    answer = data;
    len = strlen(answer);

    if (len + size * n < 512) {
        memcpy(answer + len, ptr, size * n);
        answer[len + size * n] = '\0';
    }

    return size * n;
}


static int
sls_test_request(const sls_sigv4_vector_t *v, int port, long *status,
    char *answer, size_t answer_size)
{
    int                 rc;
    char                url[1024], sigv4[128], header[4200], *p;
    CURL               *curl;
    size_t              n, len;
    CURLcode            res;
    sls_aws_pair_t      pairs[5];
    struct curl_slist  *headers, *h;

    curl = curl_easy_init();
    if (curl == NULL) {
        return -1;
    }

    headers = NULL;
    rc = -1;
    answer[0] = '\0';

    /* as the aws module builds it: http://host:port + path [? query] */

    p = url + snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);

    if (v->target) {
        *p++ = '/';

    } else {
        len = sls_aws_path(NULL, v->path, strlen(v->path));
        if (len == (size_t) -1 || len > 500) {
            goto done;
        }

        p += sls_aws_path(p, v->path, strlen(v->path));

        for (n = 0; v->query[n * 2]; n++) {
            pairs[n].name = v->query[n * 2];
            pairs[n].name_len = strlen(v->query[n * 2]);
            pairs[n].value = v->query[n * 2 + 1];
            pairs[n].value_len = strlen(v->query[n * 2 + 1]);
        }

        if (n) {
            *p++ = '?';
            p += sls_aws_query(p, pairs, n);
        }
    }

    *p = '\0';

    snprintf(sigv4, sizeof(sigv4), "aws:amz:us-east-1:%s", v->service);

    if (v->target) {
        snprintf(header, sizeof(header), "X-Amz-Target: %s", v->target);
        h = curl_slist_append(headers, header);
        if (h == NULL) {
            goto done;
        }

        headers = h;
        h = curl_slist_append(headers,
                              "Content-Type: application/x-amz-json-1.1");

    } else {
        h = curl_slist_append(headers, "Content-Type: application/json");
    }

    if (h == NULL) {
        goto done;
    }

    headers = h;

    if (v->token) {
        snprintf(header, sizeof(header), "X-Amz-Security-Token: %s",
                 v->token);
        h = curl_slist_append(headers, header);
        if (h == NULL) {
            goto done;
        }

        headers = h;
    }

    if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, v->method)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_USERNAME, SLS_TEST_KEY_ID)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_PASSWORD,
                            v->secret ? v->secret : SLS_TEST_SECRET)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sls_test_body)
           != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L) != CURLE_OK)
    {
        goto done;
    }

    if (v->body
        && (curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                             (long) strlen(v->body)) != CURLE_OK
            || curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, v->body)
               != CURLE_OK))
    {
        goto done;
    }

    if (v->body == NULL && strcmp(v->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }

    res = curl_easy_perform(curl);
    if (res != CURLE_OK) {
        snprintf(answer, answer_size, "curl: %s", curl_easy_strerror(res));
        goto done;
    }

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    rc = 0;

done:

    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    return rc;
}


int
main(int argc, char **argv)
{
    int     port;
    char    answer[512];
    long    status;
    size_t  i;

    if (argc != 2 || (port = atoi(argv[1])) <= 0) {
        fprintf(stderr, "usage: sigv4_curl PORT\n");
        return 2;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "curl_global_init() failed\n");
        return 2;
    }

    TEST_PLAN((int) TEST_NELTS(vectors));

    for (i = 0; i < TEST_NELTS(vectors); i++) {
        status = 0;

        if (!TEST_OK(sls_test_request(&vectors[i], port, &status, answer,
                                      sizeof(answer)) == 0
                     && status == vectors[i].status,
                     "%s", vectors[i].name))
        {
            TEST_DIAG("status %ld: %s", status, answer);
        }
    }

    curl_global_cleanup();

    return TEST_DONE();
}
