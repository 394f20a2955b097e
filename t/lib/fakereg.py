#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# A registry that misbehaves, for t/pull.t: /v2/bad/manifest has a
# manifest that is not JSON, /v2/bad/digest a layer whose bytes do not
# match its digest, /v2/bad/hang answers nothing. Prints its port.

import hashlib
import http.server
import json
import socketserver
import sys
import threading
import time

CFG = json.dumps({"architecture": "amd64", "os": "linux",
                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
LAYER = b"not the layer the digest names"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
               "size": len(CFG), "digest": sha(CFG)},
    "layers": [{"mediaType":
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(LAYER), "digest": sha(b"other bytes")}],
}).encode()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/v2/":
            return self.send(200, b"{}")
        if p.startswith("/v2/bad/hang/"):
            time.sleep(3600)
            return
        if p.startswith("/v2/bad/manifest/manifests/"):
            return self.send(200, b"{not json",
                             "application/vnd.docker.distribution."
                             "manifest.v2+json")
        if p.startswith("/v2/bad/digest/manifests/"):
            return self.send(200, MANIFEST,
                             "application/vnd.docker.distribution."
                             "manifest.v2+json")
        if p == "/v2/bad/digest/blobs/" + sha(CFG):
            return self.send(200, CFG, "application/octet-stream")
        if p.startswith("/v2/bad/digest/blobs/"):
            return self.send(200, LAYER, "application/octet-stream")
        return self.send(404, json.dumps({"errors": [{
            "code": "NAME_UNKNOWN",
            "message": "repository name not known to registry"}]}).encode())

    do_HEAD = do_GET


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    s = S(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
