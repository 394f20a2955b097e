#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker cp (HEAD/GET/PUT /containers/{id}/archive) with the docker CLI
# and the Docker SDK for Python, into and out of running and stopped
# containers; the stat header, errors and a tar that tries to escape.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use File::Temp qw(tempdir);
use MIME::Base64 qw(decode_base64);
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(23);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $h, $b);
my $tmp = tempdir(CLEANUP => 1);

$t->docker('run', '-d', '--name', 'cp1', 'busybox', 'sh', '-c',
    'mkdir -p /d/sub && echo a > /d/a && echo b > /d/sub/b'
    . ' && ln -s /d/a /lnk && exec sleep 300');
$t->docker('exec', 'cp1', 'true');

# out of a running container

($rc, $out, $err) = $t->docker('cp', 'cp1:/d/a', "$tmp/a");
ok($rc == 0 && $t->read_file("$tmp/a") eq "a\n", 'cp out: a file')
    or diag("$out$err");

($rc, $out, $err) = $t->docker('cp', 'cp1:/d', "$tmp/d");
ok($rc == 0 && $t->read_file("$tmp/d/sub/b") eq "b\n",
   'cp out: a directory, recursively') or diag("$out$err");

($rc, $out, $err) = $t->docker('cp', 'cp1:/lnk', "$tmp/lnk");
ok($rc == 0 && -l "$tmp/lnk" && readlink("$tmp/lnk") eq '/d/a',
   'cp out: a symlink itself') or diag("$out$err");

mkdir "$tmp/dot";
($rc, $out, $err) = $t->docker('cp', 'cp1:/d/.', "$tmp/dot");
ok($rc == 0 && -f "$tmp/dot/a" && -f "$tmp/dot/sub/b",
   'cp out: dir/. copies the contents') or diag("$out$err");

($rc, $out, $err) = $t->docker('cp', 'cp1:/nope', "$tmp/x");
ok($rc != 0 && $err =~ m{nope}, 'cp out: a missing path fails')
    or diag("$out$err");

# the stat header, as dockerd encodes it

($st, $h, $b) = $t->api('HEAD', '/containers/cp1/archive?path=/lnk');
my $hs = $h->{'x-docker-container-path-stat'} // '';
my $j = eval { Sockerless::Test::json_decode(decode_base64($hs)) } // {};
ok($st == 200 && $j->{name} eq 'lnk' && $j->{linkTarget} eq '/d/a'
   && $j->{mode} == ((1 << 27) | 0777)
   && $j->{mtime} =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
   'HEAD: a symlink: ModeSymlink, linkTarget') or diag(explain([$h, $j]));

