
/*
 * Copyright (C) sockerless contributors
 *
 * Exec instances: create and inspect. Starting one is a stream (see
 * ngx_http_sockerless_stream.c); its exit is recorded by the backend.
 */


#include <ngx_http_sockerless_module.h>
#include <ngx_http_sockerless_containers.h>
#include <ngx_http_sockerless_stream.h>


ngx_http_sockerless_route_t  ngx_http_sockerless_exec_routes[] = {

    { NGX_HTTP_POST, ngx_string("/exec/"),
      ngx_string("start"),
      NGX_HTTP_SOCKERLESS_ROUTE_ID|NGX_HTTP_SOCKERLESS_ROUTE_BODY,
      ngx_http_sockerless_exec_start },

    { NGX_HTTP_POST, ngx_string("/exec/"),
      ngx_string("resize"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_exec_resize },

    { NGX_HTTP_GET, ngx_string("/exec/"),
      ngx_string("json"), NGX_HTTP_SOCKERLESS_ROUTE_ID,
      ngx_http_sockerless_exec_inspect },

    { 0, ngx_null_string, ngx_null_string, 0, NULL }
};


static ngx_int_t
ngx_http_sockerless_exec_add(void *data, cJSON **value)
{
    const char  *xid = data;
    cJSON       *ids;

    if (*value == NULL) {
        return NGX_DECLINED;
    }

    ids = cJSON_GetObjectItemCaseSensitive(*value, "ExecIDs");

    if (!cJSON_IsArray(ids)) {
        ids = cJSON_CreateArray();
        if (ids == NULL) {
            return NGX_ERROR;
        }

        cJSON_DeleteItemFromObjectCaseSensitive(*value, "ExecIDs");
        cJSON_AddItemToObject(*value, "ExecIDs", ids);
    }

    cJSON_AddItemToArray(ids, cJSON_CreateString(xid));

    return NGX_OK;
}


ngx_int_t
ngx_http_sockerless_exec_create(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char         key[80];
    cJSON       *rec, *body, *cmd, *x, *pc, *a, *env, *e, *sls, *state, *c;
    cJSON       *out;
    ngx_int_t    tty;
    const char  *cid, *s;
    char         xid[NGX_HTTP_SOCKERLESS_ID_LEN + 1];

    rec = ngx_http_sockerless_container_find(r->pool, &args->id);
    if (rec == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such container: %V",
                                              &args->id);
    }

    cid = ngx_http_sockerless_json_str(rec, "Id");
    state = cJSON_GetObjectItemCaseSensitive(rec, "State");

    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"))) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                              "container %s is not running",
                                              cid);
    }

    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Paused"))) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_CONFLICT,
                                  "Container %s is paused, unpause the "
                                  "container before exec", cid);
    }

    body = args->body;
    cmd = body ? cJSON_GetObjectItem(body, "Cmd") : NULL;

    if (!cJSON_IsArray(cmd) || cJSON_GetArraySize(cmd) == 0) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                              "No exec command specified");
    }

    cJSON_ArrayForEach(e, cmd) {
        if (!cJSON_IsString(e)) {
            return ngx_http_sockerless_send_error(r, NGX_HTTP_BAD_REQUEST,
                                   "invalid JSON: Cmd must be strings");
        }
    }

    tty = cJSON_IsTrue(cJSON_GetObjectItem(body, "Tty"));

    ngx_http_sockerless_random_id(xid);

    x = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (x == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(x, "ID", xid);
    cJSON_AddFalseToObject(x, "Running");
    cJSON_AddNullToObject(x, "ExitCode");

    pc = cJSON_AddObjectToObject(x, "ProcessConfig");
    cJSON_AddBoolToObject(pc, "tty", tty);
    cJSON_AddStringToObject(pc, "entrypoint",
                            cJSON_GetArrayItem(cmd, 0)->valuestring);
    a = cJSON_Duplicate(cmd, 1);
    cJSON_DeleteItemFromArray(a, 0);
    cJSON_AddItemToObject(pc, "arguments", a);
    cJSON_AddBoolToObject(pc, "privileged",
                    cJSON_IsTrue(cJSON_GetObjectItem(body, "Privileged")));
    s = ngx_http_sockerless_json_str(body, "User");
    if (s == NULL) {
        s = cJSON_GetStringValue(cJSON_GetObjectItem(body, "User"));
    }
    cJSON_AddStringToObject(pc, "user", s ? s : "");

    cJSON_AddBoolToObject(x, "OpenStdin",
                    cJSON_IsTrue(cJSON_GetObjectItem(body, "AttachStdin")));
    cJSON_AddBoolToObject(x, "OpenStderr",
                    cJSON_IsTrue(cJSON_GetObjectItem(body, "AttachStderr")));
    cJSON_AddBoolToObject(x, "OpenStdout",
                    cJSON_IsTrue(cJSON_GetObjectItem(body, "AttachStdout")));
    cJSON_AddFalseToObject(x, "CanRemove");
    cJSON_AddStringToObject(x, "ContainerID", cid);
    s = cJSON_GetStringValue(cJSON_GetObjectItem(body, "DetachKeys"));
    cJSON_AddStringToObject(x, "DetachKeys", s ? s : "");
    cJSON_AddNumberToObject(x, "Pid", 0);

    /* the process environment: the container's, then the exec's */

    c = cJSON_GetObjectItemCaseSensitive(rec, "Config");
    env = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "Env"), 1);
    if (!cJSON_IsArray(env)) {
        cJSON_Delete(env);
        env = cJSON_CreateArray();
    }

    cJSON_ArrayForEach(e, cJSON_GetObjectItem(body, "Env")) {
        if (cJSON_IsString(e)) {
            cJSON_AddItemToArray(env, cJSON_CreateString(e->valuestring));
        }
    }

    sls = cJSON_AddObjectToObject(x, "_sls");
    cJSON_AddItemToObject(sls, "cmd", cJSON_Duplicate(cmd, 1));
    cJSON_AddItemToObject(sls, "env", env);

    s = cJSON_GetStringValue(cJSON_GetObjectItem(body, "WorkingDir"));
    if (s == NULL || *s == '\0') {
        s = ngx_http_sockerless_json_str(c, "WorkingDir");
    }
    cJSON_AddStringToObject(sls, "workdir", s ? s : "");

    s = cJSON_GetStringValue(cJSON_GetObjectItem(body, "User"));
    if (s == NULL || *s == '\0') {
        s = ngx_http_sockerless_json_str(c, "User");
    }
    cJSON_AddStringToObject(sls, "user", s ? s : "");
    cJSON_AddBoolToObject(sls, "tty", tty);
    cJSON_AddBoolToObject(sls, "privileged",
                    cJSON_IsTrue(cJSON_GetObjectItem(body, "Privileged")));
    cJSON_AddFalseToObject(sls, "started");

    ngx_sprintf((u_char *) key, "x/%s%Z", xid);

    if (ngx_http_sockerless_store_put(key, x) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "c/%s%Z", cid);
    (void) ngx_http_sockerless_store_update(r->pool, key,
                                            ngx_http_sockerless_exec_add,
                                            xid);

    ngx_http_sockerless_exec_event(r->pool, xid, "exec_create", -1);

    out = ngx_http_sockerless_json_bind(r->pool, cJSON_CreateObject());
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cJSON_AddStringToObject(out, "Id", xid);

    return ngx_http_sockerless_send_json(r, NGX_HTTP_CREATED, out);
}


ngx_int_t
ngx_http_sockerless_exec_inspect(ngx_http_request_t *r,
    ngx_http_sockerless_args_t *args)
{
    char   *key;
    cJSON  *x;

    key = ngx_pnalloc(r->pool, args->id.len + 3);
    if (key == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf((u_char *) key, "x/%V%Z", &args->id);

    x = (args->id.len <= 128) ? ngx_http_sockerless_store_get(r->pool, key)
                              : NULL;
    if (x == NULL) {
        return ngx_http_sockerless_send_error(r, NGX_HTTP_NOT_FOUND,
                                              "No such exec instance: %V",
                                              &args->id);
    }

    cJSON_DeleteItemFromObjectCaseSensitive(x, "_sls");

    return ngx_http_sockerless_send_json(r, NGX_HTTP_OK, x);
}
