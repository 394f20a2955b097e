#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker volume: create, ls with filters, inspect, rm (409 while in use),
# prune (anonymous ones unless all=true), a named volume bound with -v
# keeping its files across containers and :ro, and bad input.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(21);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('volume', 'create', '--label', 'team=blue',
                                  'data1');
is($out, "data1\n", 'volume create');

my $v = $t->inspect('data1');
ok($v && $v->{Driver} eq 'local' && $v->{Scope} eq 'local'
   && $v->{Labels}{team} eq 'blue' && -d $v->{Mountpoint}
   && $v->{Mountpoint} =~ m{/volumes/data1/_data$}
   && $v->{CreatedAt} =~ /^\d{4}-\d\d-\d\dT/ && !exists $v->{_sls},
   'inspect: dockerd\'s fields, a real directory') or diag(explain($v));

($rc, $out) = $t->docker('volume', 'create', 'data1');
is($out, "data1\n", 'create of an existing name answers with it');

# a named volume bound into containers

($rc, $out, $err) = $t->docker('run', '--rm', '-v', 'data1:/data', 'busybox',
                               'sh', '-c', 'echo kept > /data/f');
is($rc, 0, 'a container writes into the volume') or diag($err);
($rc, $out) = $t->docker('run', '--rm', '-v', 'data1:/data:ro', 'busybox',
                         'cat', '/data/f');
is($out, "kept\n", 'the next container reads it');
($rc, $out, $err) = $t->docker('run', '--rm', '-v', 'data1:/data:ro',
                               'busybox', 'touch', '/data/g');
ok($rc != 0 && $err =~ /Read-only file system/, ':ro is read-only');

($rc, $out) = $t->docker('run', '--rm', '-v', 'made:/m', 'busybox', 'true');
($rc, $out) = $t->docker('volume', 'ls', '-q', '--filter', 'name=mad');
is($out, "made\n", 'a bind of an unknown name makes the volume; name '
   . 'filter by part');

# in use

my $id;
($rc, $id) = $t->docker('create', '-v', 'data1:/data', 'busybox', 'true');
chomp $id;
($rc, $out, $err) = $t->docker('volume', 'rm', 'data1');
ok($rc != 0 && $err =~ /remove data1: volume is in use - \[\Q$id\E\]/,
   'rm of a volume in use: dockerd\'s 409') or diag($err);

($rc, $out) = $t->docker('volume', 'ls', '-q', '--filter', 'dangling=true');
is($out, "made\n", 'dangling=true: the unused ones');
($rc, $out) = $t->docker('volume', 'ls', '-q', '--filter', 'label=team=blue');
is($out, "data1\n", 'label filter');

$t->docker('rm', $id);

# prune: anonymous volumes only, unless all=true

($rc, my $anon) = $t->docker('volume', 'create');
chomp $anon;
ok($anon =~ /^[0-9a-f]{64}$/, 'an anonymous volume');

($rc, $out) = $t->docker('volume', 'prune', '-f');
ok($rc == 0 && $out =~ /^\Q$anon\E$/m && $out !~ /data1|made/,
   'prune removes the anonymous one only') or diag($out);

($rc, $out) = $t->docker('volume', 'prune', '-f', '--filter', 'all=true');
ok($rc == 0 && $out =~ /^data1$/m && $out =~ /^made$/m
   && $out =~ /Total reclaimed space: 5B/, 'prune all=true, with the space')
    or diag($out);
ok(!-d "$t->{data}/volumes/data1", 'and its directory is gone');

# bad input

($rc, $out, $err) = $t->docker('volume', 'create', '../../etc');
ok($rc != 0 && $err =~ /includes invalid characters for a local volume name/,
   'a name with a path: 400');
my ($st, $j) = $t->api_json('GET', '/volumes/bad!name');
ok($st == 404 && $j->{message} eq 'get bad!name: no such volume',
   'inspect of a name no volume can have: 404');
($rc, $out, $err) = $t->docker('volume', 'create', '-d', 'nfs', 'x1');
ok($rc != 0 && $err =~ /plugin "nfs" not found/, 'unknown driver: 404');
($rc, $out, $err) = $t->docker('volume', 'create', '-o', 'type=tmpfs', 'x2');
ok($rc != 0 && $err =~ /takes no options/, 'driver options: a clear 400');
($rc, $out, $err) = $t->docker('volume', 'rm', 'nosuch');
ok($rc != 0 && $err =~ /get nosuch: no such volume/, 'rm of nothing: 404');

($rc, $out) = $t->docker('events', '--since', time - 300, '--until',
                         time + 1,
                         '--filter', 'type=volume', '--format',
                         '{{.Action}} {{.Actor.ID}}');
ok($out =~ /^create data1$/m && $out =~ /^destroy data1$/m,
   'volume events') or diag($out);

$t->done;
