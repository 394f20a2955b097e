#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Tar bombs beyond sockerless_unpack_max_size: small archives that say
# they unpack to more than the limit are refused before anything that
# large is written, by docker cp (plain and gzip bodies, so both paths to
# the agent), docker load and docker import; archives under the limit
# still unpack.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf('sockerless_unpack_max_size 1m;')
    ->plan(8);
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
       =~ /unpacks to more than 1048576 bytes/,
   'cp of a gzip bomb: 413') or diag("$st " . explain $j);

($st, $j) = $t->api_json('PUT', '/containers/tb/archive?path=/tmp',
                         $t->read_file("$p/bomb.tar"),
                         headers => { 'Content-Type' => 'application/x-tar' });
ok($st == 413 && ($j->{message} // '')
       =~ /unpacks to more than 1048576 bytes/,
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
       =~ /unpacks to more than 1048576 bytes/,
   'import of a gzip bomb: 400') or diag("$st " . explain $j);
($rc, $out) = $t->docker('images', '-q', 'bomb');
is($out, '', 'no image made');

$t->docker('rm', '-f', 'tb');
$t->done;