($st, $h) = $t->api('HEAD', '/containers/cp1/archive?path=/d');
$j = eval { Sockerless::Test::json_decode(decode_base64(
             $h->{'x-docker-container-path-stat'} // '')) } // {};
($rc, $out) = $t->docker('exec', 'cp1', 'stat', '-c', '%a', '/d');
ok($st == 200 && $j->{name} eq 'd'
   && $j->{mode} == ((1 << 31) | oct($out =~ s/\s+//gr)),
   'HEAD: a directory: ModeDir and its permissions') or diag(explain($j));

($st, $j) = $t->api_json('GET', '/containers/cp1/archive?path=/nope');
ok($st == 404 && $j->{message} eq
   'Could not find the file /nope in container cp1', 'GET: 404 as dockerd')
    or diag(explain($j));

# into a running container

system("mkdir -p $tmp/in/x && echo hi > $tmp/in/x/f && ln -s f $tmp/in/x/l");
($rc, $out, $err) = $t->docker('cp', "$tmp/in/x", 'cp1:/tmp/');
($rc, $out, $err) = $t->docker('exec', 'cp1', 'sh', '-c',
    'cat /tmp/x/f; readlink /tmp/x/l');
is($out, "hi\nf\n", 'cp in: a directory with a symlink');

# a tar that escapes: refused, nothing written outside

my $evil = "$tmp/evil.tar";
system("cd $tmp && mkdir -p e && echo pwned > e/p && "
       . "tar --transform 's,^e/p,../../escaped,' -cf $evil e/p");
($st, $j) = $t->api_json('PUT', '/containers/cp1/archive?path=/tmp',
    $t->read_file($evil),
    headers => { 'Content-Type' => 'application/x-tar' });
($rc, $out) = $t->docker('exec', 'cp1', 'sh', '-c',
    'ls /escaped /tmp/escaped 2>&1');
ok($st == 400 && $j->{message} =~ /outside/ && $out =~ /No such file/,
   'PUT: "../" refused with 400, nothing written') or diag(explain($j));

# more escapes, crafted with Python's tarfile: an absolute name, a file
# through a symlink that points out, a hard link to a file outside

my $craft = $t->write_file('craft.py', <<'EOF');
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w') as tf:
    def add(name, data=b'pwned\n', **kw):
        ti = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(ti, k, v)
        if ti.type == tarfile.REGTYPE:
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
        else:
            tf.addfile(ti)
    if kind == 'absolute':
        add('/abs-escaped')
    elif kind == 'symlink':
        add('out', type=tarfile.SYMTYPE, linkname='../../..')
        add('out/sym-escaped')
    elif kind == 'hardlink':
        add('h', type=tarfile.LNKTYPE, linkname='../../etc/hostname')
EOF

for my $kind (qw(absolute symlink hardlink)) {
    my $tar = "$tmp/$kind.tar";
    system('python3', $craft, $kind, $tar);
    ($st, $j) = $t->api_json('PUT', '/containers/cp1/archive?path=/tmp/x',
        $t->read_file($tar),
        headers => { 'Content-Type' => 'application/x-tar' });
    ($rc, $out) = $t->docker('exec', 'cp1', 'sh', '-c',
        'ls /abs-escaped /sym-escaped /tmp/x/abs-escaped /tmp/x/h 2>&1 | '
        . 'grep -v "No such file"');
    ok($st == 400 && $out eq '', "PUT: $kind escape refused with 400, "
                                 . 'nothing written')
        or diag("$st " . explain($j) . " ls: $out");
}

# a stopped container, both ways

$t->docker('create', '--name', 'cp2', 'busybox', 'true');
($rc, $out, $err) = $t->docker('cp', "$tmp/in/x/f", 'cp2:/f2');
ok($rc == 0, 'cp in: a stopped container') or diag("$out$err");
($rc, $out, $err) = $t->docker('cp', 'cp2:/f2', "$tmp/f2");
ok($rc == 0 && $t->read_file("$tmp/f2") eq "hi\n",
   'cp out: a stopped container') or diag("$out$err");

# 64 MiB round trip

system("head -c 67108864 /dev/urandom > $tmp/big");
($rc, $out, $err) = $t->docker('cp', "$tmp/big", 'cp1:/big');
my ($rc2, $out2, $err2) = $t->docker('cp', 'cp1:/big', "$tmp/big2");
ok($rc == 0 && $rc2 == 0
   && `cmp $tmp/big $tmp/big2 2>&1 && echo same` =~ /same/,
   'a 64 MiB file round trip is intact') or diag("$out$err$out2$err2");

# the Docker SDK for Python

my $py = <<'PY';
import io, os, sys, tarfile, docker
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST']).containers.get('cp1')
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w:gz') as tf:
    data = b'sdk\n'
    ti = tarfile.TarInfo('sdk.txt'); ti.size = len(data); ti.mode = 0o640
    tf.addfile(ti, io.BytesIO(data))
print(c.put_archive('/tmp', buf.getvalue()))
bits, stat = c.get_archive('/tmp/sdk.txt')
tf = tarfile.open(fileobj=io.BytesIO(b''.join(bits)))
m = tf.getmember('sdk.txt')
print(stat['name'], oct(stat['mode'] & 0o777), tf.extractfile(m).read().decode().strip())
PY
($rc, $out, $err) = $t->python($py);
is($out, "True\nsdk.txt 0o640 sdk\n", 'SDK: put_archive (gzip), get_archive')
    or diag($err);

# no path

($st, $j) = $t->api_json('HEAD', '/containers/cp1/archive');
is($st, 400, 'HEAD without a path: 400');

# a copy is logged as dockerd logs it

($rc, $out) = $t->docker('events', '--since', 0, '--until', time + 1,
                         '--filter', 'container=cp1', '--filter',
                         'event=extract-to-dir', '--filter',
                         'event=archive-path', '--format', '{{.Action}}');
ok($out =~ /^extract-to-dir$/m && $out =~ /^archive-path$/m,
   'events: extract-to-dir and archive-path') or diag($out);

# dockerd's checkWritablePath: a read-only root or mount refuses a copy

SKIP: {
    skip 'read-only roots and mounts need root', 3 unless $t->is_root;

    my $ro = $t->prefix . '/ro';
    mkdir $ro;
    $t->docker('run', '-d', '--name', 'cp-ro', '--read-only', '-v',
               "$ro:/ro:ro", '-v', 'cpvol:/rw', 'busybox', 'sleep', '300');
    $t->write_file("$tmp/one.txt", "one\n");
    my @res = map {
        my ($rc, $out, $err) = $t->docker('cp', "$tmp/one.txt", "cp-ro:$_");
        $rc == 0 ? 'ok' : $err =~ /Error response from daemon: (.*)/ ? $1
                                                                  : $err;
    } ('/tmp/one.txt', '/ro/x/../one.txt', '/rw/one.txt');
    is($res[0], 'container rootfs is marked read-only',
       'cp into a --read-only root: dockerd\'s 400') or diag(explain \@res);
    is($res[1], 'mounted volume is marked read-only',
       'cp into a read-only bind: dockerd\'s 400');
    is($res[2], 'ok', 'cp into a writable volume of a read-only root');
    $t->docker('rm', '-f', 'cp-ro');
}

$t->docker('rm', '-f', 'cp1', 'cp2');
