#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# Pushes a `docker save` tarball (one image) into a registry over the
# distribution API: gzipped layers and the config as blobs, then a schema2
# manifest under a tag, and optionally an OCI index under another tag.
# Prints the manifest digest (and the index digest) on stdout.
#
#   regpush.py --registry 127.0.0.1:5000 --repo busybox --tag latest \
#       [--user u --password p] [--index-tag multi] image.tar

import argparse
import base64
import gzip
import hashlib
import io
import json
import platform
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(),
                                                   platform.machine())


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    def __init__(self, host, user, password):
        self.base = "http://%s" % host
        self.auth = None
        if user is not None:
            tok = base64.b64encode(("%s:%s" % (user, password)).encode())
            self.auth = "Basic " + tok.decode()

    def call(self, method, url, data=None, headers=None):
        if not url.startswith("http"):
            url = self.base + url
        req = urllib.request.Request(url, data=data, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.auth:
            req.add_header("Authorization", self.auth)
        return urllib.request.urlopen(req, timeout=60)

    def blob(self, repo, data):
        d = sha(data)
        try:
            self.call("HEAD", "/v2/%s/blobs/%s" % (repo, d))
            return d
        except urllib.error.HTTPError:
            pass
        r = self.call("POST", "/v2/%s/blobs/uploads/" % repo, data=b"")
        loc = r.headers["Location"]
        if loc.startswith("/"):
            loc = self.base + loc
        sep = "&" if "?" in loc else "?"
        self.call("PUT", loc + sep + "digest=" + urllib.parse.quote(d),
                  data=data,
                  headers={"Content-Type": "application/octet-stream"})
        return d

    def manifest(self, repo, ref, doc, media):
        raw = json.dumps(doc, separators=(",", ":")).encode()
        self.call("PUT", "/v2/%s/manifests/%s" % (repo, ref), data=raw,
                  headers={"Content-Type": media})
        return sha(raw), len(raw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--registry", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--tag", default="latest")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--index-tag")
    ap.add_argument("--pad", type=int, default=0,
                    help="an extra layer of that many random MiB")
    ap.add_argument("tar")
    a = ap.parse_args()

    with tarfile.open(a.tar) as t:
        m = json.loads(t.extractfile("manifest.json").read())[0]
        cfg_raw = t.extractfile(m["Config"]).read()
        layers = [t.extractfile(name).read() for name in m["Layers"]]

    cfg = json.loads(cfg_raw)
    if a.pad:
        import os
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as lt:
            data = os.urandom(a.pad * 1024 * 1024)
            ti = tarfile.TarInfo("pad.bin")
            ti.size = len(data)
            ti.mtime = 1704067200
            lt.addfile(ti, io.BytesIO(data))
        layers.append(buf.getvalue())
        cfg["rootfs"]["diff_ids"].append(sha(buf.getvalue()))
        cfg_raw = json.dumps(cfg, separators=(",", ":")).encode()

    reg = Registry(a.registry, a.user, a.password)
    descs = []
    for layer in layers:
        gz = gzip.compress(layer, mtime=0)
        descs.append({
            "mediaType":
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": len(gz),
            "digest": reg.blob(a.repo, gz),
        })
    cd = reg.blob(a.repo, cfg_raw)
    doc = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": len(cfg_raw),
            "digest": cd,
        },
        "layers": descs,
    }
    md, ml = reg.manifest(a.repo, a.tag, doc, doc["mediaType"])
    print(md)

    if a.index_tag:
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": doc["mediaType"], "size": ml, "digest": md,
                 "platform": {"os": "windows", "architecture": ARCH}},
                {"mediaType": doc["mediaType"], "size": ml, "digest": md,
                 "platform": {"os": "linux", "architecture": ARCH}},
            ],
        }
        idx, _ = reg.manifest(a.repo, a.index_tag, index,
                              index["mediaType"])
        print(idx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
