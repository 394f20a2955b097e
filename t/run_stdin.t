#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# docker run -i: a 16 MiB stdin round trip, and stdin EOF reaching the
# container's process.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Digest::SHA qw(sha256_hex);
use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf->plan(6);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $size = 16 * 1024 * 1024;
open my $r, '<', '/dev/urandom' or die "urandom: $!\n";
my $data = '';
while (length $data < $size) {
    read($r, $data, $size - length $data, length $data) or die "read: $!\n";
}
close $r;
my $in = $t->write_file('in.bin', $data);

my ($rc, $out, $err) = $t->docker_in($in, { timeout => 180 }, 'run', '-i',
                                     '--rm', 'busybox', 'cat');
is($rc, 0, 'run -i cat: exit 0') or diag($err);
is(length $out, $size, 'run -i cat: 16 MiB back');
is(sha256_hex($out), sha256_hex($data), 'run -i cat: sha256 equal');

($rc, $out) = $t->docker_in($in, { timeout => 180 }, 'run', '-i', '--rm',
                            'busybox', 'sh', '-c', 'cat >/dev/null; '
                            . 'echo eof-seen');
is($out, "eof-seen\n", 'stdin EOF reaches the process');

($rc, $out) = $t->docker_in($in, { timeout => 180 }, 'run', '-i', '--rm',
                            'busybox', 'wc', '-c');
like($out, qr/^\s*$size\s*$/, 'wc -c counts every byte');

$t->done;
