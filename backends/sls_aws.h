
/*
 * Copyright (C) sockerless contributors
 *
 * AWS helpers that need no nginx: RFC 3986 encoding, the canonical query
 * and path of SigV4, AWS JSON errors, credentials files and the
 * credentials JSON of the ECS and EC2 metadata endpoints.
 */


#ifndef _SLS_AWS_H_INCLUDED_
#define _SLS_AWS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define SLS_AWS_KEY_ID_SIZE   129     /* NUL included */
#define SLS_AWS_SECRET_SIZE   129
#define SLS_AWS_TOKEN_SIZE    4097


/* a query parameter, unencoded; not NUL-terminated */
typedef struct {
    const char  *name;
    size_t       name_len;
    const char  *value;
    size_t       value_len;
} sls_aws_pair_t;


/* credentials; fixed arrays so that a refresh overwrites in place */
typedef struct {
    char         key_id[SLS_AWS_KEY_ID_SIZE];
    char         secret[SLS_AWS_SECRET_SIZE];
    char         token[SLS_AWS_TOKEN_SIZE];        /* "": none */
    int64_t      expiration;                       /* Unix time, 0: never */
} sls_aws_creds_t;


/*
 * RFC 3986 encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ stay, every
 * other byte becomes %XX (upper case hex). With dst NULL only the length
 * is computed. Returns the length (no NUL is written).
 */
size_t sls_aws_encode(char *dst, const char *src, size_t len);

/*
 * The canonical query: every name and value encoded, the pairs sorted by
 * encoded name then encoded value (bytes), joined "n=v&n=v" ("n=" for an
 * empty value). The pairs array is sorted in place. With dst NULL only the
 * length is computed. Returns the length (no NUL is written).
 */
size_t sls_aws_query(char *dst, sls_aws_pair_t *pairs, size_t n);

/*
 * The canonical path of an unencoded '/'-separated path: each segment
 * encoded, a leading '/' added when missing. Returns the length (no NUL
 * written; dst NULL: length only), or (size_t) -1 for a "." or ".."
 * segment, which curl and AWS would both fold away.
 *
 * A segment holding anything but unreserved characters cannot be signed
 * by CURLOPT_AWS_SIGV4 before curl 8.x: AWS encodes the path twice for
 * every service but S3, curl 7.88 once. sls_aws_path_signable() says
 * whether an encoded path is safe (holds no '%').
 */
size_t sls_aws_path(char *dst, const char *path, size_t len);
int sls_aws_path_signable(const char *encoded, size_t len);

/*
 * An AWS error name as AWS writes it, "com.amazonaws.ecs#ClientException"
 * or (header X-Amzn-ErrorType) "ResourceNotFoundException:http://...":
 * sets *start and *n to the name after the last '#' and before the first
 * ':' following it. Returns 0, or -1 when nothing is left.
 */
int sls_aws_error_name(const char *s, size_t len, size_t *start, size_t *n);

/*
 * An AWS JSON error body: "__type" (or "code"/"Code"), reduced as above,
 * into type; "message" or "Message" into msg. Both are NUL-terminated and
 * cut to their size. Returns 0 when the body is a JSON object with at
 * least one of them, -1 otherwise (type and msg are then "").
 */
int sls_aws_parse_error(const char *body, size_t len, char *type,
    size_t type_size, char *msg, size_t msg_size);

/*
 * The [profile] section of a shared credentials file (~/.aws/credentials:
 * "[name]"; the config file's "[profile name]" is accepted too), its
 * aws_access_key_id, aws_secret_access_key and aws_session_token (or
 * aws_security_token). '#' and ';' start comments. Returns 0 with creds
 * set, or -1 with err set ("no profile \"x\"", "profile \"x\" has no
 * aws_secret_access_key", "a value is too long").
 */
int sls_aws_parse_profile(const char *text, size_t len, const char *profile,
    sls_aws_creds_t *creds, char *err, size_t err_size);

/*
 * The credentials JSON of the ECS container endpoint and of IMDS:
 * AccessKeyId, SecretAccessKey, Token, Expiration (RFC 3339). IMDS's
 * "Code" must be "Success" when present. Returns 0 with creds set, or -1
 * with err set.
 */
int sls_aws_parse_creds_json(const char *body, size_t len,
    sls_aws_creds_t *creds, char *err, size_t err_size);


#endif /* _SLS_AWS_H_INCLUDED_ */
