#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# Containers that exit at once, several at a time: an exit reported
# before the start is recorded must not be lost (the CLI would wait for it
# for good). A short event history makes every event write trim it, which
# widens the window between the start and its record.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new->write_conf('sockerless_event_history 8;')
    ->plan(2);
$t->run;

ok($t->load_busybox, 'busybox loaded');

my $loop = $t->write_file('loop.sh', <<'SH');
for i in $(seq 1 15); do
    out=$(timeout -k 1 30 docker run --rm -w /w$1 busybox pwd 2>&1)
    [ "$out" = "/w$1" ] || { echo "FAIL $i: $out"; exit 1; }
done
echo ok
SH

my @loops = map { $t->spawn({ docker => 1 }, 'sh', $loop, $_) } 1 .. 3;
my @codes = map { $_->wait(150) } @loops;

ok(!grep({ !defined || $_ != 0 } @codes), 'three loops of 15 runs of a '
   . 'container that exits at once: none hangs')
    or diag(join "\n", map { $_->stdout . $_->stderr } @loops);

$t->done;
