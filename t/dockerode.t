#!/usr/bin/perl

# Copyright (C) sockerless contributors
#
# dockerode (npm, installed into t/js by make deps) against sockerless: a
# pull from the harness's registry with its progress, and a container's
# round trip. The checks are t/js/dockerode_flow.js's, passed through.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use Test::More;
use Sockerless::Test;

my $t = Sockerless::Test->new;

plan(skip_all => 'no dockerode in t/js (make deps installs it)')
    unless -d "$FindBin::Bin/js/node_modules/dockerode";
plan(skip_all => 'no docker-registry (make deps installs it)')
    unless $t->has_tool('docker-registry');

$t->write_conf->plan(9);
$t->run;

my $reg = $t->start_registry;
my ($mdigest) = $reg ? $t->push_busybox($reg, 'busybox', 'latest') : ();
ok($mdigest, 'busybox pushed to the registry') or BAIL_OUT('no registry');

my ($rc, $out, $err) = $t->command({ timeout => 120, env => $t->docker_env },
    'node', "$FindBin::Bin/js/dockerode_flow.js", "$reg/busybox:latest");

for my $line (split /\n/, $out) {
    if ($line =~ /^(not ok|ok) \d+ - (.*)$/) {
        ok($1 eq 'ok', "dockerode: $2");

    } elsif ($line =~ /^# (.*)/) {
        diag($1);
    }
}

diag($err) if $rc != 0;

$t->done;
