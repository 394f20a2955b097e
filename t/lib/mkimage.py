#!/usr/bin/env python3
# Copyright (C) sockerless contributors
#
# Builds a reproducible `docker save` tarball of a busybox image from
# Debian's /bin/busybox (busybox-static), and checks such tarballs.
#
#   mkimage.py [--busybox /bin/busybox] [--tag busybox:latest ...] -o out.tar
#   mkimage.py --check out.tar
#   mkimage.py --self-test

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

EPOCH = 1704067200                  # 2024-01-01T00:00:00Z, fixed
CREATED = "2024-01-01T00:00:00Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TAGS = ["busybox:latest", "sockerless-test/busybox:latest"]

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
)
GROUP = (
    "root:x:0:\n"
    "tester:x:1000:\n"
    "nogroup:x:65534:\n"
)


def tarinfo(name, kind, mode, size=0, uid=0, gid=0, linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.size = size
    ti.uid = uid
    ti.gid = gid
    ti.uname = ""
    ti.gname = ""
    ti.mtime = EPOCH
    ti.linkname = linkname
    return ti


def build_layer(busybox, files=(), dirs=(), links=()):
    """Returns the bytes of the uncompressed layer tar; files are
    (path, text) added, dirs (path, mode, uid, gid), links (path, target)
    hard links to files added (the link must sort after its target)."""
    with open(busybox, "rb") as f:
        bb = f.read()

    out = subprocess.run([busybox, "--list-full"], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    applets = sorted(set(a.strip() for a in out.split("\n") if a.strip()))

    entries = {}        # name -> (TarInfo, data or None)

    def add_dir(name, mode=0o755, uid=0, gid=0):
        entries[name] = (tarinfo(name, tarfile.DIRTYPE, mode, uid=uid,
                                 gid=gid), None)

    def add_file(name, data, mode=0o644):
        entries[name] = (tarinfo(name, tarfile.REGTYPE, mode, len(data)),
                         data)

    for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local",
              "usr/local/bin", "usr/local/sbin", "etc", "proc", "dev", "sys",
              "home", "var", "run"):
        add_dir(d)
    add_dir("tmp", 0o1777)
    add_dir("var/tmp", 0o1777)
    add_dir("root", 0o700)
    add_dir("home/tester", 0o755, 1000, 1000)

    add_file("bin/busybox", bb, 0o755)
    add_file("etc/passwd", PASSWD.encode())
    add_file("etc/group", GROUP.encode())
    add_file("etc/hostname", b"")
    add_file("etc/hosts", b"")
    add_file("etc/resolv.conf", b"")

    def parents(name):
        parent = os.path.dirname(name)
        if parent and parent not in entries:
            parents(parent)
            add_dir(parent)

    for path, mode, uid, gid in dirs:
        parents(path.strip("/"))
        add_dir(path.strip("/"), mode, uid, gid)

    for path, text in files:
        parents(path.strip("/"))
        add_file(path.strip("/"), text.encode())

    for path, target in links:
        parents(path.strip("/"))
        entries[path.strip("/")] = (tarinfo(path.strip("/"), tarfile.LNKTYPE,
                                            0o644,
                                            linkname=target.strip("/")),
                                    None)

    for a in applets:
        if a == "bin/busybox" or a in entries:
            continue
        parent = os.path.dirname(a)
        if parent and parent not in entries:
            add_dir(parent)
        entries[a] = (tarinfo(a, tarfile.SYMTYPE, 0o777,
                              linkname="/bin/busybox"), None)

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(entries):
            ti, data = entries[name]
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def build_image(busybox, tags, healthcheck=None, volumes=(), files=(),
                dirs=(), links=()):
    layer = build_layer(busybox, files, dirs, links)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()

    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {
            "Env": [PATH_ENV],
            "Cmd": ["sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{
            "created": CREATED,
            "created_by": "t/lib/mkimage.py: /bin/busybox from Debian's "
                          "busybox-static",
        }],
    }
    if healthcheck is not None:
        # what a Dockerfile's HEALTHCHECK puts in the image config
        config["config"]["Healthcheck"] = healthcheck
    if volumes:
        # what a Dockerfile's VOLUME puts in the image config
        config["config"]["Volumes"] = {v: {} for v in volumes}
    config_bytes = canonical(config)
    image_id = hashlib.sha256(config_bytes).hexdigest()

    v1_id = hashlib.sha256((diff_id + "\n" + image_id).encode()).hexdigest()
    v1_json = canonical({
        "id": v1_id,
        "created": CREATED,
        "os": "linux",
        "architecture": "amd64",
        "config": config["config"],
    })

    manifest = [{
        "Config": image_id + ".json",
        "RepoTags": tags,
        "Layers": [v1_id + "/layer.tar"],
    }]
    repositories = {}
    for tag in tags:
        repo, _, t = tag.rpartition(":")
        repositories.setdefault(repo, {})[t] = v1_id

    files = {
        image_id + ".json": config_bytes,
        v1_id + "/VERSION": b"1.0",
        v1_id + "/json": v1_json,
        v1_id + "/layer.tar": layer,
        "manifest.json": canonical(manifest),
        "repositories": canonical(repositories),
    }

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(tarinfo(v1_id, tarfile.DIRTYPE, 0o755))
        for name in sorted(files):
            data = files[name]
            t.addfile(tarinfo(name, tarfile.REGTYPE, 0o644, len(data)),
                      io.BytesIO(data))
    return buf.getvalue(), "sha256:" + image_id


