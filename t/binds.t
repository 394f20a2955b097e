#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# HostConfig.Binds of host paths in the memory backend: read-write,
# read-only, a single file, a missing source made as dockerd does, and
# targets that try to leave the container's root.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(9);
$t->run;

ok($t->load_busybox, 'busybox loaded');

SKIP: {
    skip 'bind mounts need root (mount namespaces)', 7 unless $t->is_root;

    my $src = "$t->{prefix}/bindsrc";
    mkdir $src or die "mkdir $src: $!\n";
    $t->write_file("$src/in.txt", "from the host\n");

    my ($rc, $out, $err) = $t->docker('run', '--rm', '-v', "$src:/data",
        'busybox', 'sh', '-c', 'cat /data/in.txt; echo back > /data/out.txt');
    is($out, "from the host\n", 'bind: the host file is read inside')
        or diag($err);
    is($t->read_file("$src/out.txt"), "back\n",
       'bind: what the container writes lands on the host');

    ($rc, $out, $err) = $t->docker('run', '--rm', '-v', "$src:/data:ro",
        'busybox', 'sh', '-c', 'cat /data/in.txt; echo x > /data/ro.txt');
    ok($rc != 0 && $out eq "from the host\n"
       && $err =~ /Read-only file system/ && !-e "$src/ro.txt",
       'bind :ro is read-only') or diag("$rc $out $err");

    ($rc, $out) = $t->docker('run', '--rm', '-v',
        "$src/in.txt:/etc/deep/file.txt", 'busybox', 'cat',
        '/etc/deep/file.txt');
    is($out, "from the host\n", 'bind of a single file, parents made');

    ($rc, $out, $err) = $t->docker('run', '--rm', '-v',
        "$t->{prefix}/made/by/bind:/m", 'busybox', 'ls', '/m');
    ok($rc == 0 && -d "$t->{prefix}/made/by/bind",
       'a missing source directory is made, as dockerd does') or diag($err);

    # ".." resolves inside the container's root: nothing is made outside
    ($rc, $out, $err) = $t->docker('run', '--rm', '-v',
        "$src:/../../../../escape", 'busybox', 'cat', '/escape/in.txt');
    ok($rc == 0 && $out eq "from the host\n" && !-e '/escape'
       && !-e "$t->{prefix}/escape" && !-e "$t->{prefix}/data/escape",
       'a target with .. stays inside the container') or diag($err);

    # a bind is there for exec too
    $t->docker('run', '-d', '--name', 'bd', '-v', "$src:/data", 'busybox',
               'sleep', '300');
    ($rc, $out) = $t->docker('exec', 'bd', 'cat', '/data/in.txt');
    is($out, "from the host\n", 'exec sees the bind');
    $t->docker('rm', '-f', 'bd');
}

# (a name is a volume: t/volumes.t)
my ($st, $j) = $t->api_json('POST', '/containers/create',
                            { Image => 'busybox', Cmd => ['true'],
                              HostConfig => { Binds => ['rel/dir:/data'] } });
($st, $j) = $t->api_json('POST', "/containers/$j->{Id}/start") if $j->{Id};
ok($st == 400 && ($j->{message} // '')
   =~ /^create rel\/dir: "rel\/dir" includes invalid characters for a local volume name.*use absolute path$/,
   'a relative bind: dockerd\'s 400 at create') or diag("$st " . ($j->{message} // ''));

$t->done;
