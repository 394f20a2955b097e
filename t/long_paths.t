#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# A data directory deep enough that an agent's socket path does not fit
# in sun_path (108 bytes), as with a checkout under a long home path:
# run, exec, attach and logs still reach the agent.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;
my $deep = $t->{prefix} . ('/a-rather-long-directory-name' x 4) . '/data';
$t->data_dir($deep)->write_conf->plan(6);
$t->run;

ok(length("$deep/containers/" . ('0' x 64) . '/agent.sock') > 108,
   'the socket path is longer than sun_path');
ok($t->load_busybox, 'busybox loaded');

my ($rc, $out, $err) = $t->docker('run', '--rm', 'busybox', 'echo', 'deep');
is($out, "deep\n", 'run --rm echo') or diag($err);

$t->docker('run', '-d', '--name', 'lp', 'busybox', 'sh', '-c',
           'echo started; exec sleep 300');
($rc, $out) = $t->docker('exec', 'lp', 'echo', 'exec');
is($out, "exec\n", 'exec reaches the agent');

($rc, $out) = $t->docker('logs', 'lp');
is($out, "started\n", 'logs');

($rc) = $t->docker('rm', '-f', 'lp');
is($rc, 0, 'rm -f');

$t->done;
