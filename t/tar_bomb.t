#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Tar bombs beyond sockerless_unpack_max_size: small archives that say
# they unpack to more than the limit are refused before anything that
# large is written, by docker cp (plain and gzip bodies, so both paths to
# the agent), docker load and docker import (and pulled layers, in
# pull.t); archives under the limit still unpack.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf('sockerless_unpack_max_size 8m;')
    ->plan(12);
$t->run;

ok($t->load_busybox, 'busybox loaded under the limit');

my ($rc, $out, $err, $st, $j);
my $p = $t->prefix;

# a gzip tar of one 64 MiB file of zeros: about 64 KiB on the wire

system("mkdir -p $p/bomb && head -c 64M /dev/zero > $p/bomb/zeros && "
       . "tar -C $p/bomb -cf - zeros | gzip -9 > $p/bomb.tgz && "
       . "tar -C $p/bomb -cf $p/bomb.tar zeros && rm $p/bomb/zeros") == 0
    or die "cannot make the bomb\n";
ok(-s "$p/bomb.tgz" < 1024 * 1024, 'the bomb is small when compressed');

$t->docker('run', '-d', '--name', 'tb', 'busybox', 'sleep', '300');

# docker cp: the gzip body is inflated by nginx and checked by the agent;
# the plain one goes to the agent straight

($st, $j) = $t->api_json('PUT', '/containers/tb/archive?path=/tmp',
                         $t->read_file("$p/bomb.tgz"),
                         headers => { 'Content-Type' => 'application/x-tar' });
ok($st == 413 && ($j->{message} // '')
       =~ /unpacks to more than 8388608 bytes/,
   'cp of a gzip bomb: 413') or diag("$st " . explain $j);

($st, $j) = $t->api_json('PUT', '/containers/tb/archive?path=/tmp',
                         $t->read_file("$p/bomb.tar"),
                         headers => { 'Content-Type' => 'application/x-tar' });
ok($st == 413 && ($j->{message} // '')
       =~ /unpacks to more than 8388608 bytes/,
   'cp of a plain tar over the limit: 413') or diag("$st " . explain $j);

($rc, $out) = $t->docker('exec', 'tb', 'ls', '/tmp');
is($out, '', 'nothing of either was written');

$t->write_file("$p/small.txt", "small\n");
($rc, $out, $err) = $t->docker('cp', "$p/small.txt", 'tb:/tmp/small.txt');
($rc, $out) = $t->docker('exec', 'tb', 'cat', '/tmp/small.txt');
is($out, "small\n", 'cp under the limit still works');

# docker import of the bomb

($st, $j) = $t->api_json('POST', '/images/create?fromSrc=-&repo=bomb',
                         $t->read_file("$p/bomb.tgz"));
ok($st == 400 && ($j->{message} // '')
       =~ /unpacks to more than 8388608 bytes/,
   'import of a gzip bomb: 400') or diag("$st " . explain $j);
($rc, $out) = $t->docker('images', '-q', 'bomb');
is($out, '', 'no image made');

# docker load of an image whose one layer is the bomb

($rc, $out, $err) = $t->python(<<"PY");
import gzip, hashlib, io, json, tarfile
layer = open("$p/bomb.tgz", "rb").read()
diff = hashlib.sha256(gzip.decompress(layer)).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers",
                             "diff_ids": ["sha256:" + diff]}}).encode()
cid = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": cid + ".json", "RepoTags": ["bomb:load"],
                   "Layers": ["layer.tar"]}]).encode()
with tarfile.open("$p/bomb-image.tar", "w") as t:
    for name, data in (("manifest.json", man), (cid + ".json", cfg),
                       ("layer.tar", layer)):
        i = tarfile.TarInfo(name); i.size = len(data)
        t.addfile(i, io.BytesIO(data))
PY
($rc, $out, $err) = $t->docker('load', '-i', "$p/bomb-image.tar");
ok($rc != 0 && $err =~ /unpacks to more than 8388608 bytes/,
   'load of an image with a bomb layer: refused') or diag("$out$err");
($rc, $out) = $t->docker('images', '-q', 'bomb:load');
is($out, '', 'no image loaded');

# docker pull of an image whose layer is the bomb (gzipped on the wire
# by regpush.py): the pull's stream ends with the error, nothing kept

SKIP: {
    my $reg = $t->has_tool('docker-registry') ? $t->start_registry : undef;
    skip 'no docker-registry (make deps installs it)', 2 unless $reg;

    ($rc, $out, $err) = $t->python(<<"PY");
import hashlib, io, json, tarfile
layer = open("$p/bomb.tar", "rb").read()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                  "rootfs": {"type": "layers", "diff_ids":
                             ["sha256:" + hashlib.sha256(layer).hexdigest()]}
                  }).encode()
cid = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": cid + ".json", "RepoTags": ["bomb:pull"],
                   "Layers": ["layer.tar"]}]).encode()
with tarfile.open("$p/bomb-plain.tar", "w") as t:
    for name, data in (("manifest.json", man), (cid + ".json", cfg),
                       ("layer.tar", layer)):
        i = tarfile.TarInfo(name); i.size = len(data)
        t.addfile(i, io.BytesIO(data))
PY
    ($rc, $out, $err) = $t->command({ timeout => 120 }, 'python3',
        "$FindBin::Bin/lib/regpush.py", '--registry', $reg, '--repo',
        'bomb', '--tag', 'pull', "$p/bomb-plain.tar");
    ($rc, $out, $err) = $t->docker('pull', "$reg/bomb:pull");
    ok($rc != 0 && $err =~ /unpacks to more than 8388608 bytes/,
       'pull of an image with a bomb layer: the error') or diag("$out$err");
    ($rc, $out) = $t->docker('images', '-q', "$reg/bomb");
    is($out, '', 'nothing pulled');
}

$t->docker('rm', '-f', 'tb');
$t->done;