def check(path):
    """Returns a list of problems (empty when the tarball is good)."""
    errs = []
    with tarfile.open(path, "r:") as t:
        members = {m.name.rstrip("/"): m for m in t.getmembers()}

        def read(name):
            m = members.get(name)
            if m is None or not m.isfile():
                errs.append("missing file " + name)
                return None
            return t.extractfile(m).read()

        raw = read("manifest.json")
        if raw is None:
            return errs
        manifest = json.loads(raw)
        if not isinstance(manifest, list) or len(manifest) != 1:
            return errs + ["manifest.json is not a list of one image"]
        m = manifest[0]
        for k in ("Config", "RepoTags", "Layers"):
            if k not in m:
                errs.append("manifest.json lacks " + k)
        if errs:
            return errs

        cfg_raw = read(m["Config"])
        if cfg_raw is None:
            return errs
        cfg_hex = hashlib.sha256(cfg_raw).hexdigest()
        if os.path.basename(m["Config"]) != cfg_hex + ".json":
            errs.append("config name is not its sha256 (%s)" % cfg_hex)
        cfg = json.loads(cfg_raw)
        if cfg.get("architecture") != "amd64" or cfg.get("os") != "linux":
            errs.append("architecture/os not amd64/linux")
        if cfg.get("config", {}).get("Env") != [PATH_ENV]:
            errs.append("config.Env is not the PATH")
        if cfg.get("config", {}).get("Cmd") != ["sh"]:
            errs.append("config.Cmd is not [\"sh\"]")
        if not cfg.get("history"):
            errs.append("no history")

        diff_ids = cfg.get("rootfs", {}).get("diff_ids", [])
        if len(diff_ids) != len(m["Layers"]):
            errs.append("diff_ids and Layers differ in count")

        for i, lname in enumerate(m["Layers"]):
            data = read(lname)
            if data is None:
                continue
            d = "sha256:" + hashlib.sha256(data).hexdigest()
            if i < len(diff_ids) and diff_ids[i] != d:
                errs.append("diff_id %d is %s, layer sha256 is %s"
                            % (i, diff_ids[i], d))
            errs += check_layer(data)

        rraw = read("repositories")
        if rraw is not None:
            repos = json.loads(rraw)
            for tag in m["RepoTags"]:
                repo, _, tg = tag.rpartition(":")
                if tg not in repos.get(repo, {}):
                    errs.append("repositories lacks " + tag)
    return errs


