#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker run: output, exit codes, stdout and stderr apart, missing commands
# and images, env, workdir, user, hostname, entrypoint, name conflicts.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(30);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'echo', 'hello');
is($rc, 0, 'run --rm echo: exit 0') or diag($err);
is($out, "hello\n", 'run --rm echo: output');

($rc, $out, $err) = $t->docker({ unix => 1 }, 'run', '--rm', 'busybox',
                               'echo', 'over', 'unix');
is($out, "over unix\n", 'run over the unix socket');

($rc) = $t->docker('run', '--rm', 'busybox', 'sh', '-c', 'exit 3');
is($rc, 3, 'exit code 3 reaches the CLI');

($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'sh', '-c',
                               'echo out; echo err >&2');
ok($rc == 0 && $out eq "out\n" && $err eq "err\n",
   'stdout and stderr kept apart') or diag("out '$out' err '$err'");

# 1.3 MB of output arrives whole and in order
my $expect = join '', map { "$_\n" } 1 .. 200000;
($rc, $out) = $t->docker('run', '--rm', 'busybox', 'seq', '1', '200000');
ok($rc == 0 && $out eq $expect, 'large output intact')
    or diag('got ' . length($out) . ' bytes');

($rc, $out, $err) = $t->docker('run', 'busybox', 'nosuchcmd');
is($rc, 127, 'missing command: CLI exit 127');
like($out . $err, qr/executable file not found/,
     'missing command: executable file not found');

($rc, $out, $err) = $t->docker('run', '--rm', 'nosuchimage:1', 'true');
is($rc, 125, 'absent image: CLI exit 125');
like($err, qr/Unable to find image 'nosuchimage:1' locally/,
     'absent image: create said No such image, CLI tried to pull');
like($err, qr/Error response from daemon: \S/, 'absent image: pull failed');

my ($st, $j) = $t->api_json('POST', '/containers/create',
                            { Image => 'nosuchimage:1', Cmd => ['true'] });
ok($st == 404 && ($j->{message} // '') eq 'No such image: nosuchimage:1',
   'absent image: API 404 No such image');

# environment
($rc, $out) = $t->docker('run', '--rm', '-e', 'FOO=bar baz', 'busybox',
                         'sh', '-c', 'echo "$FOO"');
is($out, "bar baz\n", 'run -e');
($rc, $out) = $t->docker('run', '--rm', 'busybox', 'env');
like($out, qr{^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$}m,
     'image Env applied');
like($out, qr/^HOSTNAME=[0-9a-f]{12}$/m, 'HOSTNAME set');
ok($rc == 0 && $out =~ /^PATH=/m && $out !~ /SOCKERLESS/,
   'no SOCKERLESS variable in the environment');

# working directory
($rc, $out) = $t->docker('run', '--rm', '-w', '/tmp', 'busybox', 'pwd');
is($out, "/tmp\n", 'run -w /tmp');
($rc, $out) = $t->docker('run', '--rm', '-w', '/new/dir', 'busybox', 'pwd');
is($out, "/new/dir\n", 'run -w creates a missing directory');

# user
($rc, $out) = $t->docker('run', '--rm', '-u', '1000', 'busybox', 'id', '-u');
is($out, "1000\n", 'run -u 1000');
($rc, $out) = $t->docker('run', '--rm', '-u', 'tester', 'busybox', 'sh', '-c',
                         'id -u; id -g; echo $HOME');
is($out, "1000\n1000\n/home/tester\n", 'run -u tester: uid, gid, HOME');
($rc, $out) = $t->docker('run', '--rm', '-u', '65534:65534', 'busybox', 'id',
                         '-g');
is($out, "65534\n", 'run -u uid:gid');

# entrypoint
($rc, $out) = $t->docker('run', '--rm', '--entrypoint', 'echo', 'busybox',
                         'a', 'b');
is($out, "a b\n", 'run --entrypoint');

SKIP: {
    skip 'hostname needs a UTS namespace (root)', 2 unless $t->is_root;

    ($rc, $out) = $t->docker('run', '--rm', '-h', 'foo', 'busybox',
                             'hostname');
    is($out, "foo\n", 'run -h foo');

    ($rc, $out) = $t->docker('run', '--name', 'hn', 'busybox', 'hostname');
    my $c = $t->inspect('hn');
    is($out, substr($c->{Id} // 'x' x 12, 0, 12) . "\n",
       'default hostname is the short id');
}

# name conflict
($rc, $out) = $t->docker('create', '--name', 'xx', 'busybox', 'true');
chomp(my $id = $out);
ok($rc == 0 && $id =~ /^[0-9a-f]{64}$/, 'create --name x');

my $conflict = qq{Conflict. The container name "/xx" is already in use by }
    . qq{container "$id". You have to remove (or rename) that container }
    . qq{to be able to reuse that name.};
($rc, $out, $err) = $t->docker('create', '--name', 'xx', 'busybox', 'true');
ok($rc != 0 && index($err, $conflict) >= 0, 'name conflict: CLI message')
    or diag($err);

($st, $j) = $t->api_json('POST', '/containers/create?name=xx',
                         { Image => 'busybox', Cmd => ['true'] });
ok($st == 409 && ($j->{message} // '') eq $conflict, 'name conflict: 409');

($rc, $out) = $t->docker('run', '--rm', 'sockerless-test/busybox', 'echo',
                         'tag');
is($out, "tag\n", 'second tag of the image runs');

($rc, $out) = $t->docker('ps', '-a', '-q');
is($rc, 0, 'docker ps still serves');

$t->done;
