#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Whole file trees: docker system df, diff, export, save (and load back),
# commit; with the docker CLI and the Docker SDK for Python.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use File::Temp qw(tempdir);
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(17);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err, $st, $j);
my $tmp = tempdir(CLEANUP => 1);

($rc, my $cid) = $t->docker('run', '--name', 'tr1', '-v', 'tv1:/vol',
    'busybox', 'sh', '-c', 'mkdir /new && head -c 5000 /dev/zero > /new/f'
    . ' && rm /etc/group && echo x > /etc/passwd && echo 1234 > /vol/v');
($rc, $cid) = $t->docker('inspect', '-f', '{{.Id}}', 'tr1');
chomp $cid;

# df

($st, $j) = $t->api_json('GET', '/system/df');
my ($c) = grep { $_->{Id} eq $cid } @{ $j->{Containers} // [] };
my ($i) = @{ $j->{Images} // [] };
my ($v) = grep { $_->{Name} eq 'tv1' } @{ $j->{Volumes} // [] };
ok($st == 200 && $c && $c->{SizeRw} >= 5000 && $c->{SizeRw} < 100000
   && $c->{SizeRootFs} == $c->{SizeRw} + $i->{Size}
   && ref $j->{BuildCache} eq 'ARRAY', 'df: containers with SizeRw')
    or diag(explain($j));
ok($i->{Size} > 1000000 && $i->{Containers} == 1 && $i->{SharedSize} == 0
   && $j->{LayersSize} == $i->{Size}, 'df: images with sizes and users');
ok($v && $v->{UsageData}{Size} == 5 && $v->{UsageData}{RefCount} == 1,
   'df: volumes with UsageData') or diag(explain($v));
($st, $j) = $t->api_json('GET', '/system/df?type=volume');
ok($st == 200 && !defined $j->{Images} && ref $j->{Volumes} eq 'ARRAY',
   'df type=volume');
($st, $j) = $t->api_json('GET', '/system/df?type=disk');
ok($st == 400 && $j->{message} eq 'unknown object type: disk',
   'df of an unknown type: 400');
($rc, $out, $err) = $t->docker('system', 'df', '-v');
ok($rc == 0 && $out =~ /tv1\s+1\s+5B/, 'docker system df -v')
    or diag("$out$err");

# changes

($rc, $out, $err) = $t->docker('diff', 'tr1');
is($out, "C /etc\nD /etc/group\nC /etc/passwd\nA /new\nA /new/f\nA /vol\n",
   'docker diff: dockerd\'s kinds, the agent\'s files hidden')
    or diag($err);
($st, $j) = $t->api_json('GET', '/containers/nosuch/changes');
ok($st == 404 && $j->{message} eq 'No such container: nosuch',
   'changes of an unknown container');

# export

($rc, $out, $err) = $t->docker('export', '-o', "$tmp/e.tar", 'tr1');
my $list = `tar -tvf $tmp/e.tar 2>&1`;
ok($rc == 0 && $list =~ m{ new/f$}m && $list =~ m{ bin/busybox$}m
   && $list !~ m{ etc/group$}m && $list =~ m{ 5000 \S+ \S+ new/f$}m,
   'docker export: the merged view') or diag("$err$list");

# save, rmi, load, run

($rc, $out, $err) = $t->docker('save', '-o', "$tmp/s.tar", 'busybox');
($rc, $out, $err) = $t->command({}, 'python3',
                                "$FindBin::Bin/lib/mkimage.py", '--check',
                                "$tmp/s.tar");
is($rc, 0, 'docker save: a docker-archive tarball') or diag("$out$err");

# commit

($rc, $out, $err) = $t->docker('commit', '-c', 'ENV COMMITTED=yes',
                               '-c', 'CMD ["cat", "/new/f"]', '-m', 'snap',
                               'tr1', 'snap/shot:1');
ok($rc == 0 && $out =~ /^sha256:[0-9a-f]{64}$/, 'docker commit')
    or diag("$out$err");
($rc, $out, $err) = $t->docker('run', '--rm', 'snap/shot:1', 'sh', '-c',
    'echo $COMMITTED; wc -c < /new/f; test -e /etc/group || echo gone');
is($out, "yes\n5000\ngone\n", 'the committed image has the files')
    or diag($err);
($rc, $out) = $t->docker('history', '--format', '{{.Comment}}',
                         'snap/shot:1');
like($out, qr/^snap\n/, 'history has the commit row');
($rc, $out, $err) = $t->docker('commit', 'nosuch');
ok($rc != 0 && $err =~ /No such container: nosuch/,
   'commit of an unknown container') or diag($err);

$t->docker('rm', '-f', 'tr1');
($rc, $out, $err) = $t->docker('rmi', '-f', 'busybox',
                               'sockerless-test/busybox');
($rc, $out, $err) = $t->docker('load', '-i', "$tmp/s.tar");
like($out, qr/Loaded image: busybox:latest/, 'load of the saved tarball')
    or diag($err);
($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'echo', 'back');
is($out, "back\n", 'and it runs') or diag($err);

$t->done;