def check_layer(data):
    errs = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as t:
        ms = t.getmembers()
        names = [m.name for m in ms]
        if names != sorted(names):
            errs.append("layer entries are not sorted")
        byname = {m.name: m for m in ms}
        for m in ms:
            if m.mtime != EPOCH:
                errs.append("mtime of %s is not fixed" % m.name)
                break
        bb = byname.get("bin/busybox")
        if bb is None or not bb.isfile() or not bb.mode & 0o111:
            errs.append("no executable bin/busybox")
        for link in ("bin/sh", "bin/echo", "bin/cat"):
            s = byname.get(link)
            if s is None or not s.issym() or s.linkname != "/bin/busybox":
                errs.append(link + " is not a symlink to /bin/busybox")
        tmp = byname.get("tmp")
        if tmp is None or not tmp.isdir() or tmp.mode != 0o1777:
            errs.append("tmp is not a 1777 directory")
        for d in ("root", "proc", "dev", "sys", "home/tester", "etc"):
            if d not in byname or not byname[d].isdir():
                errs.append("missing directory " + d)
        ht = byname.get("home/tester")
        if ht is not None and (ht.uid, ht.gid) != (1000, 1000):
            errs.append("home/tester is not owned by 1000:1000")
        pw = byname.get("etc/passwd")
        if pw is None:
            errs.append("no etc/passwd")
        else:
            text = t.extractfile(pw).read().decode()
            for user in ("root:x:0:0:", "nobody:x:65534:65534:",
                         "tester:x:1000:1000:"):
                if user not in text:
                    errs.append("etc/passwd lacks " + user)
        for f in ("etc/group", "etc/hostname"):
            if f not in byname:
                errs.append("no " + f)
        for m in ms:
            if (m.uid, m.gid) not in ((0, 0), (1000, 1000)):
                errs.append("odd owner on " + m.name)
                break
    return errs


def self_test(busybox):
    n = 0
    ok = True

    def tap(cond, name):
        nonlocal n, ok
        n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (n, name))
        ok = ok and cond

    with tempfile.TemporaryDirectory() as d:
        a, ida = build_image(busybox, DEFAULT_TAGS)
        b, idb = build_image(busybox, DEFAULT_TAGS)
        tap(a == b and ida == idb, "two builds are byte for byte equal")
        p = os.path.join(d, "img.tar")
        with open(p, "wb") as f:
            f.write(a)
        errs = check(p)
        for e in errs:
            print("# " + e)
        tap(not errs, "built image passes --check")

        # a broken tarball must be caught
        with tarfile.open(p, "r:") as t:
            mf = json.loads(t.extractfile("manifest.json").read())
        bad = os.path.join(d, "bad.tar")
        with tarfile.open(bad, "w") as t:
            data = canonical(mf)
            t.addfile(tarinfo("manifest.json", tarfile.REGTYPE, 0o644,
                              len(data)), io.BytesIO(data))
        tap(len(check(bad)) > 0, "a tarball without config/layers fails")
    print("1..%d" % n)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--tag", action="append")
    ap.add_argument("-o", "--output")
    ap.add_argument("--check", metavar="TAR")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--healthcheck", metavar="JSON",
                    help="the image config's Healthcheck, e.g. "
                         "'{\"Test\": [\"CMD-SHELL\", \"true\"]}'")
    ap.add_argument("--volume", action="append", default=[],
                    metavar="PATH", help="a VOLUME of the image config")
    ap.add_argument("--file", action="append", default=[],
                    metavar="PATH=TEXT", help="a file of the image")
    ap.add_argument("--link", action="append", default=[],
                    metavar="PATH=TARGET",
                    help="a hard link of the image to a --file")
    ap.add_argument("--dir", action="append", default=[],
                    metavar="PATH=MODE:UID:GID",
                    help="a directory of the image, mode in octal")
    args = ap.parse_args()

    if args.self_test:
        return self_test(args.busybox)

    if args.check:
        errs = check(args.check)
        for e in errs:
            print(e, file=sys.stderr)
        if not errs:
            print("ok " + args.check)
        return 1 if errs else 0

    if not args.output:
        ap.error("-o is required")

    files = [tuple(f.split("=", 1)) for f in args.file]
    links = [tuple(f.split("=", 1)) for f in args.link]
    dirs = []
    for d in args.dir:
        path, spec = d.split("=", 1)
        mode, uid, gid = spec.split(":")
        dirs.append((path, int(mode, 8), int(uid), int(gid)))

    data, image_id = build_image(args.busybox, args.tag or DEFAULT_TAGS,
                                 json.loads(args.healthcheck)
                                 if args.healthcheck else None,
                                 args.volume, files, dirs, links)
    tmp = args.output + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, args.output)
    print(image_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
